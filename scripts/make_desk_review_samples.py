"""Rebuild tests/samples/desk-review: a folder of institutional documents in every state a desk review meets.

    python scripts/make_desk_review_samples.py      (needs LibreOffice for the PDF)

- a complete, approved, current SOP (Word);            - the same kind of SOP as a PDF;
- an incomplete SOP (Markdown, sections missing);      - an approved SOP overdue for review (Word);
- a draft that was never approved (Word);              - a corrupt .docx and a password-protected one;
- an unrelated document that is no SOP at all.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from qms_audit.infra.locations import Workspace
from qms_audit.render.markdown_docx import markdown_to_docx_bytes
from qms_audit.sop.generate import render_sop, resolve

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "samples" / "desk-review"


def sop_markdown(sop_id: str, on: dt.date) -> str:
    ws = Workspace(ROOT)
    row = resolve(ws, [sop_id], False)[0]
    return render_sop(ws, row, on=on)


def approve(text: str, *, effective: str, next_review: str, version: str = "1.2") -> str:
    return (text.replace("| Version | 0.1 |", f"| Version | {version} |")
            .replace("| Status | Draft for review |", "| Status | Approved |")
            .replace("Draft for review", "Approved")
            .replace("| Effective date | on approval |", f"| Effective date | {effective} |")
            .replace("| Approver |", "| Approved by |")
            .replace(next_review_line(text), f"| Next review | {next_review} |"))


def next_review_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("| Next review |"))


def drop_sections(text: str, names: list[str]) -> str:
    out, skipping = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            skipping = any(name in line for name in names)
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    on = dt.date(2025, 9, 1)
    good = approve(sop_markdown("SOP-RISK", on), effective="2025-09-15", next_review="2027-09-15")
    (OUT / "UTN-QAU-SOP-06 Risk management v1.2.docx").write_bytes(markdown_to_docx_bytes(good, footer="SOP-RISK"))
    audit = approve(sop_markdown("SOP-AUDIT", on), effective="2025-10-01", next_review="2027-10-01", version="2.0")
    docx = markdown_to_docx_bytes(audit, footer="SOP-AUDIT")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "audit.docx"
        source.write_bytes(docx)
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(source)], check=True,
                       capture_output=True)
        shutil.copy(Path(tmp) / "audit.pdf", OUT / "Internal audit procedure (signed).pdf")
    needs = approve(sop_markdown("SOP-NEEDS", on), effective="2025-05-01", next_review="2027-05-01")
    (OUT / "needs-identification.md").write_text(drop_sections(needs, ["Key performance", "Data sources",
                                                                       "Revision history"]), encoding="utf-8")
    old = approve(sop_markdown("SOP-INDUSTRY", dt.date(2021, 1, 4)), effective="2021-01-15", next_review="2023-01-15",
                  version="1.0")
    (OUT / "Industry collaboration 2021.docx").write_bytes(markdown_to_docx_bytes(old, footer="SOP-INDUSTRY"))
    draft = sop_markdown("SOP-COMMIT", on)
    (OUT / "management commitment DRAFT.docx").write_bytes(markdown_to_docx_bytes(draft, footer="SOP-COMMIT"))
    (OUT / "broken.docx").write_bytes(b"PK\x03\x04\x14\x00 this zip was cut short")
    (OUT / "locked.docx").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 1024)
    (OUT / "minutes of the faculty board.md").write_text(
        "# Faculty board, 12 March 2026\n\nPresent: the Dean and heads of department.\n\n"
        "1. The budget for 2027 was discussed.\n2. The timetable for semester 2 was approved.\n", encoding="utf-8")
    for path in sorted(OUT.iterdir()):
        print(path.name)


if __name__ == "__main__":
    main()
