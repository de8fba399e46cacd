"""The Excel audit workbook: summary with native charts, the checklist, the evidence register, the
NC/CAPA register (a filterable table, coloured by grade and overdue state) and the CAPA actions."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill

from qms_audit.domain.means import Shown
from qms_audit.model.common import Phase
from qms_audit.render.sheets import new_workbook, safe_cell, save, table_sheet
from qms_audit.views.report_content import ReportData

GRADE_FILLS = {
    "Major nonconformity": "F4B6B6",
    "Minor nonconformity": "F9D5A7",
    "Observation": "FFF2B3",
    "Opportunity for improvement": "D6E6F7",
}
OVERDUE_FILL = "FF8080"


def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


def finding_columns():
    return ["Finding", "Grade", "Source", "Audit", "Ref", "Requirement", "Statement", "Evidence", "Raised",
            "Auditee position", "Auditee response", "Responded by", "Resolved", "Correction due", "Stage", "Owners",
            "Next due", "Overdue", "Correction", "Containment", "Root cause", "Analysis", "Similar NCs",
            "Effectiveness reviews", "Risks updated", "QMS updated", "Closed"]


FINDING_WIDTHS = [18, 22, 12, 16, 8, 26, 50, 40, 20, 14, 36, 16, 9, 12, 18, 22, 11, 9, 36, 36, 40, 30, 36, 44, 30,
                  30, 20]


def finding_row(f, *, source: str, audit_id: str) -> list:
    return [f.id, f.grade, source, audit_id, f.ref, f.requirement, f.statement, f.evidence, f.raised, f.position,
            f.response_text, f.response_by, "yes" if f.resolved else "", f.response_due, f.stage, f.owners, f.next_due,
            "yes" if f.overdue else "", f.correction, f.containment, f.root_cause, f.analysis, f.similar,
            "\n".join(f.verifications), f.risk_update, f.qms_update, f.closed]


def add_register_formatting(ws, rows: int, columns: int) -> None:
    """Colour each finding by grade; the whole row turns red while it is overdue."""
    if not rows:
        return
    from openpyxl.utils import get_column_letter

    last = get_column_letter(columns)
    area = f"A2:{last}{rows + 1}"
    ws.conditional_formatting.add(area, FormulaRule(formula=['$R2="yes"'], fill=_fill(OVERDUE_FILL),
                                                    font=Font(bold=True), stopIfTrue=True))
    for grade, colour in GRADE_FILLS.items():
        ws.conditional_formatting.add(f"B2:B{rows + 1}", FormulaRule(formula=[f'$B2="{grade}"'], fill=_fill(colour)))


def _score(shown: Shown) -> float | str:
    """A score cell: the number where it is shown, else "not scored (coverage N%)", which its chart draws as
    no bar (an empty cell would read as a missing value, not as too little evidence)."""
    return shown.score if shown.score is not None else shown.text


def build_workbook(data: ReportData) -> bytes:
    wb = new_workbook()
    _summary_sheet(wb, data)
    _checklist_sheet(wb, data)
    _evidence_sheet(wb, data)
    _register_sheet(wb, data)
    _actions_sheet(wb, data)
    _not_covered_sheet(wb, data)
    return save(wb)


def _summary_sheet(wb, data: ReportData) -> None:
    """Facts, the clause and PDCA tables with a chart of each, findings, and the conclusions."""
    ws = wb.create_sheet("Summary")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 16
    for col in "CDEFG":
        ws.column_dimensions[col].width = 14
    facts = _summary_facts(data)
    for label, value in facts:
        is_share = label in ("Overall score", "Coverage")
        ws.append([safe_cell(ws, label, bold=True), safe_cell(ws, value, number_format="0%" if is_share else None)])
    ws.append([])
    # the charts point at the rows their tables land on: the header row of each, counted from the top
    clause_header_row = len(facts) + 2
    _clause_table(ws, data)
    phase_header_row = clause_header_row + len(data.clauses) + 2
    _phase_table(ws, data)
    _findings_and_conclusions(ws, data)
    _chart(ws, "Score by clause", clause_header_row, len(data.clauses), "I2")
    _chart(ws, "Score by PDCA phase", phase_header_row, 4, "I25")


def _summary_facts(data: ReportData) -> list[tuple[str, object]]:
    record, plan, std, score = data.record, data.record.plan, data.standard, data.score
    return [
        ("Audit", record.id), ("Title", record.title), ("Auditee", plan.scope.auditee_unit),
        ("Criteria", f"{std.title} {std.version}"), ("Status", data.status), ("Report id", data.report_id),
        ("Records as of", data.as_of.isoformat()), ("Lead auditor", plan.lead.name),
        ("Verdict", score.verdict_label), ("Overall score", _score(score.shown)), ("Coverage", score.coverage),
        ("PDCA maturity (0-4)", None if score.maturity.overall is None else round(score.maturity.overall, 2)),
    ]


def _clause_table(ws, data: ReportData) -> None:
    ws.append([safe_cell(ws, h, bold=True) for h in ("Clause", "Score", "Coverage", "Band", "Maturity",
                                                      "Assessed", "Applicable")])
    for c in data.clauses:
        ws.append([safe_cell(ws, f"{c.number} {c.title}"), safe_cell(ws, _score(c.shown), number_format="0%"),
                   safe_cell(ws, c.coverage, number_format="0%"),
                   safe_cell(ws, c.band + (" (capped)" if c.capped else "")),
                   safe_cell(ws, None if c.maturity is None else round(c.maturity, 2)), c.assessed, c.applicable])
    ws.append([])


def _phase_table(ws, data: ReportData) -> None:
    ws.append([safe_cell(ws, h, bold=True) for h in ("PDCA phase", "Score", "Coverage", "Assessed", "Applicable")])
    for p, s in data.score.pdca.items():
        ws.append([safe_cell(ws, Phase(p).label), safe_cell(ws, _score(s.shown), number_format="0%"),
                   safe_cell(ws, s.coverage, number_format="0%"), s.assessed, s.applicable])
    ws.append([])


def _findings_and_conclusions(ws, data: ReportData) -> None:
    findings = data.score.findings
    ws.append([safe_cell(ws, h, bold=True) for h in ("Findings", "Open", "Total")])
    for key, label in (("major_nc", "Major NC"), ("minor_nc", "Minor NC"), ("observation", "Observation"),
                       ("ofi", "OFI")):
        ws.append([safe_cell(ws, label), findings[key]["open"], findings[key]["total"]])
    ws.append([])
    ws.append([safe_cell(ws, "Degree of fulfilment", bold=True)])
    ws.append([safe_cell(ws, data.fulfilment)])
    for line in data.conclusions:
        ws.append([safe_cell(ws, line)])


def _checklist_sheet(wb, data: ReportData) -> None:
    checklist = []
    for c in data.clauses:
        for r in c.rows:
            checklist.append([r.ref, f"{c.number} {c.title}", r.title, r.question, r.force, r.pdca, r.rating, r.note,
                              r.na_reason, r.rated_by, len(r.evidence), "\n".join(e.summary() for e in r.evidence),
                              ", ".join(r.findings), r.maturity])
    table_sheet(wb, "Checklist", ["Ref", "Clause", "Requirement", "Question", "Force", "PDCA", "Rating", "Note",
                                  "N/A reason", "Rated by", "Evidence", "Evidence summary", "Findings", "Maturity"],
                checklist, widths=[9, 24, 30, 50, 8, 6, 22, 40, 30, 24, 9, 60, 20, 9], table_name="Checklist",
                wrap_columns=(3, 7, 11))


def _evidence_sheet(wb, data: ReportData) -> None:
    table_sheet(wb, "Evidence", ["Ref", "Evidence id", "PDCA", "Kind", "Evidence", "Reference", "File", "SHA-256",
                                 "Sample", "Collected by", "Collected", "Source"],
                [[e.ref, e.id, e.phase, e.kind, e.text, e.reference, e.file, e.sha256, e.sample, e.collected_by,
                  e.collected_at, e.source] for e in data.evidence],
                widths=[9, 13, 6, 12, 60, 24, 24, 20, 14, 18, 17, 10], table_name="Evidence", wrap_columns=(4,))


def _register_sheet(wb, data: ReportData) -> None:
    """The NC/CAPA register of the audit's findings."""
    headers = finding_columns()
    reg, count = table_sheet(wb, "NC register", headers,
                             [finding_row(f, source="internal audit", audit_id=data.record.id) for f in data.findings],
                             widths=FINDING_WIDTHS, table_name="Findings", wrap_columns=(6, 7, 10))
    add_register_formatting(reg, count, len(headers))


def _actions_sheet(wb, data: ReportData) -> None:
    """Every CAPA action of the audit's findings; an overdue one is coloured."""
    actions = [[f.id, a.id, a.description, a.owner, a.due, a.status, a.done, a.note, "yes" if a.overdue else ""]
               for f in data.findings for a in f.actions]
    act, count = table_sheet(wb, "CAPA actions", ["Finding", "Action", "Description", "Owner", "Due", "Status",
                                                  "Done", "Note", "Overdue"], actions,
                             widths=[18, 8, 50, 20, 12, 11, 17, 30, 9], table_name="Actions", wrap_columns=(2,))
    if count:
        act.conditional_formatting.add(f"A2:I{count + 1}", FormulaRule(formula=['$I2="yes"'], fill=_fill(OVERDUE_FILL)))


def _not_covered_sheet(wb, data: ReportData) -> None:
    table_sheet(wb, "Not covered", ["Area", "Why"], data.not_covered, widths=[50, 80], table_name="NotCovered")


def _chart(ws, title: str, header_row: int, count: int, anchor: str) -> None:
    if not count:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.number_format = "0%"
    chart.legend = None
    chart.height = 8 if count <= 4 else 10
    chart.width = 16
    values = Reference(ws, min_col=2, min_row=header_row, max_row=header_row + count)
    labels = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + count)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(labels)
    ws.add_chart(chart, anchor)
