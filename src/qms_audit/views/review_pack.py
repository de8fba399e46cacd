"""What a management review must consider (ISO 9001:2015 9.3.2 a-f), gathered from the workspace for one period.

The Word and Excel packs (qms_audit.render.review_docx / review_xlsx) only lay this out. Each input shows the
audit results of the clauses the standard maps to it (`review_inputs` in the standard file), compared with the
period before, and the findings raised against them; c4 and c6 add the NC/CAPA and audit figures, a the
follow-up of earlier reviews' actions, f the opportunities for improvement raised.

A clause's figure for a period is the mean of its shown scores over the audits that scored it
(`scoring.mean_shown`): an audit where the clause did not reach the coverage threshold adds no percentage, and
a clause scored in no audit of the period reads "not scored" ("no audit" when no audit of the period had it in
scope). Every figure is compared with the previous period of the same length (`previous_period`).

Overdue corrective actions and review actions are counted twice: at the end of the period, on the records as
they stood that day, and today, the day the pack is prepared.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qms_audit.domain.capa_rules import is_overdue, overdue_at_end_of, stage
from qms_audit.domain.means import NO_AUDIT, NOT_APPLICABLE, NOT_SCORED, Shown, ShownMean, change_points, mean_shown
from qms_audit.domain.presentation import date
from qms_audit.infra.clock import add_months
from qms_audit.infra.errors import BadInput
from qms_audit.infra.files import atomic_write_bytes
from qms_audit.infra.i18n import ENGLISH, N_, NP_, _, current_language, ngettext, pgettext
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import Finding, Grade, NcSource
from qms_audit.model.review import ManagementReview
from qms_audit.model.standard import Standard
from qms_audit.services.overlays import OverlayLibrary
from qms_audit.services.portfolio import AuditDigest, FindingFacts, facts_of, open_portfolio, with_details
from qms_audit.services.programme import ProgrammeView
from qms_audit.services.reviews import CarriedAction, actions_to_report, load_reviews, overdue_review_actions
from qms_audit.services.standards import StandardLibrary
from qms_audit.store.facts import FactsFilter, FactsReader, memory_facts
from qms_audit.views.trends import (
    CapaAgeing,
    Trends,
    ageing_of,
    compute_facts,
    filter_digests,
    findings_ageing,
    findings_reader,
)

# The inputs' titles are in the reader's language once gathered (`gather` translates them)
INPUTS = [
    ("a", "9.3.2 a", N_("Status of actions from previous management reviews")),
    ("b", "9.3.2 b", N_("Changes in external and internal issues")),
    ("c1", "9.3.2 c 1", N_("Satisfaction of learners and other stakeholders")),
    ("c2", "9.3.2 c 2", N_("How far quality objectives were met")),
    ("c3", "9.3.2 c 3", N_("Process performance and conformity of micro-credentials")),
    ("c4", "9.3.2 c 4", N_("Nonconformities and corrective actions")),
    ("c5", "9.3.2 c 5", N_("Monitoring and measurement results")),
    ("c6", "9.3.2 c 6", N_("Audit results")),
    ("c7", "9.3.2 c 7", N_("Performance of external providers")),
    ("d", "9.3.2 d", N_("Adequacy of resources")),
    ("e", "9.3.2 e", N_("Effectiveness of actions on risks and opportunities")),
    ("f", "9.3.2 f", N_("Opportunities for improvement")),
]
FEEDBACK_SOURCES = (NcSource.COMPLAINT, NcSource.LEARNER_FEEDBACK, NcSource.INDUSTRY_FEEDBACK)
MAX_FINDINGS_PER_INPUT = 25
COMPACT_GRADES = {Grade.MAJOR_NC: N_("Major NC"), Grade.MINOR_NC: N_("Minor NC"), Grade.OBSERVATION: N_("Observation"),
                  Grade.OFI: N_("OFI")}
# A finding's state in the pack's short columns: the corrective-action stage of an NC (`capa_rules.stage`),
# written as its code in English, or whether it was withdrawn or only noted
FINDING_STATES = {
    "open": NP_("finding state", "open"), "correction": NP_("finding state", "correction"),
    "analysed": NP_("finding state", "analysed"), "actions-in-progress": NP_("finding state", "actions-in-progress"),
    "awaiting-verification": NP_("finding state", "awaiting-verification"),
    "verified": NP_("finding state", "verified"), "reopened": NP_("finding state", "reopened"),
    "closed": NP_("finding state", "closed"), "withdrawn": NP_("finding state", "withdrawn"),
    "noted": NP_("finding state", "noted")}
# Where an NC came from (`model.audit.NcSource` values), as the pack names it
SOURCE_WORDS = {"internal_audit": N_("internal audit"), "external_audit": N_("external audit"),
                "complaint": N_("complaint"), "learner_feedback": N_("learner feedback"),
                "industry_feedback": N_("industry feedback"), "management_review": N_("management review"),
                "other": N_("other")}
# An audit's status (`model.audit.AuditStatus` values)
AUDIT_STATES = {
    "planned": NP_("audit status", "planned"), "in_progress": NP_("audit status", "in_progress"),
    "reported": NP_("audit status", "reported"), "follow_up": NP_("audit status", "follow_up"),
    "closed": NP_("audit status", "closed")}
# A review action's state (`services.reviews.action_state`)
ACTION_STATES = {"open": N_("open"), "overdue": N_("overdue"), "done": N_("done"), "done late": N_("done late"),
                 "dropped": N_("dropped")}


# The words a score is shown with when it gives no percentage (`domain.means`), as the pack says them
SCORE_WORDS = {NOT_SCORED: N_("not scored"), NOT_APPLICABLE: N_("not applicable"), NO_AUDIT: N_("no audit")}


def score_words(text: str) -> str:
    """A shown score or mean (`Shown.text`, `ShownMean.text`) in the reader's language: a percentage as it is,
    else its words, with the coverage when it gives one ("not scored (coverage 40%)")."""
    if text in SCORE_WORDS:
        return _(SCORE_WORDS[text])
    prefix = f"{NOT_SCORED} (coverage "
    if text.startswith(prefix) and text.endswith(")"):
        return _("not scored (coverage {coverage})").format(coverage=text[len(prefix):-1])
    return text


def source_words(label: str) -> str:
    """Where an NC came from, from its English label (`NcSource.label`, which the tables above hold)."""
    return _(label) if label.replace(" ", "_") in SOURCE_WORDS else label


def finding_state_words(state: str) -> str:
    """A finding's state as the pack's columns show it (a code no table names reads as itself)."""
    return pgettext("finding state", FINDING_STATES[state]) if state in FINDING_STATES else state


# A planned audit's state in the programme (`services.programme`)
PROGRAMME_STATES = {
    "done": NP_("programme status", "done"), "in progress": NP_("programme status", "in progress"),
    "scheduled": NP_("programme status", "scheduled"), "overdue": NP_("programme status", "overdue")}
# The kinds of a review's decision (`model.review`)
DECISION_KINDS = {
    "improvement": NP_("decision kind", "improvement"), "qms-change": NP_("decision kind", "qms-change"),
    "resources": NP_("decision kind", "resources"), "other": NP_("decision kind", "other")}


def programme_state_words(status: str) -> str:
    return pgettext("programme status", PROGRAMME_STATES[status]) if status in PROGRAMME_STATES else status


def decision_kind_words(kind: str) -> str:
    return pgettext("decision kind", DECISION_KINDS[kind]) if kind in DECISION_KINDS else kind


def audit_state_words(status: str) -> str:
    return pgettext("audit status", AUDIT_STATES[status]) if status in AUDIT_STATES else status


def action_state_words(state: str) -> str:
    """A review action's state in the reader's language."""
    return _(ACTION_STATES[state]) if state in ACTION_STATES else state


@dataclass
class AuditLine:
    id: str
    title: str
    unit: str
    start: dt.date
    standard: str
    status: str
    overall: float | None
    coverage: float | None
    verdict: str
    verdict_short: str
    majors: int
    minors: int
    observations: int
    ofis: int
    open_ncs: int

    @property
    def shown(self) -> Shown:
        """The audit's overall score as shown: "not scored (coverage N%)" below the coverage threshold."""
        return Shown(self.overall, self.coverage)


@dataclass
class FindingLine:
    id: str
    grade: str
    grade_short: str
    severity: int
    unit: str
    ref: str
    statement: str
    source: str
    raised: dt.date
    stage: str
    overdue: bool
    audit: str


@dataclass
class ClauseLine:
    standard: str
    number: str
    title: str
    now_mean: ShownMean  # over the audits of the period that scored the clause
    before_mean: ShownMean  # the same over the period before
    majors: int
    minors: int
    others: int  # observations and OFIs

    @property
    def now(self) -> float | None:
        """The period's mean; None: scored in no audit of the period."""
        return self.now_mean.mean

    @property
    def before(self) -> float | None:
        return self.before_mean.mean

    @property
    def audits(self) -> int:
        """Audits of the period that scored the clause."""
        return self.now_mean.scored

    @property
    def applicable_in(self) -> int:
        """Audits of the period where the clause applied, scored or not."""
        return self.now_mean.audits

    @property
    def before_in(self) -> int:
        return self.before_mean.audits

    @property
    def now_text(self) -> str:
        return score_words(self.now_mean.text)

    @property
    def before_text(self) -> str:
        return score_words(self.before_mean.text)

    @property
    def change_text(self) -> str:
        return change(self.now, self.before)

    @property
    def audits_text(self) -> str:
        """Over how many audits the mean runs: "3", or "3 of 5" when some had too little coverage."""
        if self.applicable_in > self.audits:
            return _("{scored} of {audits}").format(scored=self.audits, audits=self.applicable_in)
        return str(self.audits)


@dataclass
class InputBlock:
    key: str
    label: str
    title: str
    clauses: list[ClauseLine] = field(default_factory=list)
    findings: list[FindingLine] = field(default_factory=list)
    more_findings: int = 0
    unmapped: list[str] = field(default_factory=list)  # standards in use that map no clause to this input


@dataclass(frozen=True)
class Overdue:
    """How many were overdue at the end of the period, on the records as they stood that day, and how many are
    overdue today."""

    at_end: int = 0
    today: int = 0

    def __bool__(self) -> bool:
        return bool(self.at_end or self.today)


@dataclass
class ReviewPack:
    institution: str
    period_from: dt.date
    period_to: dt.date
    before_from: dt.date
    before_to: dt.date
    prepared_on: dt.date
    audits: list[AuditLine]
    audits_before: int
    trends: Trends
    capa_period: CapaAgeing
    capa_backlog: CapaAgeing
    ncs_by_source: dict[str, int]
    feedback: list[FindingLine]
    previous: ManagementReview | None
    carried: list[CarriedAction]
    inputs: dict[str, InputBlock]
    improvement: list[FindingLine]
    programme: ProgrammeView | None
    errors: list[str]
    # every auditable clause of the period's standards, now and in the previous period (the pack's Figure 1)
    clause_scores: list[ClauseLine] = field(default_factory=list)
    capa_overdue: Overdue = Overdue()  # corrective actions of every NC recorded by then
    capa_overdue_of_period: Overdue = Overdue()  # the same, of the NCs raised in the period
    review_overdue: Overdue = Overdue()  # actions of the reviews this one follows up (input a)
    paper: str = "A4"  # the institution's paper (its profile), which the pack is laid out for

    @property
    def end_day(self) -> dt.date:
        """The day "at the end of the period" counts on: the period's last day, or today while it runs."""
        return min(self.period_to, self.prepared_on)

    @property
    def end_label(self) -> str:
        if self.period_to <= self.prepared_on:
            return _("at the end of the period ({day})").format(day=date(self.period_to))
        return _("on {day}, before the period ends ({end})").format(day=date(self.prepared_on),
                                                                   end=date(self.period_to))

    @property
    def today_label(self) -> str:
        return _("today ({day})").format(day=date(self.prepared_on))

    @property
    def recurring_in_period(self) -> int:
        """Recurring nonconformities whose latest audit took place in the period."""
        ids = {a.id for a in self.audits}
        return sum(1 for r in self.trends.recurring if r.audits and r.audits[-1] in ids)

    @property
    def verdicts(self) -> dict[str, int]:
        return dict(Counter(a.verdict for a in self.audits))

    @property
    def mean_score(self) -> ShownMean:
        """The mean overall score of the period's audits, over those whose overall score is shown."""
        return mean_shown(a.shown for a in self.audits)


def previous_period(start: dt.date, stop: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before: whole months (a year, a semester) shift by months, so that
    2025 compares with 2024 even across a leap year; any other span shifts by its number of days."""
    after_stop = stop + dt.timedelta(days=1)
    if start.day == 1 and after_stop.day == 1:
        months = (after_stop.year * 12 + after_stop.month) - (start.year * 12 + start.month)
        return add_months(start, -months), start - dt.timedelta(days=1)
    length = stop - start
    before_to = start - dt.timedelta(days=1)
    return before_to - length, before_to


def _in(day: dt.date, start: dt.date, stop: dt.date) -> bool:
    return start <= day <= stop


def finding_line(f: Finding, today: dt.date, audit: str = "") -> FindingLine:
    compact = _(COMPACT_GRADES[f.grade]) if f.grade in COMPACT_GRADES else f.grade.short
    return FindingLine(id=f.id, grade=f.grade.label, grade_short=compact,
                       severity=f.grade.severity, unit=f.unit or "", ref=f.ref or "",
                       statement=f.statement, source=source_words(f.source.label), raised=f.raised_at.date(),
                       stage="withdrawn" if f.withdrawn else stage(f) if f.grade.is_nc else "noted",
                       overdue=f.grade.is_nc and is_overdue(f, today), audit=audit)


def _audit_line(d: AuditDigest, bands: dict[str, str]) -> AuditLine:
    """An audit of the period; `bands`: its standard's score band labels in the reader's language."""
    live = [f for f in d.findings if f.live]
    count = Counter(f.grade for f in live)
    verdict, verdict_short = d.verdict_label, d.verdict.replace("-", " ")
    if current_language() != ENGLISH and d.verdict in bands:
        verdict = verdict_short = bands[d.verdict]
    return AuditLine(
        id=d.id, title=d.title, unit=d.unit, start=d.start,
        standard=d.standard_key, status=d.status.value, overall=d.overall, coverage=d.coverage,
        verdict=verdict, verdict_short=verdict_short,
        majors=count[Grade.MAJOR_NC], minors=count[Grade.MINOR_NC],
        observations=count[Grade.OBSERVATION], ofis=count[Grade.OFI],
        open_ncs=sum(1 for f in live if f.grade.is_nc and f.open))


def _enclosing(ref: str | None) -> list[str]:
    """The clause numbers a requirement lies under, itself included: 8.1.c -> 8, 8.1, 8.1.c (a finding counts
    for each; looking them up is what keeps a pack of thousands of findings quick)."""
    if not ref:
        return []
    parts = ref.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _by_clause(findings: Sequence[tuple[Finding, str]]) -> dict[tuple[str, str], list[tuple[Finding, str]]]:
    """Findings by (standard id, clause number) for every number their requirement lies under."""
    out: dict[tuple[str, str], list[tuple[Finding, str]]] = {}
    for item in findings:
        finding = item[0]
        std_id = (finding.standard or "").split("@")[0]
        for number in _enclosing(finding.ref):
            out.setdefault((std_id, number), []).append(item)
    return out


def gather(workspace: Workspace, period_from: dt.date, period_to: dt.date, *, today: dt.date,
           digests: list[AuditDigest] | None = None, load_errors: Sequence[str] = (),
           progress: Callable[[int, int], None] | None = None) -> ReviewPack:
    """The pack for the period. `digests` are the workspace's audits when the caller has read them already, with
    `load_errors` for those it could not read; otherwise they are read here, through the index."""
    errors = list(load_errors)
    if digests is not None:
        facts = memory_facts(facts_of(d) for d in digests)
        try:
            return _gather(workspace, period_from, period_to, today=today, digests=digests, facts=facts,
                           errors=errors)
        finally:
            facts.conn.close()
    with open_portfolio(workspace, digests=True, errors=errors, progress=progress) as portfolio:
        return _gather(workspace, period_from, period_to, today=today, digests=portfolio.digests,
                       facts=portfolio.facts, errors=errors)


def _gather(workspace: Workspace, period_from: dt.date, period_to: dt.date, *, today: dt.date,
            digests: list[AuditDigest], facts: FactsReader, errors: list[str]) -> ReviewPack:
    """The pack, from every audit's digest and the facts tables of the same audits (trends and CAPA ageing
    aggregate the history up to the period's end from them)."""
    from qms_audit.services.profile import maybe_profile

    before_from, before_to = previous_period(period_from, period_to)
    # the audits of the period are listed finding by finding: their finding records are read for them alone
    in_period = with_details(workspace, sorted(filter_digests(digests, since=period_from, until=period_to),
                                               key=lambda d: (d.start, d.id)))
    before = filter_digests(digests, since=before_from, until=before_to)
    history = FactsFilter(until=period_to)
    library = StandardLibrary(workspace)
    profile = maybe_profile(workspace)

    register = _register_findings(workspace)
    audit_findings = [(f, d.id) for d in in_period for f in d.details or [] if f.withdrawn is None]
    register_in_period = [f for f in register if f.withdrawn is None and _in(f.raised_at.date(), period_from,
                                                                               period_to)]
    all_in_period = audit_findings + [(f, "") for f in register_in_period]

    inputs: dict[str, InputBlock] = {key: InputBlock(key, label, _(title)) for key, label, title in INPUTS}
    standards = {}
    language = current_language()
    overlays = OverlayLibrary(library)
    for d in in_period:
        if d.standard_key not in standards:
            std_id, _sep, version = d.standard_key.partition("@")
            # the standard's texts (clause titles, score bands) in the reader's language, English where the
            # overlay has none
            standards[d.standard_key] = overlays.localised(library.get(std_id, version or None), language).standard
    bands = {key: {b.name: b.label for b in std.scoring.bands} for key, std in standards.items()}
    audit_by_clause = _by_clause(audit_findings)
    clause_scores: list[ClauseLine] = []
    for key_std, std in standards.items():
        now_group = [d for d in in_period if d.standard_key == key_std]
        before_group = [d for d in before if d.standard_key.split("@")[0] == std.id]
        groups = (now_group, before_group, audit_by_clause)
        clause_scores += [_clause_line(std, key_std, c.number, *groups) for c in std.auditable_clauses()]
        for key, block in inputs.items():
            numbers = std.review_inputs.get(key, [])  # type: ignore[call-overload]
            if not numbers and key not in ("a",):
                block.unmapped.append(std.title)
            block.clauses += [_clause_line(std, key_std, number, *groups) for number in numbers]
    period_by_clause = _by_clause(all_in_period)
    for block in inputs.values():
        _add_findings(block, period_by_clause, register_in_period, today)

    nc_period = [f for f, _ in all_in_period if f.grade.is_nc]
    live_register = [f for f in register if f.withdrawn is None]
    improvement = sorted((f for f, _ in all_in_period if f.grade in (Grade.OFI, Grade.OBSERVATION)),
                         key=lambda f: (-f.grade.severity, f.raised_at, f.id))
    reviews = load_reviews(workspace)
    previous, carried = actions_to_report(reviews, period_to, today)
    end_day = min(period_to, today)
    # every NC recorded to date, as it stands today: what the review meets to decide on
    backlog = _backlog_ageing(facts, FactsFilter(), live_register, today=today)
    capa_period = findings_ageing(nc_period, today=today)
    late_at_end = _overdue_at_end(workspace, digests, in_period, live_register, end_day)
    capa_overdue = Overdue(at_end=len(late_at_end), today=backlog.overdue)
    capa_overdue_of_period = Overdue(at_end=sum(1 for f in nc_period if _key(f) in late_at_end),
                                     today=capa_period.overdue)
    review_overdue = Overdue(at_end=overdue_review_actions(reviews, period_to, end_day),
                             today=overdue_review_actions(reviews, period_to, today))
    programme_view = None
    if workspace.programme_path.exists():
        from qms_audit.services.programme import load_programme, view

        programme_view = view(workspace, load_programme(workspace), digests, profile, today=today)
    return ReviewPack(
        institution=profile.name if profile else workspace.root.name,
        period_from=period_from, period_to=period_to, before_from=before_from, before_to=before_to,
        prepared_on=today, audits=[_audit_line(d, bands.get(d.standard_key, {})) for d in in_period],
        audits_before=len(before),
        trends=compute_facts(facts, history, today=today),
        capa_period=capa_period,
        capa_backlog=backlog,
        ncs_by_source=dict(Counter(f.source.label for f in nc_period)),
        feedback=[finding_line(f, today) for f in register_in_period if f.source in FEEDBACK_SOURCES],
        previous=previous, carried=carried, inputs=inputs,
        improvement=[finding_line(f, today) for f in improvement],
        programme=programme_view, errors=errors, clause_scores=clause_scores, capa_overdue=capa_overdue,
        capa_overdue_of_period=capa_overdue_of_period, review_overdue=review_overdue,
        paper=profile.paper if profile else "A4")


def _clause_line(std: Standard, key_std: str, number: str, now_group: Sequence[AuditDigest],
                 before_group: Sequence[AuditDigest],
                 audit_by_clause: dict[tuple[str, str], list[tuple[Finding, str]]]) -> ClauseLine:
    """A clause of a standard in the period and in the previous one: the mean of its shown scores over the
    audits that scored it, and the findings of the period's audits against it."""
    clause = std.clause(number)
    found = [f for f, _ in audit_by_clause.get((std.id, number), []) if f.standard == key_std]
    now = mean_shown(d.shown_for(number) for d in now_group)
    before = mean_shown(d.shown_for(number) for d in before_group)
    return ClauseLine(
        standard=std.id, number=number, title=clause.title if clause else number, now_mean=now, before_mean=before,
        majors=sum(1 for f in found if f.grade is Grade.MAJOR_NC),
        minors=sum(1 for f in found if f.grade is Grade.MINOR_NC),
        others=sum(1 for f in found if not f.grade.is_nc))


def _key(finding: Finding) -> tuple[str, str]:
    return finding.audit_id or "", finding.id


def _overdue_at_end(workspace: Workspace, digests: Sequence[AuditDigest], in_period: Sequence[AuditDigest],
                    register: Sequence[Finding], day: dt.date) -> set[tuple[str, str]]:
    """The nonconformities (audit, id) whose corrective action was overdue at the end of `day`, judged on their
    records as they stood then. Only the audits holding an NC still open that day are read finding by finding."""
    def open_then(f: FindingFacts) -> bool:
        return (f.live and f.grade.is_nc and f.raised <= day
                and (f.open or (f.closed is not None and f.closed > day)))

    read = {d.id: d for d in in_period if d.details is not None}
    wanted = [d for d in digests if d.id not in read and any(open_then(f) for f in d.findings)]
    records = [f for d in [*read.values(), *with_details(workspace, wanted)] for f in d.details or []]
    return {_key(f) for f in [*records, *register] if f.withdrawn is None and overdue_at_end_of(f, day)}


def _backlog_ageing(facts: FactsReader, where: FactsFilter, register: Sequence[Finding], *,
                    today: dt.date) -> CapaAgeing:
    """CAPA ageing today of the nonconformities of the audits `where` chooses and of these register NCs."""
    register_facts = findings_reader(register)
    try:
        return ageing_of([(facts, where), (register_facts, FactsFilter())], today=today)
    finally:
        register_facts.conn.close()


def _add_findings(block: InputBlock, period_by_clause: dict[tuple[str, str], list[tuple[Finding, str]]],
                  register_in_period: list[Finding], today: dt.date) -> None:
    """The findings of the period raised against the input's clauses, worst first (learner and stakeholder
    feedback from the register joins input c1). A finding under two of the input's clauses counts once."""
    seen: set[int] = set()
    chosen: list[tuple[Finding, str]] = []
    for clause in block.clauses:
        for f, a in period_by_clause.get((clause.standard, clause.number), []):
            if f.grade.makes_finding and id(f) not in seen:
                seen.add(id(f))
                chosen.append((f, a))
    if block.key == "c1":
        chosen += [(f, "") for f in register_in_period if f.source in FEEDBACK_SOURCES
                   and all(f is not g for g, _ in chosen)]
    chosen.sort(key=lambda fa: (-fa[0].grade.severity, fa[0].raised_at, fa[0].id))
    block.findings = [finding_line(f, today, a) for f, a in chosen[:MAX_FINDINGS_PER_INPUT]]
    block.more_findings = max(0, len(chosen) - MAX_FINDINGS_PER_INPUT)


PackBuilder = Callable[[ReviewPack, str], bytes]


def default_period(reviews: Sequence[ManagementReview], *, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The period a pack covers when none is named: from the day after the last review's period (`reviews` in
    the order `load_reviews` gives them), or the last twelve months when none is recorded, to today. None when
    the last review already covered up to today: there is nothing new to review by default."""
    start = reviews[-1].period_to + dt.timedelta(days=1) if reviews else today - dt.timedelta(days=364)
    return (start, today) if start <= today else None


def default_output(workspace: Workspace, period_from: dt.date, period_to: dt.date) -> Path:
    return workspace.reports_dir / f"management-review-{period_from.isoformat()}-{period_to.isoformat()}.docx"


def write_review_pack(workspace: Workspace, period_from: dt.date, period_to: dt.date, output: Path | None, *,
                      today: dt.date, build: PackBuilder, digests: list[AuditDigest] | None = None,
                      load_errors: Sequence[str] = (), progress: Callable[[int, int], None] | None = None
                      ) -> tuple[Path, ReviewPack]:
    """Gather the pack for the period and write it to `output` (default: reports/management-review-FROM-TO.docx)
    as .docx or .xlsx. `build(pack, "docx" | "xlsx")` lays it out: the document libraries belong to the render
    layer above this one. The pack's `errors` name the audits left out because they could not be read."""
    path = output or default_output(workspace, period_from, period_to)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("docx", "xlsx"):
        raise BadInput(f"{path}: the pack is written as .docx or .xlsx")
    pack = gather(workspace, period_from, period_to, today=today, digests=digests, load_errors=load_errors,
                  progress=progress)
    atomic_write_bytes(path, build(pack, fmt))
    return path, pack


def _register_findings(workspace: Workspace) -> list[Finding]:
    from qms_audit.store.audits import NcRegister

    register = NcRegister(workspace)
    if not register.folder.is_dir():
        return []
    register.ensure_recovered("reader")
    return list(register.load().values())


def change(now: float | None, before: float | None) -> str:
    """The change between the two figures shown, in points: "+3 pts", "same", or "" when either is not shown."""
    points = change_points(now, before)
    if points is None:
        return ""
    return _("{points} pts").format(points=f"{points:+d}") if points else _("same")


FALL_POINTS = 5  # a clause whose shown mean fell by this many points or more stands out


def highlights(pack: ReviewPack) -> list[str]:
    """What stands out, in the order a chair would want to hear it. "Nothing stands out" is said only when every
    check below found nothing, and names what was checked."""
    out: list[str] = []
    if pack.review_overdue:
        out.append(_("Actions of earlier reviews overdue: {at_end} {end}, {today} {today_label} (input a).").format(
            at_end=pack.review_overdue.at_end, end=pack.end_label, today=pack.review_overdue.today,
            today_label=pack.today_label))
    seen: set[tuple[str, str]] = set()
    for c in [*pack.clause_scores, *(c for block in pack.inputs.values() for c in block.clauses)]:
        points = change_points(c.now, c.before)
        if points is not None and points <= -FALL_POINTS and (c.standard, c.number) not in seen:
            seen.add((c.standard, c.number))
            out.append(_("Clause {number} {title} fell from {before} to {now}.").format(
                number=c.number, title=c.title, before=c.before_text, now=c.now_text))
    if pack.capa_overdue:
        out.append(_("Corrective actions overdue: {at_end} {end}, {today} {today_label}; {open} NC(s) are still open "
                     "(input c4).").format(at_end=pack.capa_overdue.at_end, end=pack.end_label,
                                           today=pack.capa_overdue.today, today_label=pack.today_label,
                                           open=pack.capa_backlog.open))
    if pack.recurring_in_period:
        out.append(_("{n} requirement(s) were nonconforming again in consecutive audits of the same unit, the latest "
                     "in the period (input c4): the earlier corrective actions did not hold.").format(
                         n=pack.recurring_in_period))
    majors = sum(a.majors for a in pack.audits)
    if majors:
        out.append(ngettext("{n} major nonconformity was raised in the period (input c6).",
                            "{n} major nonconformities were raised in the period (input c6).", majors).format(n=majors))
    checked = [_("no corrective action and no action of an earlier review was overdue at the end of the period or "
                 "is overdue today"), _("no clause fell by {points} points or more").format(points=FALL_POINTS),
               _("no nonconformity recurred in the period"), _("no major nonconformity was raised in the period")]
    if pack.programme is not None:
        overdue = [r for r in pack.programme.rows if r.status == "overdue"]
        conflicts = [r for r in pack.programme.rows if r.conflicts]
        gaps = {s: g for s, g in pack.programme.gaps.items() if g}
        if overdue:
            out.append(_("{n} planned audit(s) are overdue in the audit programme.").format(n=len(overdue)))
        if conflicts:
            out.append(_("{n} planned audit(s) have a lead or team member from the audited unit.").format(
                n=len(conflicts)))
        for std_id, numbers in gaps.items():
            out.append(_("The programme does not cover clauses {numbers} of {standard} this cycle.").format(
                numbers=", ".join(numbers), standard=std_id))
        checked.append(_("the audit programme has no overdue audit, no independence conflict and no gap"))
    if not out:
        out.append(_("Nothing stands out: {checked}.").format(checked="; ".join(checked)))
    return out
