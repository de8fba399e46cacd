"""The Excel audit workbook: summary with native charts, the checklist, the evidence register, the
NC/CAPA register (a filterable table, coloured by grade and overdue state) and the CAPA actions.

The report content (`views.report_content`) words dates for the Word report; here every date and time is a
date cell, taken from the records themselves (the audit's snapshot, or the register's findings)."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from qms_audit.domain import capa_rules
from qms_audit.domain.means import Shown
from qms_audit.infra.i18n import N_, NP_, _, pgettext
from qms_audit.model.audit import Finding, Grade
from qms_audit.render.sheets import SummaryRows, axes, new_workbook, save, table_sheet
from qms_audit.store.audits import AuditSnapshot
from qms_audit.views.report_content import (
    CAPA_STAGES,
    EVIDENCE_KINDS,
    EVIDENCE_SOURCES,
    FORCES,
    PPEPP_STEPS,
    FindingRow,
    ReportData,
    grade_words,
    phase_words,
    position_words,
    shown_text,
    words,
)

# the grade column's fill, by grade (the column holds the grade's label in the reader's language)
GRADE_FILLS = {
    Grade.MAJOR_NC: "F4B6B6",
    Grade.MINOR_NC: "F9D5A7",
    Grade.OBSERVATION: "FFF2B3",
    Grade.OFI: "D6E6F7",
}
OVERDUE_FILL = "FF8080"


def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


# The register's columns and their widths, in one list so that they cannot drift apart
# The register's columns and their widths, in one list so that they cannot drift apart (headers in English,
# marked, read through `pgettext("column", ...)`)
FINDING_COLUMNS: list[tuple[str, float]] = [
    (NP_("column", "Finding"), 17), (NP_("column", "Grade"), 16), (NP_("column", "Source"), 12),
    (NP_("column", "Audit"), 15), (NP_("column", "Ref"), 8), (NP_("column", "Requirement"), 22),
    (NP_("column", "Statement"), 40), (NP_("column", "Evidence"), 34), (NP_("column", "Raised"), 17),
    (NP_("column", "Raised by"), 16), (NP_("column", "Auditee position"), 14),
    (NP_("column", "Auditee response"), 30), (NP_("column", "Responded by"), 14), (NP_("column", "Resolved"), 9),
    (NP_("column", "Correction due"), 12), (NP_("column", "Stage"), 16), (NP_("column", "Owners"), 18),
    (NP_("column", "Next due"), 12), (NP_("column", "Overdue"), 9), (NP_("column", "Correction"), 30),
    (NP_("column", "Containment"), 30), (NP_("column", "Root cause"), 30), (NP_("column", "Analysis"), 30),
    (NP_("column", "Similar NCs"), 26), (NP_("column", "Effectiveness reviews"), 36),
    (NP_("column", "Risks updated"), 24), (NP_("column", "QMS updated"), 24), (NP_("column", "Closed"), 17),
    (NP_("column", "Closed by"), 16),
]
ACTION_COLUMNS: list[tuple[str, float]] = [
    (NP_("column", "Finding"), 17), (NP_("column", "Action"), 8), (NP_("column", "Description"), 46),
    (NP_("column", "Owner"), 20), (NP_("column", "Due"), 12), (NP_("column", "Status"), 11),
    (NP_("column", "Done"), 17), (NP_("column", "Note"), 30), (NP_("column", "Overdue"), 9),
]


def column(name: str) -> str:
    return pgettext("column", name)


def finding_columns() -> list[str]:
    return [column(name) for name, _width in FINDING_COLUMNS]


def finding_widths() -> list[float]:
    return [width for _name, width in FINDING_COLUMNS]


def yes(flag: bool) -> str:
    return _("yes") if flag else ""


def finding_row(f: FindingRow, raw: Finding, *, source: str, audit_id: str) -> list:
    """A finding as a register row: the report's words, and its dates as dates from the record. The stage is the
    corrective-action stage's code in English (filtered on), a short word for it in the other languages."""
    capa = raw.capa
    stage = words(CAPA_STAGES, f.stage, "capa stage")
    return [f.id, f.grade, source, audit_id, f.ref, f.requirement, f.statement, f.evidence, raw.raised_at,
            raw.raised_by, position_words(f.position), f.response_text, f.response_by, yes(f.resolved),
            raw.response_due, stage, f.owners, capa_rules.next_due(raw), yes(f.overdue), f.correction,
            f.containment, f.root_cause, f.analysis, f.similar, "\n".join(f.verifications), f.risk_update,
            f.qms_update, capa.closed_at if capa else None,
            (capa.closed_by or "") if capa and capa.closed_at else ""]


def action_rows(f: FindingRow, raw: Finding) -> list[list]:
    """The CAPA actions of a finding, their due and done dates as dates."""
    recorded = {a.id: a for a in raw.capa.actions} if raw.capa else {}
    rows = []
    for a in f.actions:
        action = recorded.get(a.id)
        rows.append([f.id, a.id, a.description, a.owner, action.due if action else None, a.status,
                     action.done_at if action else None, a.note, yes(a.overdue)])
    return rows


def add_register_formatting(ws, rows: int, columns: int, grade_labels: dict[Grade, str] | None = None) -> None:
    """Colour each finding by grade; the whole row turns red while it is overdue."""
    if not rows:
        return
    last = get_column_letter(columns)
    names = [name for name, _width in FINDING_COLUMNS]
    overdue = get_column_letter(names.index("Overdue") + 1)
    grade = get_column_letter(names.index("Grade") + 1)
    area = f"A2:{last}{rows + 1}"
    ws.conditional_formatting.add(area, FormulaRule(formula=[f'${overdue}2="{_formula_text(yes(True))}"'],
                                                    fill=_fill(OVERDUE_FILL), font=Font(bold=True), stopIfTrue=True))
    for key, colour in GRADE_FILLS.items():
        label = _formula_text(grade_words(key, grade_labels))
        ws.conditional_formatting.add(f"{grade}2:{grade}{rows + 1}",
                                      FormulaRule(formula=[f'${grade}2="{label}"'], fill=_fill(colour)))


def _formula_text(text: str) -> str:
    return text.replace('"', '""')


def register_sheets(wb, rows: Sequence[tuple[FindingRow, Finding, str, str]], *, table_name: str,
                    grade_labels: dict[Grade, str] | None = None) -> None:
    """The NC register and its CAPA actions: (report row, record, source, audit id) per finding; `grade_labels`:
    the labels the rows' grades are written in, when a standard's translation gives its own."""
    register = [finding_row(f, raw, source=source, audit_id=audit_id) for f, raw, source, audit_id in rows]
    actions = [row for f, raw, _source, _audit in rows for row in action_rows(f, raw)]
    ws, count = table_sheet(wb, pgettext("sheet", "NC register"), finding_columns(), register,
                            widths=finding_widths(), table_name=table_name)
    add_register_formatting(ws, count, len(FINDING_COLUMNS), grade_labels)
    act, count = table_sheet(wb, pgettext("sheet", "CAPA actions"), [column(name) for name, _w in ACTION_COLUMNS],
                             actions, widths=[width for _name, width in ACTION_COLUMNS], table_name="Actions")
    if count:
        last = get_column_letter(len(ACTION_COLUMNS))
        act.conditional_formatting.add(f"A2:{last}{count + 1}",
                                       FormulaRule(formula=[f'${last}2="{_formula_text(yes(True))}"'],
                                                   fill=_fill(OVERDUE_FILL)))


def _score(shown: Shown) -> float | str:
    """A score cell: the number where it is shown, else "not scored (coverage N%)", which its chart draws as
    no bar (an empty cell would read as a missing value, not as too little evidence)."""
    return shown.score if shown.score is not None else shown_text(shown)


def build_workbook(data: ReportData, snapshot: AuditSnapshot, *, paper: str = "A4") -> bytes:
    """The workbook of one audit; `snapshot` is the audit's records, whose dates the sheets carry as dates."""
    wb = new_workbook(paper)
    _summary_sheet(wb, data)
    _checklist_sheet(wb, data, snapshot)
    _evidence_sheet(wb, data, snapshot)
    register_sheets(wb, [(f, snapshot.findings[f.id], _("internal audit"), data.record.id) for f in data.findings],
                    table_name="Findings", grade_labels=data.grade_labels)
    _not_covered_sheet(wb, data)
    return save(wb)


# The summary's columns: labels (and clause names), then six of figures; long texts span all seven
SUMMARY_WIDTHS = [34, 26, 12, 26, 12, 12, 13]
SHARES = (N_("Overall score"), N_("Coverage"))  # facts shown as percentages


def _summary_sheet(wb, data: ReportData) -> None:
    """Facts, the clause and PDCA tables, findings, the conclusions, then a chart of each table beneath."""
    ws = wb.create_sheet(pgettext("sheet", "Summary"))
    rows = SummaryRows(ws, SUMMARY_WIDTHS)
    for label, value in _summary_facts(data):
        rows.fact(_(label), value, number_format="0%" if label in SHARES else None)
    rows.blank()
    clause_header_row = rows.next
    rows.header((pgettext("column", "Clause"), pgettext("column", "Score"), pgettext("column", "Coverage"),
                 pgettext("column", "Band"), pgettext("column", "Maturity"), pgettext("column", "Assessed"),
                 pgettext("column", "Applicable")))
    capped = " " + _("(capped)")
    for c in data.clauses:
        rows.figures([f"{c.number} {c.title}", _score(c.shown), c.coverage, c.band + (capped if c.capped else ""),
                      None if c.maturity is None else round(c.maturity, 2), c.assessed, c.applicable],
                     percent=(1, 2))
    rows.blank()
    phase_header_row = rows.next
    ppepp = data.quality_cycle == "ppepp"
    rows.header((_("PDCA phase"), pgettext("column", "Score"), pgettext("column", "Coverage"),
                 pgettext("column", "Assessed"), pgettext("column", "Applicable"))
                + ((_("PPEPP step"),) if ppepp else ()))
    for p, s in data.score.pdca.items():
        rows.figures([phase_words(p), _score(s.shown), s.coverage, s.assessed, s.applicable]
                     + ([" + ".join(PPEPP_STEPS.get(p, ()))] if ppepp else []), percent=(1, 2))
    if ppepp:
        rows.paragraph(_("The institution runs the PPEPP cycle: Plan is Penetapan, Do is Pelaksanaan, Check is "
                         "Evaluasi, and Act is Pengendalian and Peningkatan together."))
    rows.blank()
    findings = data.score.findings
    rows.header((_("Findings"), pgettext("count", "Open"), _("Total")))
    for key, label in (("major_nc", NP_("short grade", "Major NC")), ("minor_nc", NP_("short grade", "Minor NC")),
                       ("observation", NP_("short grade", "Observation")), ("ofi", NP_("short grade", "OFI"))):
        rows.figures([pgettext("short grade", label), findings[key]["open"], findings[key]["total"]])
    rows.blank()
    rows.heading(_("Degree of fulfilment"))
    rows.paragraph(data.fulfilment)
    for line in data.conclusions:
        rows.paragraph(line)
    rows.new_page()
    # side by side, on a page of their own: the second starts where the first ends (columns A to C)
    _chart(ws, _("Score by clause"), pgettext("column", "Clause"), clause_header_row, len(data.clauses),
           f"A{rows.next}", width=13.5)
    _chart(ws, _("Score by PDCA phase"), _("PDCA phase"), phase_header_row, 4, f"D{rows.next}", width=12)


def _summary_facts(data: ReportData) -> list[tuple[str, object]]:
    """(the label in English, marked; the value)."""
    record, plan, std, score = data.record, data.record.plan, data.standard, data.score
    return [
        (NP_("field", "Audit"), record.id), (N_("Title"), record.title), (N_("Auditee"), plan.scope.auditee_unit),
        (N_("Criteria"), f"{std.title} {std.version}"), (N_("Status"), data.status), (N_("Report id"), data.report_id),
        (N_("Records as of"), data.as_of), (N_("Lead auditor"), plan.lead.name),
        (N_("Verdict"), data.verdict), (N_("Overall score"), _score(score.shown)), (N_("Coverage"), score.coverage),
        (N_("PDCA maturity (0-4)"), None if score.maturity.overall is None else round(score.maturity.overall, 2)),
    ]


def _checklist_sheet(wb, data: ReportData, snapshot: AuditSnapshot) -> None:
    checklist = []
    for c in data.clauses:
        for r in c.rows:
            result = snapshot.result(r.ref)
            checklist.append([r.ref, f"{c.number} {c.title}", r.title, r.question, words(FORCES, r.force, "force"),
                              r.pdca, r.rating, r.note, r.na_reason, result.rated_by or "", result.rated_at,
                              len(r.evidence), "\n".join(e.summary() for e in r.evidence), ", ".join(r.findings),
                              r.maturity])
    headers = [NP_("column", "Ref"), NP_("column", "Clause"), NP_("column", "Requirement"), NP_("column", "Question"),
               NP_("column", "Force"), "PDCA", NP_("column", "Rating"), NP_("column", "Note"),
               NP_("column", "N/A reason"), NP_("column", "Rated by"), NP_("column", "Rated on"),
               NP_("column", "Evidence"), NP_("column", "Evidence summary"), NP_("column", "Findings"),
               NP_("column", "Maturity")]
    table_sheet(wb, pgettext("sheet", "Checklist"), [column(h) for h in headers], checklist,
                widths=[9, 20, 24, 40, 8, 6, 22, 34, 24, 18, 17, 9, 48, 18, 9], table_name="Checklist")


def _evidence_sheet(wb, data: ReportData, snapshot: AuditSnapshot) -> None:
    collected = {(ref, recorded.id): recorded.collected_at for ref in {e.ref for e in data.evidence}
                 for recorded in snapshot.result(ref).evidence}
    headers = [NP_("column", "Ref"), NP_("column", "Evidence id"), "PDCA", NP_("column", "Kind"),
               NP_("column", "Evidence"), NP_("column", "Reference"), NP_("column", "File"), "SHA-256",
               NP_("column", "Sample"), NP_("column", "Collected by"), NP_("column", "Collected"),
               NP_("column", "Source")]
    table_sheet(wb, pgettext("sheet", "Evidence"), [column(h) for h in headers],
                [[e.ref, e.id, e.phase, words(EVIDENCE_KINDS, e.kind, "evidence kind"), e.text, e.reference, e.file,
                  e.sha256, e.sample, e.collected_by, collected.get((e.ref, e.id)),
                  words(EVIDENCE_SOURCES, e.source, "evidence source")] for e in data.evidence],
                widths=[9, 13, 6, 10, 50, 22, 20, 18, 12, 16, 17, 10], table_name="Evidence")


def _not_covered_sheet(wb, data: ReportData) -> None:
    table_sheet(wb, pgettext("sheet", "Not covered"), [pgettext("column", "Area"), pgettext("column", "Why")],
                data.not_covered, widths=[50, 70], table_name="NotCovered")


def _chart(ws, title: str, categories: str, header_row: int, count: int, anchor: str, *, width: float) -> None:
    """Horizontal bars of the scores in column B of a table, under the tables: axes named and drawn, the
    scores from 0% to 100%."""
    if not count:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    axes(chart, categories=categories, values=pgettext("column", "Score"), share=True)
    chart.legend = None
    chart.height = 10
    chart.width = width
    values = Reference(ws, min_col=2, min_row=header_row, max_row=header_row + count)
    labels = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + count)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(labels)
    ws.add_chart(chart, anchor)
