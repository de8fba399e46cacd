"""Conformity scores, coverage, verdict and PDCA maturity: a pure module (no I/O), see docs/scoring.md.

Per requirement: conformity, good practice, OFI and observation count 1; a minor NC counts
`minor_value` (0.5); a major NC `major_value` (0). A standard rated on levels scores level / highest level.
Not applicable leaves numerator and denominator; not assessed lowers coverage, never the score.
A clause score is the weighted mean of its assessed requirements; an open major NC caps it at `major_cap`,
below the pass band. The overall score is the clause-weighted mean of clause scores. One rule,
`shown_score`, decides for a clause, a sub-clause, a PDCA phase and the whole audit whether a score is shown:
only when the assessed share of applicable weight reaches the coverage threshold; otherwise it is "not
scored (coverage N%)", never a percentage. Across audits, `mean_shown` averages only the audits that scored
it. Every view (CLI, TUI, reports, trends, review pack) reads these, none re-derives them.
The verdict is rule-based.
PDCA maturity (0-4) comes from the phases of the evidence recorded and is reported beside conformity,
never blended into it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from qms_audit.domain.capa_rules import is_open
from qms_audit.domain.means import Shown, shown_score
from qms_audit.domain.presentation import pct
from qms_audit.model.audit import Finding, Grade, RequirementResult
from qms_audit.model.common import PHASES, Phase, number_key
from qms_audit.model.standard import ScoringRules, Standard

if TYPE_CHECKING:
    from qms_audit.store.audits import AuditSnapshot

GRADE_VALUE_FIXED = {
    Grade.CONFORMITY: 1.0,
    Grade.GOOD_PRACTICE: 1.0,
    Grade.OFI: 1.0,
    Grade.OBSERVATION: 1.0,
}

MATURITY_LABELS = {0: "none", 1: "planned", 2: "done", 3: "checked", 4: "acted"}
_GRADE_KEYS = {grade: grade.value for grade in Grade}
_NOT_ASSESSED_KEY = Grade.NOT_ASSESSED.value
# The phase of a requirement its standard places in none: it counts in its clause, not in the PDCA profile
NO_PHASE = ""

VERDICT_INCOMPLETE = "incomplete"
VERDICT_NOT_CONFORMING = "not-conforming"


class RequirementValue(NamedTuple):
    """What one requirement's rating contributes (section 1 of docs/scoring.md)."""

    applicable: bool  # False when rated not applicable: out of numerator and denominator
    assessed: bool  # False when not assessed (yet): lowers coverage, never the score
    value: float | None  # in [0, 1] when assessed


_NOT_APPLICABLE = RequirementValue(False, False, None)
_NOT_ASSESSED = RequirementValue(True, False, None)


class ValueRule:
    """How a standard values a requirement's rating: the one rule behind every score and coverage figure.
    Made once per scoring, as `of` runs for every requirement of every audit of a portfolio."""

    __slots__ = ("by_grade", "top_level")

    def __init__(self, standard: Standard) -> None:
        rules = standard.scoring
        values = {**GRADE_VALUE_FIXED, Grade.MINOR_NC: rules.minor_value, Grade.MAJOR_NC: rules.major_value}
        self.by_grade = {grade: RequirementValue(True, True, value) for grade, value in values.items()}
        # a standard rated on levels scores level / highest level, whatever grade the record carries
        self.top_level = (standard.max_level or 1) if standard.uses_levels else None

    def of(self, result: RequirementResult | None) -> RequirementValue:
        if result is None:
            return _NOT_ASSESSED
        if result.grade is Grade.NOT_APPLICABLE:
            return _NOT_APPLICABLE
        if self.top_level is not None:
            if result.level is None:
                return _NOT_ASSESSED
            return RequirementValue(True, True, max(0.0, min(1.0, result.level / self.top_level)))
        return self.by_grade.get(result.grade, _NOT_ASSESSED)


def is_assessed(standard: Standard, result: RequirementResult) -> bool:
    return ValueRule(standard).of(result).assessed


def maturity_level(phases: Iterable[Phase]) -> int:
    """A ladder: 1 needs plan evidence, 2 plan and do, 3 adds check, 4 adds act."""
    have = set(phases)
    level = 0
    for phase in PHASES:
        if phase not in have:
            break
        level += 1
    return level


class RequirementScore(NamedTuple):
    ref: str
    clause: str
    phase: str
    weight: float
    applicable: bool
    assessed: bool
    value: float | None
    maturity: int


@dataclass(frozen=True)
class ClauseScore:
    number: str
    title: str
    weight: float
    score: float | None
    raw_score: float | None
    coverage: float | None
    band: str
    band_label: str
    capped: bool
    open_majors: int
    requirements: int
    applicable: int
    assessed: int
    maturity: float | None

    @property
    def shown(self) -> Shown:
        return Shown(self.score, self.coverage)


@dataclass(frozen=True)
class PhaseScore:
    score: float | None
    raw_score: float | None
    coverage: float | None
    applicable: int
    assessed: int

    @property
    def shown(self) -> Shown:
        return Shown(self.score, self.coverage)


@dataclass(frozen=True)
class Maturity:
    overall: float | None
    distribution: dict[int, int]
    clauses: dict[str, float | None]


@dataclass(frozen=True)
class AuditScore:
    overall: float | None
    overall_raw: float | None
    coverage: float | None
    verdict: str
    verdict_label: str
    verdict_reasons: list[str]
    clauses: dict[str, ClauseScore]
    pdca: dict[str, PhaseScore]
    maturity: Maturity
    requirements: dict[str, RequirementScore]
    grade_counts: dict[str, int]
    findings: dict[str, dict[str, int]]
    escalations: list[dict[str, object]]
    thresholds: dict[str, float]
    out_of_scope: list[str] = field(default_factory=list)
    # every sub-clause in scope that holds requirements (e.g. 9.2 and 9.2.1), under the same rule as a clause
    subclauses: dict[str, Shown] = field(default_factory=dict)

    @property
    def shown(self) -> Shown:
        """The overall score as every view shows it."""
        return Shown(self.overall, self.coverage)

    def shown_for(self, number: str) -> Shown | None:
        """A clause or sub-clause as shown; None when it is not part of this audit (out of scope, unknown)."""
        clause = self.clauses.get(number)
        return clause.shown if clause is not None else self.subclauses.get(number)

    def to_json(self) -> dict[str, object]:
        data = asdict(replace(self, requirements={}))
        data.pop("requirements")
        data["maturity"]["distribution"] = {str(k): v for k, v in self.maturity.distribution.items()}
        data["requirements"] = {ref: {"value": r.value, "maturity": r.maturity, "assessed": r.assessed,
                                      "applicable": r.applicable}
                                for ref, r in self.requirements.items()}
        # the words a view shows beside the numbers: "74%", or "not scored (coverage 33%)"
        data["overall_shown"] = self.shown.text
        for number, clause in self.clauses.items():
            data["clauses"][number]["shown"] = clause.shown.text
        for key, phase in self.pdca.items():
            data["pdca"][key]["shown"] = phase.shown.text
        data["subclauses"] = {number: {"score": sub.score, "coverage": sub.coverage, "shown": sub.text}
                              for number, sub in self.subclauses.items()}
        return data


# The name services.portfolio and the tests know the open rule by; the rule is capa_rules'.
open_finding = is_open


_Group = tuple[tuple[str, ...], list[tuple[str, str, float]]]
_Plan = list[tuple[str, str, float, list[_Group], list[str]]]


def _plan(standard: Standard) -> _Plan:
    """The auditable clauses, each with its requirements grouped by the (sub-)clause that holds them, every
    group with the sub-clauses it lies in below the top clause (9.2.1: 9.2 and 9.2.1), and the sub-clauses that
    hold requirements; worked out once per standard object."""
    cached = standard._score_plan
    if cached is not None:
        return cached
    plan = []
    for top in standard.clauses:
        outers: dict[str, list[str]] = {c.number: [] for c in top.walk()}
        for outer in top.walk():
            if outer is not top:
                for inner in outer.walk():
                    outers[inner.number].append(outer.number)
        groups = [(tuple(outers[clause.number]),
                   [(r.ref, r.pdca.value if r.pdca else NO_PHASE, r.weight) for r in clause.requirements])
                  for clause in top.walk() if clause.requirements]
        if top.informative or not groups:
            continue
        holding = sorted({n for within, _ in groups for n in within}, key=number_key)
        plan.append((top.number, top.title, top.weight, groups, holding))
    standard._score_plan = plan
    return plan


class _Tally:
    """Running sums for one clause or one PDCA phase (kept flat: this loop runs for every requirement)."""

    __slots__ = ("applicable", "assessed", "maturity", "w_applicable", "w_assessed", "w_value")

    def __init__(self) -> None:
        self.applicable = self.assessed = self.maturity = 0
        self.w_applicable = self.w_assessed = self.w_value = 0.0

    def add(self, weight: float, applicable: bool, assessed: bool, value: float | None, maturity: int
            ) -> None:
        if applicable:
            self.applicable += 1
            self.w_applicable += weight
            if assessed:
                self.assessed += 1
                self.w_assessed += weight
                self.w_value += weight * (value or 0.0)
                self.maturity += maturity

    def merge(self, other: _Tally) -> None:
        self.applicable += other.applicable
        self.assessed += other.assessed
        self.maturity += other.maturity
        self.w_applicable += other.w_applicable
        self.w_assessed += other.w_assessed
        self.w_value += other.w_value

    @property
    def raw(self) -> float | None:
        return self.w_value / self.w_assessed if self.w_assessed > 0 else None

    @property
    def coverage(self) -> float | None:
        return self.w_assessed / self.w_applicable if self.w_applicable > 0 else None

    @property
    def mean_maturity(self) -> float | None:
        return self.maturity / self.assessed if self.assessed else None


def score_snapshot(standard: Standard, snapshot: AuditSnapshot) -> AuditScore:
    """An audit's score as recorded: its results and findings, within the clauses its plan puts in scope."""
    return score_audit(standard, snapshot.results, snapshot.findings.values(),
                       scope=snapshot.record.plan.scope.clauses)


def score_audit(standard: Standard, results: Mapping[str, RequirementResult],
                findings: Iterable[Finding] = (), *, scope: Iterable[str] = ()) -> AuditScore:
    rules = standard.scoring
    scope_set = set(scope)
    findings = [f for f in findings if f.withdrawn is None]
    walk = _Walk(standard, results, Counter(f.ref for f in findings if f.grade is Grade.MAJOR_NC and is_open(f)))
    clause_scores: dict[str, ClauseScore] = {}
    out_of_scope: list[str] = []
    for number, title, clause_weight, groups, holding in _plan(standard):
        if scope_set and number not in scope_set:
            out_of_scope.append(number)
            continue
        clause_scores[number] = walk.clause(number, title, clause_weight, groups, holding)

    threshold = rules.coverage_threshold
    scored = [c for c in clause_scores.values() if c.raw_score is not None]
    w_total = sum(c.weight for c in scored)
    overall_raw = (sum(c.weight * (c.raw_score or 0.0) for c in scored) / w_total) if w_total else None
    coverage = walk.total.coverage
    overall = shown_score(overall_raw, coverage, threshold).score
    pdca = {key: PhaseScore(score=shown_score(t.raw, t.coverage, threshold).score, raw_score=t.raw,
                            coverage=t.coverage, applicable=t.applicable, assessed=t.assessed)
            for key, t in walk.phases.items()}
    maturity = Maturity(overall=walk.total.mean_maturity, distribution=walk.distribution,
                        clauses={n: c.maturity for n, c in clause_scores.items()})
    finding_counts = _finding_counts(findings)
    minors_by_ref = Counter(f.ref for f in findings if f.grade is Grade.MINOR_NC and f.ref)
    escalations: list[dict[str, object]] = [{"ref": ref, "minors": n} for ref, n in sorted(minors_by_ref.items())
                                            if n >= rules.escalate_minors_at]

    verdict, label, reasons = _verdict(standard, overall, coverage, clause_scores, finding_counts)
    return AuditScore(
        overall=overall, overall_raw=overall_raw, coverage=coverage, verdict=verdict, verdict_label=label,
        verdict_reasons=reasons, clauses=clause_scores, pdca=pdca, maturity=maturity,
        requirements=walk.requirements, grade_counts=dict(walk.grade_counts), findings=finding_counts,
        escalations=escalations,
        thresholds={"coverage": rules.coverage_threshold, "pass": rules.pass_threshold,
                    "major_cap": rules.major_cap},
        out_of_scope=out_of_scope, subclauses=walk.subclauses)


def _finding_counts(findings: list[Finding]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for grade in (Grade.MAJOR_NC, Grade.MINOR_NC, Grade.OBSERVATION, Grade.OFI):
        mine = [f for f in findings if f.grade is grade]
        counts[grade.value] = {"total": len(mine), "open": sum(1 for f in mine if is_open(f))}
    return counts


class _Walk:
    """One pass over the requirements in scope, clause by clause: each requirement valued by `ValueRule`, and
    the sums every figure of the audit is made from (per clause, sub-clause, PDCA phase and overall)."""

    def __init__(self, standard: Standard, results: Mapping[str, RequirementResult],
                 open_major_refs: Mapping[str | None, int]) -> None:
        self.rules = standard.scoring
        self.value_rule = ValueRule(standard)
        self.results = results
        self.open_major_refs = open_major_refs
        self.requirements: dict[str, RequirementScore] = {}
        self.subclauses: dict[str, Shown] = {}
        self.phases = {p.value: _Tally() for p in PHASES}
        self.total = _Tally()
        self.distribution = dict.fromkeys(range(5), 0)
        self.grade_counts: Counter[str] = Counter()

    def clause(self, number: str, title: str, clause_weight: float, groups: list[_Group], holding: list[str]
               ) -> ClauseScore:
        # [applicable weight, assessed weight, weighted value, open majors] of each sub-clause below the top one
        parts: dict[str, list[float]] = {n: [0.0, 0.0, 0.0, 0] for n in holding}
        by_phase = {p: _Tally() for p in (*self.phases, NO_PHASE)}
        majors = 0
        for within, reqs in groups:
            sums = self._group(number, reqs, by_phase)
            majors += int(sums[3])
            for outer in within:
                part = parts[outer]
                for i in range(4):
                    part[i] += sums[i]
        threshold, cap = self.rules.coverage_threshold, self.rules.major_cap
        for sub, (w_applicable, w_assessed, w_value, sub_majors) in parts.items():
            if w_applicable > 0:
                sub_raw = w_value / w_assessed if w_assessed > 0 else None
                if sub_raw is not None and sub_majors and sub_raw > cap:
                    sub_raw = cap
                self.subclauses[sub] = shown_score(sub_raw, w_assessed / w_applicable, threshold)
            else:
                self.subclauses[sub] = Shown(None, None)  # every requirement in it is not applicable
        tally = _Tally()
        for key, part_tally in by_phase.items():
            tally.merge(part_tally)
            if key in self.phases:
                self.phases[key].merge(part_tally)
        self.total.merge(tally)
        return _clause_score(self.rules, number, title, clause_weight, tally, majors,
                             sum(len(reqs) for _, reqs in groups))

    def _group(self, number: str, reqs: list[tuple[str, str, float]], by_phase: dict[str, _Tally]
               ) -> tuple[float, float, float, int]:
        """Value the requirements of one (sub-)clause; their applicable and assessed weight, weighted value and
        open majors, for the sub-clauses they lie in. Sums are kept in locals: this runs for every requirement."""
        value_of, get, open_majors = self.value_rule.of, self.results.get, self.open_major_refs
        scores, grade_counts, distribution = self.requirements, self.grade_counts, self.distribution
        not_assessed = _NOT_ASSESSED_KEY  # a member read off an enum class is slow, and this runs very often
        g_applicable = g_assessed = g_value = 0.0
        g_majors = 0
        for ref, phase, weight in reqs:
            result = get(ref)
            applicable, assessed, value = value_of(result)
            if result is None:
                key, mat = not_assessed, 0
            else:
                key = _GRADE_KEYS[result.grade]
                mat = maturity_level({e.phase for e in result.evidence}) if result.evidence else 0
            scores[ref] = RequirementScore(ref, number, phase, weight, applicable, assessed, value, mat)
            by_phase[phase].add(weight, applicable, assessed, value, mat)
            grade_counts[key] += 1
            if assessed:
                distribution[mat] += 1
            if applicable:
                g_applicable += weight
                if assessed:
                    g_assessed += weight
                    g_value += weight * (value or 0.0)
            if open_majors:
                g_majors += open_majors.get(ref, 0)
        return g_applicable, g_assessed, g_value, g_majors


def _clause_score(rules: ScoringRules, number: str, title: str, weight: float, tally: _Tally, majors: int,
                  requirements: int) -> ClauseScore:
    """A clause's score, capped by an open major, shown under the coverage rule, and its band."""
    raw, coverage = tally.raw, tally.coverage
    capped = False
    if raw is not None and majors and raw > rules.major_cap:
        raw, capped = rules.major_cap, True
    score = shown_score(raw, coverage, rules.coverage_threshold).score
    if score is not None:
        band = rules.band_for(score)
        band_name, band_label = band.name, band.label
    elif coverage is None:
        band_name, band_label = "not-applicable", "Not applicable"
    elif raw is None:
        band_name, band_label = "not-assessed", "Not assessed"
    else:
        band_name, band_label = "insufficient-coverage", "Insufficient coverage"
    return ClauseScore(
        number=number, title=title, weight=weight, score=score, raw_score=raw, coverage=coverage,
        band=band_name, band_label=band_label, capped=capped, open_majors=majors, requirements=requirements,
        applicable=tally.applicable, assessed=tally.assessed, maturity=tally.mean_maturity)


def _verdict(standard: Standard, overall: float | None, coverage: float | None,
             clauses: Mapping[str, ClauseScore], findings: Mapping[str, Mapping[str, int]]
             ) -> tuple[str, str, list[str]]:
    rules = standard.scoring
    reasons: list[str] = []
    open_majors = findings[Grade.MAJOR_NC.value]["open"]
    open_minors = findings[Grade.MINOR_NC.value]["open"]
    if open_majors:
        reasons.append(f"{open_majors} open major nonconformit{'y' if open_majors == 1 else 'ies'}")
        worst = sorted(rules.bands, key=lambda b: b.min)[0]
        return VERDICT_NOT_CONFORMING if not standard.uses_levels else worst.name, \
            "Not conforming" if not standard.uses_levels else worst.label, reasons
    thin = [c.number for c in clauses.values() if c.band == "insufficient-coverage"]
    untouched = [c.number for c in clauses.values() if c.band == "not-assessed"]
    if overall is None or thin or untouched:
        if coverage is not None:
            reasons.append(f"coverage {pct(coverage)} (threshold {pct(rules.coverage_threshold)})")
        if thin:
            reasons.append("clauses below the coverage threshold: " + ", ".join(thin))
        if untouched:
            reasons.append("clauses not assessed: " + ", ".join(untouched))
        return VERDICT_INCOMPLETE, "Incomplete: not enough evidence to conclude", reasons
    bands = sorted(rules.bands, key=lambda b: b.min, reverse=True)
    band_index = bands.index(rules.band_for(overall))
    reasons.append(f"overall score {pct(overall)}: {bands[band_index].label.lower()}")
    failing = [c.number for c in clauses.values() if c.score is not None and c.score < rules.pass_threshold]
    if failing and band_index < 2 and len(bands) > 2:
        band_index = 2
        reasons.append("clauses below the pass band: " + ", ".join(failing))
    if open_minors and band_index < 1 and len(bands) > 1:
        band_index = 1
        reasons.append(f"{open_minors} open minor nonconformit{'y' if open_minors == 1 else 'ies'}")
    band = bands[band_index]
    return band.name, band.label, reasons
