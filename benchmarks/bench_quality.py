"""Quality-manager tools: every SOP draft generated as Word (target <= 2 s), and a desk review of a folder
of 500 documents (target <= 15 s) — with 100 documents for the growth factor."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA, ROOT, Row, record


def sop_generation() -> tuple[float, float]:
    from qms_audit.infra.locations import Workspace
    from qms_audit.sop.generate import generate, resolve

    ws = Workspace(ROOT)
    out = Path(tempfile.mkdtemp())
    start = time.perf_counter()
    written = generate(ws, resolve(ws, [], True), out, "docx", on=dt.date(2026, 11, 28))
    in_process = time.perf_counter() - start
    assert len(written) == 7
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qms_audit", "-w", str(ROOT), "sop", "generate", "--all", "-o",
                    str(out / "cli")], check=True, capture_output=True)
    wall = time.perf_counter() - start
    shutil.rmtree(out)
    return in_process, wall


def document_folder(n: int) -> Path:
    """n documents made from the sample folder: SOPs in Word, Markdown and PDF, others, some corrupt."""
    folder = DATA / f"documents-{n}"
    if folder.is_dir() and len(list(folder.iterdir())) == n:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    samples = sorted((ROOT / "tests" / "samples" / "desk-review").iterdir())
    for i in range(n):
        source = samples[i % len(samples)]
        shutil.copy(source, folder / f"{i:04d} {source.name}")
    return folder


def desk_review(n: int) -> float:
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.deskreview import review_folder
    from qms_audit.services.standards import StandardLibrary

    standards = [i.standard for i in StandardLibrary(Workspace(ROOT)).load_all() if i.standard and i.standard.sops]
    folder = document_folder(n)
    start = time.perf_counter()
    review = review_folder(folder, standards, today=dt.date(2026, 11, 28), workers=os.cpu_count() or 1)
    elapsed = time.perf_counter() - start
    assert review.documents == n
    return elapsed


def main() -> int:
    rows = []
    in_process, wall = sop_generation()
    rows.append(Row("sop: generate all", "7 SOPs", "Word drafts, in-process", in_process, "s", "<= 2 s",
                    in_process <= 2.0))
    rows.append(Row("sop: generate all", "7 SOPs", "`qms-audit sop generate --all` wall", wall, "s", "-", True))
    times = {}
    for n in (100, 500):
        times[n] = desk_review(n)
        rows.append(Row("desk review", f"{n} documents", "read, recognise, check (all cores)", times[n], "s",
                        "<= 15 s" if n == 500 else "-", times[n] <= 15.0 or n != 500,
                        f"{times[n] / n * 1000:.1f} ms/document"))
    rows.append(Row("desk review", "100->500", "growth factor (5x documents)", times[500] / times[100], "x",
                    "~5x", times[500] / times[100] <= 6.5))
    record(rows)
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
