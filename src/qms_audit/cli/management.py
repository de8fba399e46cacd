"""Commands for management: `programme`, `trends`, `review` (pack, record, actions) and `generate portfolio`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from qms_audit.cli.common import AppContext, emit_json, pass_app, print_table, progress_bar, warn
from qms_audit.cli.options import DATE
from qms_audit.infra import exit_codes
from qms_audit.infra.errors import BadInput, from_validation
from qms_audit.infra.i18n import _, format_decimal, ngettext, pgettext


def _today() -> dt.date:
    from qms_audit.infra import clock

    return clock.today()


def _digests(app: AppContext, label: str | None = None):
    from qms_audit.services.portfolio import load_digests

    errors: list[str] = []
    digests = load_digests(app.workspace, errors=errors, progress=progress_bar(label or _("reading audits")))
    for error in errors:
        _left_out(error)
    return digests


def _left_out(error: str) -> None:
    warn(_("left out (unreadable): {error}").format(error=error))


def _maturity(value: float | None) -> str:
    return "—" if value is None else format_decimal(value, places=1)


def _programme_state(status: str) -> str:
    """A planned audit's state in the reader's language, an overdue one in capitals."""
    from qms_audit.views.review_pack import programme_state_words

    words = programme_state_words(status)
    return words.upper() if status == "overdue" else words


# -- programme -------------------------------------------------------------------------------------------


@click.group("programme")
def programme() -> None:
    """The audit programme (programme.yaml): coverage, gaps, overdue audits, independence (ISO 9001 9.2.2)."""


@programme.command("show")
@click.option("--json", "as_json", is_flag=True)
@click.option("--check", is_flag=True, help="Exit 1 when there are gaps, overdue audits or conflicts.")
@pass_app
def programme_show(app: AppContext, as_json: bool, check: bool) -> None:
    """The planned audits with their status, clause coverage per standard, gaps and conflicts."""
    from qms_audit.model.common import number_key
    from qms_audit.services.profile import maybe_profile
    from qms_audit.services.programme import load_programme, view

    ws = app.workspace
    prog = load_programme(ws)
    shown = view(ws, prog, _digests(app), maybe_profile(ws), today=_today())
    overdue = [r for r in shown.rows if r.status == "overdue"]
    conflicts = [r for r in shown.rows if r.conflicts]
    if as_json:
        emit_json({
            "name": prog.name, "owner": prog.owner, "cycle": [prog.cycle_start, prog.cycle_end],
            "audits": [{**r.planned.model_dump(mode="json", exclude_none=True), "status": r.status,
                        "carried_out_by": r.audit, "conflicts": r.conflicts} for r in shown.rows],
            "coverage": shown.coverage, "gaps": shown.gaps, "units_not_audited": shown.units_not_audited,
            "people_not_in_profile": shown.unknown_people})
    else:
        click.echo(_("{name}: owner {owner}, cycle {start} to {end}").format(
            name=prog.name, owner=prog.owner, start=prog.cycle_start, end=prog.cycle_end))
        if prog.method:
            import textwrap

            click.echo(textwrap.fill(_("Method: {method}").format(method=prog.method), width=110,
                                     subsequent_indent="  "))
        click.echo("")
        print_table([_("Month"), _("Unit"), _("Standard"), _("Clauses"), _("Lead"), _("Status"), _("Audit")], [
            (r.planned.month, r.planned.unit, r.planned.standard, ", ".join(r.planned.clauses) or _("all"),
             r.planned.lead, _programme_state(r.status), r.audit or "")
            for r in shown.rows])
        for std_id, clauses in shown.coverage.items():
            numbers = sorted(clauses, key=number_key)
            units = sorted({entry.rsplit(" (", 1)[0] for entries in clauses.values() for entry in entries})
            one_year = prog.cycle_start[:4] == prog.cycle_end[:4]
            click.echo("\n" + _("Coverage of {standard}: when each unit is audited on each clause ({form})").format(
                standard=std_id, form="MM" if one_year else "YY-MM"))
            print_table([_("Unit"), *numbers], [
                (unit, *[",".join(e.rsplit(" (", 1)[1][5:7] if one_year else e.rsplit(" (", 1)[1][2:7]
                                  for e in clauses.get(n, [])
                                  if e.rsplit(" (", 1)[0] == unit) or "·" for n in numbers])
                for unit in units])
        click.echo("")
        for std_id, gaps in shown.gaps.items():
            click.echo(_("Gaps in {standard}: clauses {clauses} are not planned in this cycle").format(
                standard=std_id, clauses=", ".join(gaps)) if gaps
                else _("Gaps in {standard}: none, every auditable clause is planned").format(standard=std_id))
        click.echo(_("Overdue: {n}").format(n=len(overdue))
                   + "".join(f"\n  {r.planned.month} {r.planned.unit}" for r in overdue))
        click.echo(_("Independence conflicts: {n}").format(n=len(conflicts)) + "".join(
            f"\n  {r.planned.month} {r.planned.unit}: {'; '.join(r.conflicts)}" for r in conflicts))
        if shown.units_not_audited:
            click.echo(_("Units of institution.yaml with no audit planned: {units}").format(
                units=", ".join(shown.units_not_audited)))
        if shown.unknown_people:
            click.echo(_("Auditors not in institution.yaml (independence not checked): {names}").format(
                names=", ".join(shown.unknown_people)))
    if check and (overdue or conflicts or any(shown.gaps.values())):
        raise click.exceptions.Exit(exit_codes.FINDINGS)


@programme.command("suggest")
@click.option("--year", type=int, help="The year to plan (default: next year).")
@click.option("--standard", "standard_id", default="mc-qms", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the proposal as a programme file (refuses to overwrite programme.yaml).")
@pass_app
def programme_suggest(app: AppContext, year: int | None, standard_id: str, output: Path | None) -> None:
    """Propose next year's programme from earlier results, for every unit, keeping the audits programme.yaml
    already schedules that year: clauses with NCs come back sooner, clauses never assessed come back."""
    from qms_audit.infra.files import atomic_write_text
    from qms_audit.services.profile import maybe_profile
    from qms_audit.services.programme import load_programme, programme_yaml, suggest

    ws = app.workspace
    year = year or _today().year + 1
    # the audits the current programme schedules for that year are kept, and the proposal is made around them
    scheduled = load_programme(ws) if ws.programme_path.exists() else None
    proposal, reasons = suggest(ws, _digests(app), maybe_profile(ws), year=year, standard_id=standard_id,
                                scheduled=scheduled)
    text = programme_yaml(proposal)
    if output is None:
        click.echo(text, nl=False)
        click.echo("")
        for reason in reasons:
            click.echo(f"# {reason}")
        return
    if output.resolve() == ws.programme_path.resolve() and output.exists():
        raise BadInput(_("{file}: the current programme is there; write the proposal elsewhere and merge it").format(
            file=output))
    atomic_write_text(output, text)
    kept = sum(1 for p in scheduled.audits if p in proposal.audits) if scheduled else 0
    click.echo(_("wrote {file}: {proposed} audits proposed for {year}, {kept} kept as scheduled").format(
        file=output, proposed=len(proposal.audits) - kept, year=year, kept=kept))
    for reason in reasons:
        click.echo(f"  {reason}")


# -- trends ----------------------------------------------------------------------------------------------


@click.command("trends")
@click.option("--unit", help="Only audits of this unit (name or code).")
@click.option("--standard", "standard_id", help="Only audits against this standard.")
@click.option("--period", help="Only audits that started in FROM..TO (e.g. 2023..2026 or 2025-07..2026-06).")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def trends_cmd(app: AppContext, unit: str | None, standard_id: str | None, period: str | None,
               as_json: bool) -> None:
    """Scores per cycle, NCs by grade and clause, recurring NCs, CAPA ageing and maturity across audits."""
    from qms_audit.domain.means import NOT_SCORED, mean_text
    from qms_audit.domain.presentation import pct, sparkline
    from qms_audit.infra.clock import parse_period
    from qms_audit.services.portfolio import open_portfolio
    from qms_audit.store.facts import FactsFilter
    from qms_audit.views.review_pack import score_words
    from qms_audit.views.trends import age_words, band_labels, compute_facts, trend_floor, verdict_words

    since, until = parse_period(period) if period else (None, None)
    where = FactsFilter(unit=unit, standard=standard_id, since=since, until=until)
    errors: list[str] = []
    with open_portfolio(app.workspace, errors=errors, progress=progress_bar(_("reading audits"))) as portfolio:
        facts = portfolio.facts
        for error in errors:
            _left_out(error)
        if not facts.count(where):
            what = ", ".join(x for x in (unit and _("unit {unit}").format(unit=unit),
                                         standard_id and _("standard {standard}").format(standard=standard_id),
                                         period and _("period {period}").format(period=period)) if x) \
                or _("the workspace")
            raise BadInput(_("no audits match {what} (of {total} in the workspace)").format(
                what=what, total=facts.count(FactsFilter())))
        t = compute_facts(facts, where, today=_today())
    if as_json:
        emit_json(t.to_json())
        return
    years = t.cycles
    bands = band_labels(app.workspace, t.standards)
    click.echo(_("Trends over {audits} audits of {units} unit(s), {first}-{last}; standards: {standards}").format(
        audits=t.audits, units=len(t.units), first=years[0], last=years[-1], standards=", ".join(t.standards)))
    click.echo("\n" + _("Overall score per cycle (means over the audits whose score is shown)"))
    print_table([_("Cycle"), _("Audits"), _("Scored"), _("Mean"), _("Min"), _("Max"), _("Maturity"), _("Verdicts")], [
        (y, t.overall[y]["audits"], t.overall[y]["scored"], score_words(mean_text(t.overall[y]["mean"])),
         pct(t.overall[y]["min"]), pct(t.overall[y]["max"]),
         _maturity(t.maturity[y]),
         ", ".join(f"{verdict_words(k, bands)} {v}" for k, v in sorted(t.verdicts[y].items()))) for y in years],
        right=(1, 2, 3, 4, 5, 6))
    click.echo("\n" + _("Clause scores per cycle (means over the audits that scored the clause; \"{not_scored}\": no "
                        "audit assessed enough of it)").format(not_scored=score_words(NOT_SCORED)))
    low = trend_floor(t)
    print_table([_("Clause"), *[str(y) for y in years], _("Trend ({low}-100%)").format(low=f"{low:.0%}")], [
        (number, *[score_words(mean_text(per.get(y))) for y in years],
         sparkline([per.get(y) for y in years], low=low))
        for number, per in t.clauses.items()], right=tuple(range(1, len(years) + 1)))
    click.echo("\n" + _("Findings per cycle"))
    print_table([_("Cycle"), pgettext("grade", "Major"), pgettext("grade", "Minor"), _("Observation"), _("OFI")], [
        (y, t.ncs[y]["major"], t.ncs[y]["minor"], t.ncs[y]["observation"], t.ncs[y]["ofi"]) for y in years],
        right=(1, 2, 3, 4))
    click.echo("\n" + _("Nonconformities by clause (all cycles)"))
    print_table([_("Clause"), pgettext("grade", "Major"), pgettext("grade", "Minor")],
                [(c, v["major"], v["minor"]) for c, v in t.ncs_by_clause.items()], right=(1, 2))
    click.echo("\n" + _("Recurring NCs (same requirement nonconforming in consecutive audits of a unit): {n}").format(
        n=len(t.recurring)))
    for r in t.recurring[:30]:
        click.echo("  " + _("{unit}: {ref} in {n} audits in a row ({years})").format(
            unit=r.unit, ref=r.ref, n=len(r.audits), years=", ".join(map(str, r.years))))
    if len(t.recurring) > 30:
        click.echo("  " + _("... and {n} more (--json lists them all)").format(n=len(t.recurring) - 30))
    c = t.capa
    click.echo("\n" + _("CAPA: {open} open ({overdue} overdue), {closed} closed ({late} late), {not_effective} "
                        "verified not effective at least once; mean {days} days to close").format(
        open=c.open, overdue=c.overdue, closed=c.closed, late=c.closed_late, not_effective=c.not_effective,
        days="—" if c.mean_days_to_close is None else format_decimal(c.mean_days_to_close, places=0)))
    click.echo("  " + _("open by age: {ages}").format(
        ages=", ".join(f"{age_words(label)} {n}" for label, n in c.open_by_age.items())))


# -- management review -------------------------------------------------------------------------------------


@click.group("review")
def review() -> None:
    """Management review (ISO 9001 9.3): the pack for the meeting, and its decisions and actions afterwards."""



@review.command("pack")
@click.option("--period", help="FROM..TO, e.g. 2025-07..2026-06 (default: since the previous review, or the "
                               "last twelve months).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.docx or FILE.xlsx (default: reports/management-review-FROM-TO.docx).")
@pass_app
def review_pack(app: AppContext, period: str | None, output: Path | None) -> None:
    """The management review pack: one section per 9.3.2 input a-f, charts, and an outputs section."""
    from qms_audit.infra.clock import parse_period
    from qms_audit.render.build import build_review_pack
    from qms_audit.services.reviews import load_reviews
    from qms_audit.views.review_pack import default_period, write_review_pack

    ws = app.workspace
    chosen = parse_period(period) if period else default_period(load_reviews(ws), today=_today())
    if chosen is None:
        raise BadInput(_("the last review covered up to today; name the period with --period FROM..TO"))
    start, stop = chosen
    path, pack = write_review_pack(ws, start, stop, output, today=_today(), build=build_review_pack,
                                   progress=progress_bar(_("reading audits")))
    for error in pack.errors:
        _left_out(error)
    n = len(pack.audits)
    click.echo(ngettext("wrote {file}: {n} audit in {period}, {open} review actions still open",
                        "wrote {file}: {n} audits in {period}, {open} review actions still open", n).format(
        file=path, n=n, period=f"{start.isoformat()}..{stop.isoformat()}",
        open=sum(1 for c in pack.carried if c.state in ("open", "overdue"))))
    for counts, one_day, two_days in (
            (pack.capa_overdue, _("  corrective actions overdue: {today} {today_label}, the last day of the period"),
             _("  corrective actions overdue: {at_end} {end}, {today} {today_label}")),
            (pack.review_overdue, _("  review actions overdue: {today} {today_label}, the last day of the period"),
             _("  review actions overdue: {at_end} {end}, {today} {today_label}"))):
        # the period ends today: one count says both
        line = one_day if pack.period_to == pack.prepared_on else two_days
        click.echo(line.format(today=counts.today, today_label=pack.today_label, at_end=counts.at_end,
                               end=pack.end_label))


@review.command("record")
@click.option("--file", "minutes_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Read the review from a YAML file (held_on, period_from, period_to, chair, decisions, ...).")
@click.option("--held-on", type=DATE, help="The day the review was held.")
@click.option("--period", help="The period it reviewed, FROM..TO.")
@click.option("--chair")
@click.option("--title", default="Management review", show_default=True)
@click.option("--attendee", "attendees", multiple=True)
@click.option("--issue", "issues", multiple=True, help="A change in internal or external issues noted (9.3.2 b).")
@click.option("--decision", "decisions", multiple=True,
              help="KIND: TEXT where KIND is improvement, qms-change, resources or other.")
@click.option("--action", "actions", multiple=True, help="'DESCRIPTION | OWNER | DUE (YYYY-MM-DD)'.")
@pass_app
def review_record(app: AppContext, minutes_file: Path | None, held_on: dt.date | None, period: str | None,
                  chair: str | None, title: str, attendees: tuple[str, ...], issues: tuple[str, ...],
                  decisions: tuple[str, ...], actions: tuple[str, ...]) -> None:
    """Store the decisions and actions of a held review, so that the next pack reports their status."""
    from pydantic import ValidationError

    from qms_audit.infra.clock import parse_period
    from qms_audit.model.review import PlannedReviewAction, ReviewMinutes
    from qms_audit.services.reviews import load_minutes, parse_decision, record_review

    ws = app.workspace
    if minutes_file is not None:
        if any((held_on, period, chair, attendees, issues, decisions, actions)):
            raise BadInput(_("give the review either in --file or as options, not both"))
        minutes = load_minutes(minutes_file, base=ws.root)
    else:
        if held_on is None or not period or not chair:
            missing = [name for name, value in (("--held-on", held_on), ("--period", period), ("--chair", chair))
                       if not value]
            raise BadInput(_("missing {options} (or give the review in --file)").format(options=", ".join(missing)))
        start, stop = parse_period(period)
        planned = []
        for text in actions:
            parts = [p.strip() for p in text.split("|")]
            if len(parts) != 3 or not all(parts):
                raise BadInput(_("--action '{text}': write it as 'DESCRIPTION | OWNER | DUE'").format(text=text))
            try:
                due = dt.date.fromisoformat(parts[2])
            except ValueError:
                raise BadInput(_("--action '{text}': '{due}' is not a date (YYYY-MM-DD)").format(
                    text=text, due=parts[2])) from None
            planned.append(PlannedReviewAction(description=parts[0], owner=parts[1], due=due))
        try:
            minutes = ReviewMinutes(title=title, held_on=held_on, period_from=start, period_to=stop,
                                    chair=chair, attendees=list(attendees), issues=list(issues),
                                    decisions=[parse_decision(d) for d in decisions], actions=planned)
        except ValidationError as exc:
            raise from_validation(exc, "review") from None
    saved = record_review(ws, minutes, actor=app.actor)
    click.echo(_("recorded review {id}: {decisions} decision(s), {actions} action(s)").format(
        id=saved.id, decisions=len(saved.decisions), actions=len(saved.actions)))
    for action in saved.actions:
        click.echo("  " + _("{id}  due {due}  {owner}: {description}").format(
            id=action.id, due=action.due.isoformat(), owner=action.owner, description=action.description))


@review.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def review_list(app: AppContext, as_json: bool) -> None:
    """Reviews held, and the state of every action they set."""
    from qms_audit.services.reviews import action_state, load_reviews
    from qms_audit.views.review_pack import action_state_words

    reviews = load_reviews(app.workspace)
    today = _today()
    if as_json:
        emit_json([{**r.model_dump(mode="json"), "action_states": {a.id: action_state(a, today) for a in r.actions}}
                   for r in reviews])
        return
    if not reviews:
        click.echo(_("no management review recorded yet (qms-audit review record)"))
        return
    for r in reviews:
        click.echo(_("{id}  {title}: period {period}, chair {chair}, {n} decision(s)").format(
            id=r.id, title=r.title, period=f"{r.period_from.isoformat()}..{r.period_to.isoformat()}", chair=r.chair,
            n=len(r.decisions)))
        for a in r.actions:
            state = action_state_words(action_state(a, today))
            click.echo(f"  {a.id:<4} {state:<10} " + _("due {due}  {owner}: {description}").format(
                due=a.due.isoformat(), owner=a.owner, description=a.description))


@review.command("action")
@click.argument("review_id")
@click.argument("action_id")
@click.option("--status", type=click.Choice(["done", "dropped", "open"]), required=True)
@click.option("--note")
@click.option("--on", "on", type=DATE, help="When it was done or dropped (default today).")
@pass_app
def review_action(app: AppContext, review_id: str, action_id: str, status: str, note: str | None,
                  on: dt.date | None) -> None:
    """Follow up an action set by a review: done, dropped, or open again."""
    from qms_audit.services.reviews import set_action
    from qms_audit.views.review_pack import action_state_words

    action = set_action(app.workspace, review_id, action_id, status=status, actor=app.actor, note=note, on=on)
    state = action_state_words(action.status)
    if action.closed_on:
        state = _("{state} on {day}").format(state=state, day=action.closed_on.isoformat())
    click.echo(f"{review_id} {action.id}: {state}")


# -- generated portfolio -----------------------------------------------------------------------------------


@click.group("generate")
def generate() -> None:
    """Generated sample data, to try the management views and to measure speed."""


@generate.command("portfolio")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--audits", type=click.IntRange(1, 20000), default=40, show_default=True)
@click.option("--years", type=click.IntRange(1, 20), default=5, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
def generate_portfolio_cmd(directory: Path, audits: int, years: int, seed: int) -> None:
    """A new workspace in DIRECTORY with a multi-year portfolio of a fictional university: audits with
    findings and CAPAs, NCs from complaints and feedback, held reviews with actions, and this year's programme."""
    from qms_audit.demo.portfolio import generate_sample_workspace

    ws, ids = generate_sample_workspace(directory, audits=audits, years=years, seed=seed,
                                        progress=progress_bar(_("writing audits")))
    click.echo(_("created {root}: {audits} audits over {years} year(s), NC register, reviews, programme.yaml").format(
        root=ws.root, audits=len(ids), years=years))
    click.echo(_("next: qms-audit -w {directory} trends   |   programme show   |   review pack -o pack.docx").format(
        directory=directory))
