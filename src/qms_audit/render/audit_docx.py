"""The Word audit report (ISO 19011:2018 6.5.1): everything the auditors recorded, on the institution's
own template when it has one.

A draft while the audit is open (marked on every page), final once the audit is closed and sealed. The body
speaks to managers in plain words; the commands that check the report are in its last appendix."""

from __future__ import annotations

from pathlib import Path

from qms_audit.domain.presentation import GRADE_MARKS, date, pct
from qms_audit.model.common import Phase
from qms_audit.render.charts import bar_chart
from qms_audit.render.docxwriter import Cell, DocxWriter
from qms_audit.views.report_content import SAMPLING_STATEMENT, FindingRow, ReportData, RequirementRow

A4_TEXT_CM = 16.5

# Grades that stand out: a light fill (a light grey once printed in grey) and the grade in words, the major in
# capitals, so that neither colour nor print is needed to tell them apart.
GRADE_FILLS = {"major_nc": "F4A6A6", "minor_nc": "F8CBAD", "observation": "FFE699", "good_practice": "C6EFCE"}


def grade_cell(grade_key: str, text: str | None = None, detail: str = "") -> Cell | str:
    """A grade for a table: shaded and in bold words ("MAJOR NC") when it is a finding worth seeing at a glance;
    `detail` goes below it, in plain type."""
    mark = text or GRADE_MARKS.get(grade_key, "")
    body = mark + (f"\n\n{detail}" if detail else "")
    fill = GRADE_FILLS.get(grade_key)
    return Cell(body, fill, "b") if fill else body


def build_report(data: ReportData, *, template: Path | None = None, logo: Path | None = None,
                 paper: str = "A4") -> bytes:
    """The report as a .docx on `paper` (a template keeps its own page set-up); its contents' page numbers are
    PAGEREF fields (`render.build` fills them in)."""
    w = DocxWriter(template, paper=paper)
    _cover(w, data, logo)
    _document_control(w, data)
    w.contents_page(page_refs=True)
    _executive_summary(w, data)
    _the_audit(w, data)
    _results_by_clause(w, data)
    _findings(w, data)
    _diverging_opinions(w, data)
    _good_practices(w, data)
    _areas_not_covered(w, data)
    _corrective_action(w, data)
    _conclusions(w, data)
    letters = iter("ABCDEFG")
    _evidence_register(w, data, next(letters))
    if data.withdrawn:
        _withdrawn_findings(w, data, next(letters))
    _how_to_check(w, data, next(letters))
    _page_furniture(w, data)
    return w.save_bytes()


def _cover(w: DocxWriter, data: ReportData, logo: Path | None) -> None:
    if logo is not None:
        w.picture(logo.read_bytes(), 4.0)
    w.paragraph(data.institution, style="Subtitle")
    w.paragraph("Internal audit report", style="Title")
    w.paragraph(data.record.title, style="Subtitle")
    w.paragraph(f"Auditee: {data.record.plan.scope.auditee_unit}.  Criteria: {data.standard.title}, version "
                f"{data.standard.version}.")
    if data.standing.final:
        w.runs([(f"Final report, version {data.standing.version}: ", "b"),
                (f"issued when the audit was closed and sealed on {date(data.seal.at.date()) if data.seal else ''}.",
                 "")])
    else:
        w.runs([(f"DRAFT {data.standing.version}: ", "br"),
                (f"the audit is {data.status}; this report is final only once the audit is closed and sealed.", "")])
    w.paragraph("")


def _document_control(w: DocxWriter, data: ReportData) -> None:
    record, plan = data.record, data.record.plan
    w.heading("Document control", 2)
    w.table(["Item", "Value"], [
        ("Report id", data.report_id),
        ("Version", f"{data.standing.label} (final)" if data.standing.final else
         f"{data.standing.label} (a draft until the audit is closed and sealed)"),
        ("Date (records as of)", date(data.as_of)),
        ("Audit", f"{record.id} ({data.status})"),
        ("Audit client", plan.client or "not stated"),
        ("Distribution", "; ".join(plan.distribution) or "audit client and auditee"),
        ("Confidentiality", plan.confidentiality or "internal"),
        ("Integrity", _integrity(data)),
    ], widths=[5, 11.5], bold_first=True)
    w.heading("Approval", 2)
    w.table(["Step", "Name", "Date", "Signature"],
            [(s.step, s.name, s.date, s.signature) for s in data.approvals], widths=[2.6, 4.4, 2.2, 7.3],
            bold_first=True)
    w.page_break()


def _integrity(data: ReportData) -> str:
    """The seal the report was issued under, printed whole: whoever holds the report can check the audit
    record against it, so a record silently reopened or rewritten after the report is caught."""
    seal = data.seal
    if seal is None:
        return (f"Not sealed: the audit is open and its records may still change. This draft is built from "
                f"{data.log_entries} recorded changes (Appendix: How to check this report).")
    key = f" (signing key {seal.key_id})" if seal.key_id else " (unsigned)"
    # in groups of sixteen, so that a narrow column breaks the hash between groups rather than anywhere
    grouped = " ".join(seal.hash[i:i + 16] for i in range(0, 64, 16))
    return (f"Sealed on {date(seal.at)} by {seal.signer}{key}, log entry {seal.seq}. Seal SHA-256 {grouped}. "
            "The audit record can be checked against this seal (Appendix: How to check this report).")


def _executive_summary(w: DocxWriter, data: ReportData) -> None:
    score = data.score
    w.heading("1. Executive summary", 1)
    w.runs([("Verdict: ", "b"), (score.verdict_label, "b")])
    for reason in score.verdict_reasons:
        w.bullets([reason])
    w.paragraph(f"Overall score {score.shown.text} with {pct(score.coverage)} of "
                f"the applicable requirements in scope assessed. PDCA maturity "
                f"{'—' if score.maturity.overall is None else f'{score.maturity.overall:.1f}'} of 4.")
    w.table(["Findings", "Open", "Total"], [
        (grade_cell(key, label), score.findings[key]["open"], score.findings[key]["total"])
        for key, label in (("major_nc", "MAJOR NC: major nonconformities"),
                           ("minor_nc", "Minor NC: minor nonconformities"),
                           ("observation", "Observations"), ("ofi", "Opportunities for improvement"))
    ] + [(grade_cell("good_practice", "Good practices"), "", len(data.good_practices))], widths=[10, 3, 3.5])
    w.heading("Top risks", 2)
    if data.top_risks:
        w.bullets(data.top_risks)
    else:
        w.paragraph("No open nonconformity or observation.")
    for item in score.escalations:
        w.paragraph(f"Requirement {item['ref']} carries {item['minors']} minor nonconformities: consider treating "
                    "them as one major.", flags="i")


def _the_audit(w: DocxWriter, data: ReportData) -> None:
    w.heading("2. The audit", 1)
    _objectives_and_scope(w, data)
    _team_and_participants(w, data)
    _plan_and_timetable(w, data)
    _criteria_and_method(w, data)
    _obstacles(w, data)


def _objectives_and_scope(w: DocxWriter, data: ReportData) -> None:
    plan, scope = data.record.plan, data.scope
    w.heading("2.1 Objectives", 2)
    w.bullets(plan.objectives or ["not stated"])
    w.paragraph("Section 9.1 gives the conclusion on each objective.", flags="i")
    w.heading("2.2 Scope", 2)
    rows = [
        ("Auditee", f"{plan.scope.auditee_unit} ({plan.scope.unit_code})"),
        ("Processes", "; ".join(plan.scope.processes) or "all micro-credential processes of the auditee"),
        ("Clauses audited", ", ".join(_clause_names(data, scope.audited)) or "none"),
    ]
    if scope.deferred:
        rows.append(("Clauses left out", f"{', '.join(_clause_names(data, scope.deferred))}: "
                     f"{plan.scope.exclusions} The plan keeps them in scope, so their requirements count as not "
                     "assessed in the coverage figures."))
    else:
        rows.append(("Exclusions", plan.scope.exclusions or "none"))
    if plan.scope.clauses and scope.outside:
        rows.append(("Outside the scope", ", ".join(_clause_names(data, scope.outside))))
    w.table(["Item", "Value"], rows, widths=[5, 11.5], bold_first=True)


def _clause_names(data: ReportData, numbers: list[str]) -> list[str]:
    names = []
    for number in numbers:
        clause = data.standard.clause(number)
        names.append(f"{number} {clause.title}" if clause else number)
    return names


def _team_and_participants(w: DocxWriter, data: ReportData) -> None:
    record, plan = data.record, data.record.plan
    w.heading("2.3 Client, team and participants", 2)
    team = [(m.name, m.role, m.home_unit or "not stated") for m in plan.auditors()]
    w.paragraph(f"Audit client: {plan.client or 'not stated'}.")
    w.table(["Auditor", "Role", "Home unit"], team, widths=[6, 4, 6.5])
    for override in record.independence_overrides:
        w.paragraph(f"Independence: {override.auditor} audited their own unit; justification recorded by "
                    f"{override.by} on {date(override.at)}: {override.justification}", flags="i")
    w.table(["Auditee participant", "Position", "Unit"],
            [(p.name, p.position or "", p.unit or "") for p in plan.auditee_participants] or [("not recorded", "", "")],
            widths=[6, 5, 5.5])


def _plan_and_timetable(w: DocxWriter, data: ReportData) -> None:
    plan = data.record.plan
    w.heading("2.4 Audit plan and timetable", 2)
    w.paragraph(f"Planned from {date(plan.start_date, none='a date not stated')} to "
                f"{date(plan.end_date, none='a date not stated')}"
                + (f", at {'; '.join(plan.locations)}." if plan.locations else ".")
                + f" Led by {plan.lead.name}" + (f" with {', '.join(m.name for m in plan.team)}" if plan.team else "")
                + ". What was done, and when, as the audit's records show it:", keep_next=True)
    w.table(["When", "Activity", "Who"], [(t.when, t.activity, t.who) for t in data.timetable],
            widths=[3.2, 9.3, 4])


def _criteria_and_method(w: DocxWriter, data: ReportData) -> None:
    plan, std = data.record.plan, data.standard
    w.heading("2.5 Criteria", 2)
    pinned = (f"the text as planned, SHA-256 {plan.criteria.sha256[:16]}…, kept with the audit"
              if plan.criteria.sha256 else "")
    notes = [note for note in (std.source.citation if std.source else "", pinned) if note]
    w.bullets([f"{std.title}, version {std.version}" + (f" ({'; '.join(notes)})" if notes else ""),
               *plan.criteria.other])
    w.heading("2.6 Method and sampling", 2)
    w.paragraph(plan.method or "Document review, record sampling, interviews and observation.")
    w.paragraph(f"Sampling: {plan.sampling or 'as recorded with each evidence entry.'}")
    w.paragraph(SAMPLING_STATEMENT, flags="i")


def _obstacles(w: DocxWriter, data: ReportData) -> None:
    w.heading("2.7 Obstacles met", 2)
    if data.obstacles:
        w.paragraph("What the records show that may limit the conclusions:")
        w.bullets(data.obstacles)
        w.paragraph("No other obstacle was recorded.")
    else:
        w.paragraph("None recorded.")


def _results_by_clause(w: DocxWriter, data: ReportData) -> None:
    std, score = data.standard, data.score
    w.heading("3. Results by clause", 1)
    w.paragraph(f"A score (of a clause, a PDCA phase or the audit) is shown when at least "
                f"{pct(std.scoring.coverage_threshold)} of its applicable requirements are assessed; below that it "
                f"is not scored. An open major nonconformity caps its clause at "
                f"{pct(std.scoring.major_cap)}. Maturity (0-4) comes from the PDCA phases of the evidence.")
    # a clause or phase that is not scored gets no bar: its words say why instead of a percentage
    threshold, passing = std.scoring.pass_threshold, f"pass {pct(std.scoring.pass_threshold)}"
    w.picture(bar_chart([(f"{c.number} {c.title}", c.score, c.shown.short + (" (capped)" if c.capped else ""))
                         for c in data.clauses], title="Score by clause", threshold=threshold,
                        threshold_text=passing, text_width=130),
              A4_TEXT_CM,
              caption="Figure 1. Score by clause (no bar: not enough coverage to show a score, or not applicable)")
    w.picture(bar_chart([(f"{Phase(p).label}", s.score, f"{s.shown.short} ({s.assessed}/{s.applicable})")
                         for p, s in score.pdca.items()], title="PDCA profile", threshold=threshold,
                        threshold_text=passing, text_width=130),
              A4_TEXT_CM, caption="Figure 2. Score by PDCA phase (assessed of applicable requirements in brackets)")
    w.table(["Clause", "Score", "Coverage", "Band", "PDCA maturity", "Assessed"], [
        (f"{c.number} {c.title}", c.shown.text + (" (capped)" if c.capped else ""), pct(c.coverage), c.band,
         "—" if c.maturity is None else f"{c.maturity:.1f}", f"{c.assessed}/{c.applicable}") for c in data.clauses
    ], widths=[4.6, 2.2, 2.2, 3.5, 2.2, 1.8])
    for clause in data.clauses:
        # the clause's own number heads it: a section number such as 3.4 would read as clause 3.4
        w.heading(f"Clause {clause.number}: {clause.title}", 2)
        if clause.number in data.scope.deferred:
            w.paragraph(f"Left to a later visit: {data.record.plan.scope.exclusions}", flags="i")
        w.paragraph((f"Score {clause.shown.text}, coverage {pct(clause.coverage)}" if clause.shown.scored
                     else clause.shown.text.capitalize()) + f", {clause.band.lower()}"
                    + (", capped by an open major nonconformity" if clause.capped else "")
                    + (f", maturity {clause.maturity:.1f}" if clause.maturity is not None else "") + ".",
                    keep_next=True)
        w.table(["Ref", "Requirement", "Rating", "Evidence and notes"], [
            (r.ref, f"{r.title} ({_force_and_phase(r)})", _rating_cell(r), _evidence_cell(r)) for r in clause.rows
        ], widths=[1.6, 4.4, 2.8, 7.7])


def _force_and_phase(r: RequirementRow) -> str:
    force = {"must": "required", "should": "recommended"}.get(r.force, r.force)
    return ", ".join(filter(None, (force, Phase(r.pdca).label if r.pdca else "")))


def _rating_cell(r: RequirementRow) -> Cell | str:
    """The rating, the grades of findings marked ("MAJOR NC"), with who rated it below."""
    if r.grade in ("major_nc", "minor_nc"):
        return grade_cell(r.grade, detail=r.rated_by)
    if r.grade in GRADE_FILLS:
        return grade_cell(r.grade, r.rating, detail=r.rated_by)
    return r.rating + (f"\n\n{r.rated_by}" if r.rated_by else "")


def _findings(w: DocxWriter, data: ReportData) -> None:
    w.heading("4. Findings", 1)
    if not data.findings:
        w.paragraph("No nonconformity, observation or opportunity for improvement was raised.")
    for f in data.findings:
        w.heading(f"{f.id}: {f.grade}", 2)
        rows: list[tuple[str, object]] = [
            ("Grade", grade_cell(f.grade_key, f"{f.mark}" if f.is_nc else f.grade)),
            ("Requirement", f"{f.ref} {f.requirement}"),
            ("Finding", f.statement),
            ("Evidence", f.evidence or "—"),
            ("Raised", f.raised),
            ("Auditee response", f"{f.position}" + (f" by {f.response_by}" if f.response_by else "")
             + (f": {f.response_text}" if f.response_text else "")),
        ]
        if f.is_nc:
            rows += [("Correction due", f.response_due or "—"), ("Corrective action", f.stage_words)]
        w.table(["Item", "Detail"], rows, widths=[3.5, 13], bold_first=True, keep_together=True)


def _diverging_opinions(w: DocxWriter, data: ReportData) -> None:
    w.heading("5. Diverging opinions", 1)
    if data.disputes:
        w.table(["Finding", "Auditee's position", "By"],
                [(f"{f.id} ({f.grade}): {f.statement}", f.response_text, f.response_by) for f in data.disputes],
                widths=[7, 7, 2.5])
    else:
        w.paragraph("None unresolved.")


def _good_practices(w: DocxWriter, data: ReportData) -> None:
    w.heading("6. Good practices", 1)
    if data.good_practices:
        w.table(["Ref", "Requirement", "What is worth sharing"],
                [(g.ref, g.title, g.note) for g in data.good_practices], widths=[1.6, 5, 9.9])
    else:
        w.paragraph("None recorded.")


def _areas_not_covered(w: DocxWriter, data: ReportData) -> None:
    w.heading("7. Areas not covered", 1)
    if data.not_covered:
        w.table(["Area", "Why"], data.not_covered, widths=[7, 9.5])
    else:
        w.paragraph("Every requirement in scope was assessed.")


def _corrective_action(w: DocxWriter, data: ReportData) -> None:
    w.heading("8. Corrective action status", 1)
    ncs = [f for f in data.findings if f.is_nc]
    if not ncs:
        w.paragraph("No nonconformity requires corrective action.")
        return
    w.table(["NC", "Grade", "Where it stands", "Owners", "Next due", "Overdue"],
            [(f.id, grade_cell(f.grade_key), f.stage_words, f.owners, f.next_due, "yes" if f.overdue else "")
             for f in ncs], widths=[3.5, 2.8, 3.7, 3.0, 2.1, 1.5])
    for f in ncs:
        w.heading(f"{f.id} corrective action", 3)
        steps = _capa_steps(f)
        w.table(["Step", "Record"], steps, widths=[3.5, 13], bold_first=True, keep_together=len(steps) <= 16)


def _capa_steps(f: FindingRow) -> list[tuple[str, str]]:
    """One NC's corrective action, step by step, as the rows of its table."""
    rows = [("Correction", f.correction or "—"), ("Containment", f.containment or "—"),
            ("Root cause", f.root_cause_words or "—")]
    if f.analysis:
        rows.append(("Analysis", f.analysis))
    rows += [("Similar NCs", f.similar or "—")]
    rows += [(f"Action {a.id}", f"{a.description} — owner {a.owner}, due {a.due}, {a.status}"
              + (f" {a.done}" if a.done else "") + (f"; {a.note}" if a.note else "")
              + (", late" if a.overdue else "")) for a in f.actions]
    rows += [("Effectiveness", v) for v in f.verification_words] or [("Effectiveness", "not checked yet")]
    rows += [("Risks updated", f.risk_update or "—"), ("QMS updated", f.qms_update or "—"),
             ("Closed", f.closed or "open")]
    return rows


def _conclusions(w: DocxWriter, data: ReportData) -> None:
    w.heading("9. Conclusions", 1)
    w.heading("9.1 Conclusions on the audit objectives", 2)
    if data.objectives:
        w.table(["Objective", "Conclusion"], data.objectives, widths=[6, 10.5])
    else:
        w.paragraph("The plan states no objective.")
    w.heading("9.2 Overall conclusions", 2)
    w.bullets(data.conclusions)
    w.heading("9.3 Degree of fulfilment of the audit criteria", 2)
    w.paragraph(data.fulfilment)
    w.paragraph(SAMPLING_STATEMENT, flags="i")
    w.heading("9.4 What the results mean for the audit programme", 2)
    w.bullets(data.programme)


def _evidence_register(w: DocxWriter, data: ReportData, letter: str) -> None:
    if not data.evidence:
        w.heading(f"Appendix {letter}. Evidence register", 1)
        w.paragraph("No evidence recorded.")
        return
    w.landscape_begin()  # seven columns of which one holds long text: on landscape pages, with its heading
    w.heading(f"Appendix {letter}. Evidence register", 1)
    w.table(["Ref", "Id", "PDCA", "Kind", "Evidence", "Sample", "Collected"], [
        (e.ref, e.id, e.phase, e.kind,
         e.text + (f" [{e.reference}]" if e.reference else "") + (f"\n\nfile {e.file} sha256 {e.sha256}"
                                                                    if e.file else ""),
         e.sample, f"{e.collected_by}, {e.collected_at}" + (f" ({e.source})" if e.source != "auditor" else ""))
        for e in data.evidence], widths=[1.3, 2.1, 1.1, 1.9, 9.0, 1.4, 3.2])
    w.landscape_end()


def _withdrawn_findings(w: DocxWriter, data: ReportData, letter: str) -> None:
    w.heading(f"Appendix {letter}. Withdrawn findings", 1)
    w.table(["Finding", "Statement"], [(f"{f.id} ({f.grade})", f.statement) for f in data.withdrawn],
            widths=[4, 12.5])


def _how_to_check(w: DocxWriter, data: ReportData, letter: str) -> None:
    """The commands, kept out of the body: for the quality unit and anyone checking the report's integrity."""
    audit = data.record.id
    w.heading(f"Appendix {letter}. How to check this report", 1)
    w.paragraph("The audit's records are kept by the qms-audit tool, each change logged with who made it and when, "
                "in a chain of hashes. The lead auditor's approval and the seal that makes the report final are "
                "electronic signatures in that log. Anyone with the audit's records can check them with these "
                "commands:")
    w.table(["To check", "Command"], [
        ("That the audit record is whole and its signatures valid", f"qms-audit verify {audit}"),
        ("That a final report still describes the record (its seal is in the log and was not reopened)",
         f"qms-audit verify {audit} --report REPORT.docx"),
        ("Every recorded change, who made it and when", f"qms-audit audit log {audit}"),
        ("The scores, worked out again from the records", f"qms-audit score {audit} --json"),
        ("The lead auditor approves the report (once the audit is reported)", f"qms-audit audit approve {audit}"),
        ("The audit is closed and sealed, and the report becomes final", f"qms-audit audit close {audit}"),
        ("This report made again from the records (Word, Excel or PDF)",
         f"qms-audit report {audit} --format docx"),
    ], widths=[8.5, 8])


def _page_furniture(w: DocxWriter, data: ReportData) -> None:
    """Header and footer, fields refreshed on opening, and the document's properties."""
    record, std = data.record, data.standard
    if not data.standing.final:
        w.header_note(f"DRAFT {data.standing.version}: not final until the audit is closed and sealed")
    w.page_numbers(f"{data.report_id} {data.standing.label}")
    w.update_fields_on_open()
    w.properties(title=f"Internal audit report {record.title}", subject=f"{std.title} {std.version}",
                 author=record.plan.lead.name, when=data.as_of, keywords=f"{record.id}; {std.key}")
    w.doc.core_properties.content_status = "Final" if data.standing.final else "Draft"


def _evidence_cell(r: RequirementRow) -> str:
    parts = [e.summary() for e in r.evidence]
    if r.note:
        parts.append(f"Note: {r.note}")
    if r.na_reason:
        parts.append(f"Not applicable: {r.na_reason}")
    if r.findings:
        parts.append("Findings: " + ", ".join(r.findings))
    return "\n\n".join(parts) or "—"
