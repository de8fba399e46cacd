"""Writing worksheets safely and fast.

Every text cell is cleaned of characters XML cannot carry, and text that starts like a formula (=, +, -, @)
is stored as text, so a finding that reads "=HYPERLINK(...)" can never run in the reader's spreadsheet.

openpyxl (write-only) builds the workbook: styles, tables, conditional formats, charts. For long tables its
per-cell cost dominates (a 10,000-row register took seconds), so beyond the first data row the rows are
written as SpreadsheetML text (inline strings, which are never formulas) and spliced into the saved sheet.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from qms_audit.render.textsafe import clean, escape_xml, looks_like_formula

HEADER_FILL = PatternFill("solid", start_color="D9E2F3", end_color="D9E2F3")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def safe_cell(ws, value: Any, *, bold: bool = False, wrap: bool = False, number_format: str | None = None):
    if isinstance(value, str) or value is None:
        value = clean(value) if value is not None else None
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and looks_like_formula(value):
        cell.data_type = "s"  # text, not a formula
    if bold:
        cell.font = BOLD
    if wrap:
        cell.alignment = WRAP
    if number_format:
        cell.number_format = number_format
    return cell


FAST_FROM = 100  # rows; below this openpyxl writes everything itself


def _rows_xml(rows: Sequence[Sequence[Any]], first_row: int, styles: dict[int, str]) -> str:
    letters = [get_column_letter(i + 1) for i in range(max((len(r) for r in rows), default=0))]
    out = []
    for n, row in enumerate(rows, start=first_row):
        cells = []
        for i, value in enumerate(row):
            if value is None or value == "":
                continue
            ref = f"{letters[i]}{n}"
            style = styles.get(i, "")
            if isinstance(value, bool):
                cells.append(f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"{style}><v>{value!r}</v></c>')
            else:
                text = escape_xml(clean(value))
                cells.append(f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        out.append(f'<row r="{n}">{"".join(cells)}</row>')
    return "".join(out)


def table_sheet(wb, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
                widths: Sequence[float] | None = None, table_name: str | None = None, wrap_columns: Sequence[int] = (),
                percent_columns: Sequence[int] = (), style: str = "TableStyleMedium2"):
    """A sheet holding one Excel table (with its filter buttons); returns (sheet, number of data rows)."""
    ws = wb.create_sheet(title)
    for i, width in enumerate(widths or []):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "A2"
    header_cells = []
    for h in headers:
        cell = safe_cell(ws, h, bold=True)
        cell.fill = HEADER_FILL
        header_cells.append(cell)
    ws.append(header_cells)
    wrap = set(wrap_columns)
    percents = set(percent_columns)
    rows = [list(r) for r in rows]
    count = len(rows)
    direct = rows if count < FAST_FROM else rows[:1]
    for row in direct:
        ws.append([safe_cell(ws, v, wrap=i in wrap, number_format="0%" if i in percents else None)
                   for i, v in enumerate(row)])
    if count >= FAST_FROM:
        # the first data row, written by openpyxl, tells which style ids its cells got: the rest reuse them
        splices = getattr(wb, "_qms_splices", [])
        splices.append((len(wb.worksheets), rows[1:], len(headers)))
        wb._qms_splices = splices
    last = get_column_letter(len(headers))
    if table_name and count:
        table = Table(displayName=table_name, ref=f"A1:{last}{count + 1}")
        table.tableColumns = [TableColumn(id=i + 1, name=clean(h)) for i, h in enumerate(headers)]
        table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
        with warnings.catch_warnings():
            # openpyxl warns that write-only tables need their columns set by hand: they are, just above
            warnings.simplefilter("ignore", UserWarning)
            ws.add_table(table)
    return ws, count


def new_workbook():
    from openpyxl import Workbook

    return Workbook(write_only=True)


def save(wb) -> bytes:
    import io

    out = io.BytesIO()
    wb.save(out)
    splices = getattr(wb, "_qms_splices", [])
    return _splice(out.getvalue(), splices) if splices else out.getvalue()


def _splice(package: bytes, splices) -> bytes:
    import io
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(package))
    replaced: dict[str, bytes] = {}
    for index, rows, width in splices:
        name = f"xl/worksheets/sheet{index}.xml"
        xml = source.read(name).decode("utf-8")
        first = re.search(r'<row r="2"[^>]*>(.*?)</row>', xml, re.S)
        styles: dict[int, str] = {}
        if first:
            for cell in re.finditer(r'<c r="([A-Z]+)2"(?:[^>]*?) s="(\d+)"', first.group(1)):
                column = 0
                for ch in cell.group(1):
                    column = column * 26 + ord(ch) - 64
                styles[column - 1] = f' s="{cell.group(2)}"'
        body = _rows_xml(rows, 3, styles)
        end = xml.rfind("</sheetData>")
        xml = xml[:end] + body + xml[end:]
        last_row = len(rows) + 2
        xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{get_column_letter(width)}{last_row}"/>', xml,
                     count=1)
        replaced[name] = xml.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = replaced.get(info.filename)
            target.writestr(info, data if data is not None else source.read(info), compress_type=zipfile.ZIP_DEFLATED,
                            compresslevel=1 if data is not None else 6)
    return out.getvalue()
