"""Corrective action for nonconformities (ISO 9001:2015 10.2; domain reference §4).

React (correction, containment) -> evaluate (root cause with a named method, similar NCs) -> act (actions
with owner and due date) -> review effectiveness (method, verifier, date, result) -> update risks and the
QMS -> close. Gates: closing needs an effective verification, made after the last action was done, by
someone who owns none of the actions; a "not effective" result reopens the CAPA until new actions are done
and verified. NCs come from audits or are raised directly into the workspace's NC register.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from qms_audit.infra import clock
from qms_audit.infra.errors import BadInput, NotFound, Refused, choice_hint
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import (
    ActionStatus,
    Capa,
    CapaAction,
    CapaEvent,
    Finding,
    Grade,
    NcSource,
    RcaMethod,
    RootCause,
    Step,
    Verification,
    VerificationResult,
)
from qms_audit.store.audits import AUDIT_FILE, AuditStore, NcRegister, existing_finding_ids, locate_finding_file
from qms_audit.store.records import RecordFolder, Transaction

STAGES = ("open", "correction", "analysed", "actions-in-progress", "awaiting-verification", "reopened",
          "verified", "closed")


def same_person(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _since_last_failure(capa: Capa) -> list[CapaAction]:
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
    current = _since_last_failure(capa)
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
    return finding.withdrawn is None and stage(finding) != "closed"


def overdue_actions(finding: Finding, today: dt.date) -> list[CapaAction]:
    if not is_open(finding) or finding.capa is None:
        return []
    return [a for a in finding.capa.actions if a.status is ActionStatus.PLANNED and a.due < today]


def is_overdue(finding: Finding, today: dt.date) -> bool:
    """An open NC is overdue when an action is past its due date, or nothing is planned past the agreed date."""
    if not is_open(finding) or not finding.grade.is_nc:
        return False
    if overdue_actions(finding, today):
        return True
    has_actions = finding.capa is not None and bool(_since_last_failure(finding.capa))
    return (not has_actions) and finding.response_due is not None and finding.response_due < today


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
    current = _since_last_failure(capa)
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


# --- dates ---------------------------------------------------------------------------------------------------
# Pure rules, so that they can be checked without a disk; the transactions below call them before writing.


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


# --- locating and writing ----------------------------------------------------------------------------------


@dataclass
class LocatedFinding:
    folder: RecordFolder
    relpath: str
    finding: Finding


def locate(workspace: Workspace, finding_id: str) -> LocatedFinding:
    found = locate_finding_file(workspace, finding_id)
    if found is None:
        hint = choice_hint(finding_id, existing_finding_ids(workspace))
        raise NotFound(f"unknown finding '{finding_id}' ({hint}; `qms-audit nc list` shows them)")
    folder, relpath = found
    folder.ensure_recovered("reader")
    finding = _read(folder, relpath)
    return LocatedFinding(folder, relpath, finding)


def _read(folder: RecordFolder, relpath: str) -> Finding:
    from qms_audit.infra.loading import load_json_model

    return load_json_model(folder.folder / relpath, Finding, what="finding record")


def _guard(folder: RecordFolder, finding: Finding) -> None:
    if isinstance(folder, AuditStore):
        from qms_audit.infra.loading import load_json_model
        from qms_audit.model.audit import AuditRecord

        record = load_json_model(folder.folder / AUDIT_FILE, AuditRecord, what="audit record")
        if record.is_closed:
            raise Refused(f"{finding.id} belongs to closed audit {record.id}, which cannot be changed; reopen "
                          f"it with `qms-audit audit reopen {record.id} --reason '...'`")
    if finding.withdrawn is not None:
        raise Refused(f"{finding.id} was withdrawn ({finding.withdrawn})")
    if not finding.grade.is_nc:
        raise Refused(f"{finding.id} is {finding.grade.label.lower()}: corrective action applies to "
                      "nonconformities (minor or major)")


def _changing(workspace: Workspace, finding_id: str, actor: str, action: str, summary: str,
              reason: str | None = None):
    located = locate(workspace, finding_id)
    return located, located.folder.transaction(actor=actor, action=action, target=finding_id,
                                               summary=summary, reason=reason)


def _save(tx: Transaction, relpath: str, before: Finding, after: Finding, note: str | None = None) -> Finding:
    old_stage, new_stage = stage(before), stage(after)
    if old_stage != new_stage and after.capa is not None:
        event = CapaEvent(stage=new_stage, at=tx.at, by=tx.actor, note=note)
        after = after.model_copy(update={"capa": after.capa.model_copy(
            update={"history": [*after.capa.history, event]})})
        tx.change(f"{after.id}.stage", old_stage, new_stage)
    tx.write(relpath, after)
    return after


def update(workspace: Workspace, finding_id: str, *, actor: str, correction: str | None = None,
           containment: str | None = None, root_cause: str | None = None, method: str | None = None,
           analysis: str | None = None, similar: str | None = None,
           actions: Sequence[tuple[str, str, dt.date]] = (), done: Sequence[str] = (),
           done_note: str | None = None, cancel: Sequence[str] = (), risk_update: str | None = None,
           qms_update: str | None = None) -> Finding:
    """Record CAPA steps; every given field is logged with its before and after value."""
    if root_cause is not None and not method:
        raise BadInput("a root cause needs the method used to find it (--method 5-whys|ishikawa|fault-tree|"
                       "8d|pareto|process-mapping|other)")
    rca_method = None
    if method:
        try:
            rca_method = RcaMethod(method.lower())
        except ValueError:
            raise BadInput(f"unknown root-cause method '{method}' "
                           f"({choice_hint(method.lower(), [m.value for m in RcaMethod])})") from None
    located, transaction = _changing(workspace, finding_id, actor, "capa.update", f"updated CAPA of {finding_id}")
    with transaction as tx:
        before = _read(located.folder, located.relpath)
        _guard(located.folder, before)
        if stage(before) == "closed":
            raise Refused(f"the CAPA of {finding_id} is closed")
        capa = before.capa or Capa()
        fields: dict[str, object] = {}
        for name, text in (("correction", correction), ("containment", containment), ("similar", similar),
                           ("risk_update", risk_update), ("qms_update", qms_update)):
            if text is not None:
                if not text.strip():
                    raise BadInput(f"--{name.replace('_', '-')} is empty")
                fields[name] = Step(text=text.strip(), by=actor, at=tx.at)
        if root_cause is not None or rca_method is not None:
            if root_cause is None and capa.root_cause is None:
                raise BadInput("--method needs --root-cause (the cause found)")
            statement = (root_cause if root_cause is not None else capa.root_cause.statement).strip()  # type: ignore[union-attr]
            if not statement:
                raise BadInput("--root-cause is empty")
            fields["root_cause"] = RootCause(
                method=rca_method or capa.root_cause.method,  # type: ignore[union-attr]
                statement=statement, analysis=analysis if analysis is not None else
                (capa.root_cause.analysis if capa.root_cause else None), by=actor, at=tx.at)
        elif analysis is not None:
            raise BadInput("--analysis goes with --root-cause and --method")
        new_actions = list(capa.actions)
        for description, owner, due in actions:
            if not description.strip() or not owner.strip():
                raise BadInput("each action needs a description and an owner (--action '...' --owner NAME)")
            if due is None:
                raise BadInput(f"action '{description}' needs a due date (--due YYYY-MM-DD)")
            check_due_date(due, finding_id=finding_id, raised_on=before.raised_at.date())
            new_actions.append(CapaAction(id=f"A{len(new_actions) + 1}", description=description.strip(),
                                          owner=owner.strip(), due=due, planned_by=actor, planned_at=tx.at))
        known = {a.id for a in new_actions}
        for action_id in [*done, *cancel]:
            if action_id not in known:
                raise NotFound(f"{finding_id} has no action {action_id} ({choice_hint(action_id, sorted(known))})")
        for i, action in enumerate(new_actions):
            if action.id in done:
                if action.status is not ActionStatus.PLANNED:
                    raise Refused(f"action {action.id} of {finding_id} is already {action.status.value}")
                new_actions[i] = action.model_copy(update={"status": ActionStatus.DONE, "done_at": tx.at,
                                                           "done_note": done_note})
            elif action.id in cancel:
                if action.status is not ActionStatus.PLANNED:
                    raise Refused(f"action {action.id} of {finding_id} is already {action.status.value}")
                new_actions[i] = action.model_copy(update={"status": ActionStatus.CANCELLED,
                                                           "done_at": tx.at, "done_note": done_note})
        if new_actions != capa.actions:
            fields["actions"] = new_actions
        if not fields:
            raise BadInput("nothing to record: give at least one of --correction, --containment, --root-cause, "
                           "--similar, --action, --done, --cancel, --risk-update, --qms-update")
        new_capa = capa.model_copy(update=fields)
        for name, value in fields.items():
            if name == "actions":
                for old, new in zip([*capa.actions, *[None] * len(new_actions)], new_actions, strict=False):
                    if old != new:
                        tx.change(f"{finding_id}.capa.actions.{new.id}", old, new)
            else:
                tx.change(f"{finding_id}.capa.{name}", getattr(capa, name), value)
        return _save(tx, located.relpath, before, before.model_copy(update={"capa": new_capa}))


def verify(workspace: Workspace, finding_id: str, *, by: str, result: str, method: str, actor: str,
           note: str | None = None, on: dt.date | None = None) -> Finding:
    try:
        outcome = VerificationResult(result.lower())
    except ValueError:
        raise BadInput(f"--result must be effective or not-effective, not '{result}'") from None
    if not method or not method.strip():
        raise BadInput("say how effectiveness was checked (--method, e.g. 're-sampled 10 credentials')")
    if not by.strip():
        raise BadInput("name the verifier (--by NAME)")
    located, transaction = _changing(workspace, finding_id, actor, "capa.verify",
                                     f"verification of {finding_id}: {outcome.value}")
    with transaction as tx:
        before = _read(located.folder, located.relpath)
        _guard(located.folder, before)
        capa = before.capa or Capa()
        current = _since_last_failure(capa)
        if not current:
            raise Refused(f"{finding_id} has no corrective action to verify"
                          + (" since the last 'not effective' result" if capa.verifications else ""))
        if any(a.status is ActionStatus.PLANNED for a in current):
            pending = ", ".join(a.id for a in current if a.status is ActionStatus.PLANNED)
            raise Refused(f"{finding_id}: actions {pending} are not done yet; verify effectiveness after them")
        for owner in owners(before):
            if same_person(owner, by):
                raise Refused(f"{by} owns an action of {finding_id}; effectiveness must be verified by someone "
                              "else (ISO 9001 10.2.1 d)")
        when = on or tx.at.date()
        check_verification_date(when, current, finding_id=finding_id, raised_on=before.raised_at.date(),
                                today=tx.at.date())
        verification = Verification(actions=[a.id for a in current], method=method.strip(), by=by.strip(),
                                    on=when, result=outcome, note=note, recorded_at=tx.at)
        tx.change(f"{finding_id}.capa.verification", None, verification)
        new_capa = capa.model_copy(update={"verifications": [*capa.verifications, verification]})
        return _save(tx, located.relpath, before, before.model_copy(update={"capa": new_capa}),
                     note=("not effective: new actions are needed" if outcome is VerificationResult.NOT_EFFECTIVE
                           else None))


def close(workspace: Workspace, finding_id: str, *, actor: str, note: str | None = None) -> Finding:
    located, transaction = _changing(workspace, finding_id, actor, "capa.close", f"closed CAPA of {finding_id}",
                                     reason=note)
    with transaction as tx:
        before = _read(located.folder, located.relpath)
        _guard(located.folder, before)
        if stage(before) == "closed":
            raise Refused(f"the CAPA of {finding_id} is already closed")
        missing = missing_for_closure(before)
        if missing:
            raise Refused(f"{finding_id} cannot be closed yet; missing: " + "; ".join(missing))
        capa = (before.capa or Capa()).model_copy(update={"closed_at": tx.at, "closed_by": actor})
        tx.change(f"{finding_id}.capa.closed_at", None, tx.at)
        return _save(tx, located.relpath, before, before.model_copy(update={"capa": capa}), note=note)


def raise_nc(workspace: Workspace, *, source: str, statement: str, grade: Grade, unit: str, actor: str,
             unit_code: str | None = None, ref: str | None = None, standard: str | None = None,
             evidence: str = "", due: dt.date | None = None, year: int | None = None) -> Finding:
    """An NC from outside an audit: complaint, feedback, management review, external audit."""
    from qms_audit.services.auditing import RESPONSE_DAYS, next_finding_id, unit_code_for

    try:
        nc_source = NcSource(source.replace("-", "_").lower())
    except ValueError:
        raise BadInput(f"unknown source '{source}' ({choice_hint(source, [s.value for s in NcSource])})") from None
    if nc_source is NcSource.INTERNAL_AUDIT:
        raise BadInput("NCs from internal audits are raised by rating the audit (`qms-audit audit rate`)")
    if not grade.is_nc:
        raise BadInput("the register holds nonconformities: --grade minor or major")
    if not statement.strip():
        raise BadInput("the NC statement is empty")
    if not unit.strip():
        raise BadInput("name the unit concerned (--unit)")
    if ref and standard:
        from qms_audit.services.standards import StandardLibrary

        std = StandardLibrary(workspace).get(standard)
        if not std.has_ref(ref):
            raise NotFound(f"'{ref}' is not a requirement of {std.key} "
                           f"({choice_hint(ref, [r.ref for r in std.requirements()])})")
        standard = std.key
    register = NcRegister(workspace)
    register.folder.mkdir(parents=True, exist_ok=True)
    code = (unit_code or unit_code_for(unit)).upper()
    with register.transaction(actor=actor, action="nc.raise", target="",
                              summary=f"raised a {grade.label.lower()} from {nc_source.label}") as tx:
        finding_id = next_finding_id(workspace, grade, year or tx.at.year, code)
        if due is not None:
            check_due_date(due, finding_id=finding_id, raised_on=tx.at.date(), what="response due", new=True)
        finding = Finding(id=finding_id, grade=grade, source=nc_source, standard=standard, ref=ref,
                          unit=unit.strip(), statement=statement.strip(), evidence=evidence, raised_by=actor,
                          raised_at=tx.at,
                          response_due=due or (tx.at.date() + dt.timedelta(days=RESPONSE_DAYS[grade])))
        tx.target = finding_id
        tx.change(finding_id, None, {"grade": grade.value, "source": nc_source.value, "statement": statement})
        tx.write(f"{finding_id}.json", finding)
        return finding


@dataclass
class RegisterRow:
    finding: Finding
    audit_id: str | None
    stage: str
    overdue: bool
    next_due: dt.date | None
    owners: list[str]


def register_rows(workspace: Workspace, *, today: dt.date | None = None) -> list[RegisterRow]:
    """Every finding of the workspace (audits and register), for the NC/CAPA register."""
    today = today or clock.today()
    rows: list[RegisterRow] = []
    register = NcRegister(workspace)
    if register.folder.is_dir():
        register.ensure_recovered("reader")
        for finding in register.load().values():
            rows.append(_row(finding, None, today))
    for audit_id in workspace.audit_ids():
        store = AuditStore(workspace, audit_id)
        store.ensure_recovered("reader")
        for finding in store.load().findings.values():
            rows.append(_row(finding, audit_id, today))
    return sorted(rows, key=lambda r: r.finding.id)


def _row(finding: Finding, audit_id: str | None, today: dt.date) -> RegisterRow:
    return RegisterRow(finding, audit_id, "withdrawn" if finding.withdrawn else stage(finding),
                       is_overdue(finding, today), next_due(finding), owners(finding))
