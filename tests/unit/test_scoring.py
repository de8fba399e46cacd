"""What one requirement's rating is worth (docs/scoring.md section 1), and that every figure of an audit is made
from that one rule."""

from __future__ import annotations

import pytest

from qms_audit.domain import capa_rules
from qms_audit.domain.means import shown_score
from qms_audit.domain.scoring import RequirementValue, ValueRule, is_assessed, open_finding, score_audit
from qms_audit.model.audit import Grade
from tests.factories import major, make_standard, requirement, result

C, GP, OFI, OBS, MIN, MAJ, NA, NAS = (Grade.CONFORMITY, Grade.GOOD_PRACTICE, Grade.OFI, Grade.OBSERVATION,
                                      Grade.MINOR_NC, Grade.MAJOR_NC, Grade.NOT_APPLICABLE, Grade.NOT_ASSESSED)


@pytest.fixture(scope="module")
def graded():
    return make_standard({"1": [requirement("1.a")]})


@pytest.fixture(scope="module")
def levelled():
    return make_standard({"1": [requirement("1.a", force="should")]}, levels=True)


@pytest.mark.parametrize("grade, value", [(C, 1.0), (GP, 1.0), (OFI, 1.0), (OBS, 1.0), (MIN, 0.5), (MAJ, 0.0)])
def test_an_assessed_grade_counts_its_value(graded, grade, value):
    assert ValueRule(graded).of(result(grade)) == RequirementValue(True, True, value)
    assert is_assessed(graded, result(grade)) is True


def test_not_applicable_leaves_numerator_and_denominator_and_not_assessed_lowers_coverage(graded):
    rule = ValueRule(graded)
    assert rule.of(result(NA)) == RequirementValue(False, False, None)
    assert rule.of(result(NAS)) == RequirementValue(True, False, None)
    assert rule.of(None) == RequirementValue(True, False, None)  # never rated: no result file entry at all
    assert is_assessed(graded, result(NA)) is False
    assert is_assessed(graded, result(NAS)) is False


def test_the_standard_sets_what_a_minor_and_a_major_are_worth():
    std = make_standard({"1": [requirement("1.a")]}, scoring={"minor_value": 0.4, "major_value": 0.1})
    rule = ValueRule(std)
    assert rule.of(result(MIN)).value == 0.4
    assert rule.of(result(MAJ)).value == 0.1
    assert rule.of(result(C)).value == 1.0


@pytest.mark.parametrize("level, value", [(0, 0.0), (1, 0.25), (3, 0.75), (4, 1.0)])
def test_a_level_scores_level_over_the_highest_level(levelled, level, value):
    assert ValueRule(levelled).of(result(level=level)) == RequirementValue(True, True, value)


def test_on_levels_only_a_level_counts_as_assessed(levelled):
    rule = ValueRule(levelled)
    assert rule.of(result(C)) == RequirementValue(True, False, None)  # a grade without a level says nothing here
    assert rule.of(result(NA, level=2)) == RequirementValue(False, False, None)
    assert is_assessed(levelled, result(level=0)) is True
    assert is_assessed(levelled, result(NAS)) is False


def test_every_requirement_of_an_audit_is_valued_by_the_one_rule():
    std = make_standard({"4": [requirement("4.a"), requirement("4.b", weight=2), requirement("4.c")],
                         "8": [requirement("8.a", pdca="D"), requirement("8.b", pdca="C")]})
    results = {"4.a": result(C, "P"), "4.b": result(MIN), "4.c": result(NA), "8.a": result(MAJ, "P", "D")}
    score = score_audit(std, results, [major("8.a")])
    rule = ValueRule(std)
    for ref, scored in score.requirements.items():
        assert (scored.applicable, scored.assessed, scored.value) == tuple(rule.of(results.get(ref)))
    # clause 4: (1 x 1.0 + 2 x 0.5) / 3, with 4.c not applicable and the rest assessed
    assert score.clauses["4"].raw_score == pytest.approx(2 / 3)
    assert score.clauses["4"].coverage == pytest.approx(1.0)
    # clause 8: half of it assessed, below the coverage threshold
    assert score.clauses["8"].coverage == pytest.approx(0.5)
    assert score.clauses["8"].score is None and score.clauses["8"].band == "insufficient-coverage"


def test_an_open_major_caps_a_clause_just_below_the_pass_band():
    std = make_standard({"1": [requirement(f"1.{c}") for c in "abcde"]})
    results = {f"1.{c}": result(C) for c in "abcd"} | {"1.e": result(MAJ)}
    assert score_audit(std, results, [major("1.e")]).clauses["1"].score == pytest.approx(0.74)
    assert score_audit(std, results, [major("1.e", closed=True)]).clauses["1"].score == pytest.approx(0.8)


def test_a_score_is_shown_only_from_the_coverage_threshold():
    assert shown_score(0.9, 0.8, 0.8).score == 0.9
    assert shown_score(0.9, 0.79, 0.8).score is None
    assert shown_score(0.9, 0.79, 0.8).text == "not scored (coverage 79%)"
    assert shown_score(None, None, 0.8).text == "not applicable"


def test_a_major_counts_as_open_until_its_capa_is_closed_and_a_withdrawn_one_not_at_all():
    std = make_standard({"1": [requirement("1.a")]})
    findings = [major("1.a", fid="NC-2026-TST-001"), major("1.a", closed=True, fid="NC-2026-TST-002"),
                major("1.a", fid="NC-2026-TST-003").model_copy(update={"withdrawn": "raised in error"})]
    score = score_audit(std, {"1.a": result(MAJ)}, findings)
    assert score.findings[MAJ.value] == {"total": 2, "open": 1}
    assert [capa_rules.is_open(f) for f in findings] == [True, False, False]
    assert [open_finding(f) for f in findings] == [True, False, False]


def test_a_mean_across_audits_is_exact_and_the_same_in_any_order():
    import itertools

    from qms_audit.domain.means import Shown, mean_shown

    # 0.1 + 0.2 + 0.3 is not 0.6 in floating point, and the sum of floats depends on their order
    scores = [Shown(0.1, 1.0), Shown(0.2, 1.0), Shown(0.3, 1.0), Shown(0.7000000000000001, 1.0), Shown(None, 0.4)]
    means = {mean_shown(order) for order in itertools.permutations(scores)}
    assert means == {mean_shown(scores)}
    got = mean_shown(scores)
    assert (got.mean, got.scored, got.audits) == (0.325, 4, 5)


def test_a_mean_is_rounded_half_even_on_its_exact_value():
    from qms_audit.domain.means import SCORE_UNITS, mean_of_units, score_units, shown_mean_of

    assert score_units(0.12345) == 123_450_000
    assert mean_of_units(123_450_000, 1) == 0.1234  # exactly halfway: to the even last digit
    assert mean_of_units(123_550_000, 1) == 0.1236
    assert mean_of_units(123_450_001, 1) == 0.1235  # just above halfway
    assert mean_of_units(2 * SCORE_UNITS, 3) == 0.6667
    assert mean_of_units(0, 0) is None
    # what SQL sums up gives the same as the values themselves
    got = shown_mean_of(score_units(0.9) + score_units(0.6), 2, 3)
    assert (got.mean, got.scored, got.audits) == (0.75, 2, 3)
    assert shown_mean_of(None, 0, 2).mean is None
