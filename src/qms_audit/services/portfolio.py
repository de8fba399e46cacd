"""Reading many audits at once: digests for listings, trends and management review.

A digest is what portfolio views need of an audit: who, what and when, its scores as shown and the facts of
its findings (the per-requirement results are read, validated and scored, then dropped); `with_details` adds
the finding records for the few audits a view lists one by one. Digests are kept in an index in the user's
cache (`store.index`), so that a call reads again only the audits changed since the last one; the documents
stay the source of truth. Large portfolios are read by worker processes, one per core, each returning digests
as compact JSON: forked from a command, started by a fork server from a thread (the TUI's workers, where
forking is not safe); `load_digests(..., workers=1)` stays in-process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import multiprocessing
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from qms_audit.domain.deadlines import overdue_on
from qms_audit.domain.means import Shown, contribution, score_units
from qms_audit.infra.errors import QmsError
from qms_audit.infra.locations import Workspace
from qms_audit.infra.workers import PARALLEL_FROM
from qms_audit.store.facts import (
    REF_SEPARATOR,
    AuditFact,
    AuditFacts,
    ClauseFact,
    FactsReader,
    FindingFact,
    Where,
    memory_facts,
    parse_day,
)
from qms_audit.store.index import (
    AuditStamp,
    IndexBackend,
    IndexDamaged,
    IndexRow,
    IndexUnavailable,
    RowStamp,
    StandardFiles,
    audit_folders,
    index_path,
    open_index,
    row_stamp,
    scan_audits,
    settled_before,
    stamp_audit,
    trusted,
)

if TYPE_CHECKING:
    # Reading an audit from its documents loads the record types, the scoring and the standards (a third of a
    # second). A management command whose audits are all in the index needs none of them, so they are imported
    # where an audit is read (`reading_modules`), not here.
    from pydantic import TypeAdapter

    from qms_audit.domain.scoring import AuditScore
    from qms_audit.model.audit import AuditStatus, Finding, Grade
    from qms_audit.model.standard import Standard
    from qms_audit.store.audits import AuditSnapshot

CHUNK = 25
WRITE_BATCH = 1000  # audits read from their documents, written to the index while the rest are read


@dataclass
class LoadedAudit:
    id: str
    snapshot: AuditSnapshot
    standard: Standard
    score: AuditScore


@dataclass(slots=True)
class FindingFacts:
    """What portfolio views need of one finding, decided by the domain's rules when the digest is made (so that
    views never re-derive a CAPA rule and a digest from the index needs no model to be rebuilt)."""

    id: str
    grade: Grade
    ref: str | None
    withdrawn: bool
    raised: dt.date
    open: bool  # capa_rules.is_open
    overdue_after: dt.date | None  # capa_rules.overdue_after: overdue on any later day
    closed: dt.date | None  # the day its CAPA closed
    closed_late: bool  # capa_rules.closed_late
    not_effective: bool  # capa_rules.ever_not_effective

    @property
    def live(self) -> bool:
        return not self.withdrawn

    def overdue(self, today: dt.date) -> bool:
        return overdue_on(self.overdue_after, today)


@dataclass(slots=True)
class AuditDigest:
    """What portfolio views need of one audit: who, what, when, its shown scores and its findings' facts.

    Small on purpose: ten thousand digests are read from the index on every management command. The full
    finding records (statements, CAPA steps) are in `details` only when asked for (`with_details`)."""

    id: str
    title: str
    unit: str
    unit_code: str
    lead: str
    standard_key: str
    status: AuditStatus
    created: dt.date
    planned_start: dt.date | None
    planned_end: dt.date | None
    shown: Shown  # the overall score as every view shows it
    verdict: str
    verdict_label: str
    maturity: float | None
    clauses: dict[str, Shown]  # the top clauses in scope, as shown
    # every sub-clause in scope that holds requirements, as shown, in JSON: few views read them (`subclauses`),
    # and parsing them would double the cost of reading ten thousand digests
    subclauses_json: str
    findings: list[FindingFacts]
    pinned: str | None  # the SHA-256 of the criteria's text kept with the audit; None: the workspace's file
    # the stamp of the files this digest was made from (the index row's fingerprint); not part of what it says
    source: str = field(default="", compare=False)
    details: list[Finding] | None = field(default=None, compare=False, repr=False)
    _subclauses: dict[str, Shown] | None = field(default=None, compare=False, repr=False)

    @property
    def start(self) -> dt.date:
        """When the audit took place: its planned start, else the day its record was made."""
        return self.planned_start or self.created

    @property
    def overall(self) -> float | None:
        return self.shown.score

    @property
    def coverage(self) -> float | None:
        return self.shown.coverage

    @property
    def subclauses(self) -> dict[str, Shown]:
        if self._subclauses is None:
            self._subclauses = {n: Shown(*v) for n, v in json.loads(self.subclauses_json).items()}
        return self._subclauses

    def shown_for(self, number: str) -> Shown | None:
        """A clause or sub-clause of this audit as every view shows it (scored only with enough coverage);
        None when it is not part of this audit."""
        found = self.clauses.get(number)
        return found if found is not None else self.subclauses.get(number)

    def clause_score(self, number: str) -> float | None:
        """The shown score of a clause or sub-clause: None when not scored or not part of this audit."""
        shown = self.shown_for(number)
        return shown.score if shown is not None else None


def iter_audits(workspace: Workspace, *, errors: list[str] | None = None,
                ids: Sequence[str] | None = None) -> Iterator[LoadedAudit]:
    """Every audit with its score, in-process; an unreadable audit goes to `errors` (or raises)."""
    from qms_audit.domain.scoring import score_snapshot
    from qms_audit.services.standards import StandardLibrary
    from qms_audit.store.audits import AuditStore

    library = StandardLibrary(workspace)
    for audit_id in ids if ids is not None else workspace.audit_ids():
        try:
            store = AuditStore(workspace, audit_id)
            store.ensure_recovered("reader")
            snap = store.load()
            std = library.for_audit(store.folder, snap.record.plan.criteria)
            score = score_snapshot(std, snap)
        except QmsError as exc:
            if errors is None:
                raise
            errors.append(f"{audit_id}: {exc.message}")
            continue
        yield LoadedAudit(audit_id, snap, std, score)


def reading_modules() -> None:
    """Load what reading an audit from its documents needs (see the imports above): ahead of time, while another
    process scans the folders, when there may be audits to read."""
    import qms_audit.domain.audit_rules
    import qms_audit.domain.scoring
    import qms_audit.services.standards
    import qms_audit.store.audits  # noqa: F401
    from qms_audit.model.audit import AuditRecord, ClauseResults, Finding

    for model in (AuditRecord, ClauseResults, Finding):
        model.model_rebuild()  # their validators are built on first use (`StrictModel`): build them now too
    if threading.active_count() == 1:
        # What loading made (hundreds of thousands of objects) lives as long as the process: keep it out of the
        # cyclic collector's full passes, which would otherwise scan it again while the view's figures are made.
        gc.freeze()


def finding_facts(f: Finding) -> FindingFacts:
    from qms_audit.domain.capa_rules import closed_late, ever_not_effective, is_open, overdue_after

    closed = f.capa.closed_at.date() if f.capa is not None and f.capa.closed_at is not None else None
    return FindingFacts(f.id, f.grade, f.ref, f.withdrawn is not None, f.raised_at.date(), is_open(f),
                        overdue_after(f), closed, closed_late(f), ever_not_effective(f))


def digest(item: LoadedAudit, *, source: str = "", details: bool = False) -> AuditDigest:
    from qms_audit.domain.audit_rules import effective_status

    record, score = item.snapshot.record, item.score
    plan = record.plan
    findings = list(item.snapshot.findings.values())
    return AuditDigest(
        id=item.id, title=record.title, unit=plan.scope.auditee_unit, unit_code=plan.scope.unit_code,
        lead=plan.lead.name, standard_key=item.standard.key, status=effective_status(item.snapshot),
        created=record.created_at.date(), planned_start=plan.start_date, planned_end=plan.end_date,
        shown=score.shown, verdict=score.verdict, verdict_label=score.verdict_label,
        maturity=score.maturity.overall, clauses={n: c.shown for n, c in score.clauses.items()},
        subclauses_json=_compact({n: list(v) for n, v in score.subclauses.items()}),
        findings=[finding_facts(f) for f in findings], pinned=record.plan.criteria.sha256, source=source,
        details=findings if details else None)


@contextlib.contextmanager
def gc_paused(*, keep: bool = False) -> Iterator[None]:
    """Reading many records makes millions of small objects and few cycles: the cyclic collector would scan the
    growing heap again and again (a quarter of the time). Reference counting still frees what is dropped.

    `keep`: what is made is kept for the rest of the command (digests). The collector's next full pass would
    still scan all of it once (a second at ten thousand audits), so it is frozen out of the collector's sight
    instead. Only when this is the process's only thread (in the TUI, other threads' objects would be frozen with
    it), and after a collection made before the new objects exist (cheap: objects frozen earlier are not
    scanned), so that no garbage is frozen. Frozen objects are still freed when no longer referenced."""
    keep = keep and threading.active_count() == 1
    was_enabled = gc.isenabled()
    if keep:
        gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            gc.freeze()
        if was_enabled:
            gc.enable()


# -- a digest as the index stores it and as worker processes send it back --------------------------------------
#
# A digest is a plain JSON array, positional: ten thousand of them are decoded on every management command, and
# json.loads of arrays with a few dates and enums is several times faster than validating models. A row that
# does not decode (damaged, or written by other code) raises ValueError: its audit is then read from the
# documents. The finding records themselves (for `with_details`) are kept beside it, as their files hold them.


@cache
def _enums() -> tuple[dict[str, Grade], dict[str, AuditStatus]]:
    from qms_audit.model.audit import AuditStatus, Grade

    return {g.value: g for g in Grade}, {s.value: s for s in AuditStatus}


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encode(d: AuditDigest) -> bytes:
    findings = [[f.id, f.grade.value, f.ref, f.withdrawn, f.raised.isoformat(), f.open, _day(f.overdue_after),
                 _day(f.closed), f.closed_late, f.not_effective] for f in d.findings]
    return _compact([
        d.id, d.title, d.unit, d.unit_code, d.lead, d.standard_key, d.status.value, d.created.isoformat(),
        _day(d.planned_start), _day(d.planned_end), list(d.shown), d.verdict, d.verdict_label, d.maturity,
        {n: list(v) for n, v in d.clauses.items()}, d.subclauses_json, findings, d.pinned]).encode("utf-8")


def _digest_of(row: list, source: str) -> AuditDigest:
    (audit_id, title, unit, unit_code, lead, standard_key, status, created, start, end, shown, verdict,
     verdict_label, maturity, clauses, subclauses, findings, pinned) = row
    if not isinstance(subclauses, str):
        raise TypeError("sub-clauses are not kept as JSON")
    grades, statuses = _enums()
    return AuditDigest(
        audit_id, title, unit, unit_code, lead, standard_key, statuses[status], dt.date.fromisoformat(created),
        parse_day(start), parse_day(end), Shown(*shown), verdict, verdict_label, maturity,
        {n: Shown(*v) for n, v in clauses.items()}, subclauses,
        [FindingFacts(fid, grades[grade], ref, withdrawn, dt.date.fromisoformat(raised), is_open_, parse_day(after),
                      parse_day(closed), late, not_effective)
         for fid, grade, ref, withdrawn, raised, is_open_, after, closed, late, not_effective in findings],
        pinned, source)


def decode_batch(rows: Sequence[tuple[str, bytes, str]]) -> list[AuditDigest]:
    """Digests from (audit id, encoded digest, source) rows, parsed in one call. ValueError when any row is
    damaged or belongs to another audit."""
    try:
        parsed = json.loads(b"[" + b",".join(data for _, data, _ in rows) + b"]")
        out = [_digest_of(row, source) for row, (_, _, source) in zip(parsed, rows, strict=True)]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"stored digests do not decode: {exc}") from None
    if any(d.id != audit_id for d, (audit_id, _, _) in zip(out, rows, strict=True)):
        raise ValueError("stored digests do not match their rows")
    return out


def decode_stored(rows: Sequence[tuple[str, bytes, str]], *, batch: int = 2000) -> dict[str, AuditDigest]:
    """The digests of stored rows; a row that does not decode is left out, so that its audit is read from the
    documents instead."""
    out: dict[str, AuditDigest] = {}
    for begin in range(0, len(rows), batch):
        part = rows[begin:begin + batch]
        try:
            decoded = decode_batch(part)
        except ValueError:
            for row in part:
                with contextlib.suppress(ValueError):
                    out[row[0]] = decode_batch([row])[0]
            continue
        out.update((d.id, d) for d in decoded)
    return out


@cache
def _finding_list() -> TypeAdapter[list[Finding]]:
    from pydantic import TypeAdapter

    from qms_audit.model.audit import Finding

    return TypeAdapter(list[Finding])


def encode_findings(files: Sequence[bytes]) -> bytes:
    """The finding records as the index stores them: a JSON list of their files' bytes, as read (each validated
    as a finding when the audit was read), so that a decoded record dumps as its file does."""
    return b"[" + b",".join(files) + b"]"


def decode_findings(data: bytes) -> list[Finding]:
    """ValueError (pydantic's ValidationError is one) when damaged."""
    return _finding_list().validate_json(data)


@cache
def _finding_lists() -> TypeAdapter[list[list[Finding]]]:
    from pydantic import TypeAdapter

    from qms_audit.model.audit import Finding

    return TypeAdapter(list[list[Finding]])


def _decode_findings_rows(rows: Sequence[bytes], *, batch: int = 500) -> list[list[Finding] | None]:
    """The finding records of many rows, parsed a batch at a time (each call of the parser has a fixed cost);
    None for a row that does not decode."""
    out: list[list[Finding] | None] = []
    for begin in range(0, len(rows), batch):
        part = rows[begin:begin + batch]
        try:
            out.extend(_finding_lists().validate_json(b"[" + b",".join(part) + b"]"))
        except ValueError:
            for data in part:
                try:
                    out.append(decode_findings(data))
                except ValueError:
                    out.append(None)
    return out


# -- reading the documents ----------------------------------------------------------------------------------


class _Progress:
    def __init__(self, report: Callable[[int, int], None] | None, total: int) -> None:
        self.report = report
        self.total = total
        self.done = 0

    def advance(self, n: int) -> None:
        if n <= 0:
            return
        self.done += n
        if self.report:
            self.report(self.done, self.total)


class _RowFields(NamedTuple):
    """What the index row of an audit keeps in columns of its own (beside the encoded digest)."""

    unit: str
    unit_code: str
    standard: str
    start_date: str | None
    status: str
    standard_id: str  # see `_standard_id`

    @classmethod
    def of(cls, item: AuditDigest) -> _RowFields:
        return cls(item.unit, item.unit_code, item.standard_key, _day(item.planned_start), item.status.value,
                   _standard_id(item))


@dataclass
class _Read:
    """One audit read from its documents: its digest (None when the caller asked for none: then it is not
    decoded), and what the index stores of it."""

    id: str
    digest: AuditDigest | None
    encoded: bytes
    findings: bytes
    facts: AuditFacts | None  # its rows of the facts tables, made by the process that read it
    fields: _RowFields | None


# what a worker process sends back per audit: id, encoded digest, finding records, rows of the facts tables,
# columns of its index row
_Sent = tuple[str, bytes, bytes, AuditFacts, _RowFields]


def _read_chunk(args: tuple[str, list[str]]) -> tuple[list[_Sent], list[str]]:
    """In a worker process: read and score these audits, and send each back encoded."""
    root, ids = args
    errors: list[str] = []
    out: list[_Sent] = []
    with gc_paused():
        for item in iter_audits(Workspace(Path(root)), errors=errors, ids=ids):
            made = digest(item)
            out.append((item.id, encode(made), encode_findings(list(item.snapshot.finding_files.values())),
                        facts_of(made), _RowFields.of(made)))
    return out, errors


def _can_fork() -> bool:
    """Forking copies the calling thread only: safe from the main thread of a command, which starts no other,
    not from a worker thread of the running TUI."""
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and threading.current_thread() is threading.main_thread())


def _pool_context() -> multiprocessing.context.BaseContext | None:
    """How the processes that read audits are started: forked (they share what is loaded), else, from a thread,
    by a fork server (a fresh single-threaded process that forks them); None: read in this process."""
    if _can_fork():
        return multiprocessing.get_context("fork")
    if sys.platform.startswith("linux") and "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return None


def _in_processes(workers: int, audits: int) -> bool:
    return workers > 1 and audits >= PARALLEL_FROM and _pool_context() is not None


def _read_documents(workspace: Workspace, ids: list[str], *, workers: int, errors: list[str], progress: _Progress,
                    for_index: bool, on_batch: Callable[[list[_Read]], None] | None = None,
                    digests: bool = True) -> list[_Read]:
    """Read and score these audits from their documents, in id order; with what the index stores of each when
    `for_index` (always from worker processes, which send digests that way). Audits read in this process keep
    their finding records (`details`); unreadable audits go to `errors`.

    `on_batch`: given what was read so far, a batch at a time, while worker processes read on (the index is
    written meanwhile instead of after); what it was given is not returned. `digests=False`: what worker
    processes send is not decoded into digests (the caller stores it only)."""
    out: list[_Read] = []
    if not ids:
        return out
    if not _in_processes(workers, len(ids)):
        with gc_paused(keep=len(ids) >= PARALLEL_FROM):
            for item in iter_audits(workspace, errors=errors, ids=ids):
                made = digest(item, details=True)
                if for_index:
                    out.append(_Read(made.id, made, encode(made),
                                     encode_findings(list(item.snapshot.finding_files.values())),
                                     facts_of(made), _RowFields.of(made)))
                else:
                    out.append(_Read(made.id, made, b"", b"", None, None))
                progress.advance(1)
        if on_batch is not None and out:
            on_batch(out)
            out = []
        return out
    chunks = [(str(workspace.root), ids[i:i + CHUNK]) for i in range(0, len(ids), CHUNK)]
    context = _pool_context()
    from concurrent.futures import ProcessPoolExecutor  # loaded only when there are audits to read

    # what comes back is made of hundreds of thousands of small objects and no cycles (see `gc_paused`)
    with gc_paused(), ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context) as pool:
        for done, errs in pool.map(_read_chunk, chunks):
            decoded = (decode_batch([(audit_id, data, "") for audit_id, data, _, _, _ in done]) if digests
                       else [None] * len(done))
            out.extend(_Read(audit_id, d, data, findings, facts, fields)
                       for d, (audit_id, data, findings, facts, fields) in zip(decoded, done, strict=True))
            errors.extend(errs)
            progress.advance(len(done) + len(errs))
            if on_batch is not None and len(out) >= WRITE_BATCH:
                # every worker was started when the chunks were submitted: a connection opened now is not shared
                on_batch(out)
                out = []
    if on_batch is not None and out:
        on_batch(out)
        out = []
    return out


def load_digests(workspace: Workspace, *, workers: int | None = None, errors: list[str] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> list[AuditDigest]:
    """Digests of every audit, in id order. Unreadable audits go to `errors`, or raise when it is None.

    Through the index in the user's cache (`store.index`) when there is one: only the audits changed since the
    last call are read from their documents. Without it (QMS_AUDIT_CACHE=off, or an index that cannot be opened)
    every audit is read from its documents."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    collected: list[str] = []
    index = open_index(workspace) if index_path(workspace) else None
    if index is None:
        ids = workspace.audit_ids()
        out = [r.digest for r in _read_documents(workspace, ids, workers=workers, errors=collected,
                                                 progress=_Progress(progress, len(ids)), for_index=False)
               if r.digest is not None]
    else:
        try:
            out = _through_index(workspace, index, workers=workers, errors=collected, progress=progress)
        finally:
            index.close()
    if collected:
        if errors is None:
            raise QmsError(collected[0])
        errors.extend(collected)
    return out


@dataclass
class Portfolio:
    """Every audit of the workspace as portfolio views read it: the facts tables (`store/facts.py`) to aggregate
    across audits, and the digests when they were asked for (`open_portfolio(..., digests=True)`)."""

    facts: FactsReader
    digests: list[AuditDigest]


@contextlib.contextmanager
def open_portfolio(workspace: Workspace, *, digests: bool = False, workers: int | None = None,
                   errors: list[str] | None = None, progress: Callable[[int, int], None] | None = None
                   ) -> Iterator[Portfolio]:
    """The facts tables of every audit: those of the index, brought up to date first (no digest is decoded unless
    `digests`), else made in memory from the documents. Read in one transaction, so that every query sees the
    same audits even while another process updates the index. Unreadable audits go to `errors`, or raise when
    it is None."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    collected: list[str] = []
    index = open_index(workspace) if index_path(workspace) else None
    reader: FactsReader | None = None
    found: list[AuditDigest] = []
    in_memory = False
    try:
        if index is not None:
            found = _through_index(workspace, index, workers=workers, errors=collected, progress=progress,
                                   decode=digests)
            try:
                reader = index.facts()
                reader.conn.execute("BEGIN")
            except (IndexUnavailable, IndexDamaged, sqlite3.Error):
                reader = None
                collected.clear()  # read again below, with the documents
        if reader is None:
            ids = workspace.audit_ids()
            read = _read_documents(workspace, ids, workers=workers, errors=collected,
                                   progress=_Progress(progress, len(ids)), for_index=False)
            found = [r.digest for r in read if r.digest is not None] if digests else []
            reader = memory_facts(r.facts or facts_of(r.digest) for r in read if r.digest is not None)
            in_memory = True
        if collected:
            if errors is None:
                raise QmsError(collected[0])
            errors.extend(collected)
        yield Portfolio(reader, found)
    finally:
        if reader is not None and reader.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                reader.conn.execute("ROLLBACK")
        if in_memory and reader is not None:
            reader.conn.close()
        if index is not None:
            index.close()


def with_details(workspace: Workspace, digests: Sequence[AuditDigest]) -> list[AuditDigest]:
    """These digests, each with its finding records (`details`): from the index row the digest was made from,
    else read again from the documents (the digest is then remade too, so that it and its records always say the
    same). An audit that cannot be read any more keeps no records (an empty list)."""
    wanted = {d.id: d for d in digests if d.details is None}
    found: dict[str, AuditDigest] = {}
    index = open_index(workspace) if wanted and index_path(workspace) else None
    if index is not None:
        try:
            rows = list(index.findings(wanted))
        except (IndexUnavailable, IndexDamaged):
            rows = []
        finally:
            index.close()
        usable = [(wanted[audit_id], data) for audit_id, data, fingerprint in rows
                  if wanted[audit_id].source and fingerprint == wanted[audit_id].source]
        for item, records in zip((item for item, _ in usable), _decode_findings_rows([data for _, data in usable]),
                                 strict=True):
            if records is not None:
                found[item.id] = replace(item, details=records)
    missing = [audit_id for audit_id in wanted if audit_id not in found]
    if missing:
        for loaded in iter_audits(workspace, errors=[], ids=missing):
            found[loaded.id] = digest(loaded, details=True)
    return [d if d.details is not None else found.get(d.id) or replace(d, details=[]) for d in digests]


# -- through the index --------------------------------------------------------------------------------------


# What a scanning process sends back: the audits whose folder stamp is the one stored with their row (most of
# them, sent as names only), and the stamps of the others.
_Scanned = tuple[list[str], dict[str, AuditStamp]]

CLAIM = 200  # folders a scanning process takes at a time


class _Claims:
    """The folders not yet scanned, shared by two processes: the forked one takes them from the front, this one
    from the back once it has done its own work (so neither waits while the other still has folders left).
    Either notes when it met a folder changed since its row was stored (`changed`), so that this one can load
    meanwhile what reading that audit needs."""

    def __init__(self, context: multiprocessing.context.BaseContext, count: int) -> None:
        self._shared = context.RawArray("q", [0, count, 0])  # first left, past the last left, changes met
        self._lock = context.Lock()

    def take(self, *, front: bool) -> slice | None:
        with self._lock:
            low, high = self._shared[0], self._shared[1]
            if low >= high:
                return None
            if front:
                self._shared[0] = min(low + CLAIM, high)
                return slice(low, self._shared[0])
            self._shared[1] = max(high - CLAIM, low)
            return slice(self._shared[1], high)

    def note_change(self) -> None:
        self._shared[2] = 1  # one writer value, read without the lock: a late read only delays loading

    @property
    def changed(self) -> bool:
        return bool(self._shared[2])


def _changed(audit_id: str, stamp: AuditStamp, expected: dict[str, str]) -> bool:
    """Whether an audit will have to be read (its stored row will not be used; the standards aside)."""
    return stamp.pending or not (stamp.settled or (stamp.fingerprint != "" and
                                                   expected.get(audit_id) == stamp.fingerprint))


def _scan_claims(workspace: Workspace, known: dict[str, str], expected: dict[str, str], names: list[str],
                 claims: _Claims, *, front: bool, on_change: Callable[[], None] | None = None
                 ) -> dict[str, AuditStamp]:
    """Scan claimed folders until none is left. `known`: the folder stamps of the stored rows; `expected`: the
    fingerprints of the stable ones. `on_change`: called once, as soon as either process met a changed
    folder."""
    stamps: dict[str, AuditStamp] = {}
    while (taken := claims.take(front=front)) is not None:
        found = scan_audits(workspace, known, names=names[taken])
        stamps.update(found)
        if not claims.changed and any(_changed(audit_id, stamp, expected) for audit_id, stamp in found.items()):
            claims.note_change()
        if on_change is not None and claims.changed:
            on_change()
            on_change = None
    return stamps


def _scan_into(workspace: Workspace, known: dict[str, str], expected: dict[str, str], names: list[str],
               claims: _Claims, sender: Connection) -> None:
    """In a forked process: scan folders from the front until none is left, and send the stamps back, or the
    error a scan here would have raised."""
    try:
        stamps = _scan_claims(workspace, known, expected, names, claims, front=True)
        result: _Scanned | BaseException = ([audit_id for audit_id, s in stamps.items() if s.settled],
                                            {audit_id: s for audit_id, s in stamps.items() if not s.settled})
    except Exception as exc:  # any error is the parent's to raise
        result = exc
    sender.send(result)
    sender.close()


class _Stamps:
    """The stamps of every audit folder. With many audits and more than one core a forked process starts
    scanning them at once, while this one does its own work (decodes the stored digests, or loads what reading
    an audit needs, in case one changed); then this one scans what is left from the other end. The scan mostly
    waits on the file system's stat calls. A plain process and a pipe (no executor): no thread is started here,
    so the decoded digests can be kept out of the collector's sight (`gc_paused(keep=True)`). No database
    connection is open when it forks."""

    def __init__(self, workspace: Workspace, known: dict[str, str], *, fork: bool,
                 expected: dict[str, str] | None = None) -> None:
        self.workspace = workspace
        self.known = known
        self.expected = expected or {}
        self.started = time.time_ns()  # before any file is looked at
        self.names = audit_folders(workspace)
        self._stamps: dict[str, AuditStamp] | None = None
        self._child: BaseProcess | None = None
        self._receiver: Connection | None = None
        self._claims: _Claims | None = None
        if fork and len(self.names) >= PARALLEL_FROM and _can_fork():
            context = multiprocessing.get_context("fork")
            self._claims = _Claims(context, len(self.names))
            self._receiver, sender = context.Pipe(duplex=False)
            self._child = context.Process(target=_scan_into,
                                          args=(workspace, known, self.expected, self.names, self._claims, sender),
                                          daemon=True)
            self._child.start()
            sender.close()
        else:
            self._stamps = scan_audits(workspace, known, names=self.names)

    def result(self, *, on_change: Callable[[], None] | None = None) -> dict[str, AuditStamp]:
        """Every stamp. `on_change`: called here while the forked process scans on, once a changed folder was
        met (by either process)."""
        if self._stamps is not None:
            return self._stamps
        assert self._claims is not None  # forked
        own = _scan_claims(self.workspace, self.known, self.expected, self.names, self._claims, front=False,
                           on_change=on_change)
        outcome: object = None
        try:
            if self._receiver is not None:
                outcome = self._receiver.recv()
        except (EOFError, OSError):
            outcome = None  # the child died before sending: scan here instead
        finally:
            self.close()
        if isinstance(outcome, BaseException):
            raise outcome
        if not isinstance(outcome, tuple):
            self._stamps = scan_audits(self.workspace, self.known, names=self.names)
            return self._stamps
        settled, others = outcome
        # a settled stamp needs nothing but its folder stamp: the row is used as stored
        merged = {audit_id: AuditStamp("", self.known[audit_id], 0, False, settled=True) for audit_id in settled}
        merged.update(others)
        merged.update(own)
        self._stamps = {audit_id: merged[audit_id] for audit_id in sorted(merged)}
        return self._stamps

    def close(self) -> None:
        if self._receiver is not None:
            self._receiver.close()
            self._receiver = None
        if self._child is not None:
            if self._child.is_alive():  # not needed any more (an error)
                self._child.kill()
            self._child.join()
            self._child = None


def _through_index(workspace: Workspace, index: IndexBackend, *, workers: int, errors: list[str],
                   progress: Callable[[int, int], None] | None, decode: bool = True) -> list[AuditDigest]:
    """Bring the index up to date with the documents, and give the digests of every audit (none when not
    `decode`: a view that reads the facts tables needs no digest)."""
    # Every stamp is taken before any document is read: a change made while reading leaves a stamp that no
    # longer matches, so the next call reads that audit again. The standards are hashed before reading too.
    stored = _stored_stamps(index)
    index.close()  # no database connection is carried into a forked process; reading reconnects
    known = {audit_id: row.folder for audit_id, row in stored.items() if row.folder}
    expected = {audit_id: row.fingerprint for audit_id, row in stored.items() if row.stable}
    stamps = _Stamps(workspace, known, fork=workers > 1, expected=expected)
    try:
        standards = StandardFiles.read(workspace)
        # The rows that can still be used whatever the scan finds (stable, scored against the standard as it is
        # now) are decoded while it runs; those whose audit changed are dropped once it is done.
        usable = {audit_id for audit_id, row in stored.items()
                  if row.stable and row.standard_files == standards.key(row.standard_id)}
        decoded = _decode_stored(index, usable) if usable and decode else {}
        # a folder changed: load what reading it needs while the other process scans on
        current = stamps.result(on_change=reading_modules)
    finally:
        stamps.close()
    kept = [audit_id for audit_id in (decoded if decode else usable)
            if audit_id in current and trusted(stored[audit_id], current[audit_id], standards)]
    found = {audit_id: decoded[audit_id] for audit_id in kept} if decode else {}
    # rows trusted on all their files whose folder stamp is not stored yet (or has moved): store it, once it is
    # older than the timestamps' granularity
    refold = [(audit_id, current[audit_id].folder) for audit_id in kept
              if not current[audit_id].settled and settled_before(current[audit_id].newest_ns, stamps.started)]
    tick = _Progress(progress, len(current))
    tick.advance(len(kept))
    trusted_ids = set(kept)
    stale = [audit_id for audit_id in current if audit_id not in trusted_ids]
    for audit_id in stale:  # the folder stamp matched but the row cannot be used: every file is stamped now
        if current[audit_id].settled:
            restamped = stamp_audit(str(workspace.audits_dir / audit_id))
            if restamped is not None:
                current[audit_id] = restamped
    index.close()  # no database connection is carried into the worker processes; writing reconnects

    def store(batch: list[_Read]) -> None:
        rows: list[IndexRow] = []
        for read in batch:
            assert read.fields is not None and read.facts is not None  # read for the index
            stamp = row_stamp(current[read.id], read.fields.standard_id, standards, stamps.started)
            if read.digest is not None:
                read.digest.source = stamp.fingerprint
                found[read.id] = read.digest
            trusted_ids.add(read.id)
            rows.append(_row(read, stamp))
        _write(index, rows, [], [])

    _read_documents(workspace, stale, workers=workers, errors=errors, progress=tick, for_index=True, on_batch=store,
                    digests=decode)
    gone = [audit_id for audit_id in stored if audit_id not in trusted_ids]  # removed, renamed, or unreadable
    if gone or refold:
        _write(index, [], gone, refold)
    return [found[audit_id] for audit_id in current if audit_id in found]


def _standard_id(item: AuditDigest) -> str:
    """What the row depends on outside the audit folder: the workspace's files of its standard, or nothing
    when the audit keeps its own pinned copy (stamped with the folder)."""
    return "" if item.pinned else item.standard_key.split("@")[0]


def _row(read: _Read, stamp: RowStamp) -> IndexRow:
    fields, facts = read.fields, read.facts
    assert fields is not None and facts is not None  # read for the index
    return IndexRow(audit_id=read.id, stamp=stamp, unit=fields.unit, unit_code=fields.unit_code,
                    standard=fields.standard, start_date=fields.start_date, status=fields.status,
                    digest=read.encoded, findings=read.findings, facts=facts)


def facts_of(d: AuditDigest) -> AuditFacts:
    """What a digest adds to the facts tables (`store/facts.py`)."""
    start = d.start
    where = Where(d.unit.lower(), d.unit_code.lower(), d.standard_key, d.standard_key.split("@")[0],
                  start.isoformat(), start.year)
    applicable, units = contribution(d.shown)
    nc_refs = sorted({f.ref for f in d.findings if f.ref and f.live and f.grade.is_nc})
    audit = AuditFact(d.id, d.unit, where, d.verdict, d.shown.score, 1 if applicable else None, units,
                      score_units(d.maturity) if d.maturity is not None else None, REF_SEPARATOR.join(nc_refs))
    clauses = []
    for number, shown in d.clauses.items():
        applicable, units = contribution(shown)
        clauses.append(ClauseFact(number, 1 if applicable else None, units))
    return AuditFacts(audit, clauses, [_finding_fact(f) for f in d.findings])


def _finding_fact(f: FindingFacts) -> FindingFact:
    return FindingFact(f.id, f.grade.value, f.live and f.grade.is_nc, f.withdrawn, f.ref,
                       f.ref.split(".")[0] if f.ref else None, f.raised.isoformat(), f.open, _day(f.overdue_after),
                       (f.closed - f.raised).days if f.closed is not None else None, f.closed_late, f.not_effective)


def findings_facts(name: str, findings: Sequence[FindingFacts]) -> AuditFacts:
    """Findings held outside any audit (the register's), as the facts of a pseudo-audit named `name`, for CAPA
    ageing."""
    audit = AuditFact(name, "", Where("", "", "", "", dt.date.min.isoformat(), dt.date.min.year), "", None, None,
                      None, None, "")
    return AuditFacts(audit, [], [_finding_fact(f) for f in findings])


def _stored_stamps(index: IndexBackend) -> dict[str, RowStamp]:
    """What the index holds; nothing when it is damaged (it is then emptied, to be rebuilt) or unavailable."""
    try:
        return index.stamps()
    except IndexDamaged:
        _reset(index)
    except IndexUnavailable:
        pass
    return {}


def _decode_stored(index: IndexBackend, ids: set[str]) -> dict[str, AuditDigest]:
    """The stored digests of these audits. A row that does not decode is left out (its audit is read from the
    documents); a damaged index gives nothing and is emptied."""
    try:
        rows = list(index.digests(ids))
    except IndexDamaged:
        _reset(index)
        return {}
    except IndexUnavailable:
        return {}
    with gc_paused(keep=True):
        return decode_stored(rows)


def _write(index: IndexBackend, rows: list[IndexRow], gone: list[str], folders: list[tuple[str, str]]) -> None:
    """Store what was read. Never fails the command: a busy or read-only index is brought up to date by a later
    call, a damaged one is emptied and rebuilt by the next."""
    try:
        index.write(rows, gone, folders)
    except IndexDamaged:
        _reset(index)
    except IndexUnavailable:
        pass


def _reset(index: IndexBackend) -> None:
    with contextlib.suppress(IndexUnavailable, IndexDamaged):
        index.reset()


def summary(item: AuditDigest) -> dict[str, object]:
    """One audit as `audit list --json` and the TUI's audit picker show it."""
    return {
        "id": item.id,
        "title": item.title,
        "status": item.status.value,
        "standard": item.standard_key,
        "auditee": item.unit,
        "unit_code": item.unit_code,
        "lead": item.lead,
        "start_date": _day(item.planned_start),
        "end_date": _day(item.planned_end),
        "overall": item.overall,
        "overall_shown": item.shown.text,
        "coverage": item.coverage,
        "verdict": item.verdict,
        "open_ncs": sum(1 for f in item.findings if f.grade.is_nc and f.open),
        "findings": sum(1 for f in item.findings if f.live),
    }
