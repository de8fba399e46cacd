"""The three-way merge git's driver runs on audit records: per requirement, per evidence entry, per finding field;
differing ratings become a dispute, never a lost rating; the result is the same whichever side merges."""

from __future__ import annotations

import datetime as dt

import pytest

from qms_audit.domain.merging import MergeRefused, merge_clause_results, merge_finding
from qms_audit.model.audit import ClauseResults, Evidence, EvidenceKind, Finding, Grade, RequirementResult
from qms_audit.model.common import Phase

T0 = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def rated(grade: Grade, by: str, minutes: int, note: str = "", evidence: list[Evidence] | None = None,
          level: int | None = None) -> RequirementResult:
    return RequirementResult(grade=grade, level=level, note=note, rated_by=by, rated_at=at(minutes),
                             evidence=evidence or [])


def entry(ident: str, text: str, minutes: int, edited: int | None = None) -> Evidence:
    return Evidence(id=ident, phase=Phase.DO, kind=EvidenceKind.RECORD, text=text, collected_by="A",
                    collected_at=at(minutes), edited_by="A" if edited is not None else None,
                    edited_at=at(edited) if edited is not None else None)


def clause(**results: RequirementResult) -> ClauseResults:
    return ClauseResults(clause="8", results={ref.replace("_", "."): r for ref, r in results.items()})


def both_ways(base, ours, theirs):
    """Merge in both directions and check they agree, byte for byte."""
    one = merge_clause_results(base, ours, theirs)
    other = merge_clause_results(base, theirs, ours)
    assert one.merged.model_dump_json() == other.merged.model_dump_json()
    assert one.new_disputes == other.new_disputes
    return one


def test_different_requirements_of_one_clause_are_both_kept():
    base = clause()
    ours = clause(r8_1_c=rated(Grade.MINOR_NC, "A", 1))
    theirs = clause(r8_1_a=rated(Grade.MAJOR_NC, "B", 2))
    found = both_ways(base, ours, theirs)
    assert {ref[1:]: r.grade for ref, r in found.merged.results.items()} == {"8.1.a": Grade.MAJOR_NC,
                                                                           "8.1.c": Grade.MINOR_NC}
    assert list(found.merged.results) == ["r8.1.a", "r8.1.c"]  # in the standard's order
    assert not found.merged.disputes and not found.new_disputes


def test_a_side_that_changed_alone_wins_and_the_same_change_is_taken_once():
    base = clause(r8_1_a=rated(Grade.MINOR_NC, "A", 1), r8_1_b=rated(Grade.CONFORMITY, "A", 1))
    ours = clause(r8_1_a=rated(Grade.MAJOR_NC, "A", 5), r8_1_b=rated(Grade.OFI, "A", 6, note="same"))
    theirs = clause(r8_1_a=rated(Grade.MINOR_NC, "A", 1), r8_1_b=rated(Grade.OFI, "B", 7, note="same"))
    found = both_ways(base, ours, theirs)
    assert found.merged.results["r8.1.a"].grade is Grade.MAJOR_NC
    same = found.merged.results["r8.1.b"]
    assert (same.grade, same.rated_by) == (Grade.OFI, "B")  # the same decision: the later of the two
    assert not found.new_disputes


def test_the_same_requirement_rated_differently_is_a_dispute_holding_the_most_severe():
    base = clause()
    ours = clause(r8_1_c=rated(Grade.MAJOR_NC, "Dr A", 3, note="2 of 3 unvalidated"))
    theirs = clause(r8_1_c=rated(Grade.MINOR_NC, "Mr B", 9, note="1 of 3 unvalidated"))
    found = both_ways(base, ours, theirs)
    assert found.new_disputes == ["r8.1.c"]
    kept = found.merged.results["r8.1.c"]
    assert (kept.grade, kept.rated_by) == (Grade.MAJOR_NC, "Dr A")  # more severe, although earlier
    ratings = found.merged.disputes["r8.1.c"].ratings
    assert [(r.grade, r.by, r.at, r.note) for r in ratings] == [
        (Grade.MAJOR_NC, "Dr A", at(3), "2 of 3 unvalidated"), (Grade.MINOR_NC, "Mr B", at(9), "1 of 3 unvalidated")]


def test_levels_dispute_keeps_the_lower_level():
    found = both_ways(clause(), clause(x=rated(Grade.NOT_ASSESSED, "A", 1, level=3)),
                      clause(x=rated(Grade.NOT_ASSESSED, "B", 2, level=1)))
    assert found.merged.results["x"].level == 1 and found.new_disputes == ["x"]


def test_evidence_entries_merge_by_id_alongside_a_dispute():
    e1, e2, e3 = entry("E-00000001", "minutes", 0), entry("E-00000002", "records", 4), entry("E-00000003", "log", 5)
    base = clause(r8_1_c=rated(Grade.NOT_ASSESSED, "A", 0, evidence=[e1]))
    edited = e1.model_copy(update={"text": "minutes of the panel", "edited_by": "A", "edited_at": at(6)})
    ours = clause(r8_1_c=rated(Grade.MINOR_NC, "A", 6, evidence=[edited, e2]))
    theirs = clause(r8_1_c=rated(Grade.MAJOR_NC, "B", 7, evidence=[e1, e3]))
    found = both_ways(base, ours, theirs)
    merged = found.merged.results["r8.1.c"]
    assert [(e.id, e.text) for e in merged.evidence] == [("E-00000001", "minutes of the panel"),
                                                          ("E-00000002", "records"), ("E-00000003", "log")]
    assert found.new_disputes == ["r8.1.c"]


def test_evidence_removed_on_one_side_goes_unless_the_other_edited_it():
    e1, e2 = entry("E-00000001", "a", 0), entry("E-00000002", "b", 1)
    base = clause(x=rated(Grade.CONFORMITY, "A", 0, evidence=[e1, e2]))
    ours = clause(x=rated(Grade.CONFORMITY, "A", 0, evidence=[e2]))  # removed e1
    theirs_edit = e2.model_copy(update={"text": "b2", "edited_by": "B", "edited_at": at(3)})
    theirs = clause(x=rated(Grade.CONFORMITY, "A", 0, evidence=[e1, theirs_edit]))
    found = both_ways(base, ours, theirs)
    assert [(e.id, e.text) for e in found.merged.results["x"].evidence] == [("E-00000002", "b2")]
    ours = clause(x=rated(Grade.CONFORMITY, "A", 0, evidence=[e1]))  # removed e2, which theirs edited
    found = both_ways(base, ours, theirs)
    assert [e.id for e in found.merged.results["x"].evidence] == ["E-00000001", "E-00000002"]


def test_a_settled_dispute_stays_settled_and_an_open_one_gains_new_ratings():
    first = both_ways(clause(), clause(x=rated(Grade.MINOR_NC, "A", 1)), clause(x=rated(Grade.MAJOR_NC, "B", 2)))
    disputed = first.merged
    settled = disputed.model_copy(update={"disputes": {}, "results": {"x": rated(Grade.MAJOR_NC, "Lead", 5)}})
    untouched = disputed
    found = both_ways(disputed, settled, untouched)
    assert not found.merged.disputes and found.merged.results["x"].rated_by == "Lead"
    # a third auditor rated it again apart from the second merge: one dispute with all three ratings
    third = disputed.model_copy(update={"results": {"x": rated(Grade.OBSERVATION, "C", 8)}})
    found = both_ways(disputed, disputed.model_copy(update={"results": {"x": rated(Grade.CONFORMITY, "D", 9)}}),
                      third)
    assert [r.by for r in found.merged.disputes["x"].ratings] == ["A", "B", "C", "D"]


def test_results_of_different_clauses_are_refused():
    with pytest.raises(MergeRefused):
        merge_clause_results(None, ClauseResults(clause="8"), ClauseResults(clause="9"))


def finding(**update) -> Finding:
    base = Finding(id="NC-2026-FOE-801", grade=Grade.MINOR_NC, ref="8.1.c", statement="unvalidated",
                   raised_by="A", raised_at=T0, evidence_ids=["E-00000001"])
    return base.model_copy(update=update)


def test_findings_merge_field_by_field_and_links_as_sets():
    base = finding()
    ours = finding(evidence_ids=["E-00000001", "E-00000003"], statement="2 of 3 unvalidated")
    theirs = finding(evidence_ids=["E-00000002"], withdrawn=None, response_due=dt.date(2027, 1, 2))
    merged = merge_finding(base, ours, theirs)
    # E-1 unlinked by theirs; E-3 linked by ours and E-2 by theirs
    assert merged.evidence_ids == ["E-00000002", "E-00000003"]
    assert merged.statement == "2 of 3 unvalidated" and merged.response_due == dt.date(2027, 1, 2)
    assert merge_finding(base, theirs, ours) == merged


def test_a_finding_field_changed_differently_on_both_sides_is_refused():
    with pytest.raises(MergeRefused, match="grade"):
        merge_finding(finding(), finding(grade=Grade.MAJOR_NC), finding(grade=Grade.OBSERVATION))
