"""`make bench`: run every benchmark, print the figures, write benchmarks/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import DATA, RESULTS_JSON, machine  # noqa: E402


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    DATA.mkdir(parents=True, exist_ok=True)
    if RESULTS_JSON.exists():
        RESULTS_JSON.unlink()
    env = {**os.environ, "QMS_BENCH_COLLECT": "1", "PYTHONPATH": str(HERE.parent / "src")}
    failed = []
    started = time.perf_counter()
    for script in scripts:
        print(f"== {script.name}", flush=True)
        code = subprocess.run([sys.executable, str(script)], cwd=HERE, env=env, check=False).returncode
        if code != 0:
            failed.append(script.name)
    rows = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else []
    lines = [
        "# Benchmark results",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}; `make bench` took "
        f"{time.perf_counter() - started:.0f} s. Each figure is the best of a few runs on generated data; "
        "a ratio compares with a floor measured in the same run.",
        "",
        "| benchmark | size | figure | value | target | |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        note = f" ({r['note']})" if r.get("note") else ""
        lines.append(f"| {r['benchmark']} | {r['size']} | {r['figure']}{note} | {r['value']:.3f} {r['unit']} | "
                     f"{r['target']} | {'ok' if r['ok'] else '**missed**'} |")
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'}")
    if failed:
        print("missed a target: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
