"""Reading many audits at once: digests for listings, trends and management review.

A digest is what portfolio views need of an audit: who, what and when, its scores as shown and the facts of
its findings (the per-requirement results are read, validated and scored, then dropped); `with_details` adds
the finding records for the few audits a view lists one by one. Digests are kept in an index in the user's
cache (`store.index`), so that a call reads again only the audits changed since the last one; the documents
stay the source of truth. Large portfolios are read by worker processes, one per core, each returning digests
as compact JSON; `load_digests(..., workers=1)` stays in-process (the TUI uses it from a worker thread, where
forking is not safe).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from pydantic import TypeAdapter

from qms_audit.domain.capa_rules import closed_late, ever_not_effective, is_open, overdue_after, overdue_on
from qms_audit.domain.scoring import AuditScore, Shown, score_snapshot
from qms_audit.infra.errors import QmsError
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import AuditStatus, Finding, Grade
from qms_audit.model.standard import Standard
from qms_audit.services.auditing import effective_status
from qms_audit.services.standards import StandardLibrary
from qms_audit.store.audits import AuditSnapshot, AuditStore
from qms_audit.store.index import (
    AuditStamp,
    IndexBackend,
    IndexDamaged,
    IndexRow,
    IndexUnavailable,
    RowStamp,
    StandardFiles,
    index_path,
    open_index,
    row_stamp,
    scan_audits,
    stamp_audit,
    trusted,
)

PARALLEL_FROM = 60  # below this many audits, starting worker processes costs more than it saves
CHUNK = 25


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


def finding_facts(f: Finding) -> FindingFacts:
    closed = f.capa.closed_at.date() if f.capa is not None and f.capa.closed_at is not None else None
    return FindingFacts(f.id, f.grade, f.ref, f.withdrawn is not None, f.raised_at.date(), is_open(f),
                        overdue_after(f), closed, closed_late(f), ever_not_effective(f))


def digest(item: LoadedAudit, *, source: str = "", details: bool = False) -> AuditDigest:
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
# documents. The finding records themselves (for `with_details`) are kept beside it as pydantic JSON.

_GRADES = {g.value: g for g in Grade}
_STATUSES = {s.value: s for s in AuditStatus}


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _on(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value is not None else None


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
    return AuditDigest(
        audit_id, title, unit, unit_code, lead, standard_key, _STATUSES[status], dt.date.fromisoformat(created),
        _on(start), _on(end), Shown(*shown), verdict, verdict_label, maturity,
        {n: Shown(*v) for n, v in clauses.items()}, subclauses,
        [FindingFacts(fid, _GRADES[grade], ref, withdrawn, dt.date.fromisoformat(raised), is_open_, _on(after),
                      _on(closed), late, not_effective)
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
    return TypeAdapter(list[Finding])


def encode_findings(findings: Sequence[Finding]) -> bytes:
    """The finding records as JSON, unset fields left out so that a decoded record dumps as its file does."""
    return _finding_list().dump_json(list(findings), exclude_unset=True)


def decode_findings(data: bytes) -> list[Finding]:
    """ValueError (pydantic's ValidationError is one) when damaged."""
    return _finding_list().validate_json(data)


@cache
def _finding_lists() -> TypeAdapter[list[list[Finding]]]:
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


@dataclass
class _Read:
    """One audit read from its documents: its digest, and what the index stores of it."""

    digest: AuditDigest
    encoded: bytes
    findings: bytes


_Sent = tuple[str, bytes, bytes]  # what a worker process sends back per audit: id, encoded digest, findings


def _read_chunk(args: tuple[str, list[str]]) -> tuple[list[_Sent], list[str]]:
    """In a worker process: read and score these audits, and send each back encoded."""
    root, ids = args
    errors: list[str] = []
    out: list[_Sent] = []
    with gc_paused():
        for item in iter_audits(Workspace(Path(root)), errors=errors, ids=ids):
            made = digest(item)
            out.append((item.id, encode(made), encode_findings(list(item.snapshot.findings.values()))))
    return out, errors


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _forks(workers: int, audits: int) -> bool:
    return workers > 1 and audits >= PARALLEL_FROM and _can_fork()


def _read_documents(workspace: Workspace, ids: list[str], *, workers: int, errors: list[str], progress: _Progress,
                    for_index: bool) -> list[_Read]:
    """Read and score these audits from their documents, in id order; with what the index stores of each when
    `for_index` (always from worker processes, which send digests that way). Audits read in this process keep
    their finding records (`details`); unreadable audits go to `errors`."""
    out: list[_Read] = []
    if not _forks(workers, len(ids)):
        with gc_paused(keep=True):
            for item in iter_audits(workspace, errors=errors, ids=ids):
                made = digest(item, details=True)
                if for_index:
                    out.append(_Read(made, encode(made), encode_findings(made.details or [])))
                else:
                    out.append(_Read(made, b"", b""))
                progress.advance(1)
        return out
    chunks = [(str(workspace.root), ids[i:i + CHUNK]) for i in range(0, len(ids), CHUNK)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context) as pool:
        for done, errs in pool.map(_read_chunk, chunks):
            decoded = decode_batch([(audit_id, data, "") for audit_id, data, _ in done])
            out.extend(_Read(d, data, findings) for d, (_, data, findings) in zip(decoded, done, strict=True))
            errors.extend(errs)
            progress.advance(len(done) + len(errs))
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
                                                 progress=_Progress(progress, len(ids)), for_index=False)]
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


def _folder_count(workspace: Workspace) -> int:
    try:
        return len(os.listdir(workspace.audits_dir))
    except OSError:
        return 0


def _scan_into(root: str, sealed: dict[str, str], sender: Connection) -> None:
    """In a forked process: scan and send the stamps back, or the error a scan here would have raised."""
    try:
        result: dict[str, AuditStamp] | BaseException = scan_audits(Workspace(Path(root)), sealed)
    except Exception as exc:  # any error is the parent's to raise
        result = exc
    sender.send(result)
    sender.close()


class _Stamps:
    """The stamps of every audit folder. With many audits and more than one core they are taken by a forked
    process while this one decodes the stored digests: the scan mostly waits on the file system's stat calls.
    A plain process and a pipe (no executor): no thread is started here, so the decoded digests can be kept out
    of the collector's sight (`gc_paused(keep=True)`). No database connection is open when it forks."""

    def __init__(self, workspace: Workspace, sealed: dict[str, str], *, fork: bool) -> None:
        self.workspace = workspace
        self.sealed = sealed
        self.started = time.time_ns()  # before any file is looked at
        self._stamps: dict[str, AuditStamp] | None = None
        self._child: BaseProcess | None = None
        self._receiver: Connection | None = None
        if fork:
            context = multiprocessing.get_context("fork")
            self._receiver, sender = context.Pipe(duplex=False)
            self._child = context.Process(target=_scan_into, args=(str(workspace.root), sealed, sender),
                                          daemon=True)
            self._child.start()
            sender.close()
        else:
            self._stamps = scan_audits(workspace, sealed)

    def result(self) -> dict[str, AuditStamp]:
        if self._stamps is not None:
            return self._stamps
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
        self._stamps = outcome if isinstance(outcome, dict) else scan_audits(self.workspace, self.sealed)
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
                   progress: Callable[[int, int], None] | None) -> list[AuditDigest]:
    # Every stamp is taken before any document is read: a change made while reading leaves a stamp that no
    # longer matches, so the next call reads that audit again. The standards are hashed before reading too.
    stored = _stored_stamps(index)
    index.close()  # no database connection is carried into a forked process; reading reconnects
    sealed = {audit_id: row.sealed for audit_id, row in stored.items() if row.sealed}
    stamps = _Stamps(workspace, sealed, fork=_forks(workers, _folder_count(workspace)))
    try:
        standards = StandardFiles.read(workspace)
        # The rows that can still be used whatever the scan finds (stable, scored against the standard as it is
        # now) are decoded while it runs; those whose audit changed are dropped once it is done.
        usable = {audit_id for audit_id, row in stored.items()
                  if row.stable and row.standard_files == standards.key(row.standard_id)}
        decoded = _decode_stored(index, usable) if usable else {}
        current = stamps.result()
    finally:
        stamps.close()
    found = {audit_id: item for audit_id, item in decoded.items()
             if audit_id in current and trusted(stored[audit_id], current[audit_id], standards)}
    # closed audits trusted on all their files whose folder stamp is not stored yet (or has moved): store it
    reseal = [(audit_id, current[audit_id].folder) for audit_id, item in found.items()
              if item.status is AuditStatus.CLOSED and not current[audit_id].sealed and stored[audit_id].stable]
    tick = _Progress(progress, len(current))
    tick.advance(len(found))
    stale = [audit_id for audit_id in current if audit_id not in found]
    for audit_id in stale:  # the folder stamp matched but the row cannot be used: every file is stamped now
        if current[audit_id].sealed:
            restamped = stamp_audit(str(workspace.audits_dir / audit_id))
            if restamped is not None:
                current[audit_id] = restamped
    index.close()  # no database connection is carried into the worker processes; writing reconnects
    rows: list[IndexRow] = []
    for read in _read_documents(workspace, stale, workers=workers, errors=errors, progress=tick, for_index=True):
        item = read.digest
        stamp = row_stamp(current[item.id], _standard_id(item), standards,
                          stamps.started, closed=item.status is AuditStatus.CLOSED)
        item.source = stamp.fingerprint
        found[item.id] = item
        rows.append(_row(item, stamp, read.encoded, read.findings))
    gone = [audit_id for audit_id in stored if audit_id not in found]  # removed, renamed, or unreadable now
    if rows or gone or reseal:
        _write(index, rows, gone, reseal)
    return [found[audit_id] for audit_id in current if audit_id in found]


def _standard_id(item: AuditDigest) -> str:
    """What the row depends on outside the audit folder: the workspace's files of its standard, or nothing
    when the audit keeps its own pinned copy (stamped with the folder)."""
    return "" if item.pinned else item.standard_key.split("@")[0]


def _row(item: AuditDigest, stamp: RowStamp, encoded: bytes, findings: bytes) -> IndexRow:
    return IndexRow(audit_id=item.id, stamp=stamp, unit=item.unit, unit_code=item.unit_code,
                    standard=item.standard_key, start_date=_day(item.planned_start), status=item.status.value,
                    digest=encoded, findings=findings)


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


def _write(index: IndexBackend, rows: list[IndexRow], gone: list[str], sealed: list[tuple[str, str]]) -> None:
    """Store what was read. Never fails the command: a busy or read-only index is brought up to date by a later
    call, a damaged one is emptied and rebuilt by the next."""
    try:
        index.write(rows, gone, sealed)
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
