"""Management views over a generated multi-year portfolio (the MC-QMS, five years): `qms-audit trends`, the
management review pack as .docx and .xlsx, and `programme show`, each as a user runs it (process start-up
included), against the floor of merely loading and scoring the same audits.

Each command runs with no index (it is deleted before every run), so every audit is read from its documents
and the index written: the cost of a first run. bench_index.py measures the runs that follow.

Target (issue 7): trends and the review pack over 1,000 audits in at most 5 s.
"""

from __future__ import annotations

import datetime as dt
import sys
from functools import partial

from common import (
    Row,
    cached_workspace,
    documents_only,
    drop_index,
    median_process_time,
    progress,
    record,
    run_script,
    timed,
)

SIZES = [200, 1000]
NOW = "2026-11-28T10:00:00Z"
TARGET = 5.0


def build(n: int):
    def make(path):
        import shutil

        from qms_audit.demo.portfolio import generate_sample_workspace
        from qms_audit.infra import clock

        shutil.rmtree(path)  # generate_sample_workspace makes the workspace itself
        with clock.using(lambda: dt.datetime(2026, 11, 28, 10, tzinfo=dt.UTC)):
            generate_sample_workspace(path, audits=n, years=5, seed=5, progress=progress(f"generating {n} audits"))
    return make


def load_floor(root) -> int:
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.portfolio import load_digests

    with documents_only():
        return len(load_digests(Workspace(root)))


def main() -> int:
    rows: list[Row] = []
    pack_times = {}
    for n in SIZES:
        root = cached_workspace(f"management-{n}", build(n))
        floor, count = timed(partial(load_floor, root))
        assert count == n, (count, n)
        env = {"QMS_AUDIT_WORKSPACE": str(root), "QMS_AUDIT_NOW": NOW}
        base = [sys.executable, "-m", "qms_audit"]
        size = f"{n} audits"
        rows.append(Row("management", size, "load + score every audit (floor)", floor, "s", "-", True))
        commands = [
            ("`trends --json`", [*base, "trends", "--json"]),
            ("`review pack` .docx (2025)", [*base, "review", "pack", "--period", "2025", "-o",
                                            str(root / "reports" / "pack.docx")]),
            ("`review pack` .xlsx (2025)", [*base, "review", "pack", "--period", "2025", "-o",
                                            str(root / "reports" / "pack.xlsx")]),
            ("`programme show`", [*base, "programme", "show"]),
        ]
        for label, args in commands:
            wall = median_process_time(args, cwd=root, env=env, repeat=3, before=partial(drop_index, root))
            if "docx" in label:
                pack_times[n] = wall
            rows.append(Row("management", size, label + " wall", wall, "s", f"<= {TARGET:.0f} s" if n == 1000 else "-",
                            wall <= TARGET or n != 1000, f"{wall / floor:.1f}x floor"))
    growth = pack_times[SIZES[1]] / pack_times[SIZES[0]]
    rows.append(Row("management", f"{SIZES[0]}->{SIZES[1]}", "review pack growth (5x data)", growth, "x",
                    "<= 5x", growth <= 5.0))
    record(rows)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    run_script(main)
