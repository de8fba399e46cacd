"""What every benchmark shares: generated data cached between runs, timers, and the results table.

Each benchmark script builds realistic data, measures, prints its figures, compares them with the target
and (when run by run_all.py) adds rows to benchmarks/.data/results.json, from which RESULTS.md is written.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
RESULTS_JSON = DATA / "results.json"
CACHE = DATA / "cache"

sys.path.insert(0, str(ROOT / "src"))
# Benchmarks keep their derived data (parsed standards, the audit index) beside their generated workspaces, never
# in the person's own cache; the commands they run inherit this.
os.environ["QMS_AUDIT_CACHE"] = str(CACHE)


@dataclass
class Row:
    benchmark: str
    size: str
    figure: str
    value: float
    unit: str
    target: str
    ok: bool
    note: str = ""


def timed(fn: Callable[[], object], *, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of `repeat` runs (the least disturbed by the rest of the machine), and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def median_process_time(args: list[str], *, cwd: Path, repeat: int = 5, env: dict | None = None,
                        before: Callable[[], object] | None = None) -> float:
    """Median wall time of a command; `before` runs ahead of each run, outside the measure."""
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})}, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextlib.contextmanager
def documents_only() -> Iterator[None]:
    """Read audits from their documents, as without an index (QMS_AUDIT_CACHE=off), for in-process measures."""
    saved = os.environ["QMS_AUDIT_CACHE"]
    os.environ["QMS_AUDIT_CACHE"] = "off"
    try:
        yield
    finally:
        os.environ["QMS_AUDIT_CACHE"] = saved


def drop_index(root: Path) -> None:
    """Delete the workspace's audit index, so that the next command reads every audit from its documents."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.store.index import index_path, remove_index_files

    path = index_path(Workspace(root.resolve()))
    if path is not None:
        remove_index_files(path)


def fresh_workspace(name: str) -> Path:
    from qms_audit.services.workspace_setup import create_workspace

    path = DATA / name
    if path.exists():
        shutil.rmtree(path)
    DATA.mkdir(parents=True, exist_ok=True)
    return create_workspace(path).root


def cached_workspace(name: str, build: Callable[[Path], None]) -> Path:
    """A generated workspace reused across runs while the generator's inputs are unchanged."""
    path = DATA / name
    stamp = path / ".complete"
    if stamp.exists():
        return path
    path = fresh_workspace(name)
    build(path)
    stamp.write_text("ok")
    return path


def progress(label: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if done == total or done % max(1, total // 20) == 0:
            print(f"\r  {label}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
    return report


def record(rows: list[Row]) -> None:
    for row in rows:
        mark = "ok  " if row.ok else "MISS"
        print(f"  {mark} {row.benchmark:<22} {row.size:<14} {row.figure:<34} {row.value:>10.3f} {row.unit:<6} "
              f"target {row.target}{'  (' + row.note + ')' if row.note else ''}")
    if os.environ.get("QMS_BENCH_COLLECT"):
        DATA.mkdir(parents=True, exist_ok=True)
        existing = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else []
        existing.extend(asdict(r) for r in rows)
        RESULTS_JSON.write_text(json.dumps(existing, indent=2))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}")


def run_script(main: Callable[[], int]) -> None:
    """A benchmark script's entry point: run it, say how long it took, exit with its status."""
    started = time.perf_counter()
    code = main()
    print(f"  ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    sys.exit(code)
