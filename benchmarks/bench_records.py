"""Loading and scoring a portfolio of audits (1,000 x 100 requirements) against the time to merely parse
the same bytes; and `qms-audit score` on one audit, start-up included.

Targets (issue 3): all 1,000 audits loaded and scored in <= 3 s and <= 5x the raw parse; one `score`
<= 0.5 s wall. Audits are read from their documents here (no index); bench_index.py measures the index.
"""

from __future__ import annotations

import json
import os
import sys
from functools import partial

from common import Row, cached_workspace, documents_only, median_process_time, progress, record, run_script, timed

SIZES = [200, 1000]


def build(n: int):
    def make(path):
        from qms_audit.demo.portfolio import PortfolioSpec, generate_portfolio, synthetic_standard, write_standard
        from qms_audit.infra.locations import Workspace
        from qms_audit.services.standards import StandardLibrary

        ws = Workspace(path)
        write_standard(ws, synthetic_standard(100))
        std = StandardLibrary(ws).get("synthetic-100")
        generate_portfolio(ws, std, PortfolioSpec(audits=n, seed=11), progress=progress(f"generating {n} audits"))
    return make


def raw_parse(root) -> int:
    """The floor: read every record file and parse its JSON, nothing else."""
    count = 0
    audits = root / "audits"
    for audit in os.scandir(audits):
        if not audit.is_dir():
            continue
        for sub in ("", "results", "findings"):
            folder = os.path.join(audit.path, sub)
            if not os.path.isdir(folder):  # an audit with no findings has no findings/ folder
                continue
            for entry in os.scandir(folder):
                if entry.name.endswith(".json"):
                    with open(entry.path, "rb") as fh:
                        json.loads(fh.read())
                    count += 1
    return count


def load_and_score(root) -> int:
    """What `audit list`, trends and the review pack do: every audit read, validated and scored."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.portfolio import load_digests

    with documents_only():
        return len(load_digests(Workspace(root)))


def load_and_score_one_core(root) -> int:
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.portfolio import load_digests

    with documents_only():
        return len(load_digests(Workspace(root), workers=1))


def main() -> int:
    rows: list[Row] = []
    results = {}
    for n in SIZES:
        root = cached_workspace(f"records-{n}", build(n))
        floor, files = timed(partial(raw_parse, root))
        ours, count = timed(partial(load_and_score, root))
        single, _ = timed(partial(load_and_score_one_core, root), repeat=1)
        assert count == n, (count, n)
        results[n] = ours
        ratio = ours / floor
        rows.append(Row("records: load+score", f"{n} audits", "raw JSON parse (floor)", floor, "s", "-", True,
                        f"{files} files"))
        rows.append(Row("records: load+score", f"{n} audits", "load, validate and score all", ours, "s",
                        "<= 3 s" if n == 1000 else "-", ours <= 3.0 or n != 1000))
        rows.append(Row("records: load+score", f"{n} audits", "ratio to floor", ratio, "x", "<= 5x",
                        ratio <= 5.0))
        rows.append(Row("records: load+score", f"{n} audits", "same on one core (for reference)", single, "s",
                        "-", True, f"{single / floor:.1f}x floor"))
    growth = results[SIZES[1]] / results[SIZES[0]]
    rows.append(Row("records: load+score", f"{SIZES[0]}->{SIZES[1]}", "growth factor (5x data)", growth, "x",
                    "~5x (linear)", growth <= 6.0))
    root = cached_workspace(f"records-{SIZES[0]}", build(SIZES[0]))
    one = sorted(p.name for p in (root / "audits").iterdir() if p.is_dir())[-1]
    exe = [sys.executable, "-m", "qms_audit", "score", one, "--json"]
    wall = median_process_time(exe, cwd=root, env={"QMS_AUDIT_WORKSPACE": str(root)})
    rows.append(Row("records: score one", "100 reqs", "`qms-audit score` wall, start-up incl.", wall, "s",
                    "<= 0.5 s", wall <= 0.5))
    record(rows)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    run_script(main)
