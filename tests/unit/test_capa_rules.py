"""The rules of corrective action (ISO 9001 10.2) on findings in memory: stage, open, overdue, the closing gates and
the checks every CAPA step passes before anything is written."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from qms_audit.domain import capa_rules as rules
from qms_audit.infra.errors import BadInput, NotFound, Refused
from qms_audit.model.audit import (
    ActionStatus,
    Capa,
    CapaAction,
    Finding,
    Grade,
    RcaMethod,
    RootCause,
    Step,
    Verification,
    VerificationResult,
)

NC = "NC-2026-FOE-801"
RAISED = dt.datetime(2026, 10, 13, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
DONE, PLANNED, CANCELLED = ActionStatus.DONE, ActionStatus.PLANNED, ActionStatus.CANCELLED
EFFECTIVE, NOT_EFFECTIVE = VerificationResult.EFFECTIVE, VerificationResult.NOT_EFFECTIVE


def action(action_id: str, status: ActionStatus = PLANNED, *, owner: str = "Ms Ong",
           due: dt.date = dt.date(2026, 11, 15), done_day: int = 20) -> CapaAction:
    done_at = dt.datetime(2026, 11, done_day, 9, tzinfo=dt.UTC) if status is not PLANNED else None
    return CapaAction(id=action_id, description=f"action {action_id}", owner=owner, due=due, status=status,
                      done_at=done_at, planned_by="Dr Lee", planned_at=RAISED)


def verification(result: VerificationResult, *actions: str, by: str = "Dr Lee") -> Verification:
    return Verification(actions=list(actions), method="re-sampled", by=by, on=dt.date(2026, 11, 25), result=result,
                        recorded_at=NOW)


def step(text: str = "done") -> Step:
    return Step(text=text, by="Dr Lee", at=RAISED)


def cause() -> RootCause:
    return RootCause(method=RcaMethod.FIVE_WHYS, statement="no gate", by="Dr Lee", at=RAISED)


def nc(capa: Capa | None = None, *, grade: Grade = Grade.MINOR_NC, withdrawn: str | None = None,
       response_due: dt.date | None = dt.date(2026, 12, 12)) -> Finding:
    return Finding(id=NC if grade.is_nc else "OBS-2026-FOE-801", grade=grade, ref="8.1.c", statement="found",
                   raised_by="Dr Lee", raised_at=RAISED, response_due=response_due, capa=capa, withdrawn=withdrawn)


def closed() -> Capa:
    return Capa(root_cause=cause(), similar=step(), actions=[action("A1", DONE)],
                verifications=[verification(EFFECTIVE, "A1")], closed_at=NOW, closed_by="Dr Lee")


# -- stage, open, overdue, next due ------------------------------------------------------------------------------


@pytest.mark.parametrize("capa, expected", [
    (None, "open"),
    (Capa(), "open"),
    (Capa(correction=step()), "correction"),
    (Capa(containment=step()), "correction"),
    (Capa(root_cause=cause()), "analysed"),
    (Capa(actions=[action("A1", DONE), action("A2")]), "actions-in-progress"),
    (Capa(actions=[action("A1", DONE), action("A2", CANCELLED)]), "awaiting-verification"),
    (Capa(actions=[action("A1", DONE)], verifications=[verification(EFFECTIVE, "A1")]), "verified"),
    (Capa(actions=[action("A1", DONE)], verifications=[verification(NOT_EFFECTIVE, "A1")]), "reopened"),
    (Capa(actions=[action("A1", DONE), action("A2")], verifications=[verification(NOT_EFFECTIVE, "A1")]),
     "actions-in-progress"),
    (closed(), "closed"),
])
def test_stage(capa, expected):
    assert rules.stage(nc(capa)) == expected


@pytest.mark.parametrize("finding", [
    nc(), nc(Capa(correction=step())), nc(closed()), nc(withdrawn="re-rated"), nc(closed(), withdrawn="x"),
    nc(Capa(actions=[action("A1", DONE)], verifications=[verification(NOT_EFFECTIVE, "A1")])),
])
def test_open_means_not_withdrawn_and_not_at_the_closed_stage(finding):
    assert rules.is_open(finding) == (finding.withdrawn is None and rules.stage(finding) != "closed")


def test_only_planned_actions_past_their_due_date_are_overdue():
    long_ago = dt.date(2026, 11, 1)
    capa = Capa(actions=[action("A1", due=dt.date(2026, 11, 29)), action("A2", due=TODAY),
                         action("A3", DONE, due=long_ago), action("A4", CANCELLED, due=long_ago)])
    assert [a.id for a in rules.overdue_actions(nc(capa), TODAY)] == ["A1"]
    assert rules.is_overdue(nc(capa), TODAY) is True
    assert rules.is_overdue(nc(capa), dt.date(2026, 11, 29)) is False


def test_a_closed_or_withdrawn_nc_has_nothing_overdue():
    late = Capa(actions=[action("A1", due=dt.date(2026, 11, 1))])
    assert rules.overdue_actions(nc(late, withdrawn="raised in error"), TODAY) == []
    assert rules.is_overdue(nc(late, withdrawn="raised in error"), TODAY) is False
    assert rules.is_overdue(nc(closed(), response_due=dt.date(2026, 10, 20)), TODAY) is False


def test_with_no_action_planned_the_agreed_response_date_decides():
    assert rules.is_overdue(nc(response_due=dt.date(2026, 11, 29)), TODAY) is True
    assert rules.is_overdue(nc(response_due=TODAY), TODAY) is False
    assert rules.is_overdue(nc(response_due=None), TODAY) is False
    # an action planned in time answers the response date, even past it
    planned = Capa(actions=[action("A1", due=dt.date(2026, 12, 20))])
    assert rules.is_overdue(nc(planned, response_due=dt.date(2026, 11, 1)), TODAY) is False
    # once judged not effective, the old actions no longer count: the response date applies again
    failed = Capa(actions=[action("A1", DONE)], verifications=[verification(NOT_EFFECTIVE, "A1")])
    assert rules.is_overdue(nc(failed, response_due=dt.date(2026, 11, 1)), TODAY) is True


def test_an_observation_is_never_overdue():
    assert rules.is_overdue(nc(grade=Grade.OBSERVATION, response_due=dt.date(2026, 11, 1)), TODAY) is False


def test_overdue_after_is_the_last_day_on_time():
    capa = Capa(actions=[action("A1", due=dt.date(2026, 11, 29)), action("A2", due=dt.date(2026, 12, 3)),
                         action("A3", DONE, due=dt.date(2026, 11, 1))])
    assert rules.overdue_after(nc(capa)) == dt.date(2026, 11, 29)
    assert rules.overdue_after(nc()) == dt.date(2026, 12, 12)  # nothing planned: the agreed response date
    failed = Capa(actions=[action("A1", DONE)], verifications=[verification(NOT_EFFECTIVE, "A1")])
    assert rules.overdue_after(nc(failed, response_due=dt.date(2026, 11, 1))) == dt.date(2026, 11, 1)
    assert rules.overdue_after(nc(closed())) is None
    assert rules.overdue_after(nc(response_due=None)) is None
    assert rules.overdue_after(nc(grade=Grade.OFI)) is None


@pytest.mark.parametrize("finding", [
    nc(), nc(response_due=None), nc(Capa(actions=[action("A1", due=dt.date(2026, 11, 20))])),
    nc(Capa(actions=[action("A1", DONE), action("A2", due=dt.date(2026, 12, 20))]), response_due=dt.date(2026, 11, 1)),
    nc(Capa(actions=[action("A1", DONE)], verifications=[verification(NOT_EFFECTIVE, "A1")])),
    nc(closed()), nc(withdrawn="raised in error"), nc(grade=Grade.OBSERVATION),
])
def test_overdue_on_a_day_follows_from_overdue_after(finding):
    for day in range(1, 32):
        today = dt.date(2026, 12, 1) + dt.timedelta(days=day - 15)
        assert rules.is_overdue(finding, today) == rules.overdue_on(rules.overdue_after(finding), today)
    assert rules.overdue_on(None, TODAY) is False


def test_closed_late_compares_the_closing_day_with_the_last_due_date():
    on_time = closed()  # closed on NOW (30 Nov); its one action was due 15 Nov
    assert rules.closed_late(nc(on_time)) is True
    in_time = on_time.model_copy(update={"actions": [action("A1", DONE, due=dt.date(2026, 11, 30))]})
    assert rules.closed_late(nc(in_time)) is False
    no_actions = on_time.model_copy(update={"actions": []})
    assert rules.closed_late(nc(no_actions, response_due=dt.date(2026, 11, 29))) is True
    assert rules.closed_late(nc(no_actions, response_due=None)) is False
    assert rules.closed_late(nc()) is False  # still open


def test_ever_not_effective_remembers_a_failed_verification_after_closure():
    failed_then_closed = closed().model_copy(update={"verifications": [
        verification(NOT_EFFECTIVE, "A1"), verification(EFFECTIVE, "A1")]})
    assert rules.ever_not_effective(nc(failed_then_closed)) is True
    assert rules.ever_not_effective(nc(closed())) is False
    assert rules.ever_not_effective(nc()) is False


def test_next_due_is_the_earliest_planned_action_else_the_response_date_while_open():
    capa = Capa(actions=[action("A1", due=dt.date(2026, 12, 20)), action("A2", due=dt.date(2026, 12, 5)),
                         action("A3", DONE, due=dt.date(2026, 11, 1))])
    assert rules.next_due(nc(capa)) == dt.date(2026, 12, 5)
    assert rules.next_due(nc()) == dt.date(2026, 12, 12)
    assert rules.next_due(nc(closed())) is None


def test_owners_are_listed_once_however_their_name_is_spaced_or_cased():
    capa = Capa(actions=[action("A1", owner="Ms Ong"), action("A2", owner="ms  ong"), action("A3", owner="Dr Tan")])
    assert rules.owners(nc(capa)) == ["Ms Ong", "Dr Tan"]
    assert rules.owners(nc()) == []
    assert rules.same_person(" Ms  Ong", "ms ong") is True
    assert rules.same_person("Ms Ong", "Ms Ong-Tan") is False


# -- closing ---------------------------------------------------------------------------------------------------


def test_everything_is_missing_for_a_new_nc_in_the_order_of_10_2():
    assert rules.missing_for_closure(nc()) == [
        "root cause (with its method)", "check for similar nonconformities", "at least one corrective action",
        "an effective verification by someone other than the action owners"]


def test_missing_for_closure_follows_the_actions_and_the_last_verification():
    base = {"root_cause": cause(), "similar": step()}
    assert rules.missing_for_closure(nc(Capa(**base, actions=[action("A1")]))) == [
        "completion of every planned action",
        "an effective verification by someone other than the action owners"]
    assert rules.missing_for_closure(nc(Capa(**base, actions=[action("A1", CANCELLED)]))) == [
        "at least one action done (all are cancelled)",
        "an effective verification by someone other than the action owners"]
    failed = Capa(**base, actions=[action("A1", DONE)], verifications=[verification(NOT_EFFECTIVE, "A1")])
    assert rules.missing_for_closure(nc(failed)) == [
        "at least one corrective action planned since the last 'not effective' result",
        "an effective verification by someone other than the action owners"]
    verified = Capa(**base, actions=[action("A1", DONE)], verifications=[verification(EFFECTIVE, "A1")])
    assert rules.missing_for_closure(nc(verified)) == []


@pytest.mark.parametrize("finding, message", [
    (nc(withdrawn="raised in error"), f"{NC} was withdrawn (raised in error)"),
    (nc(grade=Grade.OBSERVATION), "OBS-2026-FOE-801 is observation: corrective action applies to nonconformities"),
])
def test_corrective_action_applies_to_a_standing_nonconformity(finding, message):
    with pytest.raises(Refused, match=re.escape(message)):
        rules.check_correctable(finding)


def test_a_standing_nonconformity_may_be_corrected():
    rules.check_correctable(nc())
    rules.check_correctable(nc(grade=Grade.MAJOR_NC))


# -- dates ------------------------------------------------------------------------------------------------------


def test_a_due_date_cannot_precede_the_nc():
    rules.check_due_date(RAISED.date(), finding_id=NC, raised_on=RAISED.date())
    with pytest.raises(BadInput, match=r"^response due 2026-10-12 is before NC-2026-FOE-801 is raised \(today, "
                                       r"2026-10-13\); give a later --due$"):
        rules.check_due_date(dt.date(2026, 10, 12), finding_id=NC, raised_on=RAISED.date(), what="response due",
                             new=True)


def test_a_verification_date_follows_the_last_action_done_and_is_not_in_the_future():
    actions = [action("A1", DONE, done_day=20), action("A2", DONE, done_day=25), action("A3", CANCELLED, done_day=28)]
    rules.check_verification_date(dt.date(2026, 11, 25), actions, finding_id=NC, raised_on=RAISED.date(), today=TODAY)
    with pytest.raises(BadInput, match=r"before action A2 of NC-2026-FOE-801 was done \(2026-11-25\)"):
        rules.check_verification_date(dt.date(2026, 11, 24), actions, finding_id=NC, raised_on=RAISED.date(),
                                      today=TODAY)
    with pytest.raises(BadInput, match="in the future"):
        rules.check_verification_date(dt.date(2026, 12, 1), actions, finding_id=NC, raised_on=RAISED.date(),
                                      today=TODAY)


# -- the steps of an update ----------------------------------------------------------------------------------


def test_a_root_cause_is_recorded_with_a_known_method():
    assert rules.parse_rca_method("Ishikawa", "no gate") is RcaMethod.ISHIKAWA
    assert rules.parse_rca_method(None, None) is None
    with pytest.raises(BadInput, match="a root cause needs the method used to find it"):
        rules.parse_rca_method(None, "no gate")
    with pytest.raises(BadInput, match="unknown root-cause method 'guess'"):
        rules.parse_rca_method("guess", "no gate")


def test_steps_given_are_signed_and_an_empty_one_is_refused():
    steps = rules.recorded_steps({"correction": "  fixed it ", "similar": None}, by="Ms Ong", at=NOW)
    assert steps == {"correction": Step(text="fixed it", by="Ms Ong", at=NOW)}
    with pytest.raises(BadInput, match=r"^--risk-update is empty$"):
        rules.recorded_steps({"risk_update": "  "}, by="Ms Ong", at=NOW)


def test_revising_the_root_cause():
    assert rules.revised_root_cause(None, None, None, None, by="Ms Ong", at=NOW) is None
    new = rules.revised_root_cause(None, " no gate ", RcaMethod.PARETO, "the working", by="Ms Ong", at=NOW)
    assert (new.statement, new.method, new.analysis, new.by) == ("no gate", RcaMethod.PARETO, "the working", "Ms Ong")
    relabelled = rules.revised_root_cause(new, None, RcaMethod.FAULT_TREE, None, by="Dr Lee", at=NOW)
    assert (relabelled.statement, relabelled.method, relabelled.analysis) == (
        "no gate", RcaMethod.FAULT_TREE, "the working")
    with pytest.raises(BadInput, match=r"^--method needs --root-cause"):
        rules.revised_root_cause(None, None, RcaMethod.PARETO, None, by="Ms Ong", at=NOW)
    with pytest.raises(BadInput, match=r"^--analysis goes with --root-cause and --method$"):
        rules.revised_root_cause(new, None, None, "more working", by="Ms Ong", at=NOW)
    with pytest.raises(BadInput, match=r"^--root-cause is empty$"):
        rules.revised_root_cause(None, "  ", RcaMethod.PARETO, None, by="Ms Ong", at=NOW)


def test_planned_actions_are_numbered_after_the_existing_ones_and_checked():
    existing = [action("A1", DONE)]
    actions = rules.planned_actions(existing, [(" retrain ", " Ms Ong ", dt.date(2026, 12, 1))], finding_id=NC,
                                    raised_on=RAISED.date(), by="Dr Lee", at=NOW)
    assert [(a.id, a.description, a.owner, a.status) for a in actions] == [
        ("A1", "action A1", "Ms Ong", DONE), ("A2", "retrain", "Ms Ong", PLANNED)]
    with pytest.raises(BadInput, match="needs a description and an owner"):
        rules.planned_actions([], [("retrain", " ", dt.date(2026, 12, 1))], finding_id=NC, raised_on=RAISED.date(),
                              by="Dr Lee", at=NOW)
    with pytest.raises(BadInput, match="needs a due date"):
        rules.planned_actions([], [("retrain", "Ms Ong", None)], finding_id=NC, raised_on=RAISED.date(),
                              by="Dr Lee", at=NOW)
    with pytest.raises(BadInput, match="is before NC-2026-FOE-801 was raised"):
        rules.planned_actions([], [("retrain", "Ms Ong", dt.date(2026, 1, 1))], finding_id=NC,
                              raised_on=RAISED.date(), by="Dr Lee", at=NOW)


def test_only_a_planned_action_can_be_done_or_cancelled():
    actions = [action("A1"), action("A2"), action("A3", DONE)]
    settled = rules.settled_actions(actions, done=["A1"], cancel=["A2"], note="see minutes", finding_id=NC, at=NOW)
    assert [(a.id, a.status, a.done_at, a.done_note) for a in settled[:2]] == [
        ("A1", DONE, NOW, "see minutes"), ("A2", CANCELLED, NOW, "see minutes")]
    assert settled[2] == actions[2]
    with pytest.raises(Refused, match="action A3 of NC-2026-FOE-801 is already done"):
        rules.settled_actions(actions, done=["A3"], cancel=[], note=None, finding_id=NC, at=NOW)
    with pytest.raises(NotFound, match="NC-2026-FOE-801 has no action A9"):
        rules.settled_actions(actions, done=[], cancel=["A9"], note=None, finding_id=NC, at=NOW)


# -- verification ------------------------------------------------------------------------------------------------


def test_a_verification_says_its_result_how_and_who():
    assert rules.verification_result("Not-Effective", "re-sampled", "Dr Lee") is NOT_EFFECTIVE
    with pytest.raises(BadInput, match="--result must be effective or not-effective, not 'maybe'"):
        rules.verification_result("maybe", "re-sampled", "Dr Lee")
    with pytest.raises(BadInput, match="say how effectiveness was checked"):
        rules.verification_result("effective", " ", "Dr Lee")
    with pytest.raises(BadInput, match="name the verifier"):
        rules.verification_result("effective", "re-sampled", " ")


def test_the_actions_a_verification_judges_are_those_since_the_last_failure():
    capa = Capa(actions=[action("A1", DONE, done_day=10), action("A2", DONE, done_day=20)],
                verifications=[verification(NOT_EFFECTIVE, "A1")])
    judged = rules.actions_to_verify(nc(capa), "Dr Lee", dt.date(2026, 11, 21), today=TODAY)
    assert [a.id for a in judged] == ["A2"]


@pytest.mark.parametrize("capa, by, message", [
    (Capa(), "Dr Lee", f"^{NC} has no corrective action to verify$"),
    (Capa(actions=[action("A1", DONE)], verifications=[verification(NOT_EFFECTIVE, "A1")]), "Dr Lee",
     "no corrective action to verify since the last 'not effective' result"),
    (Capa(actions=[action("A1", DONE), action("A2"), action("A3")]), "Dr Lee",
     "actions A2, A3 are not done yet"),
    (Capa(actions=[action("A1", DONE, owner="Dr Lee")]), " dr  lee", "owns an action of NC-2026-FOE-801"),
])
def test_a_verification_is_refused_before_the_actions_are_done_or_by_an_owner(capa, by, message):
    with pytest.raises(Refused, match=message):
        rules.actions_to_verify(nc(capa), by, dt.date(2026, 11, 25), today=TODAY)


def test_a_verification_dated_before_the_last_action_was_done_is_refused():
    capa = Capa(actions=[action("A1", DONE, done_day=20)])
    with pytest.raises(BadInput, match="before action A1"):
        rules.actions_to_verify(nc(capa), "Dr Lee", dt.date(2026, 11, 19), today=TODAY)


# --- overdue as the record stood on a past day ----------------------------------------------------------------


def test_an_nc_raised_later_is_not_part_of_a_past_day():
    assert rules.as_recorded_on(nc(), dt.date(2026, 10, 12)) is None
    assert not rules.overdue_at_end_of(nc(response_due=dt.date(2026, 10, 1)), dt.date(2026, 10, 12))


def test_overdue_at_the_end_of_a_day_ignores_what_was_recorded_after_it():
    # the response date passed on 31 October with nothing planned; an action planned on 5 November, done on the
    # 20th, settles it today, but not on 31 October
    late = CapaAction(id="A1", description="fix", owner="Ms Ong", due=dt.date(2026, 11, 25), status=DONE,
                      done_at=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC), planned_by="Dr Lee",
                      planned_at=dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC))
    finding = nc(Capa(actions=[late]), response_due=dt.date(2026, 10, 20))
    assert rules.overdue_at_end_of(finding, dt.date(2026, 10, 31))
    assert not rules.overdue_at_end_of(finding, TODAY)
    assert rules.as_recorded_on(finding, dt.date(2026, 10, 31)).capa.actions == []
    # planned on the 5th, due on the 15th: on the 16th it was past due, as it was not done before the 20th
    then = rules.as_recorded_on(finding.model_copy(update={"capa": Capa(actions=[
        late.model_copy(update={"due": dt.date(2026, 11, 15)})])}), dt.date(2026, 11, 16))
    assert then.capa.actions[0].status is PLANNED and rules.is_overdue(then, dt.date(2026, 11, 16))


def test_a_closure_and_a_verification_count_from_the_day_they_were_recorded():
    capa = Capa(actions=[action("A1", DONE, due=dt.date(2026, 11, 15), done_day=10)],
                verifications=[verification(EFFECTIVE, "A1")], closed_at=NOW, closed_by="Dr Lee")
    finding = nc(capa)
    assert rules.as_recorded_on(finding, dt.date(2026, 11, 29)).capa.closed_at is None
    assert rules.as_recorded_on(finding, dt.date(2026, 11, 29)).capa.verifications == []
    assert rules.as_recorded_on(finding, TODAY) == finding
    # a cancelled action was still in hand before it was cancelled
    cancelled = nc(Capa(actions=[action("A1", CANCELLED, due=dt.date(2026, 11, 1), done_day=20)]))
    assert rules.overdue_at_end_of(cancelled, dt.date(2026, 11, 10))
    assert not rules.overdue_at_end_of(cancelled, TODAY)
