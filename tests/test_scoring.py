"""The scoring rules of docs/scoring.md: the worked example, and invariants checked by hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qms_audit.domain.scoring import maturity_level, score_audit
from qms_audit.model.audit import Grade
from tests.factories import major, make_standard, requirement, result

C, MIN, MAJ, NA, OFI, NAS = (Grade.CONFORMITY, Grade.MINOR_NC, Grade.MAJOR_NC, Grade.NOT_APPLICABLE, Grade.OFI,
                            Grade.NOT_ASSESSED)


@pytest.fixture
def example():
    std = make_standard({
        "4": [requirement("4.a"), requirement("4.b", weight=2), requirement("4.c"), requirement("4.d", pdca="D"),
              requirement("4.e", pdca="C")],
        "8": [requirement("8.a", pdca="D"), requirement("8.b", pdca="D"), requirement("8.c", pdca="C"),
              requirement("8.d", pdca="C"), requirement("8.e", pdca="A")],
    })
    results = {
        "4.a": result(C, "P", "D", "C"), "4.b": result(MIN, "P"), "4.c": result(NA), "4.d": result(OFI, "P", "D"),
        "4.e": result(NAS),
        "8.a": result(MAJ, "P", "D"), "8.b": result(C, "P", "D", "C", "A"), "8.c": result(C, "D"),
        "8.d": result(C, "P", "D", "C"), "8.e": result(C, "P", "D", "C", "A"),
    }
    return std, results


def test_worked_example_with_an_open_major(example):
    std, results = example
    score = score_audit(std, results, [major("8.a")])
    c4, c8 = score.clauses["4"], score.clauses["8"]
    assert c4.coverage == pytest.approx(0.8)
    assert c4.score == pytest.approx(0.75) and c4.band == "largely-conforming"
    assert c8.raw_score == pytest.approx(0.74) and c8.capped and c8.band == "partially-conforming"
    assert score.overall == pytest.approx(0.745)
    assert score.coverage == pytest.approx(0.9)
    assert score.verdict == "not-conforming"
    assert score.maturity.overall == pytest.approx(19 / 8)
    assert score.maturity.distribution == {0: 1, 1: 1, 2: 2, 3: 2, 4: 2}


def test_worked_example_once_the_major_is_closed(example):
    std, results = example
    score = score_audit(std, results, [major("8.a", closed=True)])
    assert score.clauses["8"].score == pytest.approx(0.8) and not score.clauses["8"].capped
    assert score.overall == pytest.approx(0.775)
    assert score.verdict == "largely-conforming"


def test_open_minor_keeps_the_verdict_below_conforming():
    std = make_standard({"1": [requirement(f"1.{c}") for c in "abcdefghijklmnopqrst"]})
    results = {f"1.{c}": result(C) for c in "abcdefghijklmnopqrst"}
    assert score_audit(std, results).verdict == "conforming"
    from qms_audit.model.audit import Finding

    results["1.a"] = result(MIN)
    minor = Finding(id="NC-2026-TST-002", grade=MIN, ref="1.a", statement="x", raised_by="t",
                    raised_at=major("1.a").raised_at)
    score = score_audit(std, results, [minor])
    assert score.overall == pytest.approx(0.975)
    assert score.verdict == "largely-conforming"


def test_clause_below_threshold_is_not_shown_and_verdict_is_incomplete():
    std = make_standard({"1": [requirement("1.a"), requirement("1.b")], "2": [requirement("2.a")]})
    score = score_audit(std, {"1.a": result(C), "2.a": result(C)})
    assert score.clauses["1"].score is None and score.clauses["1"].raw_score == 1.0
    assert score.clauses["1"].band == "insufficient-coverage"
    assert score.verdict == "incomplete"


def test_scope_excludes_clauses():
    std = make_standard({"1": [requirement("1.a")], "2": [requirement("2.a")]})
    score = score_audit(std, {"1.a": result(C)}, scope=["1"])
    assert list(score.clauses) == ["1"] and score.out_of_scope == ["2"]
    assert score.overall == 1.0


def test_levels_standard_scores_level_over_top():
    std = make_standard({"1": [requirement("1.a", force="should"), requirement("1.b", force="should")]},
                        levels=True)
    score = score_audit(std, {"1.a": result(level=3), "1.b": result(level=1)})
    assert score.overall == pytest.approx(0.5)


def test_escalation_flag_at_three_minors():
    from qms_audit.model.audit import Finding

    std = make_standard({"1": [requirement("1.a")]})
    minors = [Finding(id=f"NC-2026-TST-{i:03d}", grade=MIN, ref="1.a", statement="x", raised_by="t",
                      raised_at=major("1.a").raised_at) for i in range(1, 4)]
    assert score_audit(std, {"1.a": result(MIN)}, minors[:2]).escalations == []
    assert score_audit(std, {"1.a": result(MIN)}, minors).escalations == [{"ref": "1.a", "minors": 3}]


@pytest.mark.parametrize("phases, level", [((), 0), (("P",), 1), (("P", "D"), 2), (("D", "C", "A"), 0),
                                           (("P", "C"), 1), (("A", "C", "D", "P"), 4)])
def test_maturity_ladder(phases, level):
    from qms_audit.model.common import Phase

    assert maturity_level(Phase(p) for p in phases) == level


# --- properties ------------------------------------------------------------------------------------------

ASSESSED = [Grade.MAJOR_NC, Grade.MINOR_NC, Grade.OBSERVATION, Grade.OFI, Grade.CONFORMITY, Grade.GOOD_PRACTICE]
ALL = [*ASSESSED, Grade.NOT_APPLICABLE, Grade.NOT_ASSESSED]
VALUE_ORDER = {Grade.MAJOR_NC: 0, Grade.MINOR_NC: 1, Grade.OBSERVATION: 2, Grade.OFI: 2, Grade.CONFORMITY: 2,
               Grade.GOOD_PRACTICE: 2}

audits = st.lists(
    st.tuples(st.sampled_from(["1", "2", "3"]), st.sampled_from(ALL), st.sampled_from([0.5, 1.0, 2.0, 3.0]),
              st.sets(st.sampled_from("PDCA"))),
    min_size=1, max_size=25)


def build(items, extra=None):
    clauses: dict[str, list[dict]] = {}
    results = {}
    findings = []
    for i, (clause, grade, weight, phases) in enumerate([*items, *(extra or [])]):
        ref = f"{clause}.r{i}"
        clauses.setdefault(clause, []).append(requirement(ref, weight=weight, pdca="PDCA"[i % 4]))
        results[ref] = result(grade, *sorted(phases, key="PDCA".index))
        if grade is Grade.MAJOR_NC:
            findings.append(major(ref, fid=f"NC-2026-TST-{i + 1:03d}"))
    return make_standard(clauses), results, findings


def all_scores(score):
    values = [score.overall, score.overall_raw, score.coverage]
    values += [c.score for c in score.clauses.values()] + [c.raw_score for c in score.clauses.values()]
    values += [p.score for p in score.pdca.values()] + [p.raw_score for p in score.pdca.values()]
    return [v for v in values if v is not None]


@settings(max_examples=200, deadline=None)
@given(audits)
def test_scores_stay_between_zero_and_one(items):
    std, results, findings = build(items)
    score = score_audit(std, results, findings)
    assert all(0.0 <= v <= 1.0 for v in all_scores(score))
    if score.maturity.overall is not None:
        assert 0.0 <= score.maturity.overall <= 4.0


@settings(max_examples=200, deadline=None)
@given(audits, st.lists(st.sampled_from(["1", "2", "3"]), min_size=1, max_size=5))
def test_adding_not_applicable_requirements_changes_no_score(items, na_clauses):
    std, results, findings = build(items)
    before = score_audit(std, results, findings)
    extra = [(clause, Grade.NOT_APPLICABLE, 1.0, set()) for clause in na_clauses]
    std2, results2, findings2 = build(items, extra)
    after = score_audit(std2, results2, findings2)
    assert after.overall == before.overall and after.overall_raw == before.overall_raw
    assert after.coverage == before.coverage
    for number, clause in before.clauses.items():
        assert after.clauses[number].score == clause.score
        assert after.clauses[number].raw_score == clause.raw_score
    assert after.verdict == before.verdict


@settings(max_examples=300, deadline=None)
@given(audits, st.data())
def test_upgrading_a_rating_never_lowers_a_score(items, data):
    assessed = [i for i, (_, grade, _, _) in enumerate(items) if grade in ASSESSED]
    if not assessed:
        return
    index = data.draw(st.sampled_from(assessed))
    clause, grade, weight, phases = items[index]
    better = data.draw(st.sampled_from([g for g in ASSESSED if VALUE_ORDER[g] > VALUE_ORDER[grade]] or [grade]))
    upgraded = list(items)
    upgraded[index] = (clause, better, weight, phases)
    std, results, findings = build(items)
    std2, results2, findings2 = build(upgraded)
    before, after = score_audit(std, results, findings), score_audit(std2, results2, findings2)
    for a, b in ((before.overall_raw, after.overall_raw), (before.overall, after.overall)):
        if a is not None:
            assert b is not None and b >= a - 1e-12
    for number, c in before.clauses.items():
        if c.raw_score is not None:
            assert after.clauses[number].raw_score >= c.raw_score - 1e-12


# --- one rule for showing a score -------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "coverage", "score", "text"), [
    (0.75, 0.8, 0.75, "75%"),  # at the threshold: shown
    (0.75, 0.79, None, "not scored (coverage 79%)"),  # just below: no percentage at all
    (None, 0.0, None, "not scored (coverage 0%)"),  # nothing assessed
    (1.0, 1.0, 1.0, "100%"),
    (None, None, None, "not applicable"),  # nothing applicable
])
def test_shown_score_is_the_one_rule(raw, coverage, score, text):
    from qms_audit.domain.means import shown_score

    shown = shown_score(raw, coverage, 0.8)
    assert (shown.score, shown.coverage, shown.text) == (score, coverage, text)
    assert shown.scored is (score is not None)


def test_clauses_phases_and_the_audit_follow_the_same_rule():
    std = make_standard({
        "1": [requirement("1.a"), requirement("1.b"), requirement("1.c", pdca="D"), requirement("1.d", pdca="D"),
              requirement("1.e", pdca="C")],
        "2": [requirement("2.a", pdca="C"), requirement("2.b", pdca="C")],
    })
    score = score_audit(std, {"1.a": result(C), "1.b": result(MIN), "1.c": result(C), "1.d": result(C),
                              "2.a": result(C)})
    # clause 1: 4 of 5 assessed, (1 + 0.5 + 1 + 1) / 4; clause 2: 1 of 2; the audit: 5 of 7
    assert score.clauses["1"].shown.text == "88%" and score.clauses["1"].shown.score == pytest.approx(0.875)
    assert score.clauses["2"].shown.text == "not scored (coverage 50%)" and score.clauses["2"].raw_score == 1.0
    assert score.overall is None and score.shown.text == "not scored (coverage 71%)"
    assert score.overall_raw is not None
    assert score.pdca["P"].shown.text == "75%" and score.pdca["D"].shown.text == "100%"
    assert score.pdca["C"].shown.text == "not scored (coverage 33%)" and score.pdca["A"].shown.text == "not applicable"
    data = score.to_json()
    assert data["overall_shown"] == "not scored (coverage 71%)"
    assert data["clauses"]["2"]["shown"] == "not scored (coverage 50%)" and data["clauses"]["2"]["score"] is None
    assert data["pdca"]["C"]["shown"] == "not scored (coverage 33%)"


def nested_standard():
    from qms_audit.model.standard import Standard
    from qms_audit.services.standards import check_standard

    def clause(number, reqs=(), subs=()):
        return {"number": number, "title": f"Clause {number}", "requirements": list(reqs), "clauses": list(subs)}

    std = Standard.model_validate({
        "id": "nested", "title": "Nested standard", "version": "1", "source": {"citation": "tests"},
        "clauses": [
            clause("9", subs=[
                clause("9.1", [requirement(f"9.1.{c}") for c in "abcde"]),
                clause("9.2", subs=[clause("9.2.1", [requirement("9.2.1.a"), requirement("9.2.1.b")]),
                                    clause("9.2.2", [requirement("9.2.2.a")])]),
                clause("9.3", [requirement("9.3.a"), requirement("9.3.b")])]),
            clause("10", [requirement("10.a")]),
        ]})
    check_standard(std)
    return std


def test_subclauses_are_scored_under_the_same_rule_and_cap():
    std = nested_standard()
    results = {**{f"9.1.{c}": result(C) for c in "abcd"}, "9.1.e": result(MAJ), "9.2.1.a": result(C),
               "9.2.2.a": result(MIN), "9.3.a": result(NA), "9.3.b": result(NA), "10.a": result(C)}
    score = score_audit(std, results, [major("9.1.e")], scope=["9"])
    # 9.1: 4 of 5 conform (80%) but an open major caps it, as it would a clause
    assert score.shown_for("9.1").score == pytest.approx(0.74)
    # 9.2.1: one of two assessed; 9.2.2: a minor; 9.2 together: two of three assessed
    assert score.shown_for("9.2.1").text == "not scored (coverage 50%)"
    assert score.shown_for("9.2.2").text == "50%"
    assert score.shown_for("9.2").text == "not scored (coverage 67%)"
    assert score.shown_for("9.3").text == "not applicable"
    assert score.shown_for("9") == score.clauses["9"].shown
    assert score.shown_for("10") is None and score.shown_for("9.9") is None  # out of scope, unknown
    closed = score_audit(std, results, [major("9.1.e", closed=True)], scope=["9"])
    assert closed.shown_for("9.1").score == pytest.approx(0.8)


def test_a_mean_across_audits_counts_only_the_audits_that_scored():
    from qms_audit.domain.means import Shown, mean_shown

    got = mean_shown([Shown(0.9, 1.0), Shown(None, 0.5), Shown(0.6, 0.85), None, Shown(None, None)])
    assert (got.mean, got.scored, got.audits) == (pytest.approx(0.75), 2, 3)
    assert got.text == "75%"
    nothing = mean_shown([Shown(None, 0.4), None])
    assert (nothing.mean, nothing.scored, nothing.audits, nothing.text) == (None, 0, 1, "not scored")
