"""The Word audit report (ISO 19011:2018 6.5.1): everything the auditors recorded, on the institution's
own template when it has one.

A draft while the audit is open (marked on every page), final once the audit is closed and sealed. The body
speaks to managers in plain words; the commands that check the report are in its last appendix."""

from __future__ import annotations

from pathlib import Path

from qms_audit.domain.presentation import GRADE_MARKS, date, pct
from qms_audit.infra.i18n import N_, _, pgettext
from qms_audit.render.charts import bar_chart
from qms_audit.render.docxwriter import Cell, DocxWriter
from qms_audit.views.report_content import (
    EVIDENCE_KINDS,
    EVIDENCE_SOURCES,
    FORCE_WORDS,
    PPEPP_STEPS,
    PPEPP_WORDS,
    SAMPLING_STATEMENT,
    TEAM_ROLES,
    FindingRow,
    ReportData,
    RequirementRow,
    decimal,
    phase_words,
    position_words,
    shown_short,
    shown_text,
    words,
)

A4_TEXT_CM = 16.5

# Grades that stand out: a light fill (a light grey once printed in grey) and the grade in words, the major in
# capitals, so that neither colour nor print is needed to tell them apart.
GRADE_FILLS = {"major_nc": "F4A6A6", "minor_nc": "F8CBAD", "observation": "FFE699", "good_practice": "C6EFCE"}


def grade_cell(grade_key: str, text: str | None = None, detail: str = "") -> Cell | str:
    """A grade for a table: shaded and in bold words ("MAJOR NC") when it is a finding worth seeing at a glance;
    `detail` goes below it, in plain type."""
    mark = text or (_(GRADE_MARKS[grade_key]) if grade_key in GRADE_MARKS else "")
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
    letters = iter("ABCDEFG")  # appendix letters stay A, B, C in every language
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
    w.paragraph(_("Internal audit report"), style="Title")
    w.paragraph(data.record.title, style="Subtitle")
    w.paragraph(_("Auditee: {auditee}.  Criteria: {standard}, version {version}.").format(
        auditee=data.record.plan.scope.auditee_unit, standard=data.standard.title, version=data.standard.version))
    if data.standing.final:
        w.runs([(_("Final report, version {version}: ").format(version=data.standing.version), "b"),
                (_("issued when the audit was closed and sealed on {date}.").format(
                    date=date(data.seal.at.date()) if data.seal else ""), "")])
    else:
        w.runs([(_("DRAFT {version}: ").format(version=data.standing.version), "br"),
                (_("the audit is {status}; this report is final only once the audit is closed and sealed.").format(
                    status=data.status), "")])
    w.paragraph("")


def _document_control(w: DocxWriter, data: ReportData) -> None:
    record, plan = data.record, data.record.plan
    w.heading(_("Document control"), 2)
    w.table([_("Item"), _("Value")], [
        (_("Report id"), data.report_id),
        (_("Version"), _("{label} (final)").format(label=data.standing.label) if data.standing.final else
         _("{label} (a draft until the audit is closed and sealed)").format(label=data.standing.label)),
        (_("Date (records as of)"), date(data.as_of)),
        (pgettext("field", "Audit"), f"{record.id} ({data.status})"),
        (_("Audit client"), plan.client or _("not stated")),
        (_("Distribution"), "; ".join(plan.distribution) or _("audit client and auditee")),
        (_("Confidentiality"), plan.confidentiality or _("internal")),
        (_("Integrity"), _integrity(data)),
    ], widths=[5, 11.5], bold_first=True)
    w.heading(_("Approval"), 2)
    w.table([pgettext("approval", "Step"), _("Name"), pgettext("column", "Date"), _("Signature")],
            [(s.step, s.name, s.date, s.signature) for s in data.approvals], widths=[2.6, 4.4, 2.2, 7.3],
            bold_first=True)
    w.page_break()


def _integrity(data: ReportData) -> str:
    """The seal the report was issued under, printed whole: whoever holds the report can check the audit
    record against it, so a record silently reopened or rewritten after the report is caught."""
    seal = data.seal
    if seal is None:
        return _("Not sealed: the audit is open and its records may still change. This draft is built from "
                 "{n} recorded changes (Appendix: How to check this report).").format(n=data.log_entries)
    key = (_("signing key {key}").format(key=seal.key_id) if seal.key_id else _("unsigned"))
    # in groups of sixteen, so that a narrow column breaks the hash between groups rather than anywhere
    grouped = " ".join(seal.hash[i:i + 16] for i in range(0, 64, 16))
    return _("Sealed on {date} by {name} ({key}), log entry {seq}. Seal SHA-256 {hash}. The audit record can be "
             "checked against this seal (Appendix: How to check this report).").format(
        date=date(seal.at), name=seal.signer, key=key, seq=seal.seq, hash=grouped)


def _executive_summary(w: DocxWriter, data: ReportData) -> None:
    score = data.score
    w.heading(_("1. Executive summary"), 1)
    w.runs([(_("Verdict: "), "b"), (data.verdict, "b")])
    for reason in data.verdict_reasons:
        w.bullets([reason])
    w.paragraph(_("Overall score {score} with {coverage} of the applicable requirements in scope assessed. PDCA "
                  "maturity {maturity} of 4.").format(score=shown_text(score.shown), coverage=pct(score.coverage),
                                                      maturity=decimal(score.maturity.overall)))
    w.table([_("Findings"), pgettext("count", "Open"), _("Total")], [
        (grade_cell(key, _(label)), score.findings[key]["open"], score.findings[key]["total"])
        for key, label in (("major_nc", N_("MAJOR NC: major nonconformities")),
                           ("minor_nc", N_("Minor NC: minor nonconformities")),
                           ("observation", N_("Observations")), ("ofi", N_("Opportunities for improvement")))
    ] + [(grade_cell("good_practice", _("Good practices")), "", len(data.good_practices))], widths=[10, 3, 3.5])
    w.heading(_("Top risks"), 2)
    if data.top_risks:
        w.bullets(data.top_risks)
    else:
        w.paragraph(_("No open nonconformity or observation."))
    for item in score.escalations:
        w.paragraph(_("Requirement {ref} carries {n} minor nonconformities: consider treating them as one "
                      "major.").format(ref=item["ref"], n=item["minors"]), flags="i")


def _the_audit(w: DocxWriter, data: ReportData) -> None:
    w.heading(_("2. The audit"), 1)
    _objectives_and_scope(w, data)
    _team_and_participants(w, data)
    _plan_and_timetable(w, data)
    _criteria_and_method(w, data)
    _obstacles(w, data)


def _objectives_and_scope(w: DocxWriter, data: ReportData) -> None:
    plan, scope = data.record.plan, data.scope
    w.heading(_("2.1 Objectives"), 2)
    w.bullets(plan.objectives or [_("not stated")])
    w.paragraph(_("Section 9.1 gives the conclusion on each objective."), flags="i")
    w.heading(_("2.2 Scope"), 2)
    rows = [
        (_("Auditee"), f"{plan.scope.auditee_unit} ({plan.scope.unit_code})"),
        (_("Processes"), "; ".join(plan.scope.processes) or _("all micro-credential processes of the auditee")),
        (_("Clauses audited"), ", ".join(_clause_names(data, scope.audited)) or _("none")),
    ]
    if scope.deferred:
        rows.append((_("Clauses left out"), _("{clauses}: {exclusions} The plan keeps them in scope, so their "
                                              "requirements count as not assessed in the coverage figures.").format(
            clauses=", ".join(_clause_names(data, scope.deferred)), exclusions=plan.scope.exclusions)))
    else:
        rows.append((_("Exclusions"), plan.scope.exclusions or _("none")))
    if plan.scope.clauses and scope.outside:
        rows.append((_("Outside the scope"), ", ".join(_clause_names(data, scope.outside))))
    w.table([_("Item"), _("Value")], rows, widths=[5, 11.5], bold_first=True)


def _clause_names(data: ReportData, numbers: list[str]) -> list[str]:
    names = []
    for number in numbers:
        clause = data.standard.clause(number)
        names.append(f"{number} {clause.title}" if clause else number)
    return names


def _team_and_participants(w: DocxWriter, data: ReportData) -> None:
    record, plan = data.record, data.record.plan
    w.heading(_("2.3 Client, team and participants"), 2)
    team = [(m.name, words(TEAM_ROLES, m.role, "team role"), m.home_unit or _("not stated")) for m in plan.auditors()]
    w.paragraph(_("Audit client: {client}.").format(client=plan.client or _("not stated")))
    w.table([pgettext("column", "Auditor"), _("Role"), _("Home unit")], team, widths=[6, 4, 6.5])
    for override in record.independence_overrides:
        w.paragraph(_("Independence: {auditor} audited their own unit; justification recorded by {name} on {date}: "
                      "{justification}").format(auditor=override.auditor, name=override.by, date=date(override.at),
                                                justification=override.justification), flags="i")
    w.table([_("Auditee participant"), _("Position"), _("Unit")],
            [(p.name, p.position or "", p.unit or "") for p in plan.auditee_participants]
            or [(_("not recorded"), "", "")], widths=[6, 5, 5.5])


def _plan_and_timetable(w: DocxWriter, data: ReportData) -> None:
    plan = data.record.plan
    w.heading(_("2.4 Audit plan and timetable"), 2)
    unstated = _("a date not stated")
    start, end = date(plan.start_date, none=unstated), date(plan.end_date, none=unstated)
    planned = (_("Planned from {start} to {end}, at {locations}.").format(
        start=start, end=end, locations="; ".join(plan.locations)) if plan.locations
        else _("Planned from {start} to {end}.").format(start=start, end=end))
    led = (_("Led by {lead} with {team}.").format(lead=plan.lead.name, team=", ".join(m.name for m in plan.team))
           if plan.team else _("Led by {lead}.").format(lead=plan.lead.name))
    w.paragraph(planned + " " + led + " " + _("What was done, and when, as the audit's records show it:"),
                keep_next=True)
    w.table([_("When"), _("Activity"), _("Who")], [(t.when, t.activity, t.who) for t in data.timetable],
            widths=[3.2, 9.3, 4])


def _criteria_and_method(w: DocxWriter, data: ReportData) -> None:
    plan, std = data.record.plan, data.standard
    w.heading(_("2.5 Criteria"), 2)
    pinned = (_("the text as planned, SHA-256 {hash}…, kept with the audit").format(hash=plan.criteria.sha256[:16])
              if plan.criteria.sha256 else "")
    notes = [note for note in (std.source.citation if std.source else "", pinned) if note]
    w.bullets([_("{standard}, version {version}").format(standard=std.title, version=std.version)
               + (f" ({'; '.join(notes)})" if notes else ""), *plan.criteria.other])
    w.heading(_("2.6 Method and sampling"), 2)
    w.paragraph(plan.method or _("Document review, record sampling, interviews and observation."))
    w.paragraph(_("Sampling: {sampling}").format(sampling=plan.sampling or _("as recorded with each evidence entry.")))
    w.paragraph(_(SAMPLING_STATEMENT), flags="i")


def _obstacles(w: DocxWriter, data: ReportData) -> None:
    w.heading(_("2.7 Obstacles met"), 2)
    if data.obstacles:
        w.paragraph(_("What the records show that may limit the conclusions:"))
        w.bullets(data.obstacles)
        w.paragraph(_("No other obstacle was recorded."))
    else:
        w.paragraph(_("None recorded."))


def _results_by_clause(w: DocxWriter, data: ReportData) -> None:
    std, score = data.standard, data.score
    w.heading(_("3. Results by clause"), 1)
    w.paragraph(_("A score (of a clause, a PDCA phase or the audit) is shown when at least {threshold} of its "
                  "applicable requirements are assessed; below that it is not scored. An open major nonconformity "
                  "caps its clause at {cap}. Maturity (0-4) comes from the PDCA phases of the evidence.").format(
        threshold=pct(std.scoring.coverage_threshold), cap=pct(std.scoring.major_cap)))
    # a clause or phase that is not scored gets no bar: its words say why instead of a percentage
    threshold = std.scoring.pass_threshold
    passing = _("pass {threshold}").format(threshold=pct(threshold))
    capped = " " + _("(capped)")
    w.picture(bar_chart([(f"{c.number} {c.title}", c.score, shown_short(c.shown) + (capped if c.capped else ""))
                         for c in data.clauses], title=_("Score by clause"), threshold=threshold,
                        threshold_text=passing, text_width=130),
              A4_TEXT_CM,
              caption=_("Figure 1. Score by clause (no bar: not enough coverage to show a score, or not "
                        "applicable)"))
    ppepp = data.quality_cycle == "ppepp"
    w.picture(bar_chart([(_phase_label(p, ppepp), s.score, f"{shown_short(s.shown)} ({s.assessed}/{s.applicable})")
                         for p, s in score.pdca.items()], title=_("PDCA profile"), threshold=threshold,
                        threshold_text=passing, text_width=130, label_width=380 if ppepp else 300),
              A4_TEXT_CM, caption=_("Figure 2. Score by PDCA phase (assessed of applicable requirements in "
                                    "brackets)"))
    if ppepp:
        _ppepp_beside_pdca(w, data)
    w.table([_("Clause"), _("Score"), _("Coverage"), _("Band"), _("PDCA maturity"), _("Assessed")], [
        (f"{c.number} {c.title}", shown_text(c.shown) + (capped if c.capped else ""), pct(c.coverage), c.band,
         decimal(c.maturity), f"{c.assessed}/{c.applicable}") for c in data.clauses
    ], widths=[4.6, 2.2, 2.2, 3.5, 2.2, 1.8])
    for clause in data.clauses:
        # the clause's own number heads it: a section number such as 3.4 would read as clause 3.4
        w.heading(_("Clause {number}: {title}").format(number=clause.number, title=clause.title), 2)
        if clause.number in data.scope.deferred:
            w.paragraph(_("Left to a later visit: {exclusions}").format(exclusions=data.record.plan.scope.exclusions),
                        flags="i")
        text = (_("Score {score}, coverage {coverage}").format(score=shown_text(clause.shown),
                                                                coverage=pct(clause.coverage))
                if clause.shown.scored else _capitalised(shown_text(clause.shown)))
        text += f", {clause.band.lower()}"
        if clause.capped:
            text += _(", capped by an open major nonconformity")
        if clause.maturity is not None:
            text += _(", maturity {value}").format(value=decimal(clause.maturity))
        w.paragraph(text + ".", keep_next=True)
        w.table([_("Ref"), _("Requirement"), _("Rating"), _("Evidence and notes")], [
            (r.ref, f"{r.title} ({_force_and_phase(r)})", _rating_cell(r), _evidence_cell(r)) for r in clause.rows
        ], widths=[1.6, 4.4, 2.8, 7.7])


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _phase_label(phase: str, ppepp: bool) -> str:
    """A PDCA phase, with its PPEPP step(s) beside it for an institution that runs the PPEPP cycle."""
    if not ppepp:
        return phase_words(phase)
    return _("{phase} / {steps}").format(phase=phase_words(phase), steps=" + ".join(PPEPP_STEPS[phase]))


def _ppepp_beside_pdca(w: DocxWriter, data: ReportData) -> None:
    """The institution runs the PPEPP cycle of its internal quality assurance system (SPMI): the scores by PDCA
    phase are read against its five steps, the mapping stated."""
    w.paragraph(_("The institution runs the PPEPP cycle (Penetapan, Pelaksanaan, Evaluasi, Pengendalian, "
                  "Peningkatan) of its internal quality assurance system. Its steps stand beside the PDCA phases "
                  "as follows: Plan is Penetapan, Do is Pelaksanaan, Check is Evaluasi, and Act is Pengendalian "
                  "and Peningkatan together. This audit is the Evaluasi step; its findings go to Pengendalian."),
                keep_next=True)
    rows = []
    for phase, s in data.score.pdca.items():
        steps = "\n".join(_(PPEPP_WORDS[step]) for step in PPEPP_STEPS.get(phase, ()))
        rows.append((phase_words(phase), steps, f"{shown_text(s.shown)} ({s.assessed}/{s.applicable})"))
    w.table([_("PDCA phase"), _("PPEPP step"), _("Score")], rows, widths=[3, 9.5, 4])


def _force_and_phase(r: RequirementRow) -> str:
    force = _(FORCE_WORDS[r.force]) if r.force in FORCE_WORDS else r.force
    return ", ".join(filter(None, (force, phase_words(r.pdca) if r.pdca else "")))


def _rating_cell(r: RequirementRow) -> Cell | str:
    """The rating, the grades of findings marked ("MAJOR NC"), with who rated it below."""
    if r.grade in ("major_nc", "minor_nc"):
        return grade_cell(r.grade, detail=r.rated_by)
    if r.grade in GRADE_FILLS:
        return grade_cell(r.grade, r.rating, detail=r.rated_by)
    return r.rating + (f"\n\n{r.rated_by}" if r.rated_by else "")


def _findings(w: DocxWriter, data: ReportData) -> None:
    w.heading(_("4. Findings"), 1)
    if not data.findings:
        w.paragraph(_("No nonconformity, observation or opportunity for improvement was raised."))
    for f in data.findings:
        w.heading(f"{f.id}: {f.grade}", 2)
        response = position_words(f.position)
        if f.response_by:
            response = _("{position} by {name}").format(position=response, name=f.response_by)
        rows: list[tuple[str, object]] = [
            (_("Grade"), grade_cell(f.grade_key, f"{f.mark}" if f.is_nc else f.grade)),
            (_("Requirement"), f"{f.ref} {f.requirement}"),
            (pgettext("field", "Finding"), f.statement),
            (_("Evidence"), f.evidence or "—"),
            (_("Raised"), f.raised),
            (_("Auditee response"), response + (f": {f.response_text}" if f.response_text else "")),
        ]
        if f.is_nc:
            rows += [(_("Correction due"), f.response_due or "—"), (_("Corrective action"), f.stage_words)]
        w.table([_("Item"), _("Detail")], rows, widths=[3.5, 13], bold_first=True, keep_together=True)


def _diverging_opinions(w: DocxWriter, data: ReportData) -> None:
    w.heading(_("5. Diverging opinions"), 1)
    if data.disputes:
        w.table([pgettext("field", "Finding"), _("Auditee's position"), _("By")],
                [(f"{f.id} ({f.grade}): {f.statement}", f.response_text, f.response_by) for f in data.disputes],
                widths=[7, 7, 2.5])
    else:
        w.paragraph(_("None unresolved."))


def _good_practices(w: DocxWriter, data: ReportData) -> None:
    w.heading(_("6. Good practices"), 1)
    if data.good_practices:
        w.table([_("Ref"), _("Requirement"), _("What is worth sharing")],
                [(g.ref, g.title, g.note) for g in data.good_practices], widths=[1.6, 5, 9.9])
    else:
        w.paragraph(_("None recorded."))


def _areas_not_covered(w: DocxWriter, data: ReportData) -> None:
    w.heading(_("7. Areas not covered"), 1)
    if data.not_covered:
        w.table([_("Area"), _("Why")], data.not_covered, widths=[7, 9.5])
    else:
        w.paragraph(_("Every requirement in scope was assessed."))


def _corrective_action(w: DocxWriter, data: ReportData) -> None:
    w.heading(_("8. Corrective action status"), 1)
    ncs = [f for f in data.findings if f.is_nc]
    if not ncs:
        w.paragraph(_("No nonconformity requires corrective action."))
        return
    w.table([_("NC"), _("Grade"), _("Where it stands"), _("Owners"), _("Next due"), _("Overdue")],
            [(f.id, grade_cell(f.grade_key), f.stage_words, f.owners, f.next_due, _("yes") if f.overdue else "")
             for f in ncs], widths=[3.2, 3.4, 3.4, 2.8, 2.2, 1.5])  # room for a grade in capitals: KETAKAKURAN
    for f in ncs:
        w.heading(_("{finding} corrective action").format(finding=f.id), 3)
        steps = _capa_steps(f)
        w.table([pgettext("approval", "Step"), _("Record")], steps, widths=[3.5, 13], bold_first=True,
                keep_together=len(steps) <= 16)


def _capa_steps(f: FindingRow) -> list[tuple[str, str]]:
    """One NC's corrective action, step by step, as the rows of its table."""
    rows = [(_("Correction"), f.correction or "—"), (_("Containment"), f.containment or "—"),
            (_("Root cause"), f.root_cause_words or "—")]
    if f.analysis:
        rows.append((_("Analysis"), f.analysis))
    rows += [(_("Similar NCs"), f.similar or "—")]
    for a in f.actions:
        line = _("{description} — owner {owner}, due {due}, {status}").format(
            description=a.description, owner=a.owner, due=a.due, status=a.status)
        line += (f" {a.done}" if a.done else "") + (f"; {a.note}" if a.note else "")
        line += _(", late") if a.overdue else ""
        rows.append((_("Action {action}").format(action=a.id), line))
    rows += [(_("Effectiveness"), v) for v in f.verification_words] or [(_("Effectiveness"), _("not checked yet"))]
    rows += [(_("Risks updated"), f.risk_update or "—"), (_("QMS updated"), f.qms_update or "—"),
             (_("Closed"), f.closed or pgettext("capa", "open"))]
    return rows


def _conclusions(w: DocxWriter, data: ReportData) -> None:
    w.heading(_("9. Conclusions"), 1)
    w.heading(_("9.1 Conclusions on the audit objectives"), 2)
    if data.objectives:
        w.table([_("Objective"), _("Conclusion")], data.objectives, widths=[6, 10.5])
    else:
        w.paragraph(_("The plan states no objective."))
    w.heading(_("9.2 Overall conclusions"), 2)
    w.bullets(data.conclusions)
    w.heading(_("9.3 Degree of fulfilment of the audit criteria"), 2)
    w.paragraph(data.fulfilment)
    w.paragraph(_(SAMPLING_STATEMENT), flags="i")
    w.heading(_("9.4 What the results mean for the audit programme"), 2)
    w.bullets(data.programme)


def _appendix(letter: str, title: str) -> str:
    return _("Appendix {letter}. {title}").format(letter=letter, title=title)


def _evidence_register(w: DocxWriter, data: ReportData, letter: str) -> None:
    title = _appendix(letter, _("Evidence register"))
    if not data.evidence:
        w.heading(title, 1)
        w.paragraph(_("No evidence recorded."))
        return
    w.landscape_begin()  # seven columns of which one holds long text: on landscape pages, with its heading
    w.heading(title, 1)
    rows = []
    for e in data.evidence:
        text = e.text + (f" [{e.reference}]" if e.reference else "")
        if e.file:
            text += "\n\n" + _("file {file} sha256 {sha256}").format(file=e.file, sha256=e.sha256)
        collected = f"{e.collected_by}, {e.collected_at}"
        if e.source != "auditor":
            collected += f" ({words(EVIDENCE_SOURCES, e.source, 'evidence source')})"
        rows.append((e.ref, e.id, e.phase, words(EVIDENCE_KINDS, e.kind, "evidence kind"), text, e.sample, collected))
    w.table([_("Ref"), _("Id"), "PDCA", _("Kind"), _("Evidence"), _("Sample"), _("Collected")], rows,
            widths=[1.3, 2.1, 1.1, 1.9, 9.0, 1.4, 3.2])
    w.landscape_end()


def _withdrawn_findings(w: DocxWriter, data: ReportData, letter: str) -> None:
    w.heading(_appendix(letter, _("Withdrawn findings")), 1)
    w.table([pgettext("field", "Finding"), _("Statement")], [(f"{f.id} ({f.grade})", f.statement)
                                                             for f in data.withdrawn], widths=[4, 12.5])


def _how_to_check(w: DocxWriter, data: ReportData, letter: str) -> None:
    """The commands, kept out of the body: for the quality unit and anyone checking the report's integrity."""
    audit = data.record.id
    w.heading(_appendix(letter, _("How to check this report")), 1)
    w.paragraph(_("The audit's records are kept by the qms-audit tool, each change logged with who made it and "
                  "when, in a chain of hashes. The lead auditor's approval and the seal that makes the report final "
                  "are electronic signatures in that log. Anyone with the audit's records can check them with these "
                  "commands:"))
    w.table([_("To check"), _("Command")], [
        (_("That the audit record is whole and its signatures valid"), f"qms-audit verify {audit}"),
        (_("That a final report still describes the record (its seal is in the log and was not reopened)"),
         f"qms-audit verify {audit} --report REPORT.docx"),
        (_("Every recorded change, who made it and when"), f"qms-audit audit log {audit}"),
        (_("The scores, worked out again from the records"), f"qms-audit score {audit} --json"),
        (_("The lead auditor approves the report (once the audit is reported)"), f"qms-audit audit approve {audit}"),
        (_("The audit is closed and sealed, and the report becomes final"), f"qms-audit audit close {audit}"),
        (_("This report made again from the records (Word, Excel or PDF)"),
         f"qms-audit report {audit} --format docx"),
    ], widths=[8.5, 8])


def _page_furniture(w: DocxWriter, data: ReportData) -> None:
    """Header and footer, fields refreshed on opening, and the document's properties."""
    record, std = data.record, data.standard
    if not data.standing.final:
        w.header_note(_("DRAFT {version}: not final until the audit is closed and sealed").format(
            version=data.standing.version))
    w.page_numbers(f"{data.report_id} {data.standing.label}")
    w.update_fields_on_open()
    w.properties(title=_("Internal audit report {title}").format(title=record.title),
                 subject=f"{std.title} {std.version}",
                 author=record.plan.lead.name, when=data.as_of, keywords=f"{record.id}; {std.key}")
    # a document property read by programs, not people: it stays in English
    w.doc.core_properties.content_status = "Final" if data.standing.final else "Draft"


def _evidence_cell(r: RequirementRow) -> str:
    parts = [e.summary() for e in r.evidence]
    if r.note:
        parts.append(_("Note: {note}").format(note=r.note))
    if r.na_reason:
        parts.append(_("Not applicable: {reason}").format(reason=r.na_reason))
    if r.findings:
        parts.append(_("Findings: {findings}").format(findings=", ".join(r.findings)))
    return "\n\n".join(parts) or "—"
