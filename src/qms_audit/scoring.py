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
from dataclasses import asdict, dataclass, field

from qms_audit.model.audit import Finding, Grade, RequirementResult
from qms_audit.model.common import PHASES, Phase
from qms_audit.model.standard import Requirement, ScoringRules, Standard

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


@dataclass(frozen=True)
class RequirementScore:
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
        data = asdict(self)
        data.pop("requirements")
        data["maturity"]["distribution"] = {str(k): v for k, v in self.maturity.distribution.items()}
        data["requirements"] = {ref: {"value": r.value, "maturity": r.maturity, "assessed": r.assessed,
                                      "applicable": r.applicable}
                                for ref, r in self.requirements.items()}
        return data


def _weighted(items: list[RequirementScore]) -> tuple[float | None, float | None]:
    """(raw score over assessed, coverage = assessed weight / applicable weight)."""
    applicable = [r for r in items if r.applicable]
    assessed = [r for r in applicable if r.assessed]
    w_app = sum(r.weight for r in applicable)
    w_ass = sum(r.weight for r in assessed)
    coverage = (w_ass / w_app) if w_app > 0 else None
    raw = (sum(r.weight * (r.value or 0.0) for r in assessed) / w_ass) if w_ass > 0 else None
    return raw, coverage


def _reportable(raw: float | None, coverage: float | None, rules: ScoringRules) -> float | None:
    if raw is None or coverage is None or coverage + 1e-9 < rules.coverage_threshold:
        return None
    return raw


def open_finding(finding: Finding) -> bool:
    return finding.withdrawn is None and not (finding.capa is not None and finding.capa.closed_at is not None)


def score_audit(standard: Standard, results: Mapping[str, RequirementResult],
                findings: Iterable[Finding] = (), *, scope: Iterable[str] = ()) -> AuditScore:
    rules = standard.scoring
    scope_set = set(scope)
    findings = [f for f in findings if f.withdrawn is None]
    open_major_refs = Counter(f.ref for f in findings if f.grade is Grade.MAJOR_NC and open_finding(f))

    req_scores: dict[str, RequirementScore] = {}
    clause_scores: dict[str, ClauseScore] = {}
    out_of_scope: list[str] = []
    empty = RequirementResult()
    for top in standard.clauses:
        reqs: list[Requirement] = list(top.all_requirements())
        if top.informative or not reqs:
            continue
        if scope_set and top.number not in scope_set:
            out_of_scope.append(top.number)
            continue
        items = []
        for req in reqs:
            result = results.get(req.ref, empty)
            item = RequirementScore(
                ref=req.ref, clause=top.number, phase=req.pdca.value, weight=req.weight,
                applicable=is_applicable(result), assessed=is_assessed(standard, result),
                value=requirement_value(standard, result), maturity=maturity_level(result.phases))
            req_scores[req.ref] = item
            items.append(item)
        raw, coverage = _weighted(items)
        majors = sum(open_major_refs.get(r.ref, 0) for r in items)
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
        assessed_items = [r for r in items if r.assessed]
        clause_scores[top.number] = ClauseScore(
            number=top.number, title=top.title, weight=top.weight, score=score, raw_score=raw,
            coverage=coverage, band=band_name, band_label=band_label, capped=capped, open_majors=majors,
            requirements=len(items), applicable=sum(1 for r in items if r.applicable),
            assessed=len(assessed_items),
            maturity=(sum(r.maturity for r in assessed_items) / len(assessed_items)) if assessed_items else None)

    all_items = list(req_scores.values())
    scored = [c for c in clause_scores.values() if c.raw_score is not None]
    w_total = sum(c.weight for c in scored)
    overall_raw = (sum(c.weight * (c.raw_score or 0.0) for c in scored) / w_total) if w_total else None
    _, coverage = _weighted(all_items)
    overall = _reportable(overall_raw, coverage, rules)

    pdca: dict[str, PhaseScore] = {}
    for phase in PHASES:
        items = [r for r in all_items if r.phase == phase.value]
        raw, cov = _weighted(items)
        pdca[phase.value] = PhaseScore(score=_reportable(raw, cov, rules), raw_score=raw, coverage=cov,
                                       applicable=sum(1 for r in items if r.applicable),
                                       assessed=sum(1 for r in items if r.assessed))

    assessed_all = [r for r in all_items if r.assessed]
    maturity = Maturity(
        overall=(sum(r.maturity for r in assessed_all) / len(assessed_all)) if assessed_all else None,
        distribution={lvl: sum(1 for r in assessed_all if r.maturity == lvl) for lvl in range(5)},
        clauses={n: c.maturity for n, c in clause_scores.items()})

    grade_counts = Counter(results.get(r.ref, empty).grade.value for r in all_items)
    finding_counts: dict[str, dict[str, int]] = {}
    for grade in (Grade.MAJOR_NC, Grade.MINOR_NC, Grade.OBSERVATION, Grade.OFI):
        mine = [f for f in findings if f.grade is grade]
        finding_counts[grade.value] = {"total": len(mine), "open": sum(1 for f in mine if open_finding(f))}
    minors_by_ref = Counter(f.ref for f in findings if f.grade is Grade.MINOR_NC and f.ref)
    escalations = [{"ref": ref, "minors": n} for ref, n in sorted(minors_by_ref.items())
                   if n >= rules.escalate_minors_at]

    verdict, label, reasons = _verdict(standard, overall, overall_raw, coverage, clause_scores,
                                       finding_counts)
    return AuditScore(
        overall=overall, overall_raw=overall_raw, coverage=coverage, verdict=verdict, verdict_label=label,
        verdict_reasons=reasons, clauses=clause_scores, pdca=pdca, maturity=maturity,
        requirements=req_scores, grade_counts=dict(grade_counts), findings=finding_counts,
        escalations=escalations,
        thresholds={"coverage": rules.coverage_threshold, "pass": rules.pass_threshold,
                    "major_cap": rules.major_cap},
        out_of_scope=out_of_scope)


def _verdict(standard: Standard, overall: float | None, overall_raw: float | None, coverage: float | None,
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
