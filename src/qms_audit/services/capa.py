"""Corrective action for nonconformities (ISO 9001:2015 10.2; domain reference §4): the transactions that record
each step. The rules they apply (stage, gates, dates) are pure and live in `qms_audit.domain.capa_rules`.
NCs come from audits or are raised directly into the workspace's NC register.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qms_audit.domain import capa_rules
from qms_audit.domain.audit_rules import closed_refusal
from qms_audit.domain.capa_rules import check_due_date, is_overdue, next_due, owners, stage
from qms_audit.infra import clock
from qms_audit.infra.errors import BadInput, NotFound, Refused, choice_hint
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import Capa, CapaEvent, Finding, Grade, NcSource, Verification, VerificationResult
from qms_audit.store.audits import AuditStore, NcRegister, existing_finding_ids, locate_finding_file
from qms_audit.store.records import RecordFolder, Transaction

# views/trends.py, views/report_content.py and tui/widgets/requirement.py read is_open, stage, is_overdue,
# next_due and owners through this module (all but is_open are imported above for the register); the rules
# themselves are capa_rules'.
is_open = capa_rules.is_open


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
        refusal = closed_refusal(folder.load_record())
        if refusal:
            raise Refused(f"{finding.id}: {refusal}")
    capa_rules.check_correctable(finding)


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
    rca_method = capa_rules.parse_rca_method(method, root_cause)
    located, transaction = _changing(workspace, finding_id, actor, "capa.update", f"updated CAPA of {finding_id}")
    with transaction as tx:
        before = _read(located.folder, located.relpath)
        _guard(located.folder, before)
        if stage(before) == "closed":
            raise Refused(f"the CAPA of {finding_id} is closed")
        capa = before.capa or Capa()
        fields: dict[str, object] = dict(capa_rules.recorded_steps(
            {"correction": correction, "containment": containment, "similar": similar, "risk_update": risk_update,
             "qms_update": qms_update}, by=actor, at=tx.at))
        cause = capa_rules.revised_root_cause(capa.root_cause, root_cause, rca_method, analysis, by=actor, at=tx.at)
        if cause is not None:
            fields["root_cause"] = cause
        new_actions = capa_rules.settled_actions(
            capa_rules.planned_actions(capa.actions, actions, finding_id=finding_id,
                                       raised_on=before.raised_at.date(), by=actor, at=tx.at),
            done=done, cancel=cancel, note=done_note, finding_id=finding_id, at=tx.at)
        if new_actions != capa.actions:
            fields["actions"] = new_actions
        if not fields:
            raise BadInput("nothing to record: give at least one of --correction, --containment, --root-cause, "
                           "--similar, --action, --done, --cancel, --risk-update, --qms-update")
        new_capa = capa.model_copy(update=fields)
        _log_fields(tx, finding_id, capa, new_capa, fields)
        return _save(tx, located.relpath, before, before.model_copy(update={"capa": new_capa}))


def _log_fields(tx: Transaction, finding_id: str, before: Capa, after: Capa, names: Iterable[str]) -> None:
    """Each changed field with its old and new value; actions one by one, so the log shows which changed."""
    for name in names:
        if name == "actions":
            for old, new in zip([*before.actions, *[None] * len(after.actions)], after.actions, strict=False):
                if old != new:
                    tx.change(f"{finding_id}.capa.actions.{new.id}", old, new)
        else:
            tx.change(f"{finding_id}.capa.{name}", getattr(before, name), getattr(after, name))


def verify(workspace: Workspace, finding_id: str, *, by: str, result: str, method: str, actor: str,
           note: str | None = None, on: dt.date | None = None) -> Finding:
    from qms_audit.services.signers import signer_for

    outcome = capa_rules.verification_result(result, method, by)
    located, transaction = _changing(workspace, finding_id, actor, "capa.verify",
                                     f"verification of {finding_id}: {outcome.value}")
    # recording a verification of effectiveness is an electronic signature (ISO 9001 10.2.1 d)
    signer, _ = signer_for(workspace, actor, f"recorded that the corrective action of {finding_id} was verified "
                                             f"{outcome.value.replace('_', ' ')} by {by.strip()}")
    with transaction as tx:
        tx.signer = signer
        before = _read(located.folder, located.relpath)
        _guard(located.folder, before)
        capa = before.capa or Capa()
        when = on or tx.at.date()
        judged = capa_rules.actions_to_verify(before, by, when, today=tx.at.date())
        verification = Verification(actions=[a.id for a in judged], method=method.strip(), by=by.strip(),
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
        missing = capa_rules.missing_for_closure(before)
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
    from qms_audit.services.portfolio import load_digests, with_details

    # through the portfolio index: only the audits changed since the last call are read from their documents
    for audit in with_details(workspace, load_digests(workspace)):
        for finding in audit.details or []:
            rows.append(_row(finding, audit.id, today))
    return sorted(rows, key=lambda r: r.finding.id)


def _row(finding: Finding, audit_id: str | None, today: dt.date) -> RegisterRow:
    return RegisterRow(finding, audit_id, "withdrawn" if finding.withdrawn else stage(finding),
                       is_overdue(finding, today), next_due(finding), owners(finding))
