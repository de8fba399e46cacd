"""Reading many audits at once: digests for listings, trends and management review.

A digest is what portfolio views need of an audit: its record, findings and score (the per-requirement
results are read, validated and scored, then dropped). Digests are kept in an index in the user's cache
(`store.index`), so that a call reads again only the audits changed since the last one; the documents stay
the source of truth. Large portfolios are read by worker processes, one per core, each returning digests as
compact JSON payloads; `load_digests(..., workers=1)` stays in-process (the TUI uses it from a worker thread,
where forking is not safe).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from pydantic import BaseModel, TypeAdapter

from qms_audit.domain.scoring import AuditScore, Shown, open_finding, score_snapshot
from qms_audit.infra.errors import QmsError
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import AuditRecord, AuditStatus, Finding
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


@dataclass
class AuditDigest:
    id: str
    record: AuditRecord
    status: AuditStatus
    standard_key: str
    findings: list[Finding]
    score: AuditScore  # without the per-requirement scores; clauses and sub-clauses are kept as shown

    def clause_shown(self, number: str) -> Shown | None:
        """A clause or sub-clause of this audit as every view shows it (scored only with enough coverage);
        None when it is not part of this audit."""
        return self.score.shown_for(number)

    def clause_score(self, number: str) -> float | None:
        """The shown score of a clause or sub-clause: None when not scored or not part of this audit."""
        shown = self.score.shown_for(number)
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
            std = library.get(snap.record.standard_id, snap.record.standard_version)
            score = score_snapshot(std, snap)
        except QmsError as exc:
            if errors is None:
                raise
            errors.append(f"{audit_id}: {exc.message}")
            continue
        yield LoadedAudit(audit_id, snap, std, score)


def digest(item: LoadedAudit) -> AuditDigest:
    return AuditDigest(id=item.id, record=item.snapshot.record, status=effective_status(item.snapshot),
                       standard_key=item.standard.key, findings=list(item.snapshot.findings.values()),
                       score=replace(item.score, requirements={}))


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


# -- payloads: a digest as the index stores it and as worker processes send it back ----------------------------


class _Payload(BaseModel):
    """A digest in JSON, decoded by pydantic's own parser: faster than unpickling the models, and reading it
    from the cache never runs code. Unset fields stay unset, so a decoded record dumps as the file does."""

    id: str
    record: AuditRecord
    status: AuditStatus
    standard_key: str
    findings: list[Finding]
    score: AuditScore


def encode(item: AuditDigest) -> bytes:
    payload = _Payload.model_construct(id=item.id, record=item.record, status=item.status,
                                       standard_key=item.standard_key, findings=item.findings, score=item.score)
    return payload.model_dump_json(exclude_unset=True).encode("utf-8")


def decode(audit_id: str, data: bytes) -> AuditDigest:
    """The digest stored for `audit_id`; ValueError when the payload is damaged or belongs to another audit."""
    return decode_batch([(audit_id, data)])[0]


@cache
def _payload_list() -> TypeAdapter[list[_Payload]]:
    return TypeAdapter(list[_Payload])


def decode_batch(rows: Sequence[tuple[str, bytes]]) -> list[AuditDigest]:
    """Digests from (audit id, payload) pairs, decoded in one call of the parser: each call has a fixed cost that
    ten thousand rows would pay ten thousand times. ValueError when any row is damaged or misplaced."""
    payloads = _payload_list().validate_json(b"[" + b",".join(data for _, data in rows) + b"]")
    if len(payloads) != len(rows) or any(p.id != audit_id for p, (audit_id, _) in zip(payloads, rows, strict=False)):
        raise ValueError("stored payloads do not match their rows")
    return [AuditDigest(id=p.id, record=p.record, status=p.status, standard_key=p.standard_key,
                        findings=p.findings, score=p.score) for p in payloads]


def decode_stored(rows: Sequence[tuple[str, bytes]], *, batch: int = 500) -> dict[str, AuditDigest]:
    """The digests of stored rows; a row that does not decode is left out, so that its audit is read from the
    documents instead."""
    out: dict[str, AuditDigest] = {}
    for start in range(0, len(rows), batch):
        part = rows[start:start + batch]
        try:
            decoded = decode_batch(part)
        except ValueError:
            for audit_id, data in part:
                with contextlib.suppress(ValueError):
                    out[audit_id] = decode(audit_id, data)
            continue
        out.update((d.id, d) for d in decoded)
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


def _read_chunk(args: tuple[str, list[str]]) -> tuple[list[tuple[str, bytes]], list[str]]:
    """In a worker process: read and score these audits, and send each digest back as its payload."""
    root, ids = args
    errors: list[str] = []
    with gc_paused():
        return [(item.id, encode(digest(item))) for item in iter_audits(Workspace(Path(root)), errors=errors,
                                                                         ids=ids)], errors


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _forks(workers: int, audits: int) -> bool:
    return workers > 1 and audits >= PARALLEL_FROM and _can_fork()


def _read_documents(workspace: Workspace, ids: list[str], *, workers: int, errors: list[str], progress: _Progress,
                    payloads: bool) -> list[tuple[AuditDigest, bytes | None]]:
    """Read and score these audits from their documents, in id order, each with its payload when `payloads`
    (always from worker processes, which send digests that way). Unreadable audits go to `errors`."""
    out: list[tuple[AuditDigest, bytes | None]] = []
    if not _forks(workers, len(ids)):
        with gc_paused(keep=True):
            for item in iter_audits(workspace, errors=errors, ids=ids):
                made = digest(item)
                out.append((made, encode(made) if payloads else None))
                progress.advance(1)
        return out
    chunks = [(str(workspace.root), ids[i:i + CHUNK]) for i in range(0, len(ids), CHUNK)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context) as pool:
        for done, errs in pool.map(_read_chunk, chunks):
            with gc_paused():
                out.extend(zip(decode_batch(done), (data for _, data in done), strict=True))
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
    stamps = _Stamps(workspace, fork=_forks(workers, _folder_count(workspace))) if index_path(workspace) else None
    # opened after the scan's process is forked: no database connection is ever carried into a child
    index = open_index(workspace) if stamps is not None else None
    if stamps is None or index is None:
        if stamps is not None:
            stamps.close()
        ids = workspace.audit_ids()
        out = [d for d, _ in _read_documents(workspace, ids, workers=workers, errors=collected,
                                             progress=_Progress(progress, len(ids)), payloads=False)]
    else:
        try:
            out = _through_index(workspace, index, stamps, workers=workers, errors=collected, progress=progress)
        finally:
            index.close()
            stamps.close()
    if collected:
        if errors is None:
            raise QmsError(collected[0])
        errors.extend(collected)
    return out


# -- through the index --------------------------------------------------------------------------------------


def _folder_count(workspace: Workspace) -> int:
    try:
        return len(os.listdir(workspace.audits_dir))
    except OSError:
        return 0


def _scan_into(root: str, sender: Connection) -> None:
    """In a forked process: scan and send the stamps back, or the error a scan here would have raised."""
    try:
        result: dict[str, AuditStamp] | BaseException = scan_audits(Workspace(Path(root)))
    except Exception as exc:  # any error is the parent's to raise
        result = exc
    sender.send(result)
    sender.close()


class _Stamps:
    """The stamps of every audit folder. With many audits and more than one core they are taken by a forked
    process while this one decodes the stored digests: both take seconds at ten thousand audits, and the scan
    mostly waits on the file system's stat calls. A plain process and a pipe (no executor): no thread is started
    here, so the decoded digests can be kept out of the collector's sight (`gc_paused(keep=True)`)."""

    def __init__(self, workspace: Workspace, *, fork: bool) -> None:
        self.workspace = workspace
        self.started = time.time_ns()  # before any file is looked at
        self._stamps: dict[str, AuditStamp] | None = None
        self._child: BaseProcess | None = None
        self._receiver: Connection | None = None
        if fork:
            context = multiprocessing.get_context("fork")
            self._receiver, sender = context.Pipe(duplex=False)
            self._child = context.Process(target=_scan_into, args=(str(workspace.root), sender), daemon=True)
            self._child.start()
            sender.close()
        else:
            self._stamps = scan_audits(workspace)

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
        self._stamps = outcome if isinstance(outcome, dict) else scan_audits(self.workspace)
        return self._stamps

    def close(self) -> None:
        if self._receiver is not None:
            self._receiver.close()
            self._receiver = None
        if self._child is not None:
            if self._child.is_alive():  # not needed any more (the index could not be opened, or an error)
                self._child.kill()
            self._child.join()
            self._child = None


def _through_index(workspace: Workspace, index: IndexBackend, stamps: _Stamps, *, workers: int,
                   errors: list[str], progress: Callable[[int, int], None] | None) -> list[AuditDigest]:
    # Every stamp is taken before any document is read: a change made while reading leaves a stamp that no
    # longer matches, so the next call reads that audit again. The standards are hashed before reading too.
    standards = StandardFiles.read(workspace)
    stored = _stored_stamps(index)
    # The rows that can still be used whatever the scan finds (stable, scored against the standard as it is now)
    # are decoded while it runs; those whose audit changed are dropped once it is done.
    usable = {audit_id for audit_id, row in stored.items()
              if row.stable and row.standard_files == standards.key(row.standard_id)}
    decoded = _decode_stored(index, usable) if usable else {}
    current = stamps.result()
    found = {audit_id: item for audit_id, item in decoded.items()
             if audit_id in current and trusted(stored[audit_id], current[audit_id], standards)}
    tick = _Progress(progress, len(current))
    tick.advance(len(found))
    rows: list[IndexRow] = []
    stale = [audit_id for audit_id in current if audit_id not in found]
    index.close()  # no database connection is carried into the worker processes; writing reconnects
    for item, payload in _read_documents(workspace, stale, workers=workers, errors=errors, progress=tick,
                                         payloads=True):
        found[item.id] = item
        stamp = row_stamp(current[item.id], item.record.standard_id, standards, stamps.started)
        rows.append(_row(item, stamp, payload if payload is not None else encode(item)))
    gone = [audit_id for audit_id in stored if audit_id not in found]  # removed, renamed, or unreadable now
    if rows or gone:
        _write(index, rows, gone)
    return [found[audit_id] for audit_id in current if audit_id in found]


def _row(item: AuditDigest, stamp: RowStamp, payload: bytes) -> IndexRow:
    plan = item.record.plan
    return IndexRow(audit_id=item.id, stamp=stamp, unit=plan.scope.auditee_unit, unit_code=plan.scope.unit_code,
                    standard=item.standard_key, start_date=plan.start_date.isoformat() if plan.start_date else None,
                    status=item.status.value, payload=payload)


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
        rows = list(index.payloads(ids))
    except IndexDamaged:
        _reset(index)
        return {}
    except IndexUnavailable:
        return {}
    with gc_paused(keep=True):
        return decode_stored(rows)


def _write(index: IndexBackend, rows: list[IndexRow], gone: list[str]) -> None:
    """Store what was read. Never fails the command: a busy or read-only index is brought up to date by a later
    call, a damaged one is emptied and rebuilt by the next."""
    try:
        index.write(rows, gone)
    except IndexDamaged:
        _reset(index)
    except IndexUnavailable:
        pass


def _reset(index: IndexBackend) -> None:
    with contextlib.suppress(IndexUnavailable, IndexDamaged):
        index.reset()


def summary(item: AuditDigest) -> dict[str, object]:
    record = item.record
    findings = [f for f in item.findings if f.withdrawn is None]
    return {
        "id": item.id,
        "title": record.title,
        "status": item.status.value,
        "standard": item.standard_key,
        "auditee": record.plan.scope.auditee_unit,
        "unit_code": record.plan.scope.unit_code,
        "lead": record.plan.lead.name,
        "start_date": record.plan.start_date.isoformat() if record.plan.start_date else None,
        "end_date": record.plan.end_date.isoformat() if record.plan.end_date else None,
        "overall": item.score.overall,
        "overall_shown": item.score.shown.text,
        "coverage": item.score.coverage,
        "verdict": item.score.verdict,
        "open_ncs": sum(1 for f in findings if f.grade.is_nc and open_finding(f)),
        "findings": len(findings),
    }


def audit_summaries(workspace: Workspace) -> list[dict[str, object]]:
    return [summary(d) for d in load_digests(workspace)]
