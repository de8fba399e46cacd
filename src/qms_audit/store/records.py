"""A record folder (an audit, or the register of NCs raised outside audits) and its transactions.

A change is one transaction: under the folder's lock, pending work from a killed writer is completed
first; the new file contents and the log entry describing them are written to a journal
(`.journal.json`, atomically), then applied file by file (each atomically), then the journal is removed.
A process killed at any point leaves either no journal (nothing or everything applied) or a complete
journal that the next reader or writer applies. So every record is always the old or the new version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from qms_audit.infra import clock
from qms_audit.infra.errors import InvalidFile, Locked, StorageError
from qms_audit.infra.files import (
    atomic_write_bytes,
    atomic_write_text,
    fsync_dir,
    remove_stale_temp_files,
    sha256_bytes,
)
from qms_audit.model.log import FieldChange, LogEntry, SignedBy
from qms_audit.store.eventlog import (
    LOG_DIR,
    EventLog,
    entry_file_name,
    entry_hash,
    serialize_entry,
    written_on_parallel_branches,
)
from qms_audit.store.layout import JOURNAL_NAME
from qms_audit.store.lock import RecordLock


def utc_now() -> dt.datetime:
    return clock.now()


def record_bytes(model: BaseModel) -> bytes:
    """The on-disk form of a record: indented JSON, empty optional fields left out, newline-terminated."""
    return (model.model_dump_json(indent=2, exclude_none=True) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Signer:
    """Who signs a log entry and how: `sign` returns the base64 signature of the bytes given."""

    signed_by: SignedBy
    sign: Callable[[bytes], str]


class Transaction:
    def __init__(self, folder: RecordFolder, *, actor: str, action: str, target: str, summary: str,
                 reason: str | None) -> None:
        self.folder = folder
        self.actor = actor
        self.action = action
        self.target = target
        self.summary = summary
        self.reason = reason
        self.writes: dict[str, bytes] = {}
        self.removals: set[str] = set()
        self.changes: list[FieldChange] = []
        self.manifest: dict[str, str] | None = None
        # an electronic signature of the entry: (who, what it means, a function signing the entry's hash)
        self.signer: Signer | None = None
        # an entry that only records a merge of the log's branches (`qms-audit git record-merge`)
        self.records_merge = False
        self.at = utc_now()
        self.entry: LogEntry | None = None

    def write(self, relpath: str, model: BaseModel) -> None:
        self.writes[relpath] = record_bytes(model)
        self.removals.discard(relpath)

    def write_bytes(self, relpath: str, data: bytes) -> None:
        """A file kept exactly as given (a pinned copy of a standard), logged and journalled like a record."""
        self.writes[relpath] = data
        self.removals.discard(relpath)

    def remove(self, relpath: str) -> None:
        self.writes.pop(relpath, None)
        self.removals.add(relpath)

    def change(self, field: str, before: Any, after: Any) -> None:
        if before != after:
            self.changes.append(FieldChange(field=field, before=_jsonable(before), after=_jsonable(after)))

    @property
    def empty(self) -> bool:
        return not self.writes and not self.removals and not self.records_merge


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value
    return value


class RecordFolder:
    def __init__(self, folder: Path, *, label: str) -> None:
        self.folder = folder
        self.label = label
        self.log = EventLog(folder)

    @property
    def journal_path(self) -> Path:
        return self.folder / JOURNAL_NAME

    def lock(self, actor: str, timeout: float | None = None) -> RecordLock:
        return RecordLock(self.folder, actor=actor, label=self.label, timeout=timeout)

    # -- recovery ----------------------------------------------------------------------------------------

    def pending(self) -> bool:
        return self.journal_path.exists()

    def recover(self) -> bool:
        """Complete a transaction whose writer was killed. Call with the lock held."""
        if not self.journal_path.exists():
            return False
        try:
            journal = json.loads(self.journal_path.read_text(encoding="utf-8"))
            writes: dict[str, str] = journal["writes"]
            removals: list[str] = journal["removals"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StorageError(f"{self.label}: the pending-change journal {JOURNAL_NAME} is unreadable ({exc}); "
                               "move it aside and run `qms-audit verify`") from None
        self._apply(writes, removals)
        return True

    def ensure_recovered(self, actor: str) -> None:
        """Readers call this: if a killed writer left work pending, finish it before reading."""
        if not self.pending():
            return
        try:
            with self.lock(actor):
                self.recover()
        except (Locked, StorageError):
            # Read-only copy or a live writer: the files on disk are still a consistent old version.
            pass

    def _apply(self, writes: dict[str, str], removals: list[str]) -> None:
        for relpath, text in writes.items():
            atomic_write_bytes(self._safe_path(relpath), text.encode("utf-8"))
        for relpath in removals:
            with contextlib.suppress(FileNotFoundError):
                self._safe_path(relpath).unlink()
        try:
            self.journal_path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"{self.label}: cannot remove the journal ({exc.strerror})") from None
        fsync_dir(self.folder)

    def _safe_path(self, relpath: str) -> Path:
        path = (self.folder / relpath).resolve()
        root = self.folder.resolve()
        if root not in path.parents:
            raise InvalidFile(f"{self.label}: journal names a path outside the record folder: {relpath}")
        return path

    # -- writing -------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, *, actor: str, action: str, target: str = "", summary: str = "",
                    reason: str | None = None) -> Iterator[Transaction]:
        with self.lock(actor):
            self.recover()
            remove_stale_temp_files(self.folder)  # left by writers killed mid-write; never records
            tx = Transaction(self, actor=actor, action=action, target=target, summary=summary, reason=reason)
            yield tx
            if not tx.empty:
                self._commit(tx)

    def _commit(self, tx: Transaction) -> None:
        heads = self.log.heads()
        # a removed file is listed with no hash
        files: dict[str, str | None] = {rel: sha256_bytes(data) for rel, data in tx.writes.items()}
        files.update({rel: None for rel in tx.removals})
        if len(heads) > 1:
            # the entry follows every branch of a `git merge`: it records the files git merged as they are now
            for rel in self.merged_files():
                files.setdefault(rel, self._current_hash(rel))
        draft = LogEntry(
            seq=max((h.seq for h in heads), default=0) + 1,
            at=tx.at,
            actor=tx.actor,
            action=tx.action,
            target=tx.target,
            summary=tx.summary,
            reason=tx.reason,
            changes=tx.changes,
            files=dict(sorted(files.items())),
            manifest=tx.manifest,
            prev=[h.hash for h in heads],
            signed_by=tx.signer.signed_by if tx.signer else None,
            hash="0" * 64,
        )
        entry = draft.model_copy(update={"hash": entry_hash(draft)})
        if tx.signer is not None:
            entry = entry.model_copy(update={"signature": tx.signer.sign(entry.hash.encode("ascii"))})
        name = entry_file_name(entry)
        writes = {rel: data.decode("utf-8") for rel, data in tx.writes.items()}
        writes[f"{LOG_DIR}/{name}"] = serialize_entry(entry)
        journal = {"at": tx.at.isoformat(), "actor": tx.actor, "action": tx.action,
                   "writes": writes, "removals": sorted(tx.removals)}
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.journal_path, json.dumps(journal, ensure_ascii=False))
        self._apply(writes, sorted(tx.removals))
        self.log.remember(name, entry)
        tx.entry = entry


    def merged_files(self) -> list[str]:
        """Files written on parallel branches of the log (a `git merge`) that no entry records yet."""
        return sorted(written_on_parallel_branches(self.log.entries()))

    def _current_hash(self, relpath: str) -> str | None:
        try:
            return sha256_bytes(self._safe_path(relpath).read_bytes())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"{self.label}: cannot read {relpath} ({exc.strerror})") from None

    def record_merge(self, *, actor: str, summary: str) -> LogEntry | None:
        """Join the log's branches after a `git merge`: one entry following every head and listing the hash of
        each file git merged. Nothing is written when the log has one head."""
        with self.transaction(actor=actor, action="log.merge", summary=summary) as tx:
            if len(self.log.heads()) < 2:
                return None
            tx.records_merge = True
        return tx.entry


def list_json(folder: Path) -> list[Path]:
    try:
        return sorted(folder / n for n in os.listdir(folder) if n.endswith(".json") and not n.startswith("."))
    except FileNotFoundError:
        return []
