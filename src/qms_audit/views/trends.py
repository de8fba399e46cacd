"""Portfolio trends from the documents in audits/: scores per cycle, NCs, recurring NCs, CAPA ageing,
maturity. Derived from the records every time, so any faculty or campus can run them offline.

A score per cycle is the mean of the audits' shown scores (`scoring.mean_shown`): an audit whose clause, or
whole audit, did not reach the coverage threshold adds no percentage, and the counts say over how many
audits each mean runs."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from qms_audit.domain.scoring import Shown, mean_shown
from qms_audit.model.audit import Finding, Grade
from qms_audit.model.common import number_key
from qms_audit.services.portfolio import AuditDigest, FindingFacts, finding_facts

AGE_BUCKETS = ((30, "up to 30 days"), (90, "31-90 days"), (180, "91-180 days"), (10**9, "over 180 days"))
GRADES = (("major_nc", "major"), ("minor_nc", "minor"), ("observation", "observation"), ("ofi", "ofi"))


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


def mean(values: Iterable[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return round(sum(got) / len(got), 4) if got else None


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


def compute(digests: list[AuditDigest], *, today: dt.date) -> Trends:
    by_year: dict[int, list[AuditDigest]] = defaultdict(list)
    for d in digests:
        by_year[d.start.year].append(d)
    cycles = sorted(by_year)
    overall = {}
    clauses: dict[str, dict[int, float | None]] = defaultdict(dict)
    clause_audits: dict[str, dict[int, dict[str, int]]] = defaultdict(dict)
    maturity = {}
    verdicts = {}
    ncs: dict[int, dict[str, int]] = {}
    for year in cycles:
        group = by_year[year]
        shown = mean_shown(d.shown for d in group)
        scores = [d.overall for d in group if d.overall is not None]
        overall[year] = {"audits": len(group), "scored": shown.scored, "mean": shown.mean,
                         "min": round(min(scores), 4) if scores else None,
                         "max": round(max(scores), 4) if scores else None}
        # one pass over the audits: each clause's shown scores gathered, then averaged by the one rule
        per_clause: dict[str, list[Shown]] = defaultdict(list)
        for d in group:
            for number, clause_shown in d.clauses.items():
                per_clause[number].append(clause_shown)
        for number in sorted(per_clause, key=number_key):
            shown = mean_shown(per_clause[number])
            clauses[number][year] = shown.mean
            clause_audits[number][year] = {"scored": shown.scored, "audits": shown.audits}
        maturity[year] = mean(d.maturity for d in group)
        verdicts[year] = dict(Counter(d.verdict for d in group))
        counts = Counter(f.grade for d in group for f in d.findings if f.live)
        ncs[year] = {label: counts.get(Grade(key), 0) for key, label in GRADES}
    ncs_by_clause: dict[str, dict[str, int]] = defaultdict(lambda: {"major": 0, "minor": 0})
    for d in digests:
        for f in d.findings:
            if f.live and f.grade.is_nc and f.ref:
                clause = f.ref.split(".")[0]
                ncs_by_clause[clause]["major" if f.grade is Grade.MAJOR_NC else "minor"] += 1
    return Trends(
        audits=len(digests), units=sorted({d.unit for d in digests}),
        standards=sorted({d.standard_key for d in digests}), cycles=cycles, overall=overall,
        clauses={c: clauses[c] for c in sorted(clauses, key=number_key)}, ncs=ncs,
        ncs_by_clause={c: ncs_by_clause[c] for c in sorted(ncs_by_clause, key=number_key)},
        recurring=recurring_ncs(digests), capa=capa_ageing(digests, today=today), maturity=maturity,
        verdicts=verdicts, clause_audits={c: clause_audits[c] for c in sorted(clause_audits, key=number_key)})


def recurring_ncs(digests: list[AuditDigest]) -> list[Recurring]:
    """The same requirement nonconforming in consecutive audits of the same unit."""
    by_unit: dict[tuple[str, str], list[AuditDigest]] = defaultdict(list)
    for d in digests:
        by_unit[(d.unit, d.standard_key.split("@")[0])].append(d)
    out: list[Recurring] = []
    for (unit, _std), group in sorted(by_unit.items()):
        group.sort(key=lambda d: (d.start, d.id))
        refs = [{f.ref for f in d.findings if f.ref and f.live and f.grade.is_nc} for d in group]
        streaks: dict[str, list[AuditDigest]] = {}
        for (previous, before), (current, now) in itertools.pairwise(zip(group, refs, strict=True)):
            for ref in before & now:
                chain = streaks.setdefault(ref, [previous])
                if chain[-1] is not previous:
                    streaks[ref] = chain = [previous]
                chain.append(current)
        for ref, chain in sorted(streaks.items(), key=lambda kv: number_key(kv[0])):
            out.append(Recurring(unit, ref, [d.id for d in chain], [d.start.year for d in chain]))
    return out


def capa_ageing(digests: Iterable[AuditDigest], *, today: dt.date, extra: Iterable[Finding] = ()) -> CapaAgeing:
    """Open and closed nonconformities of these audits (and `extra` findings, from the register), by age; the
    rules (open, overdue, closed late, not effective) are the domain's, read from the findings' facts."""
    result = CapaAgeing(open_by_age={label: 0 for _, label in AGE_BUCKETS})
    days_to_close: list[int] = []
    facts: list[FindingFacts] = [f for d in digests for f in d.findings]
    facts += (finding_facts(f) for f in extra)
    for f in facts:
        if f.withdrawn or not f.grade.is_nc:
            continue
        if f.not_effective:
            result.not_effective += 1
        if f.open:
            result.open += 1
            age = (today - f.raised).days
            label = next(label for limit, label in AGE_BUCKETS if age <= limit)
            result.open_by_age[label] += 1
            if f.overdue(today):
                result.overdue += 1
        else:
            result.closed += 1
            if f.closed is not None:  # a closed CAPA records when it closed; this only tells the type checker
                days_to_close.append((f.closed - f.raised).days)
            if f.closed_late:
                result.closed_late += 1
    result.mean_days_to_close = round(sum(days_to_close) / len(days_to_close), 1) if days_to_close else None
    return result
