"""The offline checklist workbook: written for auditors without the TUI, and read back into plain rows.

The export carries, on a hidden sheet, the values each requirement had when it was exported, so that the
import (`qms_audit.services.checklist`, where every rule of it lives) can tell the auditor's changes from
changes made in the audit meanwhile. Reading here only turns the workbook into `ChecklistRows`.
"""

from __future__ import annotations

import io
from pathlib import Path

from qms_audit.infra.errors import InvalidFile
from qms_audit.infra.i18n import ENGLISH, NP_, _, current_language, pgettext
from qms_audit.model.standard import Standard
from qms_audit.render.sheets import BOLD, REGULAR, print_setup, set_paper, set_row_height
from qms_audit.render.textsafe import clean, looks_like_formula
from qms_audit.services.auditing import OpenedAudit
from qms_audit.services.checklist import (
    COLUMNS,
    GRADE_CHOICES,
    KIND_CHOICES,
    PHASE_CHOICES,
    ChecklistRows,
    SheetCell,
    rating_text,
)

SHEET = "Checklist"
# What each column of the Checklist sheet holds, in the reader's language: a note on its English name
COLUMN_WORDS = {
    "Ref": NP_("checklist column", "Ref"), "Clause": NP_("checklist column", "Clause"),
    "Requirement": NP_("checklist column", "Requirement"), "Question": NP_("checklist column", "Question"),
    "Force": NP_("checklist column", "Force"), "PDCA": NP_("checklist column", "PDCA"),
    "Evidence so far": NP_("checklist column", "Evidence so far"), "Rating": NP_("checklist column", "Rating"),
    "N/A reason": NP_("checklist column", "N/A reason"), "Note": NP_("checklist column", "Note"),
    "Finding statement": NP_("checklist column", "Finding statement"),
    "New evidence: phase": NP_("checklist column", "New evidence: phase"),
    "New evidence: kind": NP_("checklist column", "New evidence: kind"),
    "New evidence: what it is": NP_("checklist column", "New evidence: what it is"),
    "New evidence: reference": NP_("checklist column", "New evidence: reference"),
    "Sample size": NP_("checklist column", "Sample size"), "Population": NP_("checklist column", "Population"),
    "File in the audit folder": NP_("checklist column", "File in the audit folder"),
}
META = "_export"
LOCKED = 7  # the first seven columns are the standard and the record: read-only
WIDTHS = [9, 20, 26, 40, 7, 6, 36, 16, 22, 34, 30, 11, 12, 34, 18, 9, 11, 22]
# One column of text, a portrait page wide: LibreOffice does not scale a sheet of one column to the page, so
# the column itself must fit
INSTRUCTIONS_WIDTHS = [72]
META_WIDTHS = [12, 18, 50]  # the hidden record of the export: ref, rating, note
MAX_ROWS = 20000


def _put(sheet, row: int, col: int, value: object, **style):
    """Write one cell: text loses the characters XML cannot hold, and text that looks like a formula stays text, so
    that nothing a record holds runs when the workbook is opened."""
    cell = sheet.cell(row=row, column=col, value=clean(value) if isinstance(value, str) else value)
    if isinstance(cell.value, str) and looks_like_formula(cell.value):
        cell.data_type = "s"
    for key, v in style.items():
        setattr(cell, key, v)
    return cell


def export_checklist(opened: OpenedAudit, *, paper: str = "A4") -> bytes:
    """The fill-in workbook of an audit; it prints on `paper` (the institution's, A4 or Letter)."""
    from openpyxl import Workbook

    std = opened.standard
    texts = _standard_texts(opened)
    grades = ([str(lvl.value) for lvl in std.rating.levels] + ["not applicable", "not assessed"]
              if std.uses_levels else GRADE_CHOICES)
    wb = Workbook()
    set_paper(wb, paper)
    intro = wb.active
    intro.title = _("Instructions")
    ws = wb.create_sheet(SHEET)
    meta = wb.create_sheet(META)
    meta.sheet_state = "hidden"
    _write_instructions(intro, opened, texts, grades)
    _write_headers(ws, meta, opened)
    last = _write_rows(ws, meta, opened, texts)
    _add_validations(ws, grades, last)
    _protect(ws, last)
    wb.active = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _standard_texts(opened: OpenedAudit) -> Standard:
    """The audit's standard with its texts (title, clause titles, requirements and questions) in the reader's
    language, English where its translation has none; the import reads none of them back."""
    language = current_language()
    if language == ENGLISH:
        return opened.standard
    from qms_audit.services.overlays import OverlayLibrary
    from qms_audit.services.standards import StandardLibrary

    return OverlayLibrary(StandardLibrary(opened.workspace)).localised(opened.standard, language).standard


def _write_instructions(intro, opened: OpenedAudit, std: Standard, grades: list[str]) -> None:
    from openpyxl.styles import Alignment

    fill_in, bring_back = _("How to fill it in"), _("Bringing it back")
    lines = [
        _("Offline checklist for audit {audit}: {title}").format(audit=opened.id, title=opened.record.title),
        _("Standard: {standard}, version {version}. Exported by qms-audit; records as of the export.").format(
            standard=std.title, version=std.version),
        "",
        fill_in,
        _("- Work on the Checklist sheet. Grey columns (ref to evidence so far) are the standard and the record: "
          "they are locked."),
        _("- Rating: choose from the drop-down: {choices}.").format(choices=", ".join(grades)),
        _("- Not applicable needs a written reason in 'N/A reason'. A 'should' requirement cannot be rated minor "
          "or major NC (use OFI)."),
        _("- A minor NC, major NC, observation or OFI needs a finding statement (or a note, which is used instead)."),
        _("- To add one evidence entry to a requirement, fill the 'New evidence' columns on its row: phase (P, D, C, "
          "A), kind, what it is; reference, sample size and population are optional. A file must already be in "
          "the audit's evidence folder (give its path, e.g. evidence/minutes.pdf)."),
        _("- Leave rows you did not assess as they are. Do not add, remove or reorder rows."),
    ]
    if current_language() != ENGLISH:
        # the import reads the Checklist sheet by its English column names and choices: they stay as they are
        lines.append(_("- The column names of the Checklist sheet and the choices of its drop-downs stay in English, "
                       "as the import reads them; a note on each column name gives its meaning."))
    lines += [
        "",
        bring_back,
        "  " + _("qms-audit checklist import {audit} THIS-FILE.xlsx --dry-run    shows what would change").format(
            audit=opened.id),
        "  " + _("qms-audit checklist import {audit} THIS-FILE.xlsx              records the changes (logged)").format(
            audit=opened.id),
        _("If the audit was changed in the meantime on a row you also changed, that row is refused as a conflict."),
    ]
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, line in enumerate(lines, start=1):
        bold = line in (fill_in, bring_back) or i == 1
        _put(intro, i, 1, line, font=BOLD if bold else REGULAR, alignment=wrap)
        set_row_height(intro, i, [line], INSTRUCTIONS_WIDTHS, bold=bold)
    intro.column_dimensions["A"].width = INSTRUCTIONS_WIDTHS[0]
    print_setup(intro, INSTRUCTIONS_WIDTHS)


def _write_headers(ws, meta, opened: OpenedAudit) -> None:
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.utils import get_column_letter

    header_fill = PatternFill("solid", start_color="D9E2F3", end_color="D9E2F3")
    wrap = Alignment(wrap_text=True, vertical="top")
    translated = current_language() != ENGLISH
    for col, name in enumerate(COLUMNS, start=1):
        # the names stay English: `checklist import` finds its columns by them
        cell = _put(ws, 1, col, name, font=BOLD, fill=header_fill, alignment=wrap)
        if translated:
            from openpyxl.comments import Comment

            cell.comment = Comment(pgettext("checklist column", COLUMN_WORDS[name]), "qms-audit")
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS[col - 1]
    set_row_height(ws, 1, COLUMNS, WIDTHS, bold=True)
    print_setup(ws, WIDTHS, title_rows=1)
    for col, width in enumerate(META_WIDTHS, start=1):
        meta.column_dimensions[get_column_letter(col)].width = width
    print_setup(meta, META_WIDTHS)
    for row, values in enumerate([("audit", opened.id), ("standard", opened.standard.key),
                                  ("ref", "rating at export", "note at export")], start=1):
        for col, value in enumerate(values, start=1):
            _put(meta, row, col, value)


def _write_rows(ws, meta, opened: OpenedAudit, std: Standard) -> int:
    """One row per requirement in scope, with the values at the export on the hidden sheet; the last row. `std`
    gives the standard's texts in the reader's language."""
    from openpyxl.styles import Alignment, PatternFill, Protection

    grey = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")
    wrap = Alignment(wrap_text=True, vertical="top")
    unlocked = Protection(locked=False)
    row = 2
    for req in opened.scoped_requirements():
        result = opened.snapshot.result(req.ref)
        clause = std.clause_of(req.ref)
        req = std.requirement(req.ref) or req
        evidence = "\n".join(f"{e.phase.value} {e.kind.value}: {e.text}" for e in result.evidence)
        values = [req.ref, f"{clause.number} {clause.title}", req.title, req.question, req.force.value,
                  req.pdca.value if req.pdca else "", evidence, rating_text(opened, req.ref), result.na_reason or "",
                  result.note]
        for col, value in enumerate(values, start=1):
            cell = _put(ws, row, col, value, alignment=wrap)
            if col <= LOCKED:
                cell.fill = grey
        for col in range(LOCKED + 1, len(COLUMNS) + 1):
            ws.cell(row=row, column=col).protection = unlocked
            ws.cell(row=row, column=col).alignment = wrap
        set_row_height(ws, row, values, WIDTHS)
        _put(meta, row + 2, 1, req.ref)
        _put(meta, row + 2, 2, rating_text(opened, req.ref))
        _put(meta, row + 2, 3, result.note)
        row += 1
    return row - 1


def _add_validations(ws, grades: list[str], last: int) -> None:
    """Drop-downs for the rating, phase and kind, and whole numbers for the sample, on every requirement row."""
    from openpyxl.worksheet.datavalidation import DataValidation

    for column, choices in (("H", grades), ("L", PHASE_CHOICES), ("M", KIND_CHOICES)):
        validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                    showErrorMessage=True, errorTitle=_("Not a valid value"),
                                    error=_("Choose a value from the list."))
        validation.add(f"{column}2:{column}{max(last, 2)}")
        ws.add_data_validation(validation)
    for column in ("P", "Q"):
        validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="1", allow_blank=True,
                                    showErrorMessage=True, error=_("A whole number of at least 1."))
        validation.add(f"{column}2:{column}{max(last, 2)}")
        ws.add_data_validation(validation)


def _protect(ws, last: int) -> None:
    """The reference columns locked; filtering, sorting and resizing left free."""
    from openpyxl.utils import get_column_letter

    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(last, 1)}"
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


# --- reading it back -----------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as text, trimmed: a whole number typed in a cell (read as 12.0) reads '12'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(str(value)).strip()


def _formula(cell) -> str | None:
    """The formula a cell holds (shortened, for a message); None for a typed value. The workbook is read with
    formulas kept (not their cached results), so that a formula is seen rather than read as a value."""
    if cell.data_type != "f":
        return None
    text = clean(str(getattr(cell.value, "text", None) or cell.value)).strip()
    return text if len(text) <= 40 else text[:39] + "…"


def _cell(cell, column: str | None = None) -> SheetCell:
    """A cell as the import reads it, named by its address and, in a requirement's row, its column's name (a
    problem then reads 'Checklist!P12 (Sample size): ...')."""
    where = f"{SHEET}!{cell.coordinate}" + (f" ({column})" if column else "")
    formula = _formula(cell)
    if formula is not None:
        return SheetCell("", "", where, formula)
    return SheetCell(_text(cell.value), "" if cell.value is None else clean(str(cell.value)), where)


def read_checklist(path: Path, audit_id: str) -> ChecklistRows:
    """The checklist sheet of a filled-in workbook as plain rows, with the values at its export. The file passes
    the Office safety checks first; one that is no checklist at all is refused (`audit_id`, the audit it is
    imported into, names the export command that makes a fresh one)."""
    from openpyxl import load_workbook

    from qms_audit.infra.files import display_path
    from qms_audit.infra.office import check_office_file, check_sheet_rows, one_line

    data = check_office_file(path, what="checklist workbook")
    shown = display_path(path)
    check_sheet_rows(data, shown=shown, max_rows=MAX_ROWS + 1)  # the header row, then the requirements
    try:
        wb = load_workbook(io.BytesIO(data), data_only=False)  # formulas as formulas: see `_formula`
    except Exception as exc:  # openpyxl raises many kinds (KeyError, ValueError, zip and XML errors) on bad input
        raise InvalidFile(f"{shown}: not a readable Excel workbook ({one_line(exc)}); save it again from Excel or "
                          "LibreOffice as .xlsx") from None
    if SHEET not in wb.sheetnames or META not in wb.sheetnames:
        raise InvalidFile(f"{shown}: no '{SHEET}' sheet with its export record; export a fresh workbook with "
                          f"`qms-audit checklist export {audit_id}`")
    ws, meta = wb[SHEET], wb[META]
    if ws.max_row > MAX_ROWS:
        raise InvalidFile(f"{shown}: {ws.max_row} rows; a checklist has at most {MAX_ROWS}")
    exported: dict[str, tuple[str, str]] = {}
    for cells in meta.iter_rows(min_row=4, max_col=3):
        if any(_formula(c) is not None for c in cells):
            raise InvalidFile(f"{shown}: the export record ({META}!{cells[0].coordinate}) holds a formula; export a "
                              f"fresh workbook with `qms-audit checklist export {audit_id}`")
        row = [c.value for c in cells]
        if row and row[0]:
            exported[str(row[0])] = (clean(str(row[1] or "")).strip(), clean(str(row[2] or "")))
    rows = []
    for row in ws.iter_rows(min_row=2, max_col=len(COLUMNS)):
        # max_col gives every row all the columns, blank cells included
        cells = {name: _cell(cell, name) for name, cell in zip(COLUMNS, row, strict=True)}
        if any(c.text for c in cells.values()):
            rows.append(cells)
    return ChecklistRows(file=shown, audit_id=_text(meta["B1"].value), standard_key=_text(meta["B2"].value),
                         headers=[_cell(ws.cell(row=1, column=col)) for col in range(1, len(COLUMNS) + 1)],
                         rows=rows, exported=exported)
