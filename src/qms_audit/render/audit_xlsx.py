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
from qms_audit.model.audit import Finding
from qms_audit.model.common import Phase
from qms_audit.render.sheets import SummaryRows, axes, new_workbook, save, table_sheet
from qms_audit.store.audits import AuditSnapshot
from qms_audit.views.report_content import FindingRow, ReportData

GRADE_FILLS = {
    "Major nonconformity": "F4B6B6",
    "Minor nonconformity": "F9D5A7",
    "Observation": "FFF2B3",
    "Opportunity for improvement": "D6E6F7",
}
OVERDUE_FILL = "FF8080"


def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


# The register's columns and their widths, in one list so that they cannot drift apart
FINDING_COLUMNS: list[tuple[str, float]] = [
    ("Finding", 17), ("Grade", 16), ("Source", 12), ("Audit", 15), ("Ref", 8), ("Requirement", 22),
    ("Statement", 40), ("Evidence", 34), ("Raised", 17), ("Raised by", 16), ("Auditee position", 14),
    ("Auditee response", 30), ("Responded by", 14), ("Resolved", 9), ("Correction due", 12), ("Stage", 16),
    ("Owners", 18), ("Next due", 12), ("Overdue", 9), ("Correction", 30), ("Containment", 30), ("Root cause", 30),
    ("Analysis", 30), ("Similar NCs", 26), ("Effectiveness reviews", 36), ("Risks updated", 24),
    ("QMS updated", 24), ("Closed", 17), ("Closed by", 16),
]
ACTION_COLUMNS: list[tuple[str, float]] = [
    ("Finding", 17), ("Action", 8), ("Description", 46), ("Owner", 20), ("Due", 12), ("Status", 11),
    ("Done", 17), ("Note", 30), ("Overdue", 9),
]


def finding_columns() -> list[str]:
    return [name for name, _ in FINDING_COLUMNS]


def finding_widths() -> list[float]:
    return [width for _, width in FINDING_COLUMNS]


def finding_row(f: FindingRow, raw: Finding, *, source: str, audit_id: str) -> list:
    """A finding as a register row: the report's words, and its dates as dates from the record."""
    capa = raw.capa
    return [f.id, f.grade, source, audit_id, f.ref, f.requirement, f.statement, f.evidence, raw.raised_at,
            raw.raised_by, f.position, f.response_text, f.response_by, "yes" if f.resolved else "", raw.response_due,
            f.stage, f.owners, capa_rules.next_due(raw), "yes" if f.overdue else "", f.correction, f.containment,
            f.root_cause, f.analysis, f.similar, "\n".join(f.verifications), f.risk_update, f.qms_update,
            capa.closed_at if capa else None, (capa.closed_by or "") if capa and capa.closed_at else ""]


def action_rows(f: FindingRow, raw: Finding) -> list[list]:
    """The CAPA actions of a finding, their due and done dates as dates."""
    recorded = {a.id: a for a in raw.capa.actions} if raw.capa else {}
    rows = []
    for a in f.actions:
        action = recorded.get(a.id)
        rows.append([f.id, a.id, a.description, a.owner, action.due if action else None, a.status,
                     action.done_at if action else None, a.note, "yes" if a.overdue else ""])
    return rows


def add_register_formatting(ws, rows: int, columns: int) -> None:
    """Colour each finding by grade; the whole row turns red while it is overdue."""
    if not rows:
        return
    last = get_column_letter(columns)
    names = finding_columns()
    overdue = get_column_letter(names.index("Overdue") + 1)
    grade = get_column_letter(names.index("Grade") + 1)
    area = f"A2:{last}{rows + 1}"
    ws.conditional_formatting.add(area, FormulaRule(formula=[f'${overdue}2="yes"'], fill=_fill(OVERDUE_FILL),
                                                    font=Font(bold=True), stopIfTrue=True))
    for label, colour in GRADE_FILLS.items():
        ws.conditional_formatting.add(f"{grade}2:{grade}{rows + 1}",
                                      FormulaRule(formula=[f'${grade}2="{label}"'], fill=_fill(colour)))


def register_sheets(wb, rows: Sequence[tuple[FindingRow, Finding, str, str]], *, table_name: str) -> None:
    """The NC register and its CAPA actions: (report row, record, source, audit id) per finding."""
    register = [finding_row(f, raw, source=source, audit_id=audit_id) for f, raw, source, audit_id in rows]
    actions = [row for f, raw, _, _ in rows for row in action_rows(f, raw)]
    ws, count = table_sheet(wb, "NC register", finding_columns(), register, widths=finding_widths(),
                            table_name=table_name)
    add_register_formatting(ws, count, len(FINDING_COLUMNS))
    act, count = table_sheet(wb, "CAPA actions", [name for name, _ in ACTION_COLUMNS], actions,
                             widths=[width for _, width in ACTION_COLUMNS], table_name="Actions")
    if count:
        last = get_column_letter(len(ACTION_COLUMNS))
        act.conditional_formatting.add(f"A2:{last}{count + 1}",
                                       FormulaRule(formula=[f'${last}2="yes"'], fill=_fill(OVERDUE_FILL)))


def _score(shown: Shown) -> float | str:
    """A score cell: the number where it is shown, else "not scored (coverage N%)", which its chart draws as
    no bar (an empty cell would read as a missing value, not as too little evidence)."""
    return shown.score if shown.score is not None else shown.text


def build_workbook(data: ReportData, snapshot: AuditSnapshot, *, paper: str = "A4") -> bytes:
    """The workbook of one audit; `snapshot` is the audit's records, whose dates the sheets carry as dates."""
    wb = new_workbook(paper)
    _summary_sheet(wb, data)
    _checklist_sheet(wb, data, snapshot)
    _evidence_sheet(wb, data, snapshot)
    register_sheets(wb, [(f, snapshot.findings[f.id], "internal audit", data.record.id) for f in data.findings],
                    table_name="Findings")
    _not_covered_sheet(wb, data)
    return save(wb)


# The summary's columns: labels (and clause names), then six of figures; long texts span all seven
SUMMARY_WIDTHS = [34, 26, 12, 26, 12, 12, 13]


def _summary_sheet(wb, data: ReportData) -> None:
    """Facts, the clause and PDCA tables, findings, the conclusions, then a chart of each table beneath."""
    ws = wb.create_sheet("Summary")
    rows = SummaryRows(ws, SUMMARY_WIDTHS)
    for label, value in _summary_facts(data):
        is_share = label in ("Overall score", "Coverage")
        rows.fact(label, value, number_format="0%" if is_share else None)
    rows.blank()
    clause_header_row = rows.next
    rows.header(("Clause", "Score", "Coverage", "Band", "Maturity", "Assessed", "Applicable"))
    for c in data.clauses:
        rows.figures([f"{c.number} {c.title}", _score(c.shown), c.coverage, c.band + (" (capped)" if c.capped else ""),
                      None if c.maturity is None else round(c.maturity, 2), c.assessed, c.applicable],
                     percent=(1, 2))
    rows.blank()
    phase_header_row = rows.next
    rows.header(("PDCA phase", "Score", "Coverage", "Assessed", "Applicable"))
    for p, s in data.score.pdca.items():
        rows.figures([Phase(p).label, _score(s.shown), s.coverage, s.assessed, s.applicable], percent=(1, 2))
    rows.blank()
    findings = data.score.findings
    rows.header(("Findings", "Open", "Total"))
    for key, label in (("major_nc", "Major NC"), ("minor_nc", "Minor NC"), ("observation", "Observation"),
                       ("ofi", "OFI")):
        rows.figures([label, findings[key]["open"], findings[key]["total"]])
    rows.blank()
    rows.heading("Degree of fulfilment")
    rows.paragraph(data.fulfilment)
    for line in data.conclusions:
        rows.paragraph(line)
    rows.new_page()
    # side by side, on a page of their own: the second starts where the first ends (columns A to C)
    _chart(ws, "Score by clause", "Clause", clause_header_row, len(data.clauses), f"A{rows.next}", width=13.5)
    _chart(ws, "Score by PDCA phase", "PDCA phase", phase_header_row, 4, f"D{rows.next}", width=12)


def _summary_facts(data: ReportData) -> list[tuple[str, object]]:
    record, plan, std, score = data.record, data.record.plan, data.standard, data.score
    return [
        ("Audit", record.id), ("Title", record.title), ("Auditee", plan.scope.auditee_unit),
        ("Criteria", f"{std.title} {std.version}"), ("Status", data.status), ("Report id", data.report_id),
        ("Records as of", data.as_of), ("Lead auditor", plan.lead.name),
        ("Verdict", score.verdict_label), ("Overall score", _score(score.shown)), ("Coverage", score.coverage),
        ("PDCA maturity (0-4)", None if score.maturity.overall is None else round(score.maturity.overall, 2)),
    ]


def _checklist_sheet(wb, data: ReportData, snapshot: AuditSnapshot) -> None:
    checklist = []
    for c in data.clauses:
        for r in c.rows:
            result = snapshot.result(r.ref)
            checklist.append([r.ref, f"{c.number} {c.title}", r.title, r.question, r.force, r.pdca, r.rating, r.note,
                              r.na_reason, result.rated_by or "", result.rated_at, len(r.evidence),
                              "\n".join(e.summary() for e in r.evidence), ", ".join(r.findings), r.maturity])
    table_sheet(wb, "Checklist", ["Ref", "Clause", "Requirement", "Question", "Force", "PDCA", "Rating", "Note",
                                  "N/A reason", "Rated by", "Rated on", "Evidence", "Evidence summary", "Findings",
                                  "Maturity"],
                checklist, widths=[9, 20, 24, 40, 8, 6, 22, 34, 24, 18, 17, 9, 48, 18, 9], table_name="Checklist")


def _evidence_sheet(wb, data: ReportData, snapshot: AuditSnapshot) -> None:
    collected = {(ref, recorded.id): recorded.collected_at for ref in {e.ref for e in data.evidence}
                 for recorded in snapshot.result(ref).evidence}
    table_sheet(wb, "Evidence", ["Ref", "Evidence id", "PDCA", "Kind", "Evidence", "Reference", "File", "SHA-256",
                                 "Sample", "Collected by", "Collected", "Source"],
                [[e.ref, e.id, e.phase, e.kind, e.text, e.reference, e.file, e.sha256, e.sample, e.collected_by,
                  collected.get((e.ref, e.id)), e.source] for e in data.evidence],
                widths=[9, 13, 6, 10, 50, 22, 20, 18, 12, 16, 17, 10], table_name="Evidence")


def _not_covered_sheet(wb, data: ReportData) -> None:
    table_sheet(wb, "Not covered", ["Area", "Why"], data.not_covered, widths=[50, 70], table_name="NotCovered")


def _chart(ws, title: str, categories: str, header_row: int, count: int, anchor: str, *, width: float) -> None:
    """Horizontal bars of the scores in column B of a table, under the tables: axes named and drawn, the
    scores from 0% to 100%."""
    if not count:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    axes(chart, categories=categories, values="Score", share=True)
    chart.legend = None
    chart.height = 10
    chart.width = width
    values = Reference(ws, min_col=2, min_row=header_row, max_row=header_row + count)
    labels = Reference(ws, min_col=1, min_row=header_row + 1, max_row=header_row + count)
    chart.add_data(values, titles_from_data=True)
    chart.set_categories(labels)
    ws.add_chart(chart, anchor)
