"""Conformity scores, coverage, verdict and PDCA maturity: a pure module (no I/O), see docs/scoring.md.

Per requirement: conformity, good practice, OFI and observation count 1; a minor NC counts
`minor_value` (0.5); a major NC `major_value` (0). A standard rated on levels scores level / highest level.
Not applicable leaves numerator and denominator; not assessed lowers coverage, never the score.
A clause score is the weighted mean of its assessed requirements, shown only when the assessed share of
applicable weight reaches the coverage threshold; an open major NC caps it at `major_cap`, below the pass
band. The overall score is the clause-weighted mean of clause scores. The verdict is rule-based.
PDCA maturity (0-4) comes from the phases of the evidence recorded and is reported beside conformity,
never blended into it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import NamedTuple

from qms_audit.model.audit import Finding, Grade, RequirementResult
from qms_audit.model.common import PHASES, Phase
from qms_audit.model.standard import ScoringRules, Standard

GRADE_VALUE_FIXED = {
    Grade.CONFORMITY: 1.0,
    Grade.GOOD_PRACTICE: 1.0,
    Grade.OFI: 1.0,
    Grade.OBSERVATION: 1.0,
}

MATURITY_LABELS = {0: "none", 1: "planned", 2: "done", 3: "checked", 4: "acted"}

VERDICT_INCOMPLETE = "incomplete"
VERDICT_NOT_CONFORMING = "not-conforming"


def is_applicable(result: RequirementResult) -> bool:
    return result.grade is not Grade.NOT_APPLICABLE


def is_assessed(standard: Standard, result: RequirementResult) -> bool:
    if result.grade is Grade.NOT_APPLICABLE:
        return False
    if standard.uses_levels:
        return result.level is not None
    return result.grade is not Grade.NOT_ASSESSED


def requirement_value(standard: Standard, result: RequirementResult) -> float | None:
    """The requirement's contribution in [0, 1], or None when it does not count."""
    if not is_assessed(standard, result):
        return None
    if standard.uses_levels:
        top = standard.max_level or 1
        return max(0.0, min(1.0, (result.level or 0) / top))
    rules = standard.scoring
    if result.grade is Grade.MINOR_NC:
        return rules.minor_value
    if result.grade is Grade.MAJOR_NC:
        return rules.major_value
    return GRADE_VALUE_FIXED[result.grade]


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


@dataclass(frozen=True)
class PhaseScore:
    score: float | None
    raw_score: float | None
    coverage: float | None
    applicable: int
    assessed: int


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

    def to_json(self) -> dict[str, object]:
        data = asdict(replace(self, requirements={}))
        data.pop("requirements")
        data["maturity"]["distribution"] = {str(k): v for k, v in self.maturity.distribution.items()}
        data["requirements"] = {ref: {"value": r.value, "maturity": r.maturity, "assessed": r.assessed,
                                      "applicable": r.applicable}
                                for ref, r in self.requirements.items()}
        return data


def _reportable(raw: float | None, coverage: float | None, rules: ScoringRules) -> float | None:
    if raw is None or coverage is None or coverage + 1e-9 < rules.coverage_threshold:
        return None
    return raw


def open_finding(finding: Finding) -> bool:
    return finding.withdrawn is None and not (finding.capa is not None and finding.capa.closed_at is not None)


def _plan(standard: Standard) -> list[tuple[str, str, float, list[tuple[str, str, float]]]]:
    """The auditable clauses and their requirements, worked out once per standard object."""
    cached = standard._score_plan
    if cached is not None:
        return cached
    plan = []
    for top in standard.clauses:
        reqs = [(r.ref, r.pdca.value, r.weight) for r in top.all_requirements()]
        if top.informative or not reqs:
            continue
        plan.append((top.number, top.title, top.weight, reqs))
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


def score_audit(standard: Standard, results: Mapping[str, RequirementResult],
                findings: Iterable[Finding] = (), *, scope: Iterable[str] = ()) -> AuditScore:
    rules = standard.scoring
    scope_set = set(scope)
    findings = [f for f in findings if f.withdrawn is None]
    open_major_refs = Counter(f.ref for f in findings if f.grade is Grade.MAJOR_NC and open_finding(f))
    values = {**GRADE_VALUE_FIXED, Grade.MINOR_NC: rules.minor_value, Grade.MAJOR_NC: rules.major_value}
    levels = standard.uses_levels
    top_level = standard.max_level or 1
    get = results.get

    req_scores: dict[str, RequirementScore] = {}
    clause_scores: dict[str, ClauseScore] = {}
    out_of_scope: list[str] = []
    phases = {p.value: _Tally() for p in PHASES}
    total = _Tally()
    distribution = dict.fromkeys(range(5), 0)
    grade_counts: Counter[str] = Counter()
    for number, title, clause_weight, reqs in _plan(standard):
        if scope_set and number not in scope_set:
            out_of_scope.append(number)
            continue
        by_phase = {p: _Tally() for p in phases}
        majors = 0
        for ref, phase, weight in reqs:
            result = get(ref)
            if result is None:
                applicable, assessed, value, mat, grade = True, False, None, 0, Grade.NOT_ASSESSED
            else:
                grade = result.grade
                if grade is Grade.NOT_APPLICABLE:
                    applicable, assessed, value = False, False, None
                elif levels:
                    assessed = result.level is not None
                    value = max(0.0, min(1.0, result.level / top_level)) if assessed else None
                    applicable = True
                else:
                    assessed = grade is not Grade.NOT_ASSESSED
                    applicable, value = True, values.get(grade)
                mat = maturity_level({e.phase for e in result.evidence}) if result.evidence else 0
            req_scores[ref] = RequirementScore(ref, number, phase, weight, applicable, assessed, value, mat)
            by_phase[phase].add(weight, applicable, assessed, value, mat)
            grade_counts[grade.value] += 1
            if assessed:
                distribution[mat] += 1
            if open_major_refs:
                majors += open_major_refs.get(ref, 0)
        tally = _Tally()
        for key, part in by_phase.items():
            tally.merge(part)
            phases[key].merge(part)
        total.merge(tally)
        raw, coverage = tally.raw, tally.coverage
        capped = False
        if raw is not None and majors and raw > rules.major_cap:
            raw, capped = rules.major_cap, True
        score = _reportable(raw, coverage, rules)
        if score is not None:
            band = rules.band_for(score)
            band_name, band_label = band.name, band.label
        elif coverage is None:
            band_name, band_label = "not-applicable", "Not applicable"
        elif raw is None:
            band_name, band_label = "not-assessed", "Not assessed"
        else:
            band_name, band_label = "insufficient-coverage", "Insufficient coverage"
        clause_scores[number] = ClauseScore(
            number=number, title=title, weight=clause_weight, score=score, raw_score=raw, coverage=coverage,
            band=band_name, band_label=band_label, capped=capped, open_majors=majors, requirements=len(reqs),
            applicable=tally.applicable, assessed=tally.assessed, maturity=tally.mean_maturity)

    scored = [c for c in clause_scores.values() if c.raw_score is not None]
    w_total = sum(c.weight for c in scored)
    overall_raw = (sum(c.weight * (c.raw_score or 0.0) for c in scored) / w_total) if w_total else None
    coverage = total.coverage
    overall = _reportable(overall_raw, coverage, rules)
    pdca = {key: PhaseScore(score=_reportable(t.raw, t.coverage, rules), raw_score=t.raw, coverage=t.coverage,
                            applicable=t.applicable, assessed=t.assessed) for key, t in phases.items()}
    maturity = Maturity(overall=total.mean_maturity, distribution=distribution,
                        clauses={n: c.maturity for n, c in clause_scores.items()})

    finding_counts: dict[str, dict[str, int]] = {}
    for grade in (Grade.MAJOR_NC, Grade.MINOR_NC, Grade.OBSERVATION, Grade.OFI):
        mine = [f for f in findings if f.grade is grade]
        finding_counts[grade.value] = {"total": len(mine), "open": sum(1 for f in mine if open_finding(f))}
    minors_by_ref = Counter(f.ref for f in findings if f.grade is Grade.MINOR_NC and f.ref)
    escalations = [{"ref": ref, "minors": n} for ref, n in sorted(minors_by_ref.items())
                   if n >= rules.escalate_minors_at]

    verdict, label, reasons = _verdict(standard, overall, coverage, clause_scores, finding_counts)
    return AuditScore(
        overall=overall, overall_raw=overall_raw, coverage=coverage, verdict=verdict, verdict_label=label,
        verdict_reasons=reasons, clauses=clause_scores, pdca=pdca, maturity=maturity,
        requirements=req_scores, grade_counts=dict(grade_counts), findings=finding_counts,
        escalations=escalations,
        thresholds={"coverage": rules.coverage_threshold, "pass": rules.pass_threshold,
                    "major_cap": rules.major_cap},
        out_of_scope=out_of_scope)


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
            reasons.append(f"coverage {coverage:.0%} (threshold {rules.coverage_threshold:.0%})")
        if thin:
            reasons.append("clauses below the coverage threshold: " + ", ".join(thin))
        if untouched:
            reasons.append("clauses not assessed: " + ", ".join(untouched))
        return VERDICT_INCOMPLETE, "Incomplete: not enough evidence to conclude", reasons
    bands = sorted(rules.bands, key=lambda b: b.min, reverse=True)
    band_index = bands.index(rules.band_for(overall))
    reasons.append(f"overall score {overall:.0%}: {bands[band_index].label.lower()}")
    failing = [c.number for c in clauses.values() if c.score is not None and c.score < rules.pass_threshold]
    if failing and band_index < 2 and len(bands) > 2:
        band_index = 2
        reasons.append("clauses below the pass band: " + ", ".join(failing))
    if open_minors and band_index < 1 and len(bands) > 1:
        band_index = 1
        reasons.append(f"{open_minors} open minor nonconformit{'y' if open_minors == 1 else 'ies'}")
    band = bands[band_index]
    return band.name, band.label, reasons
