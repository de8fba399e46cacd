"""Every Word document we write, as LibreOffice lays it out: no word of a table's header breaks across lines,
wide tables go on landscape pages, and pages are A4 unless the institution says Letter.

The documents are made from the demo (the audit report, the management review pack and every SOP draft),
converted to PDF in one LibreOffice run, and their text read back with PDFium. Column widths are worked out
from the words themselves (render/docxwriter.py), with the widths of the widest font LibreOffice falls back
to, so the test holds on a machine without Word's fonts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.office_text import docx_tables

NOW = "2026-11-28T10:00:00Z"
A4 = (595, 842)  # points, portrait
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed: nothing can be laid out")


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """name -> (docx, pdf) for the demo's report, the review pack and the SOP drafts."""

    from qms_audit.cli import run
    from tests.conftest import REPO

    root = tmp_path_factory.mktemp("layout")
    ws = root / "ws"
    ws.mkdir()
    for name in ("standards", "sop_templates", "audits", "ncs", "signers", "institution.yaml", "programme.yaml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, ws / name, ignore=shutil.ignore_patterns(".lock*", "*.tmp"))
        elif source.is_file():
            shutil.copy2(source, ws / name)
    out = root / "out"
    out.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QMS_AUDIT_NOW", NOW)
        patch.setenv("QMS_AUDIT_STATE", str(root / "state"))
        patch.setenv("QMS_AUDIT_CACHE", str(root / "cache"))  # the report's laid-out page numbers are kept there
        assert run(["-w", str(ws), "report", "demo-2026-foe", "-o", str(out / "report.docx")]) == 0
        assert run(["-w", str(ws), "review", "pack", "-o", str(out / "review-pack.docx")]) == 0
        assert run(["-w", str(ws), "sop", "generate", "--all", "-o", str(out)]) == 0
    sources = sorted(out.glob("*.docx"))
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{root / 'lo-profile'}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(root / "pdf"), *map(str, sources)], check=True, capture_output=True,
                   timeout=600)
    return {source.stem: (source, root / "pdf" / f"{source.stem}.pdf") for source in sources}


def pdf_pages(pdf: Path) -> list[tuple[tuple[int, int], str]]:
    """Each page's size in points and its text."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            text_page = page.get_textpage()
            pages.append(((round(width), round(height)), text_page.get_text_range()))
            text_page.close()
            page.close()
        return pages
    finally:
        document.close()


def words_of(text: str) -> set[str]:
    return {word.strip(".,:;()") for word in re.findall(r"\S+", text)}


def test_the_demo_makes_every_document(documents):
    names = set(documents)
    assert {"report", "review-pack"} <= names
    assert sum(1 for name in names if name.startswith("SOP-")) == 7


def test_no_word_of_a_table_header_breaks(documents):
    broken = {}
    for name, (docx, pdf) in documents.items():
        printed = words_of("\n".join(text for _, text in pdf_pages(pdf)))
        headers = {word.strip(".,:;()") for table in docx_tables(docx) for cell in table[0] for word in cell.split()}
        assert headers, name
        missing = sorted(word for word in headers if word and word not in printed)
        if missing:
            broken[name] = missing
    assert broken == {}


def test_pages_are_a4_and_the_evidence_register_is_on_landscape_pages(documents):
    for name, (_, pdf) in documents.items():
        sizes = {size for size, _ in pdf_pages(pdf)}
        assert sizes <= {A4, A4[::-1]}, name
    pages = pdf_pages(documents["report"][1])
    register = [size for size, text in pages if "Collected" in text and "Sample" in text and "PDCA" in text]
    assert register and set(register) == {A4[::-1]}
    assert pages[0][0] == A4 and pages[-1][0] in (A4, A4[::-1])
    # the landscape pages keep the document's footer
    assert all("Page " in text for _, text in pages)
