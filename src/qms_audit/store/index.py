"""A derived index of what portfolio views need of each audit, in an embedded database (SQLite).

Management views read every audit of the workspace; reading and scoring ten thousand audit folders takes
tens of seconds. The index keeps, per audit, the digest the views use and the audit's finding records (both
opaque bytes made by the services layer) with a fingerprint of the files it was made from, so that a call
re-reads only the audits that changed since.

The documents stay the single source of truth. The index lives in the user's cache (`cache_dir()`, keyed by
the workspace's path), never in the workspace, so it is never committed; deleting it loses nothing, and
`QMS_AUDIT_CACHE=off` disables it. A row is used only while everything it was made from is unchanged:

- the audit's record files, by the stat of `audit.json` and of every file in `results/` and `findings/`
  (name, size, mtime, ctime, inode). A write through the record layer replaces files by rename, so it
  changes their inode and ctime; an edit by hand in place changes size, mtime or ctime; a file added,
  removed or renamed changes the list. The event log is not part of the fingerprint: a digest is made from
  the record files alone, so they are what is stamped;
- a killed writer's journal (`.journal.json`): the reader completes it, so such an audit is always re-read;
- once a row is stored, its folder stamp instead: the stat of the audit folder, of `audit.json` and of the
  `results/`, `findings/` and `criteria/` folders. Every write of the record layer, and git (checkout, merge,
  pull), replace a record file by a new one, which changes its folder's stamp; so do a journal left by a
  killed writer and most editors. Checking five stats instead of thirty is what lets ten thousand audits be
  checked in a fraction of a second. A record file edited in place (same name, same inode) is a change made
  outside qms-audit, in an open audit as in a closed one: `qms-audit verify` reports it against the hash
  chain and drops that audit's row, so that views read it again; until then the index keeps the audit as
  qms-audit last wrote it. When the folder stamp differs, the record files are stamped one by one and the
  row is still used if they are as they were;
- the standard it was scored against: for an audit with pinned criteria, its own copy (`criteria/`, stamped
  with its other files); for one planned before criteria were pinned, the content hash of the workspace's
  files of that standard (a row's `standard_id` is then the standard's id, else empty);
- the code that reads and scores (see `code_key`).

File timestamps have a granularity (a few milliseconds on Linux, up to two seconds elsewhere): a file
rewritten within the same tick as the read that indexed it, with the same size, would keep its stamp. So a
row made from files changed less than `RACY_NS` before the scan is marked unstable and re-read next time
(as git does with "racily clean" entries).

Storage sits behind `IndexBackend` (read fingerprints, read digests or findings, upsert and delete rows in one
transaction), so that a server database could replace SQLite.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sqlite3
import stat
import sys
from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple, Protocol

from qms_audit.infra.locations import Workspace, cache_dir
from qms_audit.store.facts import (
    AuditFacts,
    FactsReader,
    create_tables,
    delete_facts,
    drop_tables,
    insert_facts,
    missing_query_indexes,
    query_indexes,
)
from qms_audit.store.layout import AUDIT_FILE, CRITERIA_DIR, CRITERIA_FILE, FINDINGS_DIR, JOURNAL_NAME, RESULTS_DIR

SCHEMA_VERSION = 4
MMAP_BYTES = 1 << 30  # at most; a larger index is read past it as usual
RACY_NS = 2_000_000_000  # coarser than any file system's timestamps (FAT keeps even seconds)
BUSY_TIMEOUT = 3.0  # seconds a writer waits for another process's transaction before giving up on writing
MAX_HASHED_STANDARD = 5 * 1024 * 1024  # the loader refuses larger standards; those are keyed by their stat

# The modules whose code shapes a digest: a change to any of them makes every stored digest stale.
DIGEST_CODE = ("model", "domain", "infra/loading.py", "store/audits.py", "store/index.py", "services/auditing.py",
               "services/portfolio.py", "services/standards.py")


class IndexUnavailable(Exception):
    """The index cannot be used now (locked by a long writer, read-only or full disk): read the documents."""


class IndexDamaged(Exception):
    """The index file is not a database, is corrupt or has another layout: it is rebuilt from the documents."""


# -- what a row is trusted on --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditStamp:
    """The state of one audit folder's record files, taken before they are read."""

    fingerprint: str  # of every record file; "" when the folder stamp matched the row's and it was not taken
    folder: str  # the folder stamp (see the module's docstring)
    newest_ns: int  # the latest change time among what was stamped
    pending: bool  # a journal is waiting, or the folder could not be listed: never trust a stored row
    settled: bool = False  # the folder stamp is the one stored with the audit's row


class RowStamp(NamedTuple):
    """What a stored row was made from."""

    fingerprint: str
    stable: bool
    standard_id: str
    standard_files: str
    folder: str | None = None  # the folder stamp, once the row is stable


@dataclass(frozen=True)
class IndexRow:
    audit_id: str
    stamp: RowStamp
    # columns for the fields views filter on; the rest is in the encoded digest
    unit: str
    unit_code: str
    standard: str
    start_date: str | None
    status: str
    digest: bytes
    findings: bytes
    facts: AuditFacts  # its rows of the facts tables


_NO_FOLDER = (0, 0, 0)


_SUBFOLDERS = (RESULTS_DIR, FINDINGS_DIR, CRITERIA_DIR)


def _folder_ints(folder: str) -> list[int] | None:
    """The folder stamp's numbers; None when the folder holds no regular audit.json (it is then not an audit).
    Paths joined by hand: ten thousand folders are stamped on every management command."""
    prefix = folder + os.sep
    try:
        st = os.stat(folder)
        ints = [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        st = os.stat(prefix + AUDIT_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    ints += (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    for sub in _SUBFOLDERS:
        try:
            st = os.stat(prefix + sub)
            ints += (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        except FileNotFoundError:
            ints += _NO_FOLDER
    return ints


def _hash_ints(ints: list[int], names: Sequence[str] = ()) -> str:
    digest = hashlib.blake2b("\0".join(names).encode("utf-8"), digest_size=16)
    try:
        digest.update(array("q", ints).tobytes())
    except OverflowError:  # an inode number beyond 2**63 on some file systems
        digest.update(repr(ints).encode("ascii"))
    return digest.hexdigest()


def stamp_audit(folder: str, known: str | None = None) -> AuditStamp | None:
    """The stamp of one audit folder; None when it holds no audit.json file (it is then not an audit).

    `known`: the folder stamp stored with the row of this audit; while the folder stamp is still that, the
    record files are not stamped one by one. Plain strings, listdir and stat: ten thousand
    audits hold close to two hundred thousand record files, and the stat calls themselves are most of the cost."""
    try:
        found = _folder_ints(folder)
    except OSError:
        # there but not readable: the reader will report what is wrong with it
        return AuditStamp("", "", 0, True) if os.path.isfile(os.path.join(folder, AUDIT_FILE)) else None
    if found is None:
        return None
    light = _hash_ints(found)
    if known is not None and light == known:
        return AuditStamp("", light, max(found), False, settled=True)
    try:
        names = os.listdir(folder)
        st = os.stat(os.path.join(folder, AUDIT_FILE))
        ints = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        files: list[str] = []
        for sub in (RESULTS_DIR, FINDINGS_DIR):
            if sub in names:
                _folder_stamps(os.path.join(folder, sub), sub, ints, files)
        if CRITERIA_DIR in names:  # the pinned text of the standard the audit is scored against
            with contextlib.suppress(FileNotFoundError):
                st = os.stat(os.path.join(folder, CRITERIA_FILE))
                files.append(CRITERIA_FILE)
                ints += (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    except OSError:
        return AuditStamp("", light, 0, True)
    # mtime can be set to anything (even the future); ctime is the kernel's own clock: the later of both counts
    newest = max(max(ints[1::4]), max(ints[2::4]), max(found))
    return AuditStamp(_hash_ints(ints, files), light, newest, JOURNAL_NAME in names)


def _folder_stamps(path: str, sub: str, ints: list[int], files: list[str]) -> None:
    # the files `AuditStore.load` reads: every *.json not starting with a dot; sorted, as listing order may vary
    names = sorted(n for n in os.listdir(path) if n.endswith(".json") and not n.startswith("."))
    files.append(sub)
    files.extend(names)
    prefix = path + os.sep
    for name in names:
        st = os.stat(prefix + name)
        ints += (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def audit_folders(workspace: Workspace) -> list[str]:
    """The names in the audits folder, sorted: those `scan_audits` stamps (a name that is no audit is skipped
    there)."""
    try:
        return sorted(os.listdir(workspace.audits_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []


def scan_audits(workspace: Workspace, known: Mapping[str, str] | None = None, *,
                names: Sequence[str] | None = None) -> dict[str, AuditStamp]:
    """Every audit of the workspace with its stamp, in id order: the same audits as `workspace.audit_ids()`.
    `known`: the folder stamps stored with the rows (see `stamp_audit`). `names`: only these folders (of
    `audit_folders`), for processes scanning at once."""
    folder = str(workspace.audits_dir)
    known = known or {}
    out: dict[str, AuditStamp] = {}
    for name in audit_folders(workspace) if names is None else names:
        found = stamp_audit(folder + os.sep + name, known.get(name))
        if found is not None:
            out[name] = found
    return out


class StandardFiles:
    """The content hash of every standard file, taken before audits are read, and the key of one standard.

    A standard with id X can only come from X.yaml, X.yml or X@<version>.yaml (the library refuses any other
    name), so the key of X covers exactly those files: a change to one, or one added or removed, changes the
    scores of every audit made against X and of none other."""

    def __init__(self, hashes: dict[str, str]) -> None:
        self.hashes = hashes
        self._keys: dict[str, str] = {}

    @classmethod
    def read(cls, workspace: Workspace) -> StandardFiles:
        hashes: dict[str, str] = {}
        folder = workspace.standards_dir
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            names = []
        for name in names:
            if not name.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
                if not stat.S_ISREG(st.st_mode):
                    continue
                if st.st_size > MAX_HASHED_STANDARD:
                    hashes[name] = repr((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
                    continue
                with open(path, "rb") as fh:
                    hashes[name] = hashlib.sha256(fh.read()).hexdigest()
            except OSError:
                hashes[name] = "unreadable"
        return cls(hashes)

    def key(self, standard_id: str) -> str:
        found = self._keys.get(standard_id)
        if found is None:
            own = sorted((name, h) for name, h in self.hashes.items()
                         if name.rsplit(".", 1)[0] == standard_id or name.startswith(standard_id + "@"))
            found = self._keys[standard_id] = hashlib.sha256(repr(own).encode("utf-8")).hexdigest()[:32]
        return found


def trusted(row: RowStamp | None, now: AuditStamp, standards: StandardFiles) -> bool:
    """Whether a stored row still says what reading the audit's documents would."""
    return (row is not None and row.stable and not now.pending
            and (now.settled or (now.fingerprint != "" and row.fingerprint == now.fingerprint))
            and row.standard_files == standards.key(row.standard_id))


def settled_before(newest_ns: int, scan_started_ns: int) -> bool:
    """Whether files changed last at `newest_ns` were changed long enough before a scan that started at
    `scan_started_ns` that a later change could not keep their stamps (the timestamps' granularity)."""
    return newest_ns < scan_started_ns - RACY_NS


def row_stamp(now: AuditStamp, standard_id: str, standards: StandardFiles, scan_started_ns: int) -> RowStamp:
    """The stamp to store with a digest read after `now` was taken, in a scan that started at `scan_started_ns`;
    a stable row keeps its folder stamp too."""
    stable = not now.pending and now.fingerprint != "" and settled_before(now.newest_ns, scan_started_ns)
    return RowStamp(now.fingerprint, stable, standard_id, standards.key(standard_id),
                    now.folder if stable else None)


@cache
def code_key() -> str:
    """The version of everything that shapes a stored digest: the layout of the index, the package version, the
    pydantic release that encodes finding records, and the source files that read and score audits (so that a
    developer's change to scoring is never hidden by digests scored before it). Taken once per process: the
    code running is the code loaded."""
    from qms_audit import __version__

    package = Path(__file__).resolve().parents[1]
    parts: list[object] = [SCHEMA_VERSION, __version__, _installed("pydantic"), _installed("pydantic_core"),
                           sys.version_info[:2]]
    for entry in DIGEST_CODE:
        target = package / entry
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for path in files:
            with contextlib.suppress(OSError):
                st = path.stat()
                parts.append((str(path.relative_to(package)), st.st_size, st.st_mtime_ns))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


def _installed(package: str) -> object:
    """Which release of an installed package this is, without importing it (a management command that finds
    nothing to read never loads the record types): the size and time of its files, which an upgrade replaces."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent
    with contextlib.suppress(OSError):
        return sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns) for entry in os.scandir(folder)
                      if entry.is_file())
    return None


# -- storage -------------------------------------------------------------------------------------------------


class IndexBackend(Protocol):
    """What a store of digests must do. SQLite implements it here; a server database could replace it."""

    def stamps(self) -> dict[str, RowStamp]:
        """The fingerprint table: every stored audit id with what its row was made from."""
        ...

    def digests(self, ids: Collection[str]) -> Iterator[tuple[str, bytes, str]]:
        """The stored digests of these audits (those present), each with its row's fingerprint."""
        ...

    def findings(self, ids: Collection[str]) -> Iterator[tuple[str, bytes, str]]:
        """The stored finding records of these audits (those present), each with its row's fingerprint."""
        ...

    def write(self, upserts: Sequence[IndexRow], deletes: Iterable[str], folders: Iterable[tuple[str, str]] = ()
              ) -> None:
        """Insert or replace these rows (with their facts), delete those ids and store these (id, folder stamp)
        of audits whose rows stay as they are, in one transaction."""
        ...

    def facts(self) -> FactsReader:
        """The portfolio facts of the stored rows (`store/facts.py`), read on this index's connection."""
        ...

    def reset(self) -> None:
        """Start again empty (after damage)."""
        ...

    def close(self) -> None:
        """Release the connection (before forking worker processes, and at the end); a later call reconnects."""
        ...


_TRANSIENT = {5, 6, 8, 10, 13, 14, 23}  # BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN, AUTH (primary codes)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audits (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    stable INTEGER NOT NULL,
    standard_id TEXT NOT NULL,
    standard_files TEXT NOT NULL,
    unit TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    standard TEXT NOT NULL,
    start_date TEXT,
    status TEXT NOT NULL,
    folder TEXT,
    digest BLOB NOT NULL,
    findings BLOB NOT NULL
);
-- every call reads what each row was made from: from this index, not from the rows (a digest and the finding
-- records make a row several kilobytes, so scanning the table would read the whole file)
CREATE INDEX IF NOT EXISTS audits_stamps ON audits (id, fingerprint, stable, standard_id, standard_files, folder);
"""

# A row identical in what it was made from is left alone: two processes refreshing at once write the same rows,
# and the second need not rewrite them.
_UPSERT = """
INSERT INTO audits (id, fingerprint, stable, standard_id, standard_files, unit, unit_code, standard, start_date,
                    status, folder, digest, findings)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    fingerprint = excluded.fingerprint, stable = excluded.stable, standard_id = excluded.standard_id,
    standard_files = excluded.standard_files, unit = excluded.unit, unit_code = excluded.unit_code,
    standard = excluded.standard, start_date = excluded.start_date, status = excluded.status,
    folder = excluded.folder, digest = excluded.digest, findings = excluded.findings
WHERE audits.fingerprint != excluded.fingerprint OR audits.stable != excluded.stable
    OR audits.standard_files != excluded.standard_files OR audits.folder IS NOT excluded.folder
"""


def _failure(exc: sqlite3.Error) -> Exception:
    """Busy, read-only or full: try again another time. Anything else (not a database, corrupt, another
    layout): rebuild."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _TRANSIENT:
        return IndexUnavailable(str(exc))
    return IndexDamaged(str(exc))


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise _failure(exc) from exc
    except OSError as exc:  # the cache folder cannot be made (read-only home, a file in its place)
        raise IndexUnavailable(str(exc)) from exc


class SqliteIndex:
    """The index of one workspace in one SQLite file, in WAL mode: readers never wait for a writer, and a writer
    waits up to BUSY_TIMEOUT for another (then the caller skips writing; the next call catches up)."""

    def __init__(self, path: Path, *, workspace: str, code: str, timeout: float = BUSY_TIMEOUT) -> None:
        self.path = path
        self.workspace = workspace
        self.code = code
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._open_or_close()

    def _open_or_close(self) -> None:
        """Open (or reopen) the database; on any failure the half-open connection is closed, not leaked."""
        try:
            with _translated():
                self._open()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        conn = self._conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # a lost last transaction is only re-read, never wrong
        # read through a memory map: every call reads the stamps and a view's facts afresh, and mapped pages cost
        # no system call each (measured: a third off the trends queries at 10,000 audits)
        conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        return conn

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        conn = self._connect()
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        if self._outdated(conn):
            # another layout or other code: nothing stored can be trusted, and the table may differ
            with self._transaction():
                if not self._outdated(conn):  # another process has just made it
                    return
                conn.execute("DROP TABLE IF EXISTS audits")
                drop_tables(conn)
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                create_tables(conn)
                conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                 [("code", self.code), ("workspace", self.workspace)])

    def _outdated(self, conn: sqlite3.Connection) -> bool:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        return meta.get("code") != self.code or meta.get("workspace") != self.workspace

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _connection(self) -> sqlite3.Connection:
        return self._conn if self._conn is not None else self._connect()

    def stamps(self) -> dict[str, RowStamp]:
        with _translated():
            rows = self._connection().execute(
                "SELECT id, fingerprint, stable, standard_id, standard_files, folder FROM audits").fetchall()
        return {r[0]: RowStamp(r[1], bool(r[2]), r[3], r[4], r[5]) for r in rows}

    def digests(self, ids: Collection[str]) -> Iterator[tuple[str, bytes, str]]:
        return self._rows("SELECT id, digest, fingerprint FROM audits", ids)

    def findings(self, ids: Collection[str]) -> Iterator[tuple[str, bytes, str]]:
        return self._rows("SELECT id, findings, fingerprint FROM audits", ids)

    def _rows(self, query: str, ids: Collection[str]) -> Iterator[tuple[str, bytes, str]]:
        # one scan of the table costs less than ten thousand lookups; rows not asked for are skipped
        with _translated():
            for audit_id, data, fingerprint in self._connection().execute(query):
                if audit_id in ids:
                    yield audit_id, data, fingerprint

    def write(self, upserts: Sequence[IndexRow], deletes: Iterable[str], folders: Iterable[tuple[str, str]] = ()
              ) -> None:
        gone = list(deletes)
        with _translated(), self._transaction() as conn:
            if self._outdated(conn):
                # remade meanwhile by another version of the code: its rows are not ours to replace
                raise IndexUnavailable("the index was remade by another version")
            conn.executemany("DELETE FROM audits WHERE id = ?", ((audit_id,) for audit_id in gone))
            delete_facts(conn, gone + [r.audit_id for r in upserts])
            conn.executemany(_UPSERT, (
                (r.audit_id, r.stamp.fingerprint, int(r.stamp.stable), r.stamp.standard_id, r.stamp.standard_files,
                 r.unit, r.unit_code, r.standard, r.start_date, r.status, r.stamp.folder, r.digest, r.findings)
                for r in upserts))
            insert_facts(conn, (r.facts for r in upserts))
            conn.executemany("UPDATE audits SET folder = ? WHERE id = ?",
                             ((folder, audit_id) for audit_id, folder in folders))

    def facts(self) -> FactsReader:
        with _translated():
            conn = self._connection()
            missing = missing_query_indexes(conn)
            if missing:  # left to be made after a bulk load; without them the queries are right, only slower
                with contextlib.suppress(sqlite3.OperationalError), self._transaction():
                    query_indexes(conn, missing_query_indexes(conn))
            return FactsReader(conn)

    def reset(self) -> None:
        self.close()
        try:
            remove_index_files(self.path)
        except OSError as exc:
            raise IndexUnavailable(f"cannot remove the damaged index: {exc.strerror}") from None
        self._open_or_close()

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None


def remove_index_files(path: Path) -> None:
    """Delete an index: the database and the files SQLite keeps beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def index_path(workspace: Workspace) -> Path | None:
    """Where the index of this workspace lives: in the user's cache, named by the workspace's path. None when the
    cache is off, or when the cache folder is inside the workspace (the index must never be committed)."""
    folder = cache_dir()
    if folder is None:
        return None
    root = workspace.root.resolve()
    folder = folder.expanduser().resolve()
    if folder == root or root in folder.parents:
        return None
    name = hashlib.sha256(str(root).encode("utf-8")).hexdigest()[:32]
    return folder / "index" / f"audits-{name}.sqlite3"


def open_index(workspace: Workspace) -> IndexBackend | None:
    """The index of this workspace, rebuilt empty when damaged; None when it is disabled or cannot be opened
    (then callers read the documents, as without an index)."""
    path = index_path(workspace)
    if path is None:
        return None
    root = str(workspace.root.resolve())
    try:
        return SqliteIndex(path, workspace=root, code=code_key())
    except IndexUnavailable:
        return None
    except IndexDamaged:
        pass
    try:
        remove_index_files(path)
        return SqliteIndex(path, workspace=root, code=code_key())
    except (OSError, IndexUnavailable, IndexDamaged):
        return None


def forget(workspace: Workspace, audit_ids: Iterable[str]) -> None:
    """Drop these audits' rows, so that every view reads them from their documents next time (after `verify`
    found a record file changed in place). Never fails: without an index there is nothing to drop."""
    ids = list(audit_ids)
    index = open_index(workspace) if ids else None
    if index is None:
        return
    try:
        index.write([], ids)
    except (IndexUnavailable, IndexDamaged):
        pass
    finally:
        index.close()
