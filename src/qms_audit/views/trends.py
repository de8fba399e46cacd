"""Portfolio trends from the documents in audits/: scores per cycle, NCs, recurring NCs, CAPA ageing,
maturity. Derived from the records every time, so any faculty or campus can run them offline.

A score per cycle is the mean of the audits' shown scores (`scoring.mean_shown`): an audit whose clause, or
whole audit, did not reach the coverage threshold adds no percentage, and the counts say over how many
audits each mean runs."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from qms_audit.domain.deadlines import overdue_on
from qms_audit.domain.means import mean_of_units, shown_mean_of
from qms_audit.infra.i18n import N_, _
from qms_audit.model.numbering import number_key
from qms_audit.services.portfolio import AuditDigest, finding_facts, findings_facts
from qms_audit.store.facts import AuditInSequence, FactsFilter, FactsReader, memory_facts

if TYPE_CHECKING:
    from qms_audit.infra.locations import Workspace
    from qms_audit.model.audit import Finding

# The labels are keys of `CapaAgeing.open_by_age` (and of `trends --json`): they stay English there, and are
# translated where shown (`age_words`)
AGE_BUCKETS = ((30, N_("up to 30 days")), (90, N_("31-90 days")), (180, N_("91-180 days")),
               (10**9, N_("over 180 days")))
# the findings' grades (`model.audit.Grade` values, as the facts tables hold them) under the keys trends show
GRADES = (("major_nc", "major"), ("minor_nc", "minor"), ("observation", "observation"), ("ofi", "ofi"))
NC_LABELS = dict(GRADES[:2])


def age_words(label: str) -> str:
    """An age bucket's label (a key of `CapaAgeing.open_by_age`) in the reader's language."""
    return _(label)


def band_labels(workspace: Workspace, standards: Sequence[str]) -> dict[str, str]:
    """The score bands (verdicts) of these standards (id@version) by name, labelled in the reader's language from
    the standards' translations; none in English, where a verdict is shown by its name. A standard that cannot be
    read labels nothing (its verdicts keep their names)."""
    from qms_audit.infra.i18n import ENGLISH, current_language
    from qms_audit.services.overlays import OverlayLibrary
    from qms_audit.services.standards import StandardLibrary

    language = current_language()
    if language == ENGLISH:
        return {}
    library = StandardLibrary(workspace)
    overlays = OverlayLibrary(library)
    labels: dict[str, str] = {}
    for key in standards:
        std_id, _sep, version = key.partition("@")
        try:
            std = overlays.localised(library.get(std_id, version or None), language).standard
        except Exception:  # a label is a courtesy: the verdict's name still says it
            continue
        for band in std.scoring.bands:
            labels.setdefault(band.name, band.label)
    return labels


def verdict_words(verdict: str, labels: dict[str, str]) -> str:
    """A verdict (a score band's name) as `band_labels` labels it, else its name."""
    return labels.get(verdict, verdict)


@dataclass
class Recurring:
    unit: str
    ref: str
    audits: list[str]
    years: list[int]


@dataclass
class CapaAgeing:
    open: int = 0
    overdue: int = 0
    closed: int = 0
    closed_late: int = 0
    not_effective: int = 0
    open_by_age: dict[str, int] = field(default_factory=dict)
    mean_days_to_close: float | None = None


@dataclass
class Trends:
    audits: int
    units: list[str]
    standards: list[str]
    cycles: list[int]
    overall: dict[int, dict[str, float | int | None]]  # audits, scored (of them), mean, min, max
    clauses: dict[str, dict[int, float | None]]  # None: scored in no audit of that cycle
    ncs: dict[int, dict[str, int]]
    ncs_by_clause: dict[str, dict[str, int]]
    recurring: list[Recurring]
    capa: CapaAgeing
    maturity: dict[int, float | None]
    verdicts: dict[int, dict[str, int]]
    # per clause and cycle: {"scored": audits whose clause score counts, "audits": audits where it applied}
    clause_audits: dict[str, dict[int, dict[str, int]]] = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("overall", "ncs", "maturity", "verdicts"):
            data[key] = {str(k): v for k, v in data[key].items()}
        for key in ("clauses", "clause_audits"):
            data[key] = {c: {str(y): v for y, v in years.items()} for c, years in data[key].items()}
        return data


def trend_floor(trends: Trends) -> float:
    """The lower end for drawing clause scores: a little below the lowest, in tenths, so that the small moves
    of a mature system still show (the scale is always said beside the chart)."""
    seen = [v for per in trends.clauses.values() for v in per.values() if v is not None]
    return max(0.0, int((min(seen, default=0.0) - 0.05) * 10) / 10)


def filter_digests(digests: list[AuditDigest], *, unit: str | None = None, standard: str | None = None,
                   since: dt.date | None = None, until: dt.date | None = None) -> list[AuditDigest]:
    out = []
    wanted_unit = unit.lower() if unit else None
    for d in digests:
        if wanted_unit and wanted_unit not in (d.unit.lower(), d.unit_code.lower()):
            continue
        if standard and standard not in (d.standard_key, d.standard_key.split("@")[0]):
            continue
        start = d.start
        if since and start < since:
            continue
        if until and start > until:
            continue
        out.append(d)
    return out


def compute_facts(facts: FactsReader, where: FactsFilter, *, today: dt.date) -> Trends:
    """The trends of the audits `where` chooses, from the facts tables (of the index, or in memory)."""
    years = facts.years(where)
    cycles = [y.year for y in years]
    overall: dict[int, dict[str, float | int | None]] = {}
    maturity = {}
    for y in years:
        shown = shown_mean_of(y.score_units, y.scored, y.applicable)
        overall[y.year] = {"audits": y.audits, "scored": shown.scored, "mean": shown.mean,
                           "min": round(y.low, 4) if y.low is not None else None,
                           "max": round(y.high, 4) if y.high is not None else None}
        maturity[y.year] = mean_of_units(y.maturity_units or 0, y.matured)
    verdicts: dict[int, dict[str, int]] = {year: {} for year in cycles}
    for year, verdict, n in facts.verdicts(where):
        verdicts[year][verdict] = n
    clauses: dict[str, dict[int, float | None]] = defaultdict(dict)
    clause_audits: dict[str, dict[int, dict[str, int]]] = defaultdict(dict)
    for c in sorted(facts.clauses(where), key=lambda c: (number_key(c.clause), c.year)):
        shown = shown_mean_of(c.score_units, c.scored, c.applicable)
        clauses[c.clause][c.year] = shown.mean
        clause_audits[c.clause][c.year] = {"scored": shown.scored, "audits": shown.audits}
    counts = {(year, grade): n for year, grade, n in facts.finding_counts(where)}
    ncs = {year: {label: counts.get((year, key), 0) for key, label in GRADES} for year in cycles}
    ncs_by_clause: dict[str, dict[str, int]] = defaultdict(lambda: {"major": 0, "minor": 0})
    for clause, grade, n in facts.nc_counts_by_clause(where):
        ncs_by_clause[clause][NC_LABELS[grade]] += n
    units, standards = facts.names(where)
    return Trends(
        audits=sum(y.audits for y in years), units=units, standards=standards, cycles=cycles, overall=overall,
        clauses=dict(clauses), ncs=ncs,
        ncs_by_clause={c: ncs_by_clause[c] for c in sorted(ncs_by_clause, key=number_key)},
        recurring=recurring_ncs(facts.sequence(where)), capa=ageing_of([(facts, where)], today=today),
        maturity=maturity, verdicts=verdicts, clause_audits=dict(clause_audits))


def recurring_ncs(sequence: Iterable[AuditInSequence]) -> list[Recurring]:
    """The same requirement nonconforming in consecutive audits of the same unit (against the same standard,
    whatever its version): the latest unbroken run of each requirement. `sequence`: the audits in the order
    they took place, per unit and standard."""
    by_unit: dict[tuple[str, str], list[AuditInSequence]] = defaultdict(list)
    for a in sequence:
        by_unit[(a.unit, a.standard_base)].append(a)
    out: list[Recurring] = []
    for (unit, _standard), group in sorted(by_unit.items()):
        runs: dict[str, list[AuditInSequence]] = {}
        for previous, current in itertools.pairwise(group):
            for ref in previous.nc_refs & current.nc_refs:
                chain = runs.setdefault(ref, [previous])
                if chain[-1] is not previous:
                    runs[ref] = chain = [previous]
                chain.append(current)
        for ref, chain in sorted(runs.items(), key=lambda kv: number_key(kv[0])):
            out.append(Recurring(unit, ref, [a.id for a in chain], [a.year for a in chain]))
    return out


def findings_ageing(findings: Iterable[Finding], *, today: dt.date) -> CapaAgeing:
    """CAPA ageing of these findings' nonconformities (those of the register, or of a period)."""
    facts = findings_reader(findings)
    try:
        return ageing_of([(facts, FactsFilter())], today=today)
    finally:
        facts.conn.close()


def findings_reader(findings: Iterable[Finding]) -> FactsReader:
    """These findings in facts tables of their own (in memory), as the findings of one pseudo-audit: they are
    then counted by the same queries as the audits' findings."""
    return memory_facts([findings_facts("findings", [finding_facts(f) for f in findings])])


def ageing_of(sources: Sequence[tuple[FactsReader, FactsFilter]], *, today: dt.date) -> CapaAgeing:
    """Open and closed live nonconformities by age, over the findings each filter chooses in its facts tables;
    the rules (open, overdue, closed late, not effective) are the domain's, stored as facts when the audits were
    read."""
    result = CapaAgeing(open_by_age={label: 0 for _, label in AGE_BUCKETS})
    days_to_close = timed = 0
    for facts, where in sources:
        for raised, overdue_after in facts.open_ncs(where):
            result.open += 1
            age = (today - raised).days
            label = next(label for limit, label in AGE_BUCKETS if age <= limit)
            result.open_by_age[label] += 1
            if overdue_on(overdue_after, today):
                result.overdue += 1
        closed = facts.closed_ncs(where)
        result.closed += closed.closed
        result.closed_late += closed.closed_late
        result.not_effective += closed.not_effective
        days_to_close += closed.days_to_close or 0
        timed += closed.timed
    if timed:
        result.mean_days_to_close = round(days_to_close / timed, 1)
    return result
