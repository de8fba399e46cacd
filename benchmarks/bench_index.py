"""The audit index (src/qms_audit/store/index.py) on the generated multi-year portfolios of 1,000 and 10,000
audits: `qms-audit trends --json` as a user runs it (start-up included) on a cold index (the first run: every
audit read from its documents, the index written), then after one audit changed through the record layer (the
second run: that audit read again, the rest from the index), and the management review pack (.docx) with the
index up to date; each against the floor of parsing the JSON of the same record files, measured in the same run.

Targets, at 10,000 audits: the second run in at most 1 s; the first run at most 2x the raw parse floor.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

from bench_management import NOW, build
from bench_records import raw_parse
from common import Row, cached_workspace, drop_index, median_process_time, record, run_script, timed

SIZES = [1000, 10000]
SECOND_RUN_TARGET = 1.0  # seconds, at 10,000 audits
FIRST_RUN_TARGET = 2.0  # times the raw parse floor


def audit_to_change(root: Path) -> tuple[str, str]:
    """An audit still in progress (so open to changes), and a requirement of it rated conformity."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.model.audit import AuditStatus, Grade
    from qms_audit.store.audits import AuditStore

    ws = Workspace(root.resolve())
    for audit_id in reversed(ws.audit_ids()):  # the latest year holds the audits in progress
        snap = AuditStore(ws, audit_id).load()
        if snap.record.status is AuditStatus.CLOSED:
            continue
        for ref, result in snap.results.items():
            if result.grade is Grade.CONFORMITY:
                return audit_id, ref
    raise SystemExit(f"{root}: no audit open to changes")


def changer(root: Path):
    """A change through the record layer, as an auditor makes it: a new note on one rating, a different one each
    time (a new results file and a log entry)."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.model.audit import Grade
    from qms_audit.services.auditing import open_audit, rate

    ws = Workspace(root.resolve())
    audit_id, ref = audit_to_change(root)
    count = [0]

    def change() -> None:
        count[0] += 1
        rate(open_audit(ws, audit_id), ref, Grade.CONFORMITY, actor="Benchmark",
             note=f"Seen again in the benchmark (run {count[0]})")
    return change


def digest_parse(root: Path) -> int:
    """The floor of reading the index: fetch every stored digest and parse its JSON, nothing else."""
    import contextlib
    import json
    import sqlite3

    from qms_audit.infra.locations import Workspace
    from qms_audit.store.index import index_path

    path = index_path(Workspace(root.resolve()))
    assert path is not None
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return sum(1 for (digest,) in conn.execute("SELECT digest FROM audits") if json.loads(digest))


def load_indexed(root: Path) -> int:
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.portfolio import load_digests

    return len(load_digests(Workspace(root.resolve())))


def main() -> int:
    rows: list[Row] = []
    seconds: dict[int, float] = {}
    packs: dict[int, float] = {}
    for n in SIZES:
        root = cached_workspace(f"management-{n}", build(n))
        size = f"{n} audits"
        repeat = 3 if n < 10000 else 2
        floor, files = timed(partial(raw_parse, root), repeat=repeat)
        env = {"QMS_AUDIT_WORKSPACE": str(root), "QMS_AUDIT_NOW": NOW}
        trends = [sys.executable, "-m", "qms_audit", "trends", "--json"]
        pack = [sys.executable, "-m", "qms_audit", "review", "pack", "--period", "2025", "-o",
                str(root / "reports" / "pack.docx")]
        cold = median_process_time(trends, cwd=root, env=env, repeat=repeat, before=partial(drop_index, root))
        unchanged = median_process_time(trends, cwd=root, env=env, repeat=3)
        second = median_process_time(trends, cwd=root, env=env, repeat=3, before=changer(root))
        packs[n] = median_process_time(pack, cwd=root, env=env, repeat=3)
        seconds[n] = second
        parsed, stored = timed(partial(digest_parse, root), repeat=3)
        loaded, count = timed(partial(load_indexed, root), repeat=3)
        assert stored == count == n, (stored, count, n)
        rows += [
            Row("index", size, "raw JSON parse (floor)", floor, "s", "-", True, f"{files} files"),
            # the targets are set for the large portfolio; at 1,000 audits the start-up of the process, its imports
            # and the worker processes (about half a second) weigh on the ratio, which is printed all the same
            Row("index", size, "`trends --json` first run (cold index)", cold, "s",
                f"<= {FIRST_RUN_TARGET:.0f}x floor" if n == 10000 else "-",
                cold <= FIRST_RUN_TARGET * floor or n != 10000, f"{cold / floor:.1f}x floor"),
            Row("index", size, "`trends --json` after one audit changed", second, "s",
                f"<= {SECOND_RUN_TARGET:.0f} s" if n == 10000 else "-",
                second <= SECOND_RUN_TARGET or n != 10000, f"{second / cold:.0%} of the first run"),
            Row("index", size, "`trends --json` nothing changed", unchanged, "s", "-", True,
                f"{unchanged / floor:.1f}x floor"),
            Row("index", size, "`review pack` .docx (2025), index up to date", packs[n], "s", "-", True,
                f"{packs[n] / floor:.1f}x floor"),
            Row("index", size, "JSON parse of the stored digests (index floor)", parsed, "s", "-", True),
            Row("index", size, "load digests in-process, index up to date", loaded, "s", "-", True,
                f"{loaded / parsed:.1f}x index floor"),
        ]
    low, high = SIZES
    factor = high // low
    rows.append(Row("index", f"{low}->{high}", f"trends second run growth ({factor}x data)",
                    seconds[high] / seconds[low], "x", "-", True))
    rows.append(Row("index", f"{low}->{high}", f"review pack growth ({factor}x data)", packs[high] / packs[low], "x",
                    f"<= {factor}x", packs[high] / packs[low] <= factor))
    record(rows)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    run_script(main)
