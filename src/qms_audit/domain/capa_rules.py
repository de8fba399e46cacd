"""The rules of corrective action (ISO 9001:2015 10.2), with no disk: stage, open and overdue, what closure
still needs, and the checks every CAPA change must pass. `services.capa` runs them inside its transactions;
the register, the reports and the TUI read stage and overdue from here.

React (correction, containment) -> evaluate (root cause with a named method, similar NCs) -> act (actions
with owner and due date) -> review effectiveness (method, verifier, date, result) -> update risks and the
QMS -> close. Gates: closing needs an effective verification, made after the last action was done, by
someone who owns none of the actions; a "not effective" result reopens the CAPA until new actions are done
and verified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence

from qms_audit.domain.deadlines import overdue_on as overdue_on  # one of the CAPA rules, kept light
from qms_audit.infra.errors import BadInput, NotFound, Refused, choice_hint
from qms_audit.model.audit import (
    ActionStatus,
    Capa,
    CapaAction,
    Finding,
    RcaMethod,
    RootCause,
    Step,
    VerificationResult,
)

RCA_METHOD_NEEDED = ("a root cause needs the method used to find it (--method 5-whys|ishikawa|fault-tree|8d|pareto|"
                     "process-mapping|other)")


def same_person(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def actions_since_last_failure(capa: Capa) -> list[CapaAction]:
    """Actions that count now: after a 'not effective' result only actions planned since then."""
    judged: set[str] = set()
    for verification in capa.verifications:
        if verification.result is VerificationResult.NOT_EFFECTIVE:
            judged.update(verification.actions)
    return [a for a in capa.actions if a.id not in judged]


def stage(finding: Finding) -> str:
    capa = finding.capa
    if capa is None:
        return "open"
    if capa.closed_at is not None:
        return "closed"
    last = capa.verifications[-1] if capa.verifications else None
    current = actions_since_last_failure(capa)
    if last is not None and last.result is VerificationResult.EFFECTIVE:
        return "verified"
    if last is not None and last.result is VerificationResult.NOT_EFFECTIVE and not current:
        return "reopened"
    if current and all(a.status is not ActionStatus.PLANNED for a in current):
        return "awaiting-verification"
    if current:
        return "actions-in-progress"
    if capa.root_cause is not None:
        return "analysed"
    if capa.correction is not None or capa.containment is not None:
        return "correction"
    return "open"


def is_open(finding: Finding) -> bool:
    """Not withdrawn and its CAPA not closed. The stage is "closed" exactly when the CAPA has a closing date,
    so this reads the date alone: scoring asks it for every finding of every audit of a portfolio."""
    return finding.withdrawn is None and (finding.capa is None or finding.capa.closed_at is None)


def overdue_actions(finding: Finding, today: dt.date) -> list[CapaAction]:
    """Planned actions past their due date; none once the NC is closed or withdrawn."""
    if not is_open(finding) or finding.capa is None:
        return []
    return [a for a in finding.capa.actions if a.status is ActionStatus.PLANNED and a.due < today]


def overdue_after(finding: Finding) -> dt.date | None:
    """The last day an open NC is on time: it is overdue from the next day, when a planned action is past its due
    date or, with nothing planned, the agreed response date has passed. None when it cannot become overdue
    (closed, withdrawn, not an NC, or nothing dated). A date rather than a yes/no, so that a portfolio index can
    keep it and answer "overdue today?" for any today."""
    if not is_open(finding) or not finding.grade.is_nc:
        return None
    dates = [a.due for a in finding.capa.actions if a.status is ActionStatus.PLANNED] if finding.capa else []
    has_actions = finding.capa is not None and bool(actions_since_last_failure(finding.capa))
    if not has_actions and finding.response_due is not None:
        dates.append(finding.response_due)
    return min(dates, default=None)


def is_overdue(finding: Finding, today: dt.date) -> bool:
    """An open NC is overdue when an action is past its due date, or nothing is planned past the agreed date."""
    return overdue_on(overdue_after(finding), today)


def as_recorded_on(finding: Finding, day: dt.date) -> Finding | None:
    """The finding as its record stood at the end of `day`: None when it was raised later; otherwise its CAPA
    without what was recorded after that day (actions planned, actions done or cancelled, verifications,
    the closure). A review of a past period then judges "overdue" as it stood at the period's end, not today."""
    if finding.raised_at.date() > day:
        return None
    capa = finding.capa
    if capa is None:
        return finding
    actions = [a if a.status is ActionStatus.PLANNED or a.done_at is None or a.done_at.date() <= day
               else a.model_copy(update={"status": ActionStatus.PLANNED, "done_at": None, "done_note": None})
               for a in capa.actions if a.planned_at.date() <= day]
    verifications = [v for v in capa.verifications if v.recorded_at.date() <= day]
    closed = capa.closed_at is not None and capa.closed_at.date() <= day
    then = capa.model_copy(update={"actions": actions, "verifications": verifications,
                                   "closed_at": capa.closed_at if closed else None,
                                   "closed_by": capa.closed_by if closed else None})
    return finding.model_copy(update={"capa": then})


def overdue_at_end_of(finding: Finding, day: dt.date) -> bool:
    """Whether the NC was open and overdue at the end of `day`, on its record as it stood then."""
    then = as_recorded_on(finding, day)
    return then is not None and then.grade.is_nc and is_overdue(then, day)


def closed_late(finding: Finding) -> bool:
    """A CAPA closed after the last due date of its actions (or, with none, after the agreed response date)."""
    capa = finding.capa
    if capa is None or capa.closed_at is None:
        return False
    dues = [a.due for a in capa.actions] or ([finding.response_due] if finding.response_due else [])
    return bool(dues) and capa.closed_at.date() > max(dues)


def ever_not_effective(finding: Finding) -> bool:
    """Verified "not effective" at least once: the first actions did not hold."""
    return finding.capa is not None and any(v.result is VerificationResult.NOT_EFFECTIVE
                                            for v in finding.capa.verifications)


def next_due(finding: Finding) -> dt.date | None:
    if finding.capa is not None:
        planned = [a.due for a in finding.capa.actions if a.status is ActionStatus.PLANNED]
        if planned:
            return min(planned)
    return finding.response_due if is_open(finding) else None


def owners(finding: Finding) -> list[str]:
    if finding.capa is None:
        return []
    seen: list[str] = []
    for action in finding.capa.actions:
        if not any(same_person(action.owner, s) for s in seen):
            seen.append(action.owner)
    return seen


def missing_for_closure(finding: Finding) -> list[str]:
    """What still stands between this CAPA and closure, in the order of ISO 9001 10.2."""
    capa = finding.capa or Capa()
    missing: list[str] = []
    if capa.root_cause is None:
        missing.append("root cause (with its method)")
    if capa.similar is None:
        missing.append("check for similar nonconformities")
    current = actions_since_last_failure(capa)
    if not current:
        missing.append("at least one corrective action" + (" planned since the last 'not effective' result"
                                                            if capa.verifications else ""))
    elif any(a.status is ActionStatus.PLANNED for a in current):
        missing.append("completion of every planned action")
    elif not any(a.status is ActionStatus.DONE for a in current):
        missing.append("at least one action done (all are cancelled)")
    last = capa.verifications[-1] if capa.verifications else None
    if last is None or last.result is not VerificationResult.EFFECTIVE:
        missing.append("an effective verification by someone other than the action owners")
    return missing


def check_correctable(finding: Finding) -> None:
    """Corrective action applies to a nonconformity that stands."""
    if finding.withdrawn is not None:
        raise Refused(f"{finding.id} was withdrawn ({finding.withdrawn})")
    if not finding.grade.is_nc:
        raise Refused(f"{finding.id} is {finding.grade.label.lower()}: corrective action applies to "
                      "nonconformities (minor or major)")


# --- dates ---------------------------------------------------------------------------------------------------


def check_due_date(due: dt.date, *, finding_id: str, raised_on: dt.date, what: str = "action due",
                   option: str = "--due", new: bool = False) -> None:
    """A date a CAPA records (an action's due date, the agreed response date) cannot precede the NC itself.
    `new`: the NC is being raised by the same change (its id is the one it would get)."""
    if due < raised_on:
        when = f"is raised (today, {raised_on.isoformat()})" if new else f"was raised ({raised_on.isoformat()})"
        raise BadInput(f"{what} {due.isoformat()} is before {finding_id} {when}; give a later {option}")


def check_verification_date(on: dt.date, actions: Sequence[CapaAction], *, finding_id: str, raised_on: dt.date,
                            today: dt.date) -> None:
    """Effectiveness is checked after the actions it judges were done, and not in the future."""
    if on > today:
        raise BadInput(f"the verification date {on.isoformat()} is in the future (today is {today.isoformat()}); "
                       "give the day the check was made with --on")
    check_due_date(on, finding_id=finding_id, raised_on=raised_on, what="verification on", option="--on")
    # Cancelled actions also carry a date, but nothing of theirs is being verified.
    done = [(a.done_at, a.id) for a in actions if a.status is ActionStatus.DONE and a.done_at is not None]
    if done:
        last_at, last_id = max(done)
        if on < last_at.date():
            raise BadInput(f"verification on {on.isoformat()} is before action {last_id} of {finding_id} was done "
                           f"({last_at:%Y-%m-%d}); give a later --on")


# --- the steps of an update ----------------------------------------------------------------------------------


def parse_rca_method(method: str | None, root_cause: str | None) -> RcaMethod | None:
    """The root-cause method named, checked before anything is read: a root cause is recorded with its method."""
    if root_cause is not None and not method:
        raise BadInput(RCA_METHOD_NEEDED)
    if not method:
        return None
    try:
        return RcaMethod(method.lower())
    except ValueError:
        raise BadInput(f"unknown root-cause method '{method}' "
                       f"({choice_hint(method.lower(), [m.value for m in RcaMethod])})") from None


def recorded_steps(texts: Mapping[str, str | None], *, by: str, at: dt.datetime) -> dict[str, Step]:
    """The plain text steps given (correction, containment, similar, risk_update, qms_update), signed and dated;
    a step given empty is refused rather than recorded blank."""
    steps: dict[str, Step] = {}
    for name, text in texts.items():
        if text is not None:
            if not text.strip():
                raise BadInput(f"--{name.replace('_', '-')} is empty")
            steps[name] = Step(text=text.strip(), by=by, at=at)
    return steps


def revised_root_cause(current: RootCause | None, statement: str | None, method: RcaMethod | None,
                       analysis: str | None, *, by: str, at: dt.datetime) -> RootCause | None:
    """The root cause after an update, or None when the update does not touch it. A new method alone
    re-labels the cause already found; the analysis is kept unless a new one is given."""
    if statement is None and method is None:
        if analysis is not None:
            raise BadInput("--analysis goes with --root-cause and --method")
        return None
    if statement is None and current is None:
        raise BadInput("--method needs --root-cause (the cause found)")
    text = (statement if statement is not None else current.statement if current else "").strip()
    if not text:
        raise BadInput("--root-cause is empty")
    chosen = method if method is not None else current.method if current else None
    if chosen is None:
        raise BadInput(RCA_METHOD_NEEDED)
    kept = analysis if analysis is not None else current.analysis if current else None
    return RootCause(method=chosen, statement=text, analysis=kept, by=by, at=at)


def planned_actions(existing: Sequence[CapaAction], new: Sequence[tuple[str, str, dt.date | None]], *,
                    finding_id: str, raised_on: dt.date, by: str, at: dt.datetime) -> list[CapaAction]:
    """The actions with the new ones appended (A1, A2, ...), each with a description, an owner and a due date
    no earlier than the NC."""
    actions = list(existing)
    for description, owner, due in new:
        if not description.strip() or not owner.strip():
            raise BadInput("each action needs a description and an owner (--action '...' --owner NAME)")
        if due is None:
            raise BadInput(f"action '{description}' needs a due date (--due YYYY-MM-DD)")
        check_due_date(due, finding_id=finding_id, raised_on=raised_on)
        actions.append(CapaAction(id=f"A{len(actions) + 1}", description=description.strip(), owner=owner.strip(),
                                  due=due, planned_by=by, planned_at=at))
    return actions


def settled_actions(actions: Sequence[CapaAction], *, done: Collection[str], cancel: Collection[str],
                    note: str | None, finding_id: str, at: dt.datetime) -> list[CapaAction]:
    """The actions with those named done or cancelled; only a planned action can be either."""
    known = {a.id for a in actions}
    for action_id in [*done, *cancel]:
        if action_id not in known:
            raise NotFound(f"{finding_id} has no action {action_id} ({choice_hint(action_id, sorted(known))})")
    settled = list(actions)
    for i, action in enumerate(settled):
        status = (ActionStatus.DONE if action.id in done else ActionStatus.CANCELLED if action.id in cancel
                  else None)
        if status is None:
            continue
        if action.status is not ActionStatus.PLANNED:
            raise Refused(f"action {action.id} of {finding_id} is already {action.status.value}")
        settled[i] = action.model_copy(update={"status": status, "done_at": at, "done_note": note})
    return settled


# --- verification --------------------------------------------------------------------------------------------


def verification_result(result: str, method: str | None, by: str) -> VerificationResult:
    """The result of an effectiveness review, which must say how it was checked and by whom."""
    try:
        outcome = VerificationResult(result.lower())
    except ValueError:
        raise BadInput(f"--result must be effective or not-effective, not '{result}'") from None
    if not method or not method.strip():
        raise BadInput("say how effectiveness was checked (--method, e.g. 're-sampled 10 credentials')")
    if not by.strip():
        raise BadInput("name the verifier (--by NAME)")
    return outcome


def actions_to_verify(finding: Finding, by: str, on: dt.date, *, today: dt.date) -> list[CapaAction]:
    """The actions an effectiveness review on `on` by `by` judges, once it may be made: there are actions since
    the last 'not effective' result, every one is done or cancelled, the verifier owns none of them
    (ISO 9001 10.2.1 d), and the date falls after the last was done and not in the future."""
    capa = finding.capa or Capa()
    current = actions_since_last_failure(capa)
    if not current:
        raise Refused(f"{finding.id} has no corrective action to verify"
                      + (" since the last 'not effective' result" if capa.verifications else ""))
    pending = [a.id for a in current if a.status is ActionStatus.PLANNED]
    if pending:
        raise Refused(f"{finding.id}: actions {', '.join(pending)} are not done yet; verify effectiveness after "
                      "them")
    if any(same_person(owner, by) for owner in owners(finding)):
        raise Refused(f"{by} owns an action of {finding.id}; effectiveness must be verified by someone else "
                      "(ISO 9001 10.2.1 d)")
    check_verification_date(on, current, finding_id=finding.id, raised_on=finding.raised_at.date(), today=today)
    return current
