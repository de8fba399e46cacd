"""What moving an audit to another text of its standard changes, and which ratings and findings the new text
could not hold (domain/criteria_rules.py), on standards in memory."""

from __future__ import annotations

from qms_audit.domain.criteria_rules import compare
from qms_audit.model.audit import Grade
from tests.factories import major, make_standard, requirement, result

C, MIN = Grade.CONFORMITY, Grade.MINOR_NC


def base():
    return make_standard({"1": [requirement("1.a"), requirement("1.b")], "2": [requirement("2.a")]})


def test_the_same_text_changes_nothing():
    change = compare(base(), base(), same_text=True, results={"1.a": result(C)}, findings=[])
    assert not change.changes_anything
    assert (change.added, change.removed, change.reworded, change.misfits, change.scoring) == ([], [], [], [], [])


def test_added_removed_and_reworded_requirements_are_listed():
    reworded = requirement("1.a", weight=2.0)
    reworded["question"] = "Is 1.a met, and recorded?"
    new = make_standard({"1": [reworded, requirement("1.c")], "2": [requirement("2.a")]})
    change = compare(base(), new, same_text=False, results={}, findings=[])
    assert change.added == ["1.c"]
    assert change.removed == ["1.b"]
    assert change.reworded == ["1.a (question, weight)"]
    assert change.misfits == []  # nothing was rated on what changed
    assert change.changes_anything


def test_a_rated_requirement_that_disappears_or_moves_does_not_fit():
    new = make_standard({"1": [requirement("1.a")], "2": [requirement("2.a")]})
    change = compare(base(), new, same_text=False, results={"1.b": result(C)}, findings=[major("1.b")])
    assert change.misfits == [
        "1.b holds a rating, notes or evidence, and the new text has no such requirement",
        "finding NC-2026-TST-001 is raised on 1.b, which the new text does not have"]
    unrated = compare(base(), new, same_text=False, results={"1.b": result()}, findings=[])
    assert unrated.misfits == []  # a requirement never rated can go


def test_an_nc_on_a_requirement_that_becomes_should_does_not_fit():
    new = make_standard({"1": [requirement("1.a", force="should"), requirement("1.b")], "2": [requirement("2.a")]})
    change = compare(base(), new, same_text=False, results={"1.a": result(MIN)}, findings=[])
    assert change.reworded == ["1.a (force)"]
    assert change.misfits == ["1.a is rated Minor nonconformity, and the new text makes it a 'should' requirement"]


def test_a_change_of_rating_scheme_and_of_scoring_rules_is_named():
    levels = make_standard({"1": [requirement("1.a", force="should"), requirement("1.b", force="should")],
                            "2": [requirement("2.a", force="should")]}, levels=True)
    change = compare(base(), levels, same_text=False, results={"1.b": result(C)}, findings=[])
    assert change.scheme == "grades -> levels 0-4"
    assert "1.b is rated as a grade (Conformity); the new text rates on levels" in change.misfits
    harsher = make_standard({"1": [requirement("1.a"), requirement("1.b")], "2": [requirement("2.a")]},
                            scoring={"minor_value": 0.1})
    scored = compare(base(), harsher, same_text=False, results={"1.a": result(MIN)}, findings=[])
    assert scored.scoring == ["minor_value 0.5 -> 0.1"]
    assert scored.misfits == []  # the rating stays; only what it is worth changes
