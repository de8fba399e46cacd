"""Reading many audits at once: digests for listings, trends and management review.

A digest is what portfolio views need of an audit: its record, findings and score (the per-requirement
results are read, validated and scored, then dropped). Large portfolios are read by worker processes, one
per core, each returning compact digests; `load_digests(..., workers=1)` stays in-process (the TUI uses it
from a worker thread, where forking is not safe).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from qms_audit.domain.scoring import AuditScore, Shown, open_finding, score_snapshot
from qms_audit.infra.errors import QmsError
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import AuditRecord, AuditStatus, Finding
from qms_audit.model.standard import Standard
from qms_audit.services.auditing import effective_status
from qms_audit.services.standards import StandardLibrary
from qms_audit.store.audits import AuditSnapshot, AuditStore

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
def gc_paused() -> Iterator[None]:
    """Reading many records makes millions of small objects and few cycles: the cyclic collector would scan the
    growing heap again and again (a quarter of the time). Reference counting still frees what is dropped."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _digest_chunk(args: tuple[str, list[str]]) -> tuple[list[AuditDigest], list[str]]:
    root, ids = args
    errors: list[str] = []
    with gc_paused():
        return [digest(item) for item in iter_audits(Workspace(_path(root)), errors=errors, ids=ids)], errors


def _path(root: str):
    from pathlib import Path

    return Path(root)


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def load_digests(workspace: Workspace, *, workers: int | None = None, errors: list[str] | None = None,
                 progress: Callable[[int, int], None] | None = None) -> list[AuditDigest]:
    """Digests of every audit, in id order. Unreadable audits go to `errors`, or raise when it is None."""
    ids = workspace.audit_ids()
    workers = workers if workers is not None else (os.cpu_count() or 1)
    collected: list[str] = []
    out: list[AuditDigest] = []
    if workers <= 1 or len(ids) < PARALLEL_FROM or not _can_fork():
        with gc_paused():
            for n, item in enumerate(iter_audits(workspace, errors=collected, ids=ids), start=1):
                out.append(digest(item))
                if progress:
                    progress(n, len(ids))
    else:
        chunks = [(str(workspace.root), ids[i:i + CHUNK]) for i in range(0, len(ids), CHUNK)]
        done = 0
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context) as pool:
            for digests, errs in _paused_iter(pool.map(_digest_chunk, chunks)):
                out.extend(digests)
                collected.extend(errs)
                done += len(digests) + len(errs)
                if progress:
                    progress(done, len(ids))
    if collected:
        if errors is None:
            raise QmsError(collected[0])
        errors.extend(collected)
    return out


def _paused_iter(results: Iterator) -> Iterator:
    """Unpickling the workers' digests also makes many objects: the same pause, one result at a time."""
    while True:
        with gc_paused():
            try:
                value = next(results)
            except StopIteration:
                return
        yield value


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
