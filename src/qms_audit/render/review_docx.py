"""The management review pack as a Word document: one section per ISO 9001:2015 9.3.2 input, charts, and an
outputs section (9.3.3) for the secretary to fill in during the meeting."""

from __future__ import annotations

from qms_audit.domain.means import NO_AUDIT, NOT_APPLICABLE, NOT_SCORED, mean_text
from qms_audit.domain.presentation import date
from qms_audit.infra.i18n import N_, _, format_decimal, ngettext, pgettext
from qms_audit.render.charts import bar_chart, column_chart
from qms_audit.render.docxwriter import DocxWriter
from qms_audit.views.review_pack import (
    ClauseLine,
    InputBlock,
    ReviewPack,
    action_state_words,
    decision_kind_words,
    finding_state_words,
    highlights,
    programme_state_words,
    score_words,
    source_words,
)
from qms_audit.views.trends import CapaAgeing, age_words

A4_TEXT_CM = 16.5
MAX_AUDIT_ROWS = 400
MAX_IMPROVEMENT_ROWS = 40
NO_FINDING = N_("No finding against these clauses in the period.")


def _clause_table(w: DocxWriter, clauses: list[ClauseLine], pack: ReviewPack) -> None:
    if not clauses:
        return
    w.table([_("Clause"), _("Score"), _("Prev."), _("Change"), _("Audits"), _("Maj."), _("Min."), _("Obs/OFI")], [
        (_clause_label(c, clauses), c.now_text, c.before_text, c.change_text, c.audits_text, c.majors, c.minors,
         c.others)
        for c in clauses], widths=[5.1, 1.6, 1.6, 2.0, 1.7, 1.4, 1.4, 1.7])
    w.paragraph(_("Score: mean over the audits in the period that scored the clause (Audits: how many; \"{example}\" "
                  "when the others assessed too little of it to score it; \"{no_audit}\": no audit of the period "
                  "had it in scope); Prev.: the same over {start} to {end}; Maj., Min., Obs/OFI: findings of the "
                  "period's audits against the clause.").format(
                    example=_("{scored} of {audits}").format(scored=3, audits=5), no_audit=score_words(NO_AUDIT),
                    start=date(pack.before_from), end=date(pack.before_to)), flags="i")


def _clause_label(c: ClauseLine, clauses: list[ClauseLine]) -> str:
    return f"{c.number} {c.title}" + (f" ({c.standard})" if len({x.standard for x in clauses}) > 1 else "")


def _audits_note(year: dict) -> str:
    """A year's mean as shown, with over how many audits it runs, short enough for the chart's margin."""
    audits, scored = year["audits"], year["scored"]
    if year["mean"] is None:
        return score_words(NOT_SCORED)
    counted = (ngettext("{n} audit", "{n} audits", audits).format(n=audits) if scored == audits
               else _("{scored} of {audits}").format(scored=scored, audits=audits))
    return f"{mean_text(year['mean'])} ({counted})"


def _findings_table(w: DocxWriter, block: InputBlock, *, empty: str) -> None:
    if not block.findings:
        w.paragraph(_(empty))
        return
    w.table([_("Finding"), _("Grade"), _("Unit"), _("Ref"), _("Statement"), _("Status today")], [
        (f.id, f.grade_short, f.unit, f.ref, f.statement, _stage_today(f.stage, f.overdue))
        for f in block.findings], widths=[3.3, 1.9, 2.8, 1.5, 5.0, 2.0])
    if block.more_findings:
        w.paragraph(_("... and {n} more in the NC register (`qms-audit nc list`).").format(n=block.more_findings),
                    flags="i")


def _stage_today(stage: str, overdue: bool) -> str:
    words = finding_state_words(stage)
    return _("{stage} (overdue)").format(stage=words) if overdue else words


def _block(w: DocxWriter, pack: ReviewPack, key: str, level: int, *, empty: str) -> InputBlock:
    block = pack.inputs[key]
    w.heading(f"{block.key}. {block.title}", level)
    w.paragraph(f"ISO 9001:2015 {block.label}.", flags="i")
    if block.clauses:
        w.paragraph(_("Audit results of the clauses that address this input:"))
        _clause_table(w, block.clauses, pack)
        _findings_table(w, block, empty=empty)
    elif block.findings:
        _findings_table(w, block, empty=empty)
    if block.unmapped and key not in ("a",):
        w.paragraph(_("No clause of {standards} addresses this input: bring the data to the review and record it "
                      "below.").format(standards=", ".join(block.unmapped)), flags="i")
    return block


def _capa_table(w: DocxWriter, pack: ReviewPack) -> None:
    period, backlog = pack.capa_period, pack.capa_backlog

    def days(c: CapaAgeing) -> str:
        return "—" if c.mean_days_to_close is None else format_decimal(c.mean_days_to_close, places=0)

    w.table(["", _("NCs raised in the period"), _("All NCs to date")], [
        (_("Overdue {when}").format(when=pack.end_label), pack.capa_overdue_of_period.at_end,
         pack.capa_overdue.at_end),
        (_("Open {when}").format(when=pack.today_label), period.open, backlog.open),
        ("  " + _("of which overdue today"), period.overdue, backlog.overdue),
        *[("  " + _("open {age}").format(age=age_words(label)), period.open_by_age[label],
           backlog.open_by_age[label]) for label in period.open_by_age],
        (_("Closed"), period.closed, backlog.closed),
        ("  " + _("of which closed after the due date"), period.closed_late, backlog.closed_late),
        (_("Verified not effective at least once"), period.not_effective, backlog.not_effective),
        (_("Mean days from NC to closure"), days(period), days(backlog)),
    ], widths=[8.5, 4, 4], bold_first=True)


def build_review_docx(pack: ReviewPack) -> bytes:
    w = DocxWriter(paper=pack.paper)
    _cover(w, pack)
    _document_control(w, pack)
    # the contents page, its title in the reader's language
    w.paragraph(_("Contents"), style="Title")
    w.toc(levels=2)
    w.page_break()
    _summary(w, pack)
    w.heading(_("2. Inputs to the review (ISO 9001:2015 9.3.2)"), 1)
    _previous_review_actions(w, pack)
    _issues(w, pack)
    _performance(w, pack)
    _resources_risks_and_improvement(w, pack)
    _outputs(w)
    _annex(w)
    _page_furniture(w, pack)
    return w.save_bytes()


def _period(pack: ReviewPack) -> str:
    return _("{start} to {end}").format(start=date(pack.period_from), end=date(pack.period_to))


def _cover(w: DocxWriter, pack: ReviewPack) -> None:
    w.paragraph(pack.institution, style="Subtitle")
    w.paragraph(_("Management review pack"), style="Title")
    w.paragraph(_("Period reviewed: {period}").format(period=_period(pack)), style="Subtitle")
    w.paragraph(_("The inputs ISO 9001:2015 9.3.2 asks a management review to consider, as the audit records, the "
                  "NC register and earlier reviews of this workspace show them, with space to record the outputs."))


def _document_control(w: DocxWriter, pack: ReviewPack) -> None:
    t, previous = pack.trends, pack.previous
    w.heading(_("Document control"), 2)
    w.table([_("Item"), _("Value")], [
        (_("Period reviewed"), _period(pack)),
        (_("Compared with"), _("{start} to {end}").format(start=date(pack.before_from), end=date(pack.before_to))),
        (_("Prepared on"), date(pack.prepared_on)),
        (_("Audits in the period"), _("{n} (previous period: {before})").format(n=len(pack.audits),
                                                                               before=pack.audits_before)),
        (_("History used for trends"), ngettext(
            "{n} audit started up to {day}, years {first}-{last}",
            "{n} audits started up to {day}, years {first}-{last}",
            t.audits).format(n=t.audits, day=date(pack.period_to), first=t.cycles[0], last=t.cycles[-1])
         if t.cycles else _("none")),
        (_("Previous review"), _("{title}, held {day} (record {id})").format(
            title=previous.title, day=date(previous.held_on), id=previous.id) if previous else _("none recorded")),
        (_("Integrity"), _("derived from the records each time; `qms-audit verify --all` checks them")),
    ], widths=[5, 11.5], bold_first=True)
    w.page_break()


def _summary(w: DocxWriter, pack: ReviewPack) -> None:
    t = pack.trends
    w.heading(_("1. Summary"), 1)
    mean_now = pack.mean_score
    majors = sum(a.majors for a in pack.audits)
    minors = sum(a.minors for a in pack.audits)
    open_actions = [c for c in pack.carried if c.state in ("open", "overdue")]
    mean_text_now = score_words(mean_now.text)
    if mean_now.scored < len(pack.audits):
        mean_text_now = _("{mean} (over {scored} of {audits} audits)").format(
            mean=mean_text_now, scored=mean_now.scored, audits=len(pack.audits))
    w.table([_("Measure"), _("Value")], [
        (_("Audits carried out"), len(pack.audits)),
        (_("Mean audit score"), mean_text_now),
        (_("Verdicts"), ", ".join(f"{k} {v}" for k, v in sorted(pack.verdicts.items())) or "—"),
        (_("Nonconformities raised in audits (major / minor)"), f"{majors} / {minors}"),
        (_("Nonconformities from other sources"), sum(n for s, n in pack.ncs_by_source.items()
                                                      if s != "internal audit")),
        (_("Corrective actions open {when}").format(when=pack.today_label), pack.capa_backlog.open),
        (_("Corrective actions overdue {when}").format(when=pack.end_label), pack.capa_overdue.at_end),
        (_("Corrective actions overdue {when}").format(when=pack.today_label), pack.capa_overdue.today),
        (_("Actions of earlier reviews still open {when}").format(when=pack.today_label), len(open_actions)),
        (_("Actions of earlier reviews overdue {when}").format(when=pack.end_label), pack.review_overdue.at_end),
        (_("Actions of earlier reviews overdue {when}").format(when=pack.today_label), pack.review_overdue.today),
        (_("Recurring nonconformities, audits up to {day} (latest in the period)").format(day=date(pack.period_to)),
         f"{len(t.recurring)} ({pack.recurring_in_period})"),
    ], widths=[10.5, 6], bold_first=True)
    w.heading(_("What stands out"), 2)
    w.bullets(highlights(pack))


def _previous_review_actions(w: DocxWriter, pack: ReviewPack) -> None:
    previous = pack.previous
    w.heading(f"a. {pack.inputs['a'].title}", 2)
    w.paragraph("ISO 9001:2015 9.3.2 a.", flags="i")
    if previous is not None:
        w.paragraph(_("The previous review was held on {day}, chaired by {chair}, for the period {start} to {end}. "
                      "It decided:").format(day=date(previous.held_on), chair=previous.chair,
                                            start=date(previous.period_from), end=date(previous.period_to)))
        w.bullets([f"{d.text} ({decision_kind_words(d.kind)})" for d in previous.decisions]
                  or [_("no decision recorded")])
    else:
        w.paragraph(_("No earlier management review is recorded in this workspace (`qms-audit review record`)."))
    if pack.carried:
        w.table([_("Review"), _("No."), _("Description"), _("Owner"), pgettext("column", "Due"), _("Status"),
                 _("Note")], [
            (c.review.id, c.action.id, c.action.description, c.action.owner, date(c.action.due),
             action_state_words(c.state), c.action.note or "")
            for c in pack.carried], widths=[2.4, 1.0, 4.0, 2.3, 2.4, 2.2, 2.2])
        w.paragraph(_("Status {today}. Actions of these reviews overdue {end}: {at_end}; overdue {today}: "
                      "{now}.").format(today=pack.today_label, end=pack.end_label, at_end=pack.review_overdue.at_end,
                                       now=pack.review_overdue.today), flags="i")
    a_block = pack.inputs["a"]
    if a_block.clauses:
        _clause_table(w, a_block.clauses, pack)


def _issues(w: DocxWriter, pack: ReviewPack) -> None:
    previous = pack.previous
    w.heading(f"b. {pack.inputs['b'].title}", 2)
    w.paragraph("ISO 9001:2015 9.3.2 b.", flags="i")
    if previous is not None and previous.issues:
        w.paragraph(_("Issues noted at the previous review:"))
        w.bullets(previous.issues)
    b_block = pack.inputs["b"]
    if b_block.clauses:
        w.paragraph(_("Audit results of the clauses on context and change:"))
        _clause_table(w, b_block.clauses, pack)
        _findings_table(w, b_block, empty=NO_FINDING)
    w.paragraph(_("Changes since then (to complete before or at the meeting):"), keep_next=True)
    w.table([_("Issue"), _("Internal or external"), _("Effect on the QMS")], [("", "", "")] * 3,
            widths=[7, 3.5, 6])


def _performance(w: DocxWriter, pack: ReviewPack) -> None:
    """Input c, in the order of its seven areas (c1 to c7), each with the figures that bear on it."""
    w.heading(_("c. Performance and effectiveness of the QMS"), 2)
    w.paragraph(_("ISO 9001:2015 9.3.2 c: trends in the seven areas below."), flags="i")
    _block(w, pack, "c1", 3, empty=NO_FINDING)
    if pack.feedback:
        listed = {f.id for f in pack.inputs["c1"].findings}
        shown = sum(1 for f in pack.feedback if f.id in listed)
        where = (_("listed above") if shown == len(pack.feedback)
                 else _("{n} of them listed above, all in the NC register").format(n=shown))
        w.paragraph(ngettext("{n} nonconformity came from complaints and feedback in the period ({where}).",
                             "{n} nonconformities came from complaints and feedback in the period ({where}).",
                             len(pack.feedback)).format(n=len(pack.feedback), where=where))
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
    rows = [(_clause_label(c, clauses) if len({x.standard for x in clauses}) > 1
             else _("Clause {number}").format(number=c.number),
             c.now, _("{now} (before: {before})").format(now=c.now_text, before=c.before_text)) for c in clauses]
    w.picture(bar_chart(rows, title=_("Mean score by clause, {period}").format(period=_period(pack)),
                        previous=[c.before for c in clauses],
                        legend=(_("this period"), _("previous period")), label_width=200, text_width=230),
              A4_TEXT_CM,
              caption=_("Figure 1. Mean score of each clause over the audits of the period that scored it (upper "
                        "bar), and over the previous period, {start} to {end} (lower bar); no bar: {not_scored}, "
                        "{not_applicable}, or {no_audit} of that period had the clause in scope").format(
                  start=date(pack.before_from), end=date(pack.before_to), not_scored=score_words(NOT_SCORED),
                  not_applicable=score_words(NOT_APPLICABLE), no_audit=score_words(NO_AUDIT)))


def _nonconformities_and_capa(w: DocxWriter, pack: ReviewPack) -> None:
    t = pack.trends
    w.paragraph(_("Nonconformities and corrective actions across the workspace:"))
    if t.cycles:
        w.picture(column_chart([str(y) for y in t.cycles], [
            (pgettext("grade", "major"), [t.ncs[y]["major"] for y in t.cycles]),
            (pgettext("grade", "minor"), [t.ncs[y]["minor"] for y in t.cycles]),
            (pgettext("grade", "observation"), [t.ncs[y]["observation"] for y in t.cycles])],
            title=_("Audit findings per year")),
            A4_TEXT_CM, caption=_("Figure 2. Findings raised in the audits started up to {day}, by the year the "
                                  "audit started").format(day=date(pack.period_to)))
    if pack.ncs_by_source:
        w.table([_("Source of the NC (period)"), _("NCs")],
                sorted((source_words(s), n) for s, n in pack.ncs_by_source.items()), widths=[10, 3])
    _capa_table(w, pack)
    if t.recurring:
        w.paragraph(_("Recurring nonconformities: the same requirement nonconforming in consecutive audits of a "
                      "unit, a sign that the corrective action did not remove the cause (ISO 9001:2015 10.2.1 d)."))
        w.table([_("Unit"), _("Requirement"), _("Audits in a row"), _("Years")], [
            (r.unit, r.ref, len(r.audits), ", ".join(map(str, r.years))) for r in t.recurring[:60]],
            widths=[6, 3, 3, 4.5])
        if len(t.recurring) > 60:
            w.paragraph(_("... and {n} more (`qms-audit trends --json`).").format(n=len(t.recurring) - 60),
                        flags="i")


def _audits_in_period(w: DocxWriter, pack: ReviewPack) -> None:
    t = pack.trends
    n = len(pack.audits)
    w.paragraph((ngettext("{n} audit started in the period:", "{n} audits started in the period:", n) if n
                 else ngettext("{n} audit started in the period.", "{n} audits started in the period.", n)
                 ).format(n=n))
    if pack.audits:
        w.table([_("Audit"), _("Unit"), pgettext("column", "Start"), _("Score"), _("Verdict"), _("Maj."), _("Min."),
                 pgettext("column", "Open")], [
            (a.id, a.unit, date(a.start), score_words(a.shown.text), a.verdict_short, a.majors, a.minors, a.open_ncs)
            for a in pack.audits[:MAX_AUDIT_ROWS]],
            widths=[3.0, 3.2, 2.4, 1.5, 2.6, 1.2, 1.2, 1.4])
        if len(pack.audits) > MAX_AUDIT_ROWS:
            w.paragraph(_("... and {n} more (the .xlsx pack lists them all).").format(n=n - MAX_AUDIT_ROWS),
                        flags="i")
    if t.cycles:
        w.picture(bar_chart([(str(y), t.overall[y]["mean"], _audits_note(t.overall[y]))
                             for y in t.cycles], title=_("Mean audit score per year"), label_width=80,
                            text_width=140), A4_TEXT_CM,
                  caption=_("Figure 3. Mean overall score per year of the audits started up to {day}, over the "
                            "audits whose score is shown (\"{example}\": the others assessed too little to be "
                            "scored)").format(day=date(pack.period_to),
                                              example=_("{scored} of {audits}").format(scored=9, audits=10)))


def _programme_status(w: DocxWriter, pack: ReviewPack) -> None:
    if pack.programme is None:
        return
    prog = pack.programme
    counts: dict[str, int] = {}
    for row in prog.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    w.paragraph(_("Audit programme ({name}): {counts}.").format(name=prog.programme.name, counts=", ".join(
        f"{n} {programme_state_words(s)}" for s, n in sorted(counts.items()))))
    late = [r for r in prog.rows if r.status == "overdue" or r.conflicts]
    if late:
        w.table([_("Month"), _("Unit"), _("Lead"), _("Status"), _("Independence")], [
            (r.planned.month, r.planned.unit, r.planned.lead, programme_state_words(r.status),
             "; ".join(r.conflicts) or _("ok"))
            for r in late], widths=[2, 4.5, 3.5, 2.5, 4])


def _resources_risks_and_improvement(w: DocxWriter, pack: ReviewPack) -> None:
    """Inputs d (resources), e (actions on risks and opportunities) and f (opportunities for improvement)."""
    for key in ("d", "e", "f"):
        _block(w, pack, key, 2, empty=NO_FINDING)
    if pack.improvement:
        listed = pack.improvement[:MAX_IMPROVEMENT_ROWS]
        if len(listed) == len(pack.improvement):
            text = _("{n} opportunities for improvement and observations were raised in the period:")
        else:
            text = _("{n} opportunities for improvement and observations were raised in the period; the {shown} most "
                     "significant:")
        w.paragraph(text.format(n=len(pack.improvement), shown=len(listed)))
        w.table([_("Finding"), _("Grade"), _("Unit"), _("Ref"), _("Statement")], [
            (f.id, f.grade_short, f.unit, f.ref, f.statement) for f in listed],
            widths=[3.3, 2.0, 3.0, 1.5, 6.7])


def _outputs(w: DocxWriter) -> None:
    w.heading(_("3. Outputs of the review (ISO 9001:2015 9.3.3)"), 1)
    w.paragraph(_("Record here what the review decides; afterwards store it with `qms-audit review record` so that "
                  "the next pack reports on its actions."))
    w.heading(_("Decisions"), 2)
    w.table([_("Kind"), _("Decision")], [(_("Opportunities for improvement"), ""), (_("Changes to the QMS"), ""),
                                         (_("Resources needed"), ""), (_("Other"), "")], widths=[5, 11.5],
            bold_first=True)
    w.heading(_("Actions"), 2)
    w.table([_("Action"), _("Description"), _("Owner"), pgettext("column", "Due")],
            [(f"A{i}", "", "", "") for i in range(1, 7)], widths=[1.8, 8.7, 3.5, 2.5])
    w.heading(_("Attendance"), 2)
    w.table([_("Name"), _("Role")], [("", _("Chair")), ("", ""), ("", ""), ("", _("Secretary"))], widths=[8, 8.5])


def _annex(w: DocxWriter) -> None:
    w.heading(_("Annex: how the figures are made"), 1)
    w.bullets([
        _("Scores are the weighted conformity of the assessed requirements (docs/scoring.md). A score is shown only "
          "when enough of the applicable requirements were assessed (the standard's coverage threshold); a clause's "
          "score in the period is the mean over the audits that scored it, a clause no audit scored reads "
          "\"{not_scored}\", one no audit of the period had in scope \"{no_audit}\", and one not applicable in "
          "every audit \"{not_applicable}\".").format(not_scored=score_words(NOT_SCORED),
                                                       no_audit=score_words(NO_AUDIT),
                                                       not_applicable=score_words(NOT_APPLICABLE)),
        _("Every figure of the period is compared with the previous period of the same length; a change is the "
          "difference of the two whole percentages shown."),
        _("Each input shows the clauses the standard maps to it (`review_inputs` in the standard file)."),
        _("A recurring nonconformity is the same requirement graded nonconforming in two or more consecutive audits "
          "of the same unit against the same standard."),
        _("A corrective action is overdue when an action is past its due date, or when no action is planned and the "
          "response date has passed; it is closed late when it closed after its last due date. Overdue actions are "
          "counted twice: at the end of the period, on the records as they stood that day (actions planned, done or "
          "cancelled and closures recorded later are left out), and on the day the pack is prepared."),
        _("The previous review is the latest one recorded whose period ended before this one; actions of older "
          "reviews are listed while they stay open."),
    ])


def _page_furniture(w: DocxWriter, pack: ReviewPack) -> None:
    """Footer, fields refreshed on opening, and the document's properties."""
    w.page_numbers(_("Management review pack {start} to {end}").format(start=pack.period_from.isoformat(),
                                                                      end=pack.period_to.isoformat()))
    w.update_fields_on_open()
    w.properties(title=_("Management review pack {period}").format(period=_period(pack)),
                 subject=_("ISO 9001:2015 9.3 management review"), author=pack.institution, when=pack.prepared_on,
                 keywords=_("management review; micro-credentials"))
