"""Writing worksheets safely, fast, and ready to read on screen and on paper.

Every text cell is cleaned of characters XML cannot carry, and text that starts like a formula (=, +, -, @)
is stored as text, so a finding that reads "=HYPERLINK(...)" can never run in the reader's spreadsheet.

Dates and times are written as spreadsheet dates (numbers with a date format), never as text, so that a
column of them sorts and can be aged. Spreadsheets do not all size a row to its wrapped text when they open a
file (LibreOffice keeps the height written), so every row is written with the height its wrapped text needs,
estimated from the column widths. Every sheet gets the same print setup (`print_setup`): fitted to the page
width, landscape when wide, its header row repeated, the sheet name and page numbers in the footer.

openpyxl (write-only) builds the workbook: styles, tables, conditional formats, charts. For long tables its
per-cell cost dominates (a 10,000-row register took seconds), so beyond the first data row the rows are
written as SpreadsheetML text (inline strings, which are never formulas) and spliced into the saved sheet.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from qms_audit.infra.i18n import _
from qms_audit.render.textsafe import clean, escape_xml, looks_like_formula

HEADER_FILL = PatternFill("solid", start_color="D9E2F3", end_color="D9E2F3")
# the default font named: a bold font without a name is drawn in a serif face by LibreOffice
BOLD = Font(name="Calibri", size=11, bold=True)
REGULAR = Font(name="Calibri", size=11)
WRAP = Alignment(wrap_text=True, vertical="top")
WRAP_LEFT = Alignment(wrap_text=True, vertical="top", horizontal="left")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONTH_FORMAT = "yyyy-mm"

# --- dates ---------------------------------------------------------------------------------------------------


def excel_value(value: Any) -> Any:
    """A value as a cell can hold it: spreadsheets know no time zones, so a time is written as the records
    show it (the same clock time the Word report prints), without its zone."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def date_format(value: Any) -> str | None:
    """The number format a date or time cell is shown with; None for any other value."""
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    return None


def month_start(month: str) -> dt.date:
    """'2026-03' as the first day of its month, a date cell shown as yyyy-mm."""
    year, number = month.split("-")
    return dt.date(int(year), int(number), 1)


# --- row heights ---------------------------------------------------------------------------------------------

LINE_POINTS = 15.0  # one line of the default 11-point font, with its spacing
MAX_ROW_POINTS = 409.0  # the tallest row a spreadsheet allows


def text_lines(text: str, width: float, *, bold: bool = False) -> int:
    """How many lines `text` wraps to in a column `width` units wide. A unit is a digit of the default font;
    letters are narrower, so a line of prose holds about 1.15 characters a unit (Excel with Calibri, LibreOffice
    with DejaVu Sans alike), fewer where capitals and digits crowd it: counting 1.05, less the cell's padding,
    errs on the side of a row a little too tall rather than text cut (bold text is a tenth wider)."""
    return sum(_paragraph_lines(paragraph, line_capacity(width, bold=bold)) for paragraph in text.split("\n"))


def line_capacity(width: float, *, bold: bool = False) -> int:
    """The characters a line of a column `width` units wide is counted to hold (see `text_lines`)."""
    return max(1, int(width * (0.95 if bold else 1.05)) - 1)


def _paragraph_lines(text: str, capacity: int) -> int:
    """Lines of one paragraph wrapped at spaces; a word longer than a line is broken across lines."""
    if len(text) <= capacity:
        return 1
    lines, used = 1, 0
    for word in text.split(" "):
        size = len(word)
        if used and used + 1 + size <= capacity:
            used += 1 + size
            continue
        if used:
            lines += 1
        broken = (size - 1) // capacity if size > capacity else 0
        lines += broken
        used = size - broken * capacity
    return lines


class RowHeights:
    """The heights of rows under columns of the given widths: `heights(values)` gives the points a row needs to
    show every text cell whole, wrapped in its column, or None when one line is enough (the sheet's default
    height). Numbers and dates take one line. The columns' line lengths are counted once, for a long table."""

    def __init__(self, widths: Sequence[float], *, bold: bool = False) -> None:
        self.widths = list(widths)
        self.bold = bold
        # most cells are short: only a text longer than a line, or of several lines, is wrapped line by line
        self.limits = [line_capacity(width, bold=True) for width in widths]

    def __call__(self, values: Sequence[Any]) -> float | None:
        lines = 1
        for value, width, limit in zip(values, self.widths, self.limits, strict=False):
            if value.__class__ is str and (len(value) > limit or "\n" in value):
                lines = max(lines, text_lines(value, width, bold=self.bold))
        return None if lines == 1 else min(MAX_ROW_POINTS, LINE_POINTS * lines)


def row_height(values: Sequence[Any], widths: Sequence[float], *, bold: bool = False) -> float | None:
    """The height of one row (see `RowHeights`)."""
    return RowHeights(widths, bold=bold)(values)


def set_row_height(ws, row: int, values: Sequence[Any], widths: Sequence[float], *, bold: bool = False) -> None:
    height = row_height(values, widths, bold=bold)
    if height is not None:
        ws.row_dimensions[row].height = height


# --- print setup ---------------------------------------------------------------------------------------------

PAPER_SIZES = {"A4": 9, "Letter": 1}  # the paperSize codes of SpreadsheetML
# A column-width unit is the width of a digit in the default font: about 1.9 mm in Excel (Calibri), 2.45 mm in
# LibreOffice drawing with DejaVu Sans, the wider of the two. Between the margins below a portrait page holds
# 185 mm (A4; Letter is a little wider, not enough to change the choice).
UNIT_MM = 2.45
PORTRAIT_MM = 185


def sheet_is_wide(widths: Sequence[float]) -> bool:
    """Whether the columns are wider than a portrait page: such a sheet prints landscape."""
    return sum(widths) * UNIT_MM > PORTRAIT_MM


LANDSCAPE_MM = 270
SMALLEST_PRINT = 0.55  # below this scale a printed sheet cannot be read


def pages_wide(widths: Sequence[float]) -> int:
    """How many pages wide a sheet prints: one, unless fitting its columns on one landscape page would shrink
    them below a readable size (a register of thirty columns); then as few as keep it readable."""
    across = sum(widths) * UNIT_MM
    if across * SMALLEST_PRINT <= LANDSCAPE_MM:
        return 1
    return math.ceil(across * SMALLEST_PRINT / LANDSCAPE_MM)


def print_setup(ws, widths: Sequence[float], *, title_rows: int = 0) -> None:
    """How every sheet prints: on the institution's paper (see `new_workbook`), landscape when its columns are
    wider than a portrait page, scaled to one page wide (or, for a sheet so wide that one page would be
    unreadable, as few pages wide as keep it readable, each with the rows' first column) and as many pages long
    as it takes, its first
    `title_rows` rows (the header) repeated on every page, and the sheet name and 'Page N of M' in the footer.

    `widths`: the widths of the columns that print."""
    setup = ws.page_setup
    setup.paperSize = PAPER_SIZES.get(paper_of(ws.parent), PAPER_SIZES["A4"])
    setup.orientation = "landscape" if sheet_is_wide(widths) else "portrait"
    setup.fitToWidth = pages_wide(widths)
    setup.fitToHeight = 0  # as many pages long as the rows take
    if setup.fitToWidth > 1:
        ws.print_title_cols = "A:A"  # each page of a row keeps the row's first cell (its id)
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    if title_rows:
        ws.print_title_rows = f"1:{title_rows}"
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = _("Page {page} of {pages}").format(page="&P", pages="&N")


# --- cells and tables ----------------------------------------------------------------------------------------


def safe_cell(ws, value: Any, *, bold: bool = False, wrap: bool = False, number_format: str | None = None):
    """One cell: text made safe (never a formula), a date or time as a date cell with its format."""
    if isinstance(value, str) or value is None:
        value = clean(value) if value is not None else None
    else:
        value = excel_value(value)
        number_format = number_format or date_format(value)
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


def _rows_xml(rows: Sequence[Sequence[Any]], first_row: int, styles: dict[int, str],
              heights: Sequence[float | None]) -> str:
    letters = [get_column_letter(i + 1) for i in range(max((len(r) for r in rows), default=0))]
    out = []
    for n, (row, height) in enumerate(zip(rows, heights, strict=True), start=first_row):
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
            elif isinstance(value, dt.date):  # the column's date format is in its style, taken from row 2
                cells.append(f'<c r="{ref}"{style}><v>{to_excel(excel_value(value))!r}</v></c>')
            else:
                text = escape_xml(clean(value))
                cells.append(f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
        size = "" if height is None else f' ht="{height}" customHeight="1"'
        out.append(f'<row r="{n}"{size}>{"".join(cells)}</row>')
    return "".join(out)


def column_formats(rows: Sequence[Sequence[Any]], columns: int) -> dict[int, str]:
    """The date format of each column holding dates: with the time of day when any of its values has one."""
    found: dict[int, str] = {}
    for row in rows:
        for i, value in enumerate(row):
            if isinstance(value, dt.date) and found.get(i) != DATETIME_FORMAT:
                found[i] = date_format(value) or DATE_FORMAT
    return {i: f for i, f in found.items() if i < columns}


def table_sheet(wb, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
                widths: Sequence[float], table_name: str | None = None, percent_columns: Sequence[int] = (),
                formats: Mapping[int, str] | None = None, style: str = "TableStyleMedium2"):
    """A sheet holding one Excel table (with its filter buttons); returns (sheet, number of data rows).

    Every cell wraps its text and every row is as tall as its wrapped text needs. A column holding dates gets
    a date format (`formats` gives one to a column that may be empty, e.g. a due date to fill in)."""
    ws = wb.create_sheet(title)
    for i, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    ws.freeze_panes = "A2"
    print_setup(ws, widths, title_rows=1)
    header_cells = []
    for h in headers:
        cell = safe_cell(ws, h, bold=True, wrap=True)
        cell.fill = HEADER_FILL
        header_cells.append(cell)
    set_row_height(ws, 1, headers, widths, bold=True)
    ws.append(header_cells)
    rows = [list(r) for r in rows]
    count = len(rows)
    number_formats = {i: "0%" for i in percent_columns} | column_formats(rows, len(headers)) | dict(formats or {})
    height_of = RowHeights(widths)
    heights = [height_of(row) for row in rows]
    direct = rows if count < FAST_FROM else rows[:1]
    for n, (row, height) in enumerate(zip(direct, heights, strict=False), start=2):
        if height is not None:
            ws.row_dimensions[n].height = height
        ws.append([safe_cell(ws, v, wrap=True, number_format=number_formats.get(i)) for i, v in enumerate(row)])
    if count >= FAST_FROM:
        # the first data row, written by openpyxl, tells which style ids its cells got: the rest reuse them
        splices = getattr(wb, "_qms_splices", [])
        splices.append((len(wb.worksheets), rows[1:], heights[1:], len(headers)))
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


class SummaryRows:
    """A sheet of facts, small tables and paragraphs (a summary), written row by row: rows are counted as they
    are written (a chart points at the rows its table landed on) and each is as tall as its wrapped text. A
    fact's value and a paragraph span every column, so that a long text wraps across the sheet's width rather
    than running past it, or being cut where it is printed."""

    def __init__(self, ws, widths: Sequence[float]) -> None:
        self.ws = ws
        self.widths = list(widths)
        self.next = 1
        for i, width in enumerate(widths):
            ws.column_dimensions[get_column_letter(i + 1)].width = width
        print_setup(ws, widths)

    def _append(self, cells: list, texts: Sequence[object], widths: Sequence[float], *, bold: bool = False) -> None:
        set_row_height(self.ws, self.next, texts, widths, bold=bold)
        self.ws.append(cells)
        self.next += 1

    def _span(self, first: int) -> None:
        last = get_column_letter(len(self.widths))
        self.ws.merged_cells.add(f"{get_column_letter(first)}{self.next}:{last}{self.next}")

    def blank(self) -> None:
        self._append([], [], [])

    def fact(self, label: str, value: object, number_format: str | None = None) -> None:
        """A label and its value; the value, a number or a date too, reads from the left like the text ones."""
        self._span(2)
        cell = safe_cell(self.ws, value, number_format=number_format)
        cell.alignment = WRAP_LEFT
        self._append([safe_cell(self.ws, label, bold=True, wrap=True), cell],
                     [label, value], [self.widths[0], sum(self.widths[1:])])

    def header(self, names: Sequence[str]) -> None:
        cells = []
        for name in names:
            cell = safe_cell(self.ws, name, bold=True, wrap=True)
            cell.fill = HEADER_FILL
            cells.append(cell)
        self._append(cells, names, self.widths, bold=True)

    def figures(self, values: Sequence[object], percent: Sequence[int] = ()) -> None:
        self._append([safe_cell(self.ws, v, wrap=True, number_format="0%" if i in percent else None)
                      for i, v in enumerate(values)], values, self.widths)

    def heading(self, text: str) -> None:
        self._append([safe_cell(self.ws, text, bold=True)], [text], [sum(self.widths)], bold=True)

    def new_page(self) -> None:
        """What follows prints on a page of its own (the charts, which a page end would cut)."""
        from openpyxl.worksheet.pagebreak import Break

        self.ws.row_breaks.append(Break(id=self.next - 1))

    def paragraph(self, text: str) -> None:
        self._span(1)
        self._append([safe_cell(self.ws, text, wrap=True)], [text], [sum(self.widths)])


# --- charts --------------------------------------------------------------------------------------------------

def axes(chart, *, categories: str, values: str, share: bool = False, peak: int = 0) -> None:
    """Both axes of a chart drawn and named (openpyxl marks them deleted unless told), the value axis from
    zero: scores as percentages up to 100%, counts (up to `peak`) as whole numbers, one gridline per whole
    step, never half a finding."""
    chart.x_axis.title = categories
    chart.y_axis.title = values
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0
    if share:
        chart.y_axis.scaling.max = 1
        chart.y_axis.majorUnit = 0.25
        chart.y_axis.number_format = "0%"
    else:
        chart.y_axis.number_format = "0"
        chart.y_axis.majorUnit = max(1, -(-peak // 8))


def new_workbook(paper: str = "A4"):
    """A write-only workbook whose sheets print on `paper` (the institution profile's, A4 or Letter)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    set_paper(wb, paper)
    return wb


def set_paper(wb, paper: str) -> None:
    """The paper every sheet of `wb` prints on; the workbook carries it so that each sheet's setup finds it."""
    wb._qms_paper = paper


def paper_of(wb) -> str:
    return getattr(wb, "_qms_paper", "A4")


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
    for index, rows, heights, width in splices:
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
        body = _rows_xml(rows, 3, styles, heights)
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
