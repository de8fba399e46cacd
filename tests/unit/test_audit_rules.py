"""The rules of an audit record every front end asks: when it is read-only, and when a rating needs a statement."""

from __future__ import annotations

import datetime as dt

import pytest

from qms_audit.domain.audit_rules import closed_refusal, escalated_finding, statement_needed
from qms_audit.model.audit import (
    AuditPlan,
    AuditRecord,
    AuditStatus,
    Criteria,
    Finding,
    Grade,
    Scope,
    StatusChange,
    TeamMember,
)

AT = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
CLOSED_AT = dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.UTC)
C, GP, OFI, OBS, MIN, MAJ, NA, NAS = (Grade.CONFORMITY, Grade.GOOD_PRACTICE, Grade.OFI, Grade.OBSERVATION,
                                      Grade.MINOR_NC, Grade.MAJOR_NC, Grade.NOT_APPLICABLE, Grade.NOT_ASSESSED)


def record(status: AuditStatus, history: list[StatusChange] | None = None) -> AuditRecord:
    plan = AuditPlan(scope=Scope(auditee_unit="Faculty of Engineering", unit_code="FOE"),
                     criteria=Criteria(standard="mc-qms", version="1.0"), lead=TeamMember(name="Dr Lee"))
    return AuditRecord(id="demo-2026-foe", title="Demo", status=status, plan=plan, created_at=AT, created_by="Dr Lee",
                       history=history or [])


def finding(grade: Grade, number: int = 1) -> Finding:
    prefix = {OFI: "OFI", OBS: "OBS"}.get(grade, "NC")
    return Finding(id=f"{prefix}-2026-FOE-8{number:02d}", grade=grade, ref="8.1.c", statement="found",
                   raised_by="Dr Lee", raised_at=AT)


# -- a closed audit is read-only --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [s for s in AuditStatus if s is not AuditStatus.CLOSED])
def test_an_audit_that_is_not_closed_may_change(status):
    assert closed_refusal(record(status)) is None


def test_a_closed_audit_says_when_and_by_whom_and_how_to_reopen_it():
    history = [StatusChange(status=AuditStatus.PLANNED, at=AT, by="Dr Lee"),
               StatusChange(status=AuditStatus.CLOSED, at=CLOSED_AT, by="Ms Ong")]
    assert closed_refusal(record(AuditStatus.CLOSED, history)) == (
        "audit demo-2026-foe is closed on 2026-11-20 by Ms Ong and cannot be changed; reopen it with "
        "`qms-audit audit reopen demo-2026-foe --reason '...'`")


def test_the_last_closing_is_the_one_named_after_a_reopening():
    history = [StatusChange(status=AuditStatus.CLOSED, at=AT, by="Dr Lee"),
               StatusChange(status=AuditStatus.FOLLOW_UP, at=AT, by="Dr Lee", reason="late evidence"),
               StatusChange(status=AuditStatus.CLOSED, at=CLOSED_AT, by="Ms Ong")]
    refusal = closed_refusal(record(AuditStatus.CLOSED, history))
    assert refusal is not None
    assert "closed on 2026-11-20 by Ms Ong" in refusal


def test_a_closed_audit_without_its_closing_in_the_history_is_still_refused():
    assert closed_refusal(record(AuditStatus.CLOSED)) == (
        "audit demo-2026-foe is closed and cannot be changed; reopen it with "
        "`qms-audit audit reopen demo-2026-foe --reason '...'`")


# -- when a rating needs a finding statement ----------------------------------------------------------------------


@pytest.mark.parametrize("grade", [C, GP, NA, NAS])
def test_a_rating_that_raises_no_finding_needs_no_statement(grade):
    assert statement_needed(grade, []) is False
    assert statement_needed(grade, [finding(MIN)]) is False
    assert escalated_finding(grade, [finding(MIN)]) is None


@pytest.mark.parametrize("grade", [OFI, OBS, MIN, MAJ])
def test_the_first_finding_on_a_requirement_needs_its_statement(grade):
    assert statement_needed(grade, []) is True


@pytest.mark.parametrize("grade", [OFI, OBS, MIN, MAJ])
def test_rating_again_the_grade_of_a_standing_finding_needs_none(grade):
    assert statement_needed(grade, [finding(grade)]) is False
    assert escalated_finding(grade, [finding(grade)]) is None


@pytest.mark.parametrize("lighter, grade", [(MIN, MAJ), (OFI, OBS)])
def test_escalating_the_one_lighter_finding_of_the_same_kind_keeps_it(lighter, grade):
    standing = finding(lighter)
    assert escalated_finding(grade, [standing]) is standing
    assert statement_needed(grade, [standing]) is False


@pytest.mark.parametrize("lighter, grade", [(OFI, MIN), (OBS, MAJ), (OBS, MIN)])
def test_a_nonconformity_over_an_ofi_or_observation_is_a_new_finding(lighter, grade):
    assert escalated_finding(grade, [finding(lighter)]) is None
    assert statement_needed(grade, [finding(lighter)]) is True


def test_two_lighter_findings_leave_it_unclear_which_one_escalates_so_a_new_one_is_raised():
    minors = [finding(MIN, 1), finding(MIN, 2)]
    assert escalated_finding(MAJ, minors) is None
    assert statement_needed(MAJ, minors) is True


def test_a_more_severe_finding_is_neither_escalated_nor_a_reason_to_skip_the_statement():
    # rating a major requirement minor withdraws the major (when nothing happened to it) and raises a minor
    assert escalated_finding(MIN, [finding(MAJ)]) is None
    assert statement_needed(MIN, [finding(MAJ)]) is True


def test_a_standing_finding_of_the_grade_wins_over_a_lighter_one_to_escalate():
    standing = [finding(MIN, 1), finding(MAJ, 2)]
    assert escalated_finding(MAJ, standing) is None
    assert statement_needed(MAJ, standing) is False
