"""The management review pack as an Excel workbook: the same inputs as the Word pack, as filterable tables
with native charts, and an Outputs sheet to record the review's decisions and actions.

A score cell holds a number only where the score is shown; elsewhere it holds the words the Word pack shows
("not scored", "no audit"), which a chart of that column plots as no bar."""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference

from qms_audit.domain.means import NOT_SCORED
from qms_audit.domain.presentation import date
from qms_audit.infra.i18n import _, pgettext
from qms_audit.render.sheets import (
    DATE_FORMAT,
    MONTH_FORMAT,
    SummaryRows,
    axes,
    month_start,
    new_workbook,
    save,
    table_sheet,
)
from qms_audit.services.reviews import overdue_on_day
from qms_audit.views.review_pack import (
    ClauseLine,
    ReviewPack,
    action_state_words,
    audit_state_words,
    decision_kind_words,
    finding_state_words,
    highlights,
    programme_state_words,
    score_words,
)
from qms_audit.views.trends import age_words


def _score(value: float | None, text: str = NOT_SCORED) -> float | str:
    """A shown score as a cell: the number, else the words (never an empty cell that reads as 0%)."""
    return score_words(text) if value is None else value


def _clause_cells(c: ClauseLine) -> tuple[float | str, float | str, str]:
    """Score, before and change of a clause line, as the Word pack shows them."""
    return _score(c.now, c.now_text), _score(c.before, c.before_text), c.change_text


def build_review_xlsx(pack: ReviewPack) -> bytes:
    wb = new_workbook(pack.paper)
    _summary_sheet(wb, pack)
    _review_actions_sheet(wb, pack)
    _inputs_sheets(wb, pack)
    _clause_scores_sheet(wb, pack)
    _audits_sheet(wb, pack)
    _clause_trends_sheet(wb, pack)
    _recurring_sheet(wb, pack)
    _capa_ageing_sheet(wb, pack)
    _improvement_sheet(wb, pack)
    _programme_sheet(wb, pack)
    _outputs_sheet(wb)
    return save(wb)


def _summary_facts(pack: ReviewPack) -> list[tuple[str, object]]:
    mean_now = pack.mean_score
    return [
        (_("Institution"), pack.institution),
        (_("Period reviewed: first day"), pack.period_from),
        (_("Period reviewed: last day"), pack.period_to),
        (_("Compared with: first day"), pack.before_from),
        (_("Compared with: last day"), pack.before_to),
        (_("Prepared on"), pack.prepared_on),
        (_("Audits in the period"), len(pack.audits)),
        (_("Audits in the previous period"), pack.audits_before),
        (_("Mean audit score"), _score(mean_now.mean, mean_now.text)),
        (_("Audits whose overall score is shown"), mean_now.scored),
        (_("Major NCs raised in audits"), sum(a.majors for a in pack.audits)),
        (_("Minor NCs raised in audits"), sum(a.minors for a in pack.audits)),
        (_("Corrective actions open {when}").format(when=pack.today_label), pack.capa_backlog.open),
        (_("Corrective actions overdue {when}").format(when=pack.end_label), pack.capa_overdue.at_end),
        (_("Corrective actions overdue {when}").format(when=pack.today_label), pack.capa_overdue.today),
        (_("Review actions still open {when}").format(when=pack.today_label),
         sum(1 for c in pack.carried if c.state in ("open", "overdue"))),
        (_("Review actions overdue {when}").format(when=pack.end_label), pack.review_overdue.at_end),
        (_("Review actions overdue {when}").format(when=pack.today_label), pack.review_overdue.today),
        (_("Recurring nonconformities, audits up to {day}").format(day=date(pack.period_to)),
         len(pack.trends.recurring)),
        (_("Recurring nonconformities whose latest audit is in the period"), pack.recurring_in_period),
        (_("Previous review"), pack.previous.id if pack.previous else _("none recorded")),
    ]


# The summary's columns: the facts' labels (and the years), then the year table's figures
SUMMARY_WIDTHS = [46, 9, 12, 9, 9, 14, 9, 13]


def _summary_sheet(wb, pack: ReviewPack) -> None:
    """The facts, what stands out, and the yearly trend with a native chart of it beneath."""
    ws = wb.create_sheet(_("Summary"))
    rows = SummaryRows(ws, SUMMARY_WIDTHS)
    for label, value in _summary_facts(pack):
        rows.fact(label, value, number_format="0%" if label == _("Mean audit score") else None)
    rows.blank()
    rows.heading(_("What stands out"))
    for line in highlights(pack):
        rows.paragraph(line)
    rows.blank()
    trend_header = rows.next
    t = pack.trends
    rows.header((_("Year"), _("Audits"), _("Mean score"), pgettext("grade", "Major"), pgettext("grade", "Minor"),
                 _("Observation"), _("OFI"), _("Audits scored")))
    for y in t.cycles:
        rows.figures([str(y), t.overall[y]["audits"], _score(t.overall[y]["mean"]), t.ncs[y]["major"],
                      t.ncs[y]["minor"], t.ncs[y]["observation"], t.ncs[y]["ofi"], t.overall[y]["scored"]],
                     percent=(2,))
    rows.new_page()
    _findings_per_year_chart(ws, pack, trend_header, f"A{rows.next}")


def _findings_per_year_chart(ws, pack: ReviewPack, trend_header: int, anchor: str) -> None:
    cycles = pack.trends.cycles
    if not cycles:
        return
    ncs = pack.trends.ncs
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = _("Audit findings per year")
    axes(chart, categories=_("Year"), values=_("Findings"),
         peak=max(ncs[y]["major"] + ncs[y]["minor"] + ncs[y]["observation"] for y in cycles))
    data = Reference(ws, min_col=4, max_col=6, min_row=trend_header, max_row=trend_header + len(cycles))
    cats = Reference(ws, min_col=1, min_row=trend_header + 1, max_row=trend_header + len(cycles))
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.height, chart.width = 8, 18
    ws.add_chart(chart, anchor)


def _review_actions_sheet(wb, pack: ReviewPack) -> None:
    """Input a: the actions of earlier reviews, their status today and whether they were overdue at the end of the
    period."""
    table_sheet(wb, _("a Review actions"), [_("Review"), _("Held on"), _("Action"), _("Description"), _("Owner"),
                                            pgettext("column", "Due"), _("Status"), _("Closed on"),
                                            _("Overdue at period end"), _("Note")],
                [(c.review.id, c.review.held_on, c.action.id, c.action.description, c.action.owner, c.action.due,
                  action_state_words(c.state), c.action.closed_on,
                  _("yes") if c.review.held_on <= pack.end_day and overdue_on_day(c.action, pack.end_day) else "",
                  c.action.note or "") for c in pack.carried],
                widths=[12, 12, 8, 46, 20, 12, 12, 12, 12, 32], table_name="ReviewActions")


def _inputs_sheets(wb, pack: ReviewPack) -> None:
    """Every input's clauses on one sheet, then its findings on the next."""
    # a row of cells of mixed types: an input no clause maps to has no scores
    clause_rows: list[tuple[object, ...]] = []
    finding_rows = []
    for block in pack.inputs.values():
        for c in block.clauses:
            clause_rows.append((block.key, block.title, c.standard, c.number, c.title, *_clause_cells(c), c.audits,
                                c.applicable_in, c.majors, c.minors, c.others))
        if not block.clauses and block.unmapped and block.key != "a":
            clause_rows.append((block.key, block.title, ", ".join(block.unmapped), "",
                                _("no clause maps to this input: bring the data to the review"), None, None, "", 0,
                                0, 0, 0, 0))
        for f in block.findings:
            finding_rows.append((block.key, f.id, f.grade, f.source, f.unit, f.ref, f.statement, f.raised,
                                 finding_state_words(f.stage), _("yes") if f.overdue else "", f.audit))
    # Score and Before: means over the audits that scored the clause (Audits), of those where it applied
    table_sheet(wb, _("Inputs"), [_("Input"), _("Input title"), _("Standard"), _("Clause"), _("Clause title"),
                                  _("Score"), _("Before"), _("Change"), _("Audits"), _("Applicable in"),
                                  pgettext("grade", "Major"), pgettext("grade", "Minor"), _("Obs./OFI")], clause_rows,
                widths=[7, 40, 12, 8, 40, 11, 11, 10, 8, 12, 8, 8, 9], table_name="Inputs", percent_columns=(5, 6))
    table_sheet(wb, _("Findings by input"), [_("Input"), _("Finding"), _("Grade"), _("Source"), _("Unit"), _("Ref"),
                                             _("Statement"), _("Raised"), _("Status"), _("Overdue"), _("Audit")],
                finding_rows,
                widths=[7, 17, 16, 14, 24, 8, 50, 12, 16, 9, 15], table_name="InputFindings")


def _clause_scores_sheet(wb, pack: ReviewPack) -> None:
    """Figure 1 of the Word pack: every clause in the period and in the previous period, with a native chart."""
    ws, count = table_sheet(
        wb, _("Clause scores"), [_("Standard"), _("Clause"), _("Clause title"), _("Score"), _("Before"), _("Change"),
                                 _("Audits"), _("Applicable in"), _("Applicable before")],
        [(c.standard, c.number, c.title, *_clause_cells(c), c.audits, c.applicable_in, c.before_in)
         for c in pack.clause_scores], widths=[12, 8, 40, 11, 11, 10, 8, 12, 14], table_name="ClauseScores",
        percent_columns=(3, 4))
    if not count:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = _("Mean score by clause, {start} to {end} and the previous period").format(
        start=pack.period_from.isoformat(), end=pack.period_to.isoformat())
    axes(chart, categories=_("Clause"), values=_("Mean score"), share=True)
    chart.add_data(Reference(ws, min_col=4, max_col=5, min_row=1, max_row=count + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=2, min_row=2, max_row=count + 1))
    # one bar pair per clause: tall enough for every label, beneath the table so that it prints with it
    chart.height, chart.width = max(10.0, 0.9 * count), 18
    ws.add_chart(chart, f"A{count + 3}")


def _audits_sheet(wb, pack: ReviewPack) -> None:
    """Input c6: the audits of the period."""
    table_sheet(wb, _("Audits"), [_("Audit"), _("Title"), _("Unit"), pgettext("column", "Start"), _("Standard"),
                                  _("Status"), _("Score"), _("Coverage"), _("Verdict"), pgettext("grade", "Major"),
                                  pgettext("grade", "Minor"), _("Observation"), _("OFI"), _("Open NCs")],
                [(a.id, a.title, a.unit, a.start, a.standard, audit_state_words(a.status),
                  _score(a.overall, a.shown.text), a.coverage,
                  a.verdict, a.majors, a.minors, a.observations, a.ofis, a.open_ncs) for a in pack.audits],
                widths=[16, 40, 28, 12, 14, 12, 12, 10, 20, 7, 7, 11, 7, 9], table_name="Audits",
                percent_columns=(6, 7))


def _clause_trends_sheet(wb, pack: ReviewPack) -> None:
    t = pack.trends
    table_sheet(wb, _("Clause trends"), [_("Clause"), *[str(y) for y in t.cycles]],
                [(n, *[_score(per.get(y)) for y in t.cycles]) for n, per in t.clauses.items()],
                widths=[10, *[11] * len(t.cycles)], table_name="ClauseTrends",
                percent_columns=tuple(range(1, len(t.cycles) + 1)))


def _recurring_sheet(wb, pack: ReviewPack) -> None:
    table_sheet(wb, _("Recurring NCs"), [_("Unit"), _("Requirement"), _("Audits in a row"), _("Audits"), _("Years")],
                [(r.unit, r.ref, len(r.audits), ", ".join(r.audits), ", ".join(map(str, r.years)))
                 for r in pack.trends.recurring], widths=[30, 12, 14, 50, 20], table_name="Recurring")


def _capa_ageing_sheet(wb, pack: ReviewPack) -> None:
    period, backlog = pack.capa_period, pack.capa_backlog
    capa_rows = [(_("Overdue {when}").format(when=pack.end_label), pack.capa_overdue_of_period.at_end,
                  pack.capa_overdue.at_end),
                 (_("Open {when}").format(when=pack.today_label), period.open, backlog.open),
                 (_("Overdue {when}").format(when=pack.today_label), period.overdue, backlog.overdue),
                 *[(_("Open {age}").format(age=age_words(label)), period.open_by_age[label],
                    backlog.open_by_age[label]) for label in period.open_by_age],
                 (_("Closed"), period.closed, backlog.closed),
                 (_("Closed after the due date"), period.closed_late, backlog.closed_late),
                 (_("Verified not effective at least once"), period.not_effective, backlog.not_effective),
                 (_("Mean days to close"), period.mean_days_to_close, backlog.mean_days_to_close)]
    table_sheet(wb, _("CAPA ageing"), [_("Measure"), _("NCs raised in the period"), _("All NCs to date")],
                capa_rows,
                widths=[38, 24, 18], table_name="CapaAgeing")


def _improvement_sheet(wb, pack: ReviewPack) -> None:
    table_sheet(wb, _("Improvement"), [_("Finding"), _("Grade"), _("Unit"), _("Ref"), _("Statement"), _("Raised")],
                [(f.id, f.grade, f.unit, f.ref, f.statement, f.raised) for f in pack.improvement],
                widths=[17, 16, 24, 8, 60, 12], table_name="Improvement")


def _programme_sheet(wb, pack: ReviewPack) -> None:
    if pack.programme is None:
        return
    table_sheet(wb, _("Programme"), [_("Month"), _("Unit"), _("Standard"), _("Clauses"), _("Lead"), _("Status"),
                                     _("Audit"), _("Independence")],
                [(month_start(r.planned.month), r.planned.unit, r.planned.standard,
                  ", ".join(r.planned.clauses) or _("all"), r.planned.lead, programme_state_words(r.status),
                  r.audit or "", "; ".join(r.conflicts) or _("ok"))
                 for r in pack.programme.rows], widths=[9, 30, 12, 14, 22, 12, 16, 40], table_name="Programme",
                formats={0: MONTH_FORMAT})


def _outputs_sheet(wb) -> None:
    """The review's outputs, to fill in at the meeting."""
    table_sheet(wb, _("Outputs"), [_("Kind"), _("Decision or action"), _("Owner"), pgettext("column", "Due")],
                [(decision_kind_words("improvement"), "", "", None), (decision_kind_words("qms-change"), "", "", None),
                 (decision_kind_words("resources"), "", "", None)]
                + [(pgettext("decision kind", "action"), "", "", None) for _row in range(6)], widths=[14, 70, 24, 12],
                table_name="Outputs",
                formats={3: DATE_FORMAT})
