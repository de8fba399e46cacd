"""The credential check as a workbook: one row per micro-credential (a credential file or a catalogue row), one
column per Annex I element, each cell coloured by what was found and holding the path or the reason; then the
same results one element per row, and the files that could not be read.

Every text goes through `render.sheets.safe_cell`: a title or reason that starts like a formula stays text.
"""

from __future__ import annotations

import copy
import warnings

from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from qms_audit.infra.i18n import N_, _, pgettext
from qms_audit.render.sheets import (
    HEADER_FILL,
    WRAP_LEFT,
    new_workbook,
    print_setup,
    safe_cell,
    save,
    set_row_height,
    table_sheet,
)
from qms_audit.render.textsafe import clean
from qms_audit.services.credentials import CredentialCheck
from qms_audit.services.credentials.elements import ELEMENTS, MISSING, ElementResult

FILLS = {
    "found": "C6EFCE",  # green
    "missing": "FFC7CE",  # red: a mandatory element missing
    "optional missing": "FFEB9C",  # amber: an optional element missing
    "not applicable": "E7E6E6",  # grey
}
LEADING = [N_("File"), N_("Row"), N_("Format"), N_("Title"), N_("Aligned"), N_("Mandatory missing"), N_("Problems"),
           N_("Signature")]
# Annex I's elements (`services.credentials.elements`) as the workbook names them to the reader
ELEMENT_WORDS = {
    "learner_identification": N_("Identification of the learner"),
    "title": N_("Title of the micro-credential"),
    "country": N_("Country or region of the issuer"),
    "awarding_body": N_("Awarding body"),
    "date_of_issue": N_("Date of issue"),
    "learning_outcomes": N_("Learning outcomes"),
    "workload": N_("Notional workload (ECTS where possible)"),
    "level": N_("Level (EQF / QF-EHEA), where applicable"),
    "assessment": N_("Type of assessment"),
    "participation": N_("Form of participation"),
    "quality_assurance": N_("Type of quality assurance"),
    "prerequisites": N_("Prerequisites"),
    "supervision": N_("Supervision and identity verification"),
    "grade": N_("Grade"),
    "stackability": N_("Integration or stackability"),
    "further_information": N_("Further information"),
}
# What was found for an element (`elements.FOUND`, `MISSING`, `NOT_APPLICABLE`), as a cell says it
BY_NAME = {e.name: e.key for e in ELEMENTS}  # `CredentialResult.missing` names the elements in English
STATUS_WORDS = {"found": N_("found"), "missing": N_("missing"), "not applicable": N_("not applicable")}
LEADING_WIDTHS = [24, 6, 16, 26, 9, 28, 36, 30]
ELEMENT_WIDTH = 32
# Beyond this many micro-credentials the sheet of one element per row (sixteen rows each) is left out: the sheet
# Credentials holds the same, and built whole it would take a gigabyte for the largest catalogue read
MAX_DETAILED = 2500


def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


def _colour(result: ElementResult) -> str:
    if result.status == MISSING and not result.element.mandatory:
        return FILLS["optional missing"]
    return FILLS[result.status]


def status_words(status: str) -> str:
    return _(STATUS_WORDS[status]) if status in STATUS_WORDS else status


def element_name(key: str, name: str) -> str:
    """An element's name in the reader's language (`name`, its English name, when the table lacks it)."""
    return _(ELEMENT_WORDS[key]) if key in ELEMENT_WORDS else name


def element_cell(result: ElementResult) -> str:
    """What a cell of an element says: its status, then where it was found or why it is missing."""
    status = status_words(result.status)
    return f"{status}: {result.where()}" if result.where() else status


def element_header(index: int) -> str:
    element = ELEMENTS[index]
    name = element_name(element.key, element.name)
    return name if element.mandatory else _("{element} (optional)").format(element=name)


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def render_check(check: CredentialCheck, *, paper: str = "A4") -> bytes:
    wb = new_workbook(paper)
    _credentials_sheet(wb, check)
    if check.total <= MAX_DETAILED:
        details = [(r.file, r.row, element_name(e.element.key, e.element.name), _yes(e.element.mandatory),
                    status_words(e.status), e.path or "", e.value or "", e.reason or "", e.vocabulary or "",
                    _("yes") if e.guess else "")
                   for r in check.everything() for e in r.elements]
        table_sheet(wb, _("Elements"), [_("File"), _("Row"), _("Element"), _("Mandatory"), _("Status"), _("Path"),
                                        pgettext("column", "Value"), _("Reason"), _("EU term"), _("Guess")], details,
                    widths=[24, 6, 30, 10, 12, 40, 40, 40, 20, 7], table_name="Elements")
    skipped = [(f, _("could not be read"), r) for f, r in check.unreadable] + \
              [(f, _("not a credential"), r) for f, r in check.passed_over]
    if skipped:
        table_sheet(wb, _("Not checked"), [_("File"), _("Why"), _("Reason")], skipped, widths=[40, 18, 80],
                    table_name="NotChecked")
    _about_sheet(wb, check)
    return save(wb)


class _Styles:
    """Wrapped cells, plain or filled. openpyxl looks a style up in the workbook's registry each time one is set on
    a cell, which for a catalogue of 20,000 rows is most of the time spent; the few styles used here are set once
    on a first cell each and copied to the others."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.styles: dict[str | None, object] = {}

    def cell(self, value, colour: str | None = None):
        cell = safe_cell(self.ws, value, wrap=colour not in self.styles)
        if colour not in self.styles:
            if colour is not None:
                cell.fill = _fill(colour)
            self.styles[colour] = cell._style
        else:
            cell._style = copy.copy(self.styles[colour])
        return cell


def _credentials_sheet(wb, check: CredentialCheck) -> None:
    ws = wb.create_sheet(_("Credentials"))
    headers = [_(h) for h in LEADING] + [element_header(i) for i in range(len(ELEMENTS))]
    widths = LEADING_WIDTHS + [ELEMENT_WIDTH] * len(ELEMENTS)
    for i, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = width
    print_setup(ws, widths, title_rows=1)
    ws.freeze_panes = "E2"
    header_cells = []
    for h in headers:
        cell = safe_cell(ws, h, bold=True, wrap=True)
        cell.fill = HEADER_FILL
        header_cells.append(cell)
    set_row_height(ws, 1, headers, widths, bold=True)  # before the row: a write-only sheet streams it
    ws.append(header_cells)
    style = _Styles(ws)
    results = check.everything()
    for n, r in enumerate(results, start=2):
        missing = "; ".join(element_name(BY_NAME.get(name, ""), name) for name in r.missing)
        leading = [r.file, r.row, r.format, r.title, _yes(r.aligned), missing, "\n".join(r.problems),
                   r.signature or ""]
        texts = [str(t) if t is not None else "" for t in leading] + [element_cell(e) for e in r.elements]
        set_row_height(ws, n, texts, widths)
        row = [style.cell(value) for value in leading]
        row[4] = style.cell(leading[4], FILLS["found"] if r.aligned else FILLS["missing"])
        row += [style.cell(element_cell(e), _colour(e)) for e in r.elements]
        ws.append(row)
    if results:
        table = Table(displayName="Credentials", ref=f"A1:{get_column_letter(len(headers))}{len(results) + 1}")
        table.tableColumns = [TableColumn(id=i + 1, name=clean(h)) for i, h in enumerate(headers)]
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # write-only tables need their columns set by hand: they are
            ws.add_table(table)


def _about_sheet(wb, check: CredentialCheck) -> None:
    ws = wb.create_sheet(_("About"))
    widths = [28, 90]
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = widths
    print_setup(ws, widths)
    lines: list[tuple[str, object]] = [
        (_("Checked on"), check.checked_on),
        (_("Inputs"), ", ".join(check.inputs)),
        (_("Micro-credentials"), check.total),
        (_("Carrying every mandatory element"), check.aligned),
        (_("Criteria"), _("EU Council Recommendation 2022/C 243/02, Annex I: eleven mandatory elements (a level "
                          "where one applies) and five optional ones")),
        (status_words("found"), _("the element is there: the cell gives where (a path in the credential's data "
                                  "model, or the catalogue cell) and what it says")),
        (status_words("missing"), _("a mandatory element is not there (red); an optional one (amber): the cell says "
                                    "why")),
        (status_words("not applicable"), _("a level where none applies, or an optional element the catalogue marks "
                                           "n/a (grey)")),
        (_("Signatures"), _("described as found in the file; qms-audit does not verify signatures")),
    ]
    fills = {status_words(status): FILLS[status] for status in ("found", "missing", "not applicable")}
    if check.total > MAX_DETAILED:
        lines.append((_("Elements"), _("the sheet of one element per row is left out above {n} micro-credentials; "
                                       "the sheet {sheet} holds every result").format(
            n=f"{MAX_DETAILED:,}", sheet=_("Credentials"))))
    if check.unreadable:
        lines.append((_("Could not be read"), _("{n} file(s): see the sheet '{sheet}'").format(
            n=len(check.unreadable), sheet=_("Not checked"))))
    for n, (label, value) in enumerate(lines, start=1):
        first = safe_cell(ws, label, bold=True, wrap=True)
        if label in fills:
            first.fill = _fill(fills[label])
        second = safe_cell(ws, value)
        second.alignment = WRAP_LEFT  # a date or a count reads from the left like the texts beneath it
        set_row_height(ws, n, [label, value], widths)
        ws.append([first, second])

