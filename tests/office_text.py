"""Reading generated Word and Excel files back, the way a reviewer's tools would."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from openpyxl import load_workbook


def docx_paragraphs(path: Path) -> list[str]:
    doc = Document(str(path))
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    out = []
    for p in doc.element.body.iter(f"{ns}p"):
        text = "".join(t.text or "" for t in p.iter(f"{ns}t"))
        out.append(text)
    return out


def docx_text(path: Path) -> str:
    return "\n".join(docx_paragraphs(path))


def docx_tables(path: Path) -> list[list[list[str]]]:
    """Every table as rows of cell texts (paragraphs of a cell joined by a newline)."""
    doc = Document(str(path))
    return [[["\n".join(p.text for p in cell.paragraphs) for cell in row.cells] for row in table.rows]
            for table in doc.tables]


def xlsx_sheets(path: Path) -> dict[str, list[list[object]]]:
    wb = load_workbook(str(path))
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb}


def xlsx_rows(path: Path, sheet: str) -> list[dict[str, object]]:
    rows = xlsx_sheets(path)[sheet]
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]
