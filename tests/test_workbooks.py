"""Every workbook qms-audit writes, reopened as a reader's spreadsheet would: dates are date cells, every sheet
prints fitted to the page width with its header repeated and page numbers in the footer, rows are as tall as
their wrapped text, and chart axes are drawn. Then the NC register and the Excel report are printed through
LibreOffice, where the issue was seen, when it is installed."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import REPO

DEMO = "demo-2026-foe"
NOW = "2026-11-28T10:00:00Z"
WORKBOOKS = {
    "report": ("report", DEMO, "--format", "xlsx", "-o"),
    "register": ("nc", "export", "-o"),
    "review": ("review", "pack", "-o"),
    "checklist": ("checklist", "export", DEMO, "-o"),
    "credentials": ("credentials", "check", str(REPO / "examples" / "mc-catalogue.csv"), "-o"),
}
# The sheets that are not a table under a header row (nothing to repeat on every printed page)
NO_HEADER_ROW = {"Summary", "About", "Instructions", "_export"}
# The date and time columns of each table, by sheet; facts of a summary by their label
DATE_COLUMNS = {
    "report": {"Checklist": ["Rated on"], "Evidence": ["Collected"],
               "NC register": ["Raised", "Correction due", "Next due", "Closed"], "CAPA actions": ["Due", "Done"]},
    "register": {"NC register": ["Raised", "Correction due", "Next due", "Closed"], "CAPA actions": ["Due", "Done"]},
    "review": {"Findings by input": ["Raised"], "Audits": ["Start"], "Improvement": ["Raised"],
               "Programme": ["Month"], "Outputs": ["Due"]},
}
DATE_FACTS = {
    "report": {"Summary": ["Records as of"]},
    "review": {"Summary": ["Period reviewed: first day", "Period reviewed: last day", "Compared with: first day",
                           "Compared with: last day", "Prepared on"]},
    "credentials": {"About": ["Checked on"]},
}
# A text that reads as a date or a month: never what a date is written as
DATE_TEXT = re.compile(r"\d{4}-\d{2}(-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?)?")


def _copy_demo(target: Path) -> Path:
    target.mkdir()
    for name in ("standards", "sop_templates", "audits", "ncs", "signers", "institution.yaml", "programme.yaml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target / name)
    return target


def _write(workspace: Path, out: Path) -> dict[str, Path]:
    from qms_audit.cli import run

    paths = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QMS_AUDIT_NOW", NOW)
        for name, args in WORKBOOKS.items():
            paths[name] = out / f"{name}.xlsx"
            code = run(["-w", str(workspace), *args, str(paths[name])])
            assert code in (0, 1), name  # the credential check finds problems in the example catalogue: 1
            assert paths[name].is_file(), name
    return paths


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    """Every workbook, written by the CLI from a copy of the demo workspace."""
    base = tmp_path_factory.mktemp("workbooks")
    return _write(_copy_demo(base / "ws"), base)


def column_widths(ws) -> dict[int, float]:
    """The width of every column that has one (a <col> element may span several columns)."""
    widths: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        if dim.width and dim.min:
            for index in range(dim.min, (dim.max or dim.min) + 1):
                widths[index] = dim.width
    return widths


def header(ws) -> list[str]:
    return [str(c.value) for c in ws[1]]


# -- dates ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("book", sorted(DATE_COLUMNS))
def test_date_columns_hold_date_cells(books, book):
    wb = load_workbook(books[book])
    for sheet, columns in DATE_COLUMNS[book].items():
        ws = wb[sheet]
        names = header(ws)
        filled = 0
        for column in columns:
            index = names.index(column)
            for row in ws.iter_rows(min_row=2):
                cell = row[index]
                assert cell.is_date, f"{sheet}!{cell.coordinate} ({column}) is not formatted as a date"
                if cell.value is not None:
                    assert isinstance(cell.value, dt.datetime), f"{sheet}!{cell.coordinate}: {cell.value!r}"
                    filled += 1
        if sheet != "Outputs":  # the outputs' due dates are for the meeting to fill in
            assert filled, f"no date found on {sheet}: the check would prove nothing"


@pytest.mark.parametrize("book", sorted(DATE_FACTS))
def test_dated_facts_are_date_cells(books, book):
    wb = load_workbook(books[book])
    for sheet, labels in DATE_FACTS[book].items():
        facts = {row[0].value: row[1] for row in wb[sheet].iter_rows() if len(row) > 1 and row[0].value}
        for label in labels:
            assert facts[label].is_date and isinstance(facts[label].value, dt.datetime), (sheet, label)


def test_the_register_dates_are_the_records_dates(books):
    """Raised, as the finding's record says it, to the second."""
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.auditing import open_audit

    opened = open_audit(Workspace(books["report"].parent / "ws"), DEMO)
    ws = load_workbook(books["report"])["NC register"]
    names = header(ws)
    raised = {row[0].value: row[names.index("Raised")].value for row in ws.iter_rows(min_row=2)}
    findings = opened.snapshot.active_findings()
    assert findings and set(raised) == {f.id for f in findings}
    for finding in findings:
        # a spreadsheet holds a time as a fraction of a day: equal to the second
        assert abs(raised[finding.id] - finding.raised_at.replace(tzinfo=None)) < dt.timedelta(seconds=1)


@pytest.mark.parametrize("book", sorted(WORKBOOKS))
def test_no_date_is_written_as_text(books, book):
    wb = load_workbook(books[book])
    for ws in wb.worksheets:
        names = header(ws) if ws.max_row else []
        for row in ws.iter_rows():
            for cell in row:
                if book == "credentials" and ws.title == "Elements" and names[cell.column - 1] == "Value":
                    continue  # a value as the credential file writes it, quoted as found
                if isinstance(cell.value, str):
                    assert not DATE_TEXT.fullmatch(cell.value), f"{ws.title}!{cell.coordinate}: {cell.value!r}"


# -- print setup --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("book", sorted(WORKBOOKS))
def test_every_sheet_prints_fitted_to_the_width_with_its_header_and_page_numbers(books, book):
    wb = load_workbook(books[book])
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.fitToHeight == 0, ws.title
        assert setup.paperSize == 9, ws.title  # A4: the profile says nothing else
        assert (ws.oddFooter.left.text, ws.oddFooter.right.text) == ("&A", "Page &P of &N"), ws.title
        if ws.title not in NO_HEADER_ROW:
            assert ws.print_title_rows == "$1:$1", ws.title
        width_mm = sum(column_widths(ws).values()) * 2.45  # a unit as LibreOffice draws it with DejaVu Sans
        expected = "landscape" if width_mm > 185 else "portrait"
        assert setup.orientation == expected, (ws.title, width_mm)
        # one page wide, unless that would print below 55 %: then as few pages wide as keep 55 %, each page
        # with the rows' first column
        pages = setup.fitToWidth
        landscape_mm = 270
        assert width_mm / (pages * landscape_mm) <= 1 / 0.55 * 1.05, (ws.title, pages, width_mm)
        if pages > 1:
            assert width_mm / ((pages - 1) * landscape_mm) > 1 / 0.55 * 0.95, (ws.title, pages, width_mm)
            assert ws.print_title_cols == "$A:$A", ws.title


def test_wide_sheets_print_landscape_and_narrow_ones_portrait(books):
    assert load_workbook(books["register"])["NC register"].page_setup.orientation == "landscape"
    assert load_workbook(books["report"])["Summary"].page_setup.orientation == "landscape"
    assert load_workbook(books["checklist"])["Checklist"].page_setup.orientation == "landscape"
    assert load_workbook(books["checklist"])["Instructions"].page_setup.orientation == "portrait"
    assert load_workbook(books["review"])["Clause trends"].page_setup.orientation == "portrait"


def test_letter_paper_when_the_profile_says_so(tmp_path):
    workspace = _copy_demo(tmp_path / "ws")
    profile = workspace / "institution.yaml"
    profile.write_text(profile.read_text() + "paper: Letter\n")
    out = tmp_path / "out"
    out.mkdir()
    for path in _write(workspace, out).values():
        for ws in load_workbook(path).worksheets:
            assert ws.page_setup.paperSize == 1, (path.name, ws.title)


def test_a_paper_the_profile_does_not_know_is_refused(cli, demo_workspace, tmp_path):
    profile = demo_workspace / "institution.yaml"
    profile.write_text(profile.read_text() + "paper: A3\n")
    result = cli("-w", demo_workspace, "nc", "export", "-o", tmp_path / "r.xlsx")
    assert result.code == 2 and "paper" in result.err and "Letter" in result.err, result.err


# -- row heights --------------------------------------------------------------------------------------------------


def _spans(ws) -> dict[str, float]:
    """The width each merged cell spans, by its top-left cell."""
    widths = column_widths(ws)
    return {rng.coord.split(":")[0]: sum(widths.get(c, 8.43) for c in range(rng.min_col, rng.max_col + 1))
            for rng in ws.merged_cells.ranges}


@pytest.mark.parametrize("book", sorted(WORKBOOKS))
def test_rows_are_as_tall_as_their_wrapped_text(books, book):
    """A text of several lines, or far longer than its column (more than 1.3 characters a unit, which neither
    Excel nor LibreOffice fits on one line), wraps: its row must have been given the height of its lines."""
    wb = load_workbook(books[book])
    checked = 0
    for ws in wb.worksheets:
        if ws.sheet_state == "hidden":
            continue  # the checklist's record of the export, read by the import, never by a person
        widths = column_widths(ws)
        spans = _spans(ws)
        for row in ws.iter_rows():
            needed = 1
            for cell in row:
                if not isinstance(cell.value, str) or not cell.value:
                    continue
                width = spans.get(cell.coordinate, widths.get(cell.column, 8.43))
                lines = cell.value.split("\n")
                wraps = len(lines) > 1 or max(len(line) for line in lines) > 1.3 * width + 2
                if wraps:
                    assert cell.alignment.wrap_text, f"{ws.title}!{cell.coordinate} is cut: it does not wrap"
                    needed = max(needed, len(lines), 2)
            if needed > 1:
                height = ws.row_dimensions[row[0].row].height
                assert height is not None and height >= 15 * needed, (ws.title, row[0].row, height, needed)
                checked += 1
    assert checked, "no wrapped text found: the check would prove nothing"


# -- charts -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("book, sheets", [("report", {"Summary": 2}), ("review", {"Summary": 1, "Clause scores": 1})])
def test_chart_axes_are_drawn_and_named(books, book, sheets):
    wb = load_workbook(books[book])
    for sheet, count in sheets.items():
        charts = wb[sheet]._charts
        assert len(charts) == count, sheet
        for chart in charts:
            for axis in (chart.x_axis, chart.y_axis):
                assert axis.delete is False, sheet
                assert axis.title is not None, sheet
            assert chart.y_axis.scaling.min == 0 and chart.y_axis.number_format is not None


# -- through LibreOffice -------------------------------------------------------------------------------------------


def _calc() -> str | None:
    """Why the workbooks cannot be printed here, or None when LibreOffice with its spreadsheet (Calc) is there."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        return "LibreOffice is not installed: the workbooks cannot be printed here"
    program = Path(os.path.realpath(exe)).parent
    if not any(program.glob("libsclo*")):
        return "LibreOffice is installed without Calc (its spreadsheet): the workbooks cannot be printed here"
    return None


def _pdf_pages(xlsx: Path, out: Path) -> list[str]:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe is not None
    proc = subprocess.run([exe, f"-env:UserInstallation=file://{out / 'lo-profile'}", "--headless", "--convert-to",
                           "pdf", "--outdir", str(out), str(xlsx)], capture_output=True, text=True, timeout=180,
                          check=False)
    pdf = out / (xlsx.stem + ".pdf")
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    return [" ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))]


@pytest.mark.skipif(_calc() is not None, reason=_calc() or "")
def test_a_short_register_and_the_excel_report_print_whole(books, tmp_path):
    from qms_audit.infra.locations import Workspace
    from qms_audit.services.auditing import open_audit
    from qms_audit.views.report_content import gather

    register = _pdf_pages(books["register"], tmp_path)
    ids = [str(row[0].value) for row in load_workbook(books["register"])["NC register"].iter_rows(min_row=2)]
    assert 1 <= len(ids) <= 10
    # the NC register's rows on as many pages as its width takes at a readable size, each page with the NC ids,
    # its CAPA actions after them (the issue saw a 5-row register take 17 pages)
    across = load_workbook(books["register"])["NC register"].page_setup.fitToWidth
    assert across > 1  # thirty columns cannot be read on one page
    assert len(register) <= across + 1, (len(register), across)
    for page in register[:across]:
        for finding in ids:
            assert finding in page, finding
    assert "NC register" in register[0] and "Page 1 of" in register[0]

    report = " ".join(_pdf_pages(books["report"], tmp_path))
    data = gather(open_audit(Workspace(books["report"].parent / "ws"), DEMO), None)
    whole = [c.band + (" (capped)" if c.capped else "") for c in data.clauses]
    whole += [c.shown.text for c in data.clauses if c.shown.score is None]
    whole += [" ".join(line.split()) for line in [data.fulfilment, *data.conclusions] if line.strip()]
    assert any("Partially conforming" in text for text in whole)  # the text the issue saw cut
    for text in whole:
        assert text in report, text
    assert data.record.title in report
