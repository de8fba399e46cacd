"""Finding numbers by clause and by the auditor's seat in the plan: auditors in separate clones never give two
findings the same id, however many findings each raises."""

from __future__ import annotations

import itertools

import pytest

from qms_audit.domain.finding_ids import (
    OUTSIDER_SEATS_FROM,
    NoFreeNumber,
    candidate_numbers,
    next_number,
    next_register_number,
    seat_of,
)
from qms_audit.model.audit import AuditPlan, Criteria, Scope, TeamMember


def plan(*team: str) -> AuditPlan:
    return AuditPlan(scope=Scope(auditee_unit="Faculty of Engineering", unit_code="FOE"),
                     criteria=Criteria(standard="mc-qms", version="1.0"), lead=TeamMember(name="Dr Farah Aziz"),
                     team=[TeamMember(name=name) for name in team])


def test_seats_follow_the_plan_and_outsiders_sit_after_the_team_by_name():
    p = plan("Mr Daniel Reyes", "Ms Lin Ong")
    assert seat_of(p, "Dr Farah Aziz") == 0
    assert seat_of(p, "  dr farah   AZIZ") == 0  # the same person however the name is typed
    assert seat_of(p, "Mr Daniel Reyes") == 1
    assert seat_of(p, "Ms Lin Ong") == 2
    outsider = seat_of(p, "Prof Q Manager")
    assert outsider >= OUTSIDER_SEATS_FROM
    # chosen by the name alone: another clone, with another team, gives the same seat
    assert seat_of(plan(), "Prof Q Manager") == outsider
    assert seat_of(p, "Prof Q Manager") != seat_of(p, "Dr Someone Else")


def test_the_first_numbers_read_as_clause_and_seat():
    assert [next_number("8", 0, set()), next_number("8", 1, set()), next_number("8", 2, set())] == [801, 811, 821]
    assert next_number("10", 3, set()) == 1031
    assert next_number("8", 0, {801, 802}) == 803
    # a number given before seats existed is skipped, never given twice
    assert next_number("8", 1, {811, 812, 813}) == 814


def test_a_full_first_block_continues_where_no_other_seat_or_clause_can_be():
    lead_first = set(range(801, 810))
    overflow = next_number("8", 0, lead_first)
    assert overflow > 9999
    member_overflow = next_number("8", 1, set(range(811, 820)))
    assert member_overflow != overflow


def test_no_number_is_shared_between_seats_or_clauses():
    """Every number of every (clause, seat) for the clauses of a standard and seats of a team, outsiders and
    non-numeric clauses included: each belongs to exactly one pair."""
    owner: dict[int, tuple[str | None, int]] = {}
    clauses: list[str | None] = [str(c) for c in range(1, 100)] + ["A1", None]
    seats = [*range(0, 12), 57, 99, OUTSIDER_SEATS_FROM, OUTSIDER_SEATS_FROM + 9_999]
    for clause, seat in itertools.product(clauses, seats):
        key = (None if clause in ("A1", None) else clause, seat)  # clauses that are not numbers share blocks
        for number in candidate_numbers(clause, seat):
            assert owner.setdefault(number, key) == key, f"{number} is given by {owner[number]} and {key}"


def test_a_seat_runs_out_only_after_a_thousand_findings_of_one_kind():
    used = set(candidate_numbers("8", 1))
    assert len(used) == 9 + 999
    with pytest.raises(NoFreeNumber):
        next_number("8", 1, used)


def test_the_register_keeps_its_own_numbering():
    assert next_register_number(set()) == 1
    assert next_register_number({1, 2}) == 3
    assert next_register_number(set(range(1, 100))) == 10_001
