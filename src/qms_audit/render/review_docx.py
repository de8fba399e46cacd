"""The management review pack as a Word document: one section per ISO 9001:2015 9.3.2 input, charts, and an
outputs section (9.3.3) for the secretary to fill in during the meeting."""

from __future__ import annotations

from qms_audit.domain.means import NO_AUDIT, NOT_APPLICABLE, NOT_SCORED, mean_text
from qms_audit.domain.presentation import date, plural
from qms_audit.render.charts import bar_chart, column_chart
from qms_audit.render.docxwriter import DocxWriter
from qms_audit.views.review_pack import ClauseLine, InputBlock, ReviewPack, highlights
from qms_audit.views.trends import CapaAgeing

A4_TEXT_CM = 16.5
MAX_AUDIT_ROWS = 400
MAX_IMPROVEMENT_ROWS = 40
NO_FINDING = "No finding against these clauses in the period."


def _clause_table(w: DocxWriter, clauses: list[ClauseLine], pack: ReviewPack) -> None:
    if not clauses:
        return
    w.table(["Clause", "Score", "Prev.", "Change", "Audits", "Maj.", "Min.", "Obs/OFI"], [
        (_clause_label(c, clauses), c.now_text, c.before_text, c.change_text, c.audits_text, c.majors, c.minors,
         c.others)
        for c in clauses], widths=[5.1, 1.6, 1.6, 2.0, 1.7, 1.4, 1.4, 1.7])
    w.paragraph(f"Score: mean over the audits in the period that scored the clause (Audits: how many; \"3 of 5\" "
                f"when the others assessed too little of it to score it; \"{NO_AUDIT}\": no audit of the period "
                f"had it in scope); Prev.: the same over {date(pack.before_from)} to {date(pack.before_to)}; Maj., "
                "Min., Obs/OFI: findings of the period's audits against the clause.", flags="i")


def _clause_label(c: ClauseLine, clauses: list[ClauseLine]) -> str:
    return f"{c.number} {c.title}" + (f" ({c.standard})" if len({x.standard for x in clauses}) > 1 else "")


def _audits_note(year: dict) -> str:
    """A year's mean as shown, with over how many audits it runs, short enough for the chart's margin."""
    audits, scored = year["audits"], year["scored"]
    if year["mean"] is None:
        return NOT_SCORED
    return mean_text(year["mean"]) + (f" ({plural(audits, 'audit')})" if scored == audits
                                      else f" ({scored} of {audits})")


def _findings_table(w: DocxWriter, block: InputBlock, *, empty: str) -> None:
    if not block.findings:
        w.paragraph(empty)
        return
    w.table(["Finding", "Grade", "Unit", "Ref", "Statement", "Status today"], [
        (f.id, f.grade_short, f.unit, f.ref, f.statement, f.stage + (" (overdue)" if f.overdue else ""))
        for f in block.findings], widths=[3.3, 1.9, 2.8, 1.5, 5.0, 2.0])
    if block.more_findings:
        w.paragraph(f"... and {block.more_findings} more in the NC register (`qms-audit nc list`).", flags="i")


def _block(w: DocxWriter, pack: ReviewPack, key: str, level: int, *, empty: str) -> InputBlock:
    block = pack.inputs[key]
    w.heading(f"{block.key}. {block.title}", level)
    w.paragraph(f"ISO 9001:2015 {block.label}.", flags="i")
    if block.clauses:
        w.paragraph("Audit results of the clauses that address this input:")
        _clause_table(w, block.clauses, pack)
        _findings_table(w, block, empty=empty)
    elif block.findings:
        _findings_table(w, block, empty=empty)
    if block.unmapped and key not in ("a",):
        w.paragraph(f"No clause of {', '.join(block.unmapped)} addresses this input: bring the data to the review "
                    "and record it below.", flags="i")
    return block


def _capa_table(w: DocxWriter, pack: ReviewPack) -> None:
    period, backlog = pack.capa_period, pack.capa_backlog

    def days(c: CapaAgeing) -> str:
        return "—" if c.mean_days_to_close is None else f"{c.mean_days_to_close:.0f}"

    w.table(["", "NCs raised in the period", "All NCs to date"], [
        (f"Overdue {pack.end_label}", pack.capa_overdue_of_period.at_end, pack.capa_overdue.at_end),
        (f"Open {pack.today_label}", period.open, backlog.open),
        ("  of which overdue today", period.overdue, backlog.overdue),
        *[(f"  open {label}", period.open_by_age[label], backlog.open_by_age[label]) for label in period.open_by_age],
        ("Closed", period.closed, backlog.closed),
        ("  of which closed after the due date", period.closed_late, backlog.closed_late),
        ("Verified not effective at least once", period.not_effective, backlog.not_effective),
        ("Mean days from NC to closure", days(period), days(backlog)),
    ], widths=[8.5, 4, 4], bold_first=True)


def build_review_docx(pack: ReviewPack) -> bytes:
    w = DocxWriter(paper=pack.paper)
    _cover(w, pack)
    _document_control(w, pack)
    w.contents_page()
    _summary(w, pack)
    w.heading("2. Inputs to the review (ISO 9001:2015 9.3.2)", 1)
    _previous_review_actions(w, pack)
    _issues(w, pack)
    _performance(w, pack)
    _resources_risks_and_improvement(w, pack)
    _outputs(w)
    _annex(w)
    _page_furniture(w, pack)
    return w.save_bytes()


def _period(pack: ReviewPack) -> str:
    return f"{date(pack.period_from)} to {date(pack.period_to)}"


def _cover(w: DocxWriter, pack: ReviewPack) -> None:
    w.paragraph(pack.institution, style="Subtitle")
    w.paragraph("Management review pack", style="Title")
    w.paragraph(f"Period reviewed: {_period(pack)}", style="Subtitle")
    w.paragraph("The inputs ISO 9001:2015 9.3.2 asks a management review to consider, as the audit records, the "
                "NC register and earlier reviews of this workspace show them, with space to record the outputs.")


def _document_control(w: DocxWriter, pack: ReviewPack) -> None:
    t, previous = pack.trends, pack.previous
    w.heading("Document control", 2)
    w.table(["Item", "Value"], [
        ("Period reviewed", _period(pack)),
        ("Compared with", f"{date(pack.before_from)} to {date(pack.before_to)}"),
        ("Prepared on", date(pack.prepared_on)),
        ("Audits in the period", f"{len(pack.audits)} (previous period: {pack.audits_before})"),
        ("History used for trends", f"{plural(t.audits, 'audit')} started up to {date(pack.period_to)}, years "
         f"{t.cycles[0]}-{t.cycles[-1]}" if t.cycles else "none"),
        ("Previous review", f"{previous.title}, held {date(previous.held_on)} (record {previous.id})" if previous
         else "none recorded"),
        ("Integrity", "derived from the records each time; `qms-audit verify --all` checks them"),
    ], widths=[5, 11.5], bold_first=True)
    w.page_break()


def _summary(w: DocxWriter, pack: ReviewPack) -> None:
    t = pack.trends
    w.heading("1. Summary", 1)
    mean_now = pack.mean_score
    majors = sum(a.majors for a in pack.audits)
    minors = sum(a.minors for a in pack.audits)
    open_actions = [c for c in pack.carried if c.state in ("open", "overdue")]
    w.table(["Measure", "Value"], [
        ("Audits carried out", len(pack.audits)),
        ("Mean audit score", mean_now.text + (f" (over {mean_now.scored} of {len(pack.audits)} audits)"
                                              if mean_now.scored < len(pack.audits) else "")),
        ("Verdicts", ", ".join(f"{k} {v}" for k, v in sorted(pack.verdicts.items())) or "—"),
        ("Nonconformities raised in audits (major / minor)", f"{majors} / {minors}"),
        ("Nonconformities from other sources", sum(n for s, n in pack.ncs_by_source.items()
                                                   if s != "internal audit")),
        (f"Corrective actions open {pack.today_label}", pack.capa_backlog.open),
        (f"Corrective actions overdue {pack.end_label}", pack.capa_overdue.at_end),
        (f"Corrective actions overdue {pack.today_label}", pack.capa_overdue.today),
        (f"Actions of earlier reviews still open {pack.today_label}", len(open_actions)),
        (f"Actions of earlier reviews overdue {pack.end_label}", pack.review_overdue.at_end),
        (f"Actions of earlier reviews overdue {pack.today_label}", pack.review_overdue.today),
        (f"Recurring nonconformities, audits up to {date(pack.period_to)} (latest in the period)",
         f"{len(t.recurring)} ({pack.recurring_in_period})"),
    ], widths=[10.5, 6], bold_first=True)
    w.heading("What stands out", 2)
    w.bullets(highlights(pack))


def _previous_review_actions(w: DocxWriter, pack: ReviewPack) -> None:
    previous = pack.previous
    w.heading("a. Status of actions from previous management reviews", 2)
    w.paragraph("ISO 9001:2015 9.3.2 a.", flags="i")
    if previous is not None:
        w.paragraph(f"The previous review was held on {date(previous.held_on)}, chaired by {previous.chair}, for the "
                    f"period {date(previous.period_from)} to {date(previous.period_to)}. It decided:")
        w.bullets([f"{d.text} ({d.kind})" for d in previous.decisions] or ["no decision recorded"])
    else:
        w.paragraph("No earlier management review is recorded in this workspace (`qms-audit review record`).")
    if pack.carried:
        w.table(["Review", "No.", "Description", "Owner", "Due", "Status", "Note"], [
            (c.review.id, c.action.id, c.action.description, c.action.owner, date(c.action.due), c.state,
             c.action.note or "")
            for c in pack.carried], widths=[2.4, 1.0, 4.0, 2.3, 2.4, 2.2, 2.2])
        w.paragraph(f"Status {pack.today_label}. Actions of these reviews overdue {pack.end_label}: "
                    f"{pack.review_overdue.at_end}; overdue {pack.today_label}: {pack.review_overdue.today}.",
                    flags="i")
    a_block = pack.inputs["a"]
    if a_block.clauses:
        _clause_table(w, a_block.clauses, pack)


def _issues(w: DocxWriter, pack: ReviewPack) -> None:
    previous = pack.previous
    w.heading("b. Changes in external and internal issues", 2)
    w.paragraph("ISO 9001:2015 9.3.2 b.", flags="i")
    if previous is not None and previous.issues:
        w.paragraph("Issues noted at the previous review:")
        w.bullets(previous.issues)
    b_block = pack.inputs["b"]
    if b_block.clauses:
        w.paragraph("Audit results of the clauses on context and change:")
        _clause_table(w, b_block.clauses, pack)
        _findings_table(w, b_block, empty=NO_FINDING)
    w.paragraph("Changes since then (to complete before or at the meeting):", keep_next=True)
    w.table(["Issue", "Internal or external", "Effect on the QMS"], [("", "", "")] * 3, widths=[7, 3.5, 6])


def _performance(w: DocxWriter, pack: ReviewPack) -> None:
    """Input c, in the order of its seven areas (c1 to c7), each with the figures that bear on it."""
    w.heading("c. Performance and effectiveness of the QMS", 2)
    w.paragraph("ISO 9001:2015 9.3.2 c: trends in the seven areas below.", flags="i")
    _block(w, pack, "c1", 3, empty=NO_FINDING)
    if pack.feedback:
        listed = {f.id for f in pack.inputs["c1"].findings}
        shown = sum(1 for f in pack.feedback if f.id in listed)
        where = ("listed above" if shown == len(pack.feedback)
                 else f"{shown} of them listed above, all in the NC register")
        w.paragraph(f"{len(pack.feedback)} nonconformit{'y' if len(pack.feedback) == 1 else 'ies'} came from "
                    f"complaints and feedback in the period ({where}).")
    _block(w, pack, "c2", 3, empty=NO_FINDING)
    _block(w, pack, "c3", 3, empty=NO_FINDING)
    _clause_scores_chart(w, pack)
    _block(w, pack, "c4", 3, empty=NO_FINDING)
    _nonconformities_and_capa(w, pack)
    _block(w, pack, "c5", 3, empty=NO_FINDING)
    _block(w, pack, "c6", 3, empty=NO_FINDING)
    _audits_in_period(w, pack)
    _programme_status(w, pack)
    _block(w, pack, "c7", 3, empty=NO_FINDING)


def _clause_scores_chart(w: DocxWriter, pack: ReviewPack) -> None:
    """Figure 1: every clause in the period beside the previous period, the same figures as the tables."""
    clauses = pack.clause_scores
    if not clauses:
        return
    rows = [(_clause_label(c, clauses) if len({x.standard for x in clauses}) > 1 else f"Clause {c.number}",
             c.now, f"{c.now_text} (before: {c.before_text})") for c in clauses]
    w.picture(bar_chart(rows, title=f"Mean score by clause, {_period(pack)}", previous=[c.before for c in clauses],
                        legend=("this period", "previous period"), label_width=200, text_width=230),
              A4_TEXT_CM,
              caption=f"Figure 1. Mean score of each clause over the audits of the period that scored it (upper "
                      f"bar), and over the previous period, {date(pack.before_from)} to {date(pack.before_to)} "
                      f"(lower bar); no bar: {NOT_SCORED}, {NOT_APPLICABLE}, or {NO_AUDIT} of that period had the "
                      "clause in scope")


def _nonconformities_and_capa(w: DocxWriter, pack: ReviewPack) -> None:
    t = pack.trends
    w.paragraph("Nonconformities and corrective actions across the workspace:")
    if t.cycles:
        w.picture(column_chart([str(y) for y in t.cycles], [
            ("major", [t.ncs[y]["major"] for y in t.cycles]), ("minor", [t.ncs[y]["minor"] for y in t.cycles]),
            ("observation", [t.ncs[y]["observation"] for y in t.cycles])], title="Audit findings per year"),
            A4_TEXT_CM, caption=f"Figure 2. Findings raised in the audits started up to {date(pack.period_to)}, "
                                f"by the year the audit started")
    if pack.ncs_by_source:
        w.table(["Source of the NC (period)", "NCs"], sorted(pack.ncs_by_source.items()), widths=[10, 3])
    _capa_table(w, pack)
    if t.recurring:
        w.paragraph("Recurring nonconformities: the same requirement nonconforming in consecutive audits of a "
                    "unit, a sign that the corrective action did not remove the cause (ISO 9001:2015 10.2.1 d).")
        w.table(["Unit", "Requirement", "Audits in a row", "Years"], [
            (r.unit, r.ref, len(r.audits), ", ".join(map(str, r.years))) for r in t.recurring[:60]],
            widths=[6, 3, 3, 4.5])
        if len(t.recurring) > 60:
            w.paragraph(f"... and {len(t.recurring) - 60} more (`qms-audit trends --json`).", flags="i")


def _audits_in_period(w: DocxWriter, pack: ReviewPack) -> None:
    t = pack.trends
    w.paragraph(f"{plural(len(pack.audits), 'audit')} started in the period" + (":" if pack.audits else "."))
    if pack.audits:
        w.table(["Audit", "Unit", "Start", "Score", "Verdict", "Maj.", "Min.", "Open"], [
            (a.id, a.unit, date(a.start), a.shown.text, a.verdict_short, a.majors, a.minors, a.open_ncs)
            for a in pack.audits[:MAX_AUDIT_ROWS]],
            widths=[3.0, 3.2, 2.4, 1.5, 2.6, 1.2, 1.2, 1.4])
        if len(pack.audits) > MAX_AUDIT_ROWS:
            w.paragraph(f"... and {len(pack.audits) - MAX_AUDIT_ROWS} more (the .xlsx pack lists them all).",
                        flags="i")
    if t.cycles:
        w.picture(bar_chart([(str(y), t.overall[y]["mean"], _audits_note(t.overall[y]))
                             for y in t.cycles], title="Mean audit score per year", label_width=80,
                            text_width=140), A4_TEXT_CM,
                  caption=f"Figure 3. Mean overall score per year of the audits started up to "
                          f"{date(pack.period_to)}, over the audits whose score is shown (\"9 of 10\": the others "
                          "assessed too little to be scored)")


def _programme_status(w: DocxWriter, pack: ReviewPack) -> None:
    if pack.programme is None:
        return
    prog = pack.programme
    counts: dict[str, int] = {}
    for row in prog.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    w.paragraph(f"Audit programme ({prog.programme.name}): " + ", ".join(
        f"{n} {s}" for s, n in sorted(counts.items())) + ".")
    late = [r for r in prog.rows if r.status == "overdue" or r.conflicts]
    if late:
        w.table(["Month", "Unit", "Lead", "Status", "Independence"], [
            (r.planned.month, r.planned.unit, r.planned.lead, r.status, "; ".join(r.conflicts) or "ok")
            for r in late], widths=[2, 4.5, 3.5, 2.5, 4])


def _resources_risks_and_improvement(w: DocxWriter, pack: ReviewPack) -> None:
    """Inputs d (resources), e (actions on risks and opportunities) and f (opportunities for improvement)."""
    for key in ("d", "e", "f"):
        _block(w, pack, key, 2, empty=NO_FINDING)
    if pack.improvement:
        listed = pack.improvement[:MAX_IMPROVEMENT_ROWS]
        w.paragraph(f"{len(pack.improvement)} opportunities for improvement and observations were raised in the "
                    "period" + (":" if len(listed) == len(pack.improvement)
                                else f"; the {len(listed)} most significant:"))
        w.table(["Finding", "Grade", "Unit", "Ref", "Statement"], [
            (f.id, f.grade_short, f.unit, f.ref, f.statement) for f in listed],
            widths=[3.3, 2.0, 3.0, 1.5, 6.7])


def _outputs(w: DocxWriter) -> None:
    w.heading("3. Outputs of the review (ISO 9001:2015 9.3.3)", 1)
    w.paragraph("Record here what the review decides; afterwards store it with `qms-audit review record` so that "
                "the next pack reports on its actions.")
    w.heading("Decisions", 2)
    w.table(["Kind", "Decision"], [("Opportunities for improvement", ""), ("Changes to the QMS", ""),
                                   ("Resources needed", ""), ("Other", "")], widths=[5, 11.5], bold_first=True)
    w.heading("Actions", 2)
    w.table(["Action", "Description", "Owner", "Due"], [(f"A{i}", "", "", "") for i in range(1, 7)],
            widths=[1.8, 8.7, 3.5, 2.5])
    w.heading("Attendance", 2)
    w.table(["Name", "Role"], [("", "Chair"), ("", ""), ("", ""), ("", "Secretary")], widths=[8, 8.5])


def _annex(w: DocxWriter) -> None:
    w.heading("Annex: how the figures are made", 1)
    w.bullets([
        "Scores are the weighted conformity of the assessed requirements (docs/scoring.md). A score is shown only "
        "when enough of the applicable requirements were assessed (the standard's coverage threshold); a clause's "
        "score in the period is the mean over the audits that scored it, a clause no audit scored reads "
        f"\"{NOT_SCORED}\", one no audit of the period had in scope \"{NO_AUDIT}\", and one not applicable in "
        f"every audit \"{NOT_APPLICABLE}\".",
        "Every figure of the period is compared with the previous period of the same length; a change is the "
        "difference of the two whole percentages shown.",
        "Each input shows the clauses the standard maps to it (`review_inputs` in the standard file).",
        "A recurring nonconformity is the same requirement graded nonconforming in two or more consecutive audits "
        "of the same unit against the same standard.",
        "A corrective action is overdue when an action is past its due date, or when no action is planned and the "
        "response date has passed; it is closed late when it closed after its last due date. Overdue actions are "
        "counted twice: at the end of the period, on the records as they stood that day (actions planned, done or "
        "cancelled and closures recorded later are left out), and on the day the pack is prepared.",
        "The previous review is the latest one recorded whose period ended before this one; actions of older "
        "reviews are listed while they stay open.",
    ])


def _page_furniture(w: DocxWriter, pack: ReviewPack) -> None:
    """Footer, fields refreshed on opening, and the document's properties."""
    w.page_numbers(f"Management review pack {pack.period_from.isoformat()} to {pack.period_to.isoformat()}")
    w.update_fields_on_open()
    w.properties(title=f"Management review pack {_period(pack)}", subject="ISO 9001:2015 9.3 management review",
                 author=pack.institution, when=pack.prepared_on, keywords="management review; micro-credentials")
