"""Three-way merge of audit records, for `git merge` of auditors who worked in separate clones.

Git hands over three versions of one file: the common ancestor (base), ours and theirs. Each part of the record
that a person changes on its own is merged on its own: a requirement's rating, each evidence entry (by id), each
finding field. A part changed on one side only takes that side; changed on both sides to the same value, that
value. When both sides rated one requirement differently, no version wins silently: the result keeps the most
severe rating (the score never looks better than one auditor found it) and records a *dispute* with every rating,
who gave it and when, for the lead auditor to settle.

The result never depends on which side is "ours": merging A into B and B into A give the same record, byte for
byte, so clones that merge each other's work agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from qms_audit.model.audit import (
    ClauseResults,
    Dispute,
    DisputedRating,
    Evidence,
    Finding,
    RequirementResult,
)
from qms_audit.model.common import number_key

T = TypeVar("T")
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


class MergeRefused(ValueError):
    """The two versions cannot be merged by these rules; git's own conflict handling takes over."""


@dataclass
class ResultsMerge:
    merged: ClauseResults
    new_disputes: list[str] = field(default_factory=list)  # refs the merge found rated differently


def merge3(base: T | None, ours: T | None, theirs: T | None) -> tuple[bool, T | None]:
    """(merged cleanly, value): one side's change is taken, the same change on both sides is taken once; both
    sides changing it differently is not merged (False, None)."""
    if ours == theirs:
        return True, ours
    if ours == base:
        return True, theirs
    if theirs == base:
        return True, ours
    return False, None


def merge_keyed(base: dict[str, T], ours: dict[str, T], theirs: dict[str, T],
                both_changed: Callable[[str, T | None, T | None, T | None], T | None]) -> dict[str, T]:
    """Merge two dicts key by key; `both_changed(key, base, ours, theirs)` decides a key changed differently on
    both sides (None removes it). Keys keep the order of `ours` with the new keys of `theirs` after them."""
    out: dict[str, T] = {}
    for key in [*ours, *(k for k in theirs if k not in ours), *(k for k in base if k not in ours and k not in theirs)]:
        clean, value = merge3(base.get(key), ours.get(key), theirs.get(key))
        if not clean:
            value = both_changed(key, base.get(key), ours.get(key), theirs.get(key))
        if value is not None:
            out[key] = value
    return out


# --- results files ---------------------------------------------------------------------------------------


def _rating_of(result: RequirementResult | None) -> tuple[Any, ...]:
    """What an auditor decides about a requirement; who and when are recorded with it but are not the decision."""
    if result is None:
        return (None,)
    return (result.grade, result.level, result.note, result.na_reason)


def _severity(result: RequirementResult) -> int:
    """Higher is worse: a grade's severity, or for standards rated on levels the lower level."""
    if result.level is not None:
        return 100 - result.level
    return result.grade.severity


def _latest_first(result: RequirementResult) -> tuple[Any, ...]:
    return (result.rated_at or _EARLIEST, result.rated_by or "", result.model_dump_json())


def _kept(a: RequirementResult, b: RequirementResult) -> RequirementResult:
    """Which of two differing ratings the merged record holds until the dispute is settled: the most severe,
    then the most recent, then a fixed order, so the choice is the same whichever side merges."""
    return max(a, b, key=lambda r: (_severity(r), *_latest_first(r)))


def _disputed(result: RequirementResult) -> DisputedRating:
    return DisputedRating(grade=result.grade, level=result.level, note=result.note, na_reason=result.na_reason,
                          by=result.rated_by, at=result.rated_at)


def _rating_order(rating: DisputedRating) -> tuple[Any, ...]:
    return (rating.at or _EARLIEST, rating.by or "", rating.model_dump_json())


def _joined_dispute(existing: Iterable[Dispute], ratings: Iterable[DisputedRating]) -> Dispute:
    found: dict[str, DisputedRating] = {}
    for rating in [*(r for d in existing for r in d.ratings), *ratings]:
        found.setdefault(rating.model_dump_json(), rating)
    return Dispute(ratings=sorted(found.values(), key=_rating_order))


def _merge_evidence(base: list[Evidence], ours: list[Evidence], theirs: list[Evidence]) -> list[Evidence]:
    """Entries by id: added on either side kept, removed on one side and untouched on the other removed, edited
    on both sides the latest edit kept; an entry edited on one side and removed on the other stays (evidence is
    not lost by a merge). Entries in the order they were collected."""
    if ours == theirs:
        return ours

    def both_changed(_id: str, _base: Evidence | None, mine: Evidence | None,
                     other: Evidence | None) -> Evidence | None:
        present = [e for e in (mine, other) if e is not None]
        return max(present, key=lambda e: (e.edited_at or e.collected_at, e.model_dump_json()))

    merged = merge_keyed({e.id: e for e in base}, {e.id: e for e in ours}, {e.id: e for e in theirs}, both_changed)
    return sorted(merged.values(), key=lambda e: (e.collected_at, e.id))


def _merge_result(ref: str, base: RequirementResult | None, ours: RequirementResult | None,
                  theirs: RequirementResult | None, disputed: dict[str, list[DisputedRating]]) -> RequirementResult:
    """One requirement changed on both sides: its evidence merged entry by entry, its rating merged as a whole."""
    mine = ours or RequirementResult()
    other = theirs or RequirementResult()
    empty: list[Evidence] = []
    evidence = _merge_evidence(base.evidence if base else empty, mine.evidence, other.evidence)
    clean, rating_side = merge3(_rating_of(base), _rating_of(ours), _rating_of(theirs))
    if clean:
        # the same decision on both sides, or one side's: take the side that made it (the later, if both did)
        sides = [r for r in (mine, other) if _rating_of(r) == rating_side]
        chosen = max(sides, key=_latest_first)
    else:
        chosen = _kept(mine, other)
        disputed[ref] = [_disputed(mine), _disputed(other)]
    return chosen.model_copy(update={"evidence": evidence})


def merge_clause_results(base: ClauseResults | None, ours: ClauseResults, theirs: ClauseResults) -> ResultsMerge:
    """Merge two versions of a clause's results file: requirement by requirement, disputes recorded."""
    if ours.clause != theirs.clause or (base is not None and base.clause != ours.clause):
        raise MergeRefused(f"the versions are of different clauses ({ours.clause}, {theirs.clause})")
    base = base or ClauseResults(clause=ours.clause)
    disputed: dict[str, list[DisputedRating]] = {}

    def both_changed(ref: str, b: RequirementResult | None, o: RequirementResult | None,
                     t: RequirementResult | None) -> RequirementResult:
        return _merge_result(ref, b, o, t, disputed)

    results = merge_keyed(base.results, ours.results, theirs.results, both_changed)

    # disputes settled on one side (the lead rated the requirement) are gone; ones open on both sides stay
    def disputes_both_changed(_ref: str, b: Dispute | None, o: Dispute | None, t: Dispute | None) -> Dispute | None:
        if o is None or t is None:
            return None  # settled on one side, extended on the other: the settlement stands
        return _joined_dispute([o, t], [])

    disputes = merge_keyed(base.disputes, ours.disputes, theirs.disputes, disputes_both_changed)
    for ref, ratings in disputed.items():
        disputes[ref] = _joined_dispute([disputes[ref]] if ref in disputes else [], ratings)
    return ResultsMerge(
        merged=ClauseResults(clause=ours.clause,
                             results=dict(sorted(results.items(), key=lambda kv: number_key(kv[0]))),
                             disputes=dict(sorted(disputes.items(), key=lambda kv: number_key(kv[0])))),
        new_disputes=sorted(disputed, key=number_key))


# --- findings --------------------------------------------------------------------------------------------


def _merge_ids(base: list[str], ours: list[str], theirs: list[str]) -> list[str]:
    """A list of ids (a finding's evidence links): added on either side kept, removed on either side removed. The
    ids both sides kept stay in their order, the added ones follow sorted (the same whichever side is ours)."""
    if ours == theirs:
        return ours
    kept = [i for i in base if i in ours and i in theirs]
    added = sorted((set(ours) | set(theirs)) - set(base))
    return kept + added


def merge_finding(base: Finding | None, ours: Finding, theirs: Finding) -> Finding:
    """Merge two versions of one finding field by field. Evidence links are merged as sets; any other field
    changed differently on both sides (the grade, the statement, the CAPA record) cannot be decided here:
    MergeRefused, and git reports the conflict."""
    if ours.id != theirs.id:
        raise MergeRefused(f"the versions are of different findings ({ours.id}, {theirs.id})")
    base_data = base.model_dump() if base is not None else {}
    mine, other = ours.model_dump(), theirs.model_dump()
    merged: dict[str, Any] = {}
    clashes = []
    for name in mine:
        if name == "evidence_ids":
            merged[name] = _merge_ids(base_data.get(name, []), mine[name], other[name])
            continue
        clean, value = merge3(base_data.get(name), mine[name], other[name])
        if not clean:
            clashes.append(name)
        merged[name] = value
    if clashes:
        raise MergeRefused(f"{ours.id}: {', '.join(clashes)} changed differently on both sides")
    return Finding.model_validate(merged)
