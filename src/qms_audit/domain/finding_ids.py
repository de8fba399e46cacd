"""How findings are numbered, so that auditors working apart (each in a clone of the workspace) never give two
different findings the same id, and `git merge` of their work keeps every finding.

A finding's number depends on the clause of its requirement and on the auditor's *seat* in the audit plan: the
lead auditor is seat 0, the team members 1, 2, ... in plan order, and someone not in the plan gets a seat from
100 up chosen by their name alone (so two clones agree on it without talking to each other).

- First block, seats 0-9: clause * 100 + seat * 10 + 1..9. Clause 8: the lead takes 801-809, the first team
  member 811-819, the second 821-829, ...
- Then, for any seat (and first for seats from 10 up): 10000 + (seat * 101 + clause) * 1000 + 1..999. A number
  there names exactly one (seat, clause, n): clause is below 101 and n below 1000, so the digits cannot be shared.
  Clause 8, lead: 18001-18999; first member: 119001-119999.

Clauses that are not a number from 1 to 99 count as clause 100 in the second block and 0 in the first (numbers
1-99, as before seats). Numbers already used are skipped, so ids given before this rule stay as they are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator

from qms_audit.domain.capa_rules import same_person
from qms_audit.model.audit import AuditPlan

FIRST_BLOCK_SEATS = 10
PER_SEAT_FIRST = 9
PER_SEAT_SECOND = 999
SECOND_BLOCK_START = 10_000
# seats of people not in the plan: 100 and up, so a team of up to 99 members never shares one with them
OUTSIDER_SEATS_FROM = 100
OUTSIDER_SEATS = 10_000


class NoFreeNumber(ValueError):
    """Every number of an auditor's blocks for a clause is taken (over a thousand findings of one kind)."""


def seat_of(plan: AuditPlan, actor: str) -> int:
    """The actor's seat: lead 0, team members 1.. in plan order, anyone else from 100 up, by their name."""
    if same_person(actor, plan.lead.name):
        return 0
    for number, member in enumerate(plan.team, start=1):
        if same_person(actor, member.name):
            return number
    return OUTSIDER_SEATS_FROM + outsider_offset(actor)


def outsider_offset(actor: str) -> int:
    """A number from 0 to 9999 that depends on the name alone (written the same however it is spaced or cased)."""
    normal = " ".join(actor.lower().split())
    return int.from_bytes(hashlib.sha256(normal.encode("utf-8")).digest()[:4], "big") % OUTSIDER_SEATS


def clause_number(clause: str | None) -> int | None:
    """A top-level clause as a number from 1 to 99, or None for the other kinds ('A1', '0', none)."""
    if clause is not None and clause.isdigit() and 0 < int(clause) < 100:
        return int(clause)
    return None


def candidate_numbers(clause: str | None, seat: int) -> Iterator[int]:
    """Every number the auditor in `seat` may give a finding on `clause`, in the order they are used."""
    number = clause_number(clause)
    if seat < FIRST_BLOCK_SEATS:
        base = (number or 0) * 100 + seat * 10
        yield from range(base + 1, base + 1 + PER_SEAT_FIRST)
    base = SECOND_BLOCK_START + (seat * 101 + (number or 100)) * 1000
    yield from range(base + 1, base + 1 + PER_SEAT_SECOND)


def next_number(clause: str | None, seat: int, used: Collection[int]) -> int:
    """The first number of the seat's blocks for the clause that is not used yet."""
    for candidate in candidate_numbers(clause, seat):
        if candidate not in used:
            return candidate
    raise NoFreeNumber(f"every finding number of seat {seat} on clause {clause} is taken")


def next_register_number(used: Collection[int]) -> int:
    """NCs raised outside audits (complaints, feedback, reviews): the lowest free number below 100, then above
    every number in use (the ids of the workspace's audits included). The register is kept by one office, not by
    auditors in clones, so it needs no seats."""
    free = next((n for n in range(1, 100) if n not in used), None)
    return free if free is not None else max([*used, SECOND_BLOCK_START]) + 1
