"""What auditors do to an audit: plan it, rate requirements, record evidence, raise findings, close it.

The CLI and the TUI both call these functions. Each change runs as one transaction on the audit folder
(lock, journal, log entry); the state is re-read under the lock, so two writers never lose each other's work.
Callers that edited from an older view (the TUI) pass `expect`, the values they started from; if someone
else changed those fields meanwhile the change is refused with `Conflict` and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qms_audit.domain.audit_rules import (
    closed_refusal,
    disputed_refusal,
    effective_status,
    escalated_finding,
    findings_of_rating,
    may_settle,
    statement_needed,
)
from qms_audit.domain.capa_rules import check_due_date, is_open
from qms_audit.domain.criteria_rules import CriteriaChange, compare
from qms_audit.domain.finding_ids import NoFreeNumber, next_number, next_register_number, seat_of
from qms_audit.infra.errors import BadInput, Conflict, InvalidFile, NotFound, Refused, StorageError, choice_hint
from qms_audit.infra.files import MIB, atomic_write_bytes, human_size, kind_of, read_bytes_bounded, sha256_bytes
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import (
    AuditPlan,
    AuditRecord,
    AuditStatus,
    ClauseResults,
    Criteria,
    Dispute,
    Evidence,
    EvidenceFile,
    EvidenceKind,
    Finding,
    Grade,
    IndependenceOverride,
    Participant,
    ReportApproval,
    RequirementResult,
    Sample,
    Scope,
    StatusChange,
    TeamMember,
)
from qms_audit.model.common import Phase, number_key
from qms_audit.model.standard import Requirement, Standard
from qms_audit.services.standards import StandardLibrary
from qms_audit.store.audits import (
    AUDIT_FILE,
    CRITERIA_FILE,
    EVIDENCE_DIR,
    AuditSnapshot,
    AuditStore,
    audit_store,
    existing_finding_ids,
    finding_relpath,
    results_relpath,
)
from qms_audit.store.records import Transaction, utc_now
from qms_audit.store.verify import sealed_files

MAX_EVIDENCE_BYTES = 25 * MIB
# what a signature on a closing or a reopening declares (kept in the signed log entry)
SEAL_MEANING = "closed the audit and sealed its files"
REOPEN_MEANING = "reopened the sealed audit; only its status changes"
APPROVAL_MEANING = "approved the audit report as the lead auditor"
# Days the auditee has to correct, by grade, unless the audit agrees otherwise.
RESPONSE_DAYS = {Grade.MAJOR_NC: 30, Grade.MINOR_NC: 60, Grade.OBSERVATION: 90}
FINDING_PREFIX = {Grade.MAJOR_NC: "NC", Grade.MINOR_NC: "NC", Grade.OBSERVATION: "OBS", Grade.OFI: "OFI"}

ALLOWED_STATUS_MOVES = {
    AuditStatus.PLANNED: {AuditStatus.IN_PROGRESS},
    AuditStatus.IN_PROGRESS: {AuditStatus.PLANNED, AuditStatus.REPORTED},
    AuditStatus.REPORTED: {AuditStatus.IN_PROGRESS, AuditStatus.FOLLOW_UP},
    AuditStatus.FOLLOW_UP: {AuditStatus.REPORTED},
}


@dataclass
class OpenedAudit:
    """An audit as read from disk, with the standard it is audited against."""

    workspace: Workspace
    store: AuditStore
    snapshot: AuditSnapshot
    standard: Standard

    @property
    def record(self) -> AuditRecord:
        return self.snapshot.record

    @property
    def id(self) -> str:
        return self.store.audit_id

    def in_scope(self, ref: str) -> bool:
        scope = self.record.plan.scope.clauses
        return not scope or self.standard.top_clause_of(ref) in scope

    def scoped_requirements(self) -> list[Requirement]:
        return [r for r in self.standard.requirements() if self.in_scope(r.ref)]


# --- reading ---------------------------------------------------------------------------------------------


def open_audit(workspace: Workspace, audit_id: str, *, actor: str = "reader",
               library: StandardLibrary | None = None) -> OpenedAudit:
    store = audit_store(workspace, audit_id)
    store.ensure_recovered(actor)
    snapshot = store.load()
    library = library or StandardLibrary(workspace)
    standard = library.for_audit(store.folder, snapshot.record.plan.criteria)
    _check_refs(store, snapshot, standard)
    return OpenedAudit(workspace, store, snapshot, standard)


def _check_refs(store: AuditStore, snapshot: AuditSnapshot, standard: Standard) -> None:
    for clause, clause_file in snapshot.clause_files.items():
        for ref in clause_file.results:
            if not standard.has_ref(ref) or standard.top_clause_of(ref) != clause:
                shown = store.workspace.relative(store.folder / results_relpath(clause))
                raise InvalidFile(f"{shown}: '{ref}' is not a requirement of clause {clause} of "
                                  f"{standard.key} (restore the file from version control or fix the ref)")


def requirement(opened: OpenedAudit, ref: str) -> Requirement:
    req = opened.standard.requirement(ref)
    if req is None:
        refs = [r.ref for r in opened.standard.requirements()]
        raise NotFound(f"'{ref}' is not a requirement of {opened.standard.key} ({choice_hint(ref, refs)})")
    return req


# --- creating ---------------------------------------------------------------------------------------------


def unit_code_for(unit: str) -> str:
    """A short code from a unit name: 'Faculty of Engineering' -> 'FOE'."""
    words = re.findall(r"[A-Za-z0-9]+", unit)
    if not words:
        return "UNIT"
    if len(words) == 1:
        return words[0][:6].upper() if words[0][0].isalpha() else ("U" + words[0][:5]).upper()
    code = "".join(w[0] for w in words).upper()[:10]
    return code if code[0].isalpha() and len(code) >= 2 else ("U" + code)[:10]


def slugify(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")


def same_unit(a: str | None, b: str | None, code: str | None = None) -> bool:
    if not a:
        return False
    norm = slugify(a)
    return norm == slugify(b or "") or (code is not None and norm == slugify(code))


def independence_conflicts(plan: AuditPlan) -> list[TeamMember]:
    """Auditors whose home unit is the auditee (ISO 9001 9.2.2 c: no one audits their own work)."""
    return [m for m in plan.auditors()
            if same_unit(m.home_unit, plan.scope.auditee_unit, plan.scope.unit_code)]


def parse_member(text: str, role: str = "auditor") -> TeamMember:
    """'Name (Home unit)' or 'Name'."""
    m = re.match(r"^\s*(.+?)\s*\((.+)\)\s*$", text)
    if m:
        return TeamMember(name=m.group(1), home_unit=m.group(2), role=role)  # type: ignore[arg-type]
    if not text.strip():
        raise BadInput("an auditor's name is empty")
    return TeamMember(name=text.strip(), role=role)  # type: ignore[arg-type]


def parse_participant(text: str) -> Participant:
    """'Name, Position, Unit' (position and unit optional)."""
    parts = [p.strip() for p in text.split(",")]
    if not parts[0]:
        raise BadInput(f"participant '{text}': the name is empty (write 'Name, Position, Unit')")
    return Participant(name=parts[0], position=parts[1] if len(parts) > 1 and parts[1] else None,
                       unit=", ".join(parts[2:]) if len(parts) > 2 else None)


def create_audit(workspace: Workspace, *, standard_id: str, title: str, auditee_unit: str, lead: TeamMember,
                 actor: str, audit_id: str | None = None, unit_code: str | None = None,
                 team: Sequence[TeamMember] = (), objectives: Sequence[str] = (),
                 processes: Sequence[str] = (), clauses: Sequence[str] = (), exclusions: str | None = None,
                 client: str | None = None, participants: Sequence[Participant] = (),
                 start_date: dt.date | None = None, end_date: dt.date | None = None,
                 locations: Sequence[str] = (), method: str | None = None, sampling: str | None = None,
                 other_criteria: Sequence[str] = (), confidentiality: str | None = None,
                 distribution: Sequence[str] = (), override_independence: str | None = None,
                 kind: str = "internal") -> OpenedAudit:
    # the criteria are pinned: the exact text of the standard is kept with the audit, named by its hash
    standard, standard_text = StandardLibrary(workspace).text_of(standard_id)
    if not title.strip():
        raise BadInput("the audit title is empty")
    if not auditee_unit.strip():
        raise BadInput("the auditee unit is empty")
    code = (unit_code or unit_code_for(auditee_unit)).upper()
    if not re.match(r"^[A-Z][A-Z0-9]{1,9}$", code):
        raise BadInput(f"unit code '{code}' must be 2-10 capital letters or digits, starting with a letter")
    if start_date and end_date and end_date < start_date:
        raise BadInput(f"the audit ends ({end_date}) before it starts ({start_date})")
    auditable = [c.number for c in standard.auditable_clauses()]
    for number in clauses:
        if number not in auditable:
            raise BadInput(f"clause '{number}' is not an auditable clause of {standard.key} "
                           f"({choice_hint(number, auditable)})")
    lead = lead.model_copy(update={"role": "lead"})
    plan = AuditPlan(
        objectives=list(objectives) or [f"Determine the extent to which {auditee_unit} conforms to "
                                        f"{standard.title}"],
        scope=Scope(auditee_unit=auditee_unit.strip(), unit_code=code, processes=list(processes),
                    clauses=list(clauses), exclusions=exclusions),
        criteria=Criteria(standard=standard.id, version=standard.version, other=list(other_criteria),
                          sha256=sha256_bytes(standard_text)),
        client=client, lead=lead, team=list(team), auditee_participants=list(participants),
        start_date=start_date, end_date=end_date, locations=list(locations), method=method,
        sampling=sampling, confidentiality=confidentiality, distribution=list(distribution))
    now = utc_now()
    overrides: list[IndependenceOverride] = []
    conflicts = independence_conflicts(plan)
    if conflicts:
        names = ", ".join(f"{m.name} ({m.home_unit})" for m in conflicts)
        if not override_independence or not override_independence.strip():
            raise Refused(f"{names} would audit their own unit {auditee_unit}: internal auditors may not "
                          "audit their own work (ISO 9001 9.2.2 c); choose another auditor, or pass "
                          "--override-independence 'JUSTIFICATION' to record why it is unavoidable")
        overrides = [IndependenceOverride(auditor=m.name, justification=override_independence.strip(),
                                          by=actor, at=now) for m in conflicts]
    year = (start_date or now.date()).year
    audit_id = audit_id or _free_audit_id(workspace, f"{year}-{slugify(code)}-{standard.id}")
    store = AuditStore(workspace, audit_id)
    if store.exists():
        raise BadInput(f"audit '{audit_id}' already exists; choose another --id")
    record = AuditRecord(id=audit_id, title=title.strip(), kind=kind, plan=plan, created_at=now,  # type: ignore[arg-type]
                         created_by=actor, independence_overrides=overrides,
                         history=[StatusChange(status=AuditStatus.PLANNED, at=now, by=actor)])
    try:
        store.folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create {store.folder} ({exc.strerror})") from None
    with store.transaction(actor=actor, action="audit.create", target=audit_id,
                           summary=f"planned audit '{record.title}' of {auditee_unit} against {standard.key}",
                           reason=override_independence if overrides else None) as tx:
        if store.exists():
            raise BadInput(f"audit '{audit_id}' already exists; choose another --id")
        tx.write(AUDIT_FILE, record)
        tx.write_bytes(CRITERIA_FILE, standard_text)
        tx.change("status", None, record.status)
        tx.change("criteria", None, f"{standard.key} sha256:{plan.criteria.sha256}")
        for item in overrides:
            tx.change(f"independence_override.{item.auditor}", None, item.justification)
    return open_audit(workspace, audit_id, actor=actor)


def _free_audit_id(workspace: Workspace, base: str) -> str:
    base = base[:60].strip("-")
    candidate, n = base, 2
    while (workspace.audits_dir / candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# --- changing ---------------------------------------------------------------------------------------------


class _Change:
    """Inside a transaction: the audit re-read under the lock, with helpers to write it back."""

    def __init__(self, opened: OpenedAudit, tx: Transaction) -> None:
        self.opened = opened
        self.tx = tx
        self.snapshot = opened.store.load()
        self.standard = opened.standard
        self.record = self.snapshot.record

    def refuse_if_closed(self) -> None:
        refusal = closed_refusal(self.record)
        if refusal:
            raise Refused(refusal)

    def result(self, ref: str) -> RequirementResult:
        return self.snapshot.result(ref)

    def put_result(self, ref: str, result: RequirementResult) -> None:
        clause = self.standard.top_clause_of(ref)
        clause_file = self.snapshot.clause_files.get(clause) or ClauseResults(clause=clause)
        results = dict(clause_file.results)
        results[ref] = result
        clause_file = clause_file.model_copy(update={"results": dict(sorted(results.items(),
                                                                             key=lambda kv: number_key(kv[0])))})
        self.snapshot.clause_files[clause] = clause_file
        self.tx.write(results_relpath(clause), clause_file)

    def settle_dispute(self, ref: str) -> None:
        """Take the requirement's dispute out of its clause file (written with the next `put_result`)."""
        clause = self.standard.top_clause_of(ref)
        clause_file = self.snapshot.clause_files[clause]
        disputes = {r: d for r, d in clause_file.disputes.items() if r != ref}
        self.snapshot.clause_files[clause] = clause_file.model_copy(update={"disputes": disputes})

    def refuse_if_disputed(self, doing: str) -> None:
        refs = sorted(self.snapshot.disputes, key=number_key)
        refusal = disputed_refusal(self.record.id, refs, doing)
        if refusal:
            raise Refused(refusal)

    def put_finding(self, finding: Finding) -> None:
        self.snapshot.findings[finding.id] = finding
        self.tx.write(finding_relpath(finding.id), finding)

    def put_record(self, record: AuditRecord) -> None:
        self.record = record
        self.snapshot.record = record
        self.tx.write(AUDIT_FILE, record)


def _changing(opened: OpenedAudit, actor: str, action: str, target: str, summary: str = "",
              reason: str | None = None):
    return opened.store.transaction(actor=actor, action=action, target=target, summary=summary, reason=reason)


def _check_expected(ref: str, current: RequirementResult, expect: dict[str, Any] | None) -> None:
    if not expect:
        return
    for name, value in expect.items():
        if getattr(current, name) != value:
            who = f" by {current.rated_by}" if current.rated_by else ""
            when = f" at {current.rated_at:%H:%M}" if current.rated_at else ""
            raise Conflict(f"{ref} was changed{who}{when} since you opened it ({name}); your input was not "
                           "applied and is still in the form: reload and apply it again")


def rate(opened: OpenedAudit, ref: str, grade: Grade, *, actor: str, note: str | None = None,
         na_reason: str | None = None, level: int | None = None, statement: str | None = None,
         expect: dict[str, Any] | None = None) -> RequirementResult:
    """Set a requirement's rating (and note); NC, observation and OFI ratings carry a finding."""
    req = requirement(opened, ref)
    if not opened.in_scope(ref):
        raise Refused(f"{ref} is in clause {opened.standard.top_clause_of(ref)}, which is outside the scope of "
                      f"audit {opened.id}")
    standard = opened.standard
    if standard.uses_levels:
        if grade not in (Grade.NOT_APPLICABLE, Grade.NOT_ASSESSED):
            raise BadInput(f"{standard.id} is rated on levels 0-{standard.max_level}, not grades: "
                           "give a level number (or n/a, not-assessed)")
        if level is not None and not any(lvl.value == level for lvl in standard.rating.levels):
            raise BadInput(f"level {level} is not defined by {standard.id} "
                           f"(levels: {', '.join(str(lv.value) for lv in standard.rating.levels)})")
        if grade is Grade.NOT_APPLICABLE:
            level = None
    elif level is not None:
        raise BadInput(f"{standard.id} is rated on grades, not levels")
    if grade.is_nc and not req.can_raise_nc:
        raise Refused(f"{ref} is a 'should' requirement: a gap against it is an opportunity for improvement "
                      "at most, not a nonconformity (rate it ofi)")

    verb = f"level {level}" if level is not None else grade.label.lower()
    with _changing(opened, actor, "result.rate", ref, f"rated {ref} {verb}") as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        current = change.result(ref)
        _check_expected(ref, current, expect)
        dispute = change.snapshot.disputes.get(ref)
        lead = change.record.plan.lead.name
        if dispute is not None and not may_settle(actor, lead):
            raise Refused(f"the rating of {ref} is disputed between auditors (`qms-audit audit show {opened.id}`); "
                          f"the lead auditor, {lead}, settles it by rating it")
        new_note = current.note if note is None else note
        new_reason = na_reason if na_reason is not None else current.na_reason
        if grade is Grade.NOT_APPLICABLE:
            if not (new_reason and new_reason.strip()):
                raise BadInput(f"rating {ref} not applicable needs a written justification (--na-reason '...'; "
                               "ISO 9001 4.3)")
        else:
            new_reason = None
        updated = current.model_copy(update={
            "grade": grade, "level": level, "note": new_note, "na_reason": new_reason,
            "rated_by": actor, "rated_at": tx.at})
        if dispute is None and (updated.grade, updated.level, updated.note, updated.na_reason) == (
                current.grade, current.level, current.note, current.na_reason):
            return current
        for name in ("grade", "level", "note", "na_reason"):
            tx.change(f"{ref}.{name}", getattr(current, name), getattr(updated, name))
        if dispute is not None:
            # the lead's rating decides: the dispute is closed, and the findings of the ratings it did not keep go
            tx.change(f"{ref}.dispute", dispute, None)
            change.settle_dispute(ref)
            _withdraw_unkept(change, ref, dispute, grade, tx)
        _sync_findings(change, req, grade, statement or new_note, tx)
        change.put_result(ref, updated)
        opened.snapshot = change.snapshot
        return updated


def set_note(opened: OpenedAudit, ref: str, note: str, *, actor: str, expect: str | None = None) -> RequirementResult:
    """Change only the auditor's note on a requirement (the TUI saves notes as they are typed).

    `expect` is the note the editor started from; if someone else changed it meanwhile: Conflict.
    """
    requirement(opened, ref)
    with _changing(opened, actor, "result.note", ref, f"note on {ref}") as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        current = change.result(ref)
        if expect is not None and current.note != expect:
            raise Conflict(f"the note on {ref} was changed by {current.rated_by or 'someone else'} since you opened "
                           "it; your text was not saved over theirs and is still in the form: reload and merge it")
        if current.note == note:
            return current
        tx.change(f"{ref}.note", current.note, note)
        updated = current.model_copy(update={"note": note})
        change.put_result(ref, updated)
        opened.snapshot = change.snapshot
        return updated


def update_finding(opened: OpenedAudit, finding_id: str, *, actor: str, statement: str | None = None,
                   evidence_text: str | None = None, due: dt.date | None = None) -> Finding:
    """Reword a finding's statement or evidence summary, or agree a new due date, before the audit closes."""
    with _changing(opened, actor, "finding.update", finding_id, f"edited {finding_id}") as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        finding = change.snapshot.findings.get(finding_id)
        if finding is None:
            raise NotFound(f"audit {opened.id} has no finding {finding_id}")
        update: dict[str, Any] = {}
        if statement is not None:
            if not statement.strip():
                raise BadInput("the finding statement cannot be empty")
            update["statement"] = statement.strip()
        if evidence_text is not None:
            update["evidence"] = evidence_text.strip()
        if due is not None:
            check_due_date(due, finding_id=finding_id, raised_on=finding.raised_at.date(), what="response due")
            update["response_due"] = due
        for name, value in update.items():
            tx.change(f"{finding_id}.{name}", getattr(finding, name), value)
        updated = finding.model_copy(update=update)
        if updated != finding:
            change.put_finding(updated)
        opened.snapshot = change.snapshot
        return updated


def _sync_findings(change: _Change, req: Requirement, grade: Grade, statement: str | None,
                   tx: Transaction) -> None:
    """Keep the requirement's findings consistent with its rating."""
    active = change.snapshot.findings_for(req.ref)
    # Findings more severe than the new rating: withdraw them if nothing has happened to them yet.
    for finding in active:
        if finding.grade.severity > grade.severity:
            if finding.response is not None or _capa_started(finding):
                raise Refused(
                    f"{req.ref} has {finding.id} ({finding.grade.label.lower()}) with an auditee response or "
                    f"corrective action recorded; it cannot be rated better than that finding")
            withdrawn = finding.model_copy(update={"withdrawn": f"re-rated {grade.label.lower()} by "
                                                                f"{tx.actor} on {tx.at:%Y-%m-%d}"})
            tx.change(f"{finding.id}.withdrawn", None, withdrawn.withdrawn)
            change.put_finding(withdrawn)
    if not grade.makes_finding:
        return
    active = change.snapshot.findings_for(req.ref)
    escalated = escalated_finding(grade, active)
    if escalated is not None:
        # minor -> major (or OFI -> observation) keeps the finding and its id: the grade is escalated
        finding = escalated.model_copy(update={"grade": grade, "response_due": _due_for(grade, tx.at)})
        tx.change(f"{finding.id}.grade", escalated.grade, grade)
        change.put_finding(finding)
        return
    if not statement_needed(grade, active):
        return  # a finding of this grade already stands
    if not (statement and statement.strip()):
        raise BadInput(f"a {grade.label.lower()} needs a finding statement: say what was found "
                       "(--note '...' or --statement '...')")
    _new_finding(change, req.ref, grade, statement.strip(), tx)


def _withdraw_unkept(change: _Change, ref: str, dispute: Dispute, grade: Grade, tx: Transaction) -> None:
    """After a dispute is settled as `grade`: the findings the other ratings raised no longer stand, and are
    withdrawn as a changed rating withdraws them, unless the auditee answered or corrective action began (those
    stay, and one more severe than the settled rating refuses it, as for any rating)."""
    for rating in dispute.ratings:
        if rating.grade is grade:
            continue
        for finding in findings_of_rating(ref, rating, change.snapshot.findings.values()):
            if finding.response is not None or _capa_started(finding):
                continue
            reason = f"dispute on {ref} settled as {grade.label.lower()} by {tx.actor} on {tx.at:%Y-%m-%d}"
            tx.change(f"{finding.id}.withdrawn", None, reason)
            change.put_finding(finding.model_copy(update={"withdrawn": reason}))


def _capa_started(finding: Finding) -> bool:
    capa = finding.capa
    return capa is not None and any((capa.correction, capa.containment, capa.root_cause, capa.actions,
                                     capa.verifications))


def _due_for(grade: Grade, at: dt.datetime) -> dt.date | None:
    days = RESPONSE_DAYS.get(grade)
    return (at.date() + dt.timedelta(days=days)) if days else None


def next_finding_id(workspace: Workspace, grade: Grade, year: int, unit_code: str, *, clause: str | None = None,
                    seat: int = 0, taken: Sequence[str] = ()) -> str:
    """The next free id. Findings of an audit are numbered in blocks by clause and by the auditor's seat in the
    plan (domain/finding_ids.py), so auditors working in different clones never pick the same id; NCs raised
    outside audits (`clause` None) take the lowest free number below 100."""
    prefix = f"{FINDING_PREFIX[grade]}-{year}-{unit_code}-"
    used = {int(i.rsplit("-", 1)[1]) for i in [*existing_finding_ids(workspace), *taken] if i.startswith(prefix)}
    if clause is None:
        number = next_register_number(used)
    else:
        try:
            number = next_number(clause, seat, used)
        except NoFreeNumber:
            raise Refused(f"no free {FINDING_PREFIX[grade]} number is left for clause {clause} in this audit "
                          "(a thousand findings of one kind by one auditor); withdraw or merge findings") from None
    return f"{prefix}{number:03d}"


def _new_finding(change: _Change, ref: str, grade: Grade, statement: str, tx: Transaction,
                 evidence_text: str = "", evidence_ids: Sequence[str] = (),
                 due: dt.date | None = None) -> Finding:
    plan = change.record.plan
    year = (plan.start_date or tx.at.date()).year
    finding_id = next_finding_id(change.opened.workspace, grade, year, plan.scope.unit_code,
                                 clause=change.standard.top_clause_of(ref), seat=seat_of(plan, tx.actor),
                                 taken=list(change.snapshot.findings))
    if due is not None:
        check_due_date(due, finding_id=finding_id, raised_on=tx.at.date(), what="response due", new=True)
    result = change.result(ref)
    finding = Finding(
        id=finding_id, grade=grade, audit_id=change.record.id, standard=change.standard.key, ref=ref,
        unit=plan.scope.auditee_unit, statement=statement,
        evidence=evidence_text or "; ".join(e.text for e in result.evidence),
        evidence_ids=list(evidence_ids) or [e.id for e in result.evidence],
        raised_by=tx.actor, raised_at=tx.at, response_due=due or _due_for(grade, tx.at))
    tx.change(f"{finding_id}", None, {"grade": grade.value, "ref": ref, "statement": statement})
    change.put_finding(finding)
    return finding


def raise_finding(opened: OpenedAudit, ref: str, grade: Grade, statement: str, *, actor: str,
                  evidence_text: str = "", due: dt.date | None = None) -> Finding:
    """A further finding against a requirement (e.g. a second sampled programme failing it)."""
    req = requirement(opened, ref)
    if not grade.makes_finding:
        raise BadInput(f"a finding is a minor NC, major NC, observation or OFI, not {grade.label.lower()}")
    if grade.is_nc and not req.can_raise_nc:
        raise Refused(f"{ref} is a 'should' requirement: a gap against it is an OFI at most")
    if not statement.strip():
        raise BadInput("the finding statement is empty")
    with _changing(opened, actor, "finding.raise", ref, f"raised a {grade.label.lower()} on {ref}") as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        finding = _new_finding(change, ref, grade, statement.strip(), tx, evidence_text=evidence_text, due=due)
        current = change.result(ref)
        if grade.severity > current.grade.severity:
            updated = current.model_copy(update={"grade": grade, "rated_by": actor, "rated_at": tx.at})
            tx.change(f"{ref}.grade", current.grade, grade)
            change.put_result(ref, updated)
        opened.snapshot = change.snapshot
        return finding


def _sample(sample_size: int | None, population: int | None, note: str | None) -> Sample | None:
    if sample_size is None and population is None:
        return None
    if sample_size is None or sample_size < 1:
        raise BadInput("a sample needs its size (at least 1)")
    if population is not None and population < sample_size:
        raise BadInput(f"the sample ({sample_size}) is larger than its population ({population})")
    return Sample(size=sample_size, population=population, description=note or None)


def _entry_ids(result: RequirementResult) -> str:
    return ", ".join(e.id for e in result.evidence) or "none"


def _evidence_entry(change: _Change, ref: str, evidence_id: str) -> Evidence:
    current = change.result(ref)
    found = next((e for e in current.evidence if e.id == evidence_id), None)
    if found is None:
        raise NotFound(f"{ref} has no evidence entry {evidence_id} (its entries: {_entry_ids(current)})")
    return found


def _linkable_finding(change: _Change, finding_id: str) -> Finding:
    finding = change.snapshot.findings.get(finding_id)
    if finding is None:
        raise NotFound(f"audit {change.record.id} has no finding {finding_id} "
                       f"({choice_hint(finding_id, sorted(change.snapshot.findings))})")
    if finding.ref is None:
        raise BadInput(f"{finding_id} concerns no requirement, so it has no evidence entries to link")
    return finding


def _link(change: _Change, finding: Finding, evidence_ids: Sequence[str], tx: Transaction) -> Finding:
    """Add entries to a finding's links (those already linked are left alone); an empty summary is filled in."""
    new_ids = [*finding.evidence_ids, *(i for i in dict.fromkeys(evidence_ids) if i not in finding.evidence_ids)]
    if new_ids == finding.evidence_ids:
        return finding
    update: dict[str, Any] = {"evidence_ids": new_ids}
    if not finding.evidence.strip():
        # The summary is the auditor's own wording: it is only written when there is none yet.
        texts = {e.id: e.text for e in change.result(finding.ref or "").evidence}
        update["evidence"] = "; ".join(texts[i] for i in new_ids if i in texts)
    for name, value in update.items():
        tx.change(f"{finding.id}.{name}", getattr(finding, name), value)
    updated = finding.model_copy(update=update)
    change.put_finding(updated)
    return updated


def _check_linkable(change: _Change, finding: Finding, evidence_ids: Sequence[str]) -> None:
    """Every id must be an entry of the finding's own requirement."""
    ref = finding.ref or ""
    own = {e.id for e in change.result(ref).evidence}
    elsewhere = {e.id: other for other, result in change.snapshot.results.items() if other != ref
                 for e in result.evidence}
    unknown = [i for i in evidence_ids if i not in own and i not in elsewhere]
    if unknown:
        raise NotFound(f"audit {change.record.id} has no evidence entr{'y' if len(unknown) == 1 else 'ies'} "
                       f"{', '.join(unknown)} (entries of {ref}: {_entry_ids(change.result(ref))})")
    foreign = [i for i in evidence_ids if i not in own]
    if foreign:
        where = ", ".join(f"{i} is evidence of {elsewhere[i]}" for i in foreign)
        raise BadInput(f"{where}, not of {ref}: a finding links only evidence of its own requirement")


def add_evidence(opened: OpenedAudit, ref: str, *, phase: Phase, kind: EvidenceKind, text: str, actor: str,
                 reference: str | None = None, file: Path | None = None, sample_size: int | None = None,
                 population: int | None = None, sample_note: str | None = None,
                 source: str = "auditor", findings: Sequence[str] = ()) -> Evidence:
    """Record an evidence entry; `findings` (of the same requirement) are linked to it in the same change."""
    requirement(opened, ref)
    if not text.strip():
        raise BadInput("the evidence description is empty (--text '...')")
    sample = _sample(sample_size, population, sample_note)
    with _changing(opened, actor, "evidence.add", ref, f"added {phase.label} evidence to {ref}") as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        targets = []
        for finding_id in dict.fromkeys(findings):
            finding = _linkable_finding(change, finding_id)
            if finding.ref != ref:
                raise BadInput(f"{finding_id} is a finding on {finding.ref}, not on {ref}: evidence of {ref} "
                               "can only be linked to findings of the same requirement")
            if finding.withdrawn is not None:
                raise Refused(f"{finding_id} was withdrawn ({finding.withdrawn}); link the evidence to a "
                              "finding that stands")
            targets.append(finding)
        stored = _store_evidence_file(opened, file) if file is not None else None
        evidence = Evidence(id=f"E-{secrets.token_hex(4)}", phase=phase, kind=kind, text=text.strip(),
                            reference=reference or None, file=stored, sample=sample, collected_by=actor,
                            collected_at=tx.at, source=source)  # type: ignore[arg-type]
        current = change.result(ref)
        change.put_result(ref, current.model_copy(update={"evidence": [*current.evidence, evidence]}))
        tx.change(f"{ref}.evidence", None, evidence)
        for finding in targets:
            _link(change, finding, [evidence.id], tx)
        opened.snapshot = change.snapshot
        return evidence


def update_evidence(opened: OpenedAudit, ref: str, evidence_id: str, *, actor: str, reason: str,
                    text: str | None = None, reference: str | None = None, phase: Phase | None = None,
                    kind: EvidenceKind | None = None, sample_size: int | None = None,
                    population: int | None = None, sample_note: str | None = None, clear_sample: bool = False,
                    expect: Evidence | None = None) -> Evidence:
    """Correct an evidence entry: only the fields given change (`reference=""` clears the reference,
    `clear_sample` drops the sample). The attached file and who collected it stay as they were; every old
    value is kept in the log entry, with the reason.

    `expect` is the entry as the caller last saw it; if someone else changed it meanwhile: Conflict.
    """
    requirement(opened, ref)
    if not reason or not reason.strip():
        raise BadInput("say why the evidence entry is changed (--reason '...')")
    if text is not None and not text.strip():
        raise BadInput("the evidence description is empty (--text '...')")
    sampled = sample_size is not None or population is not None or sample_note is not None
    if clear_sample and sampled:
        raise BadInput("give a new sample or drop it (--no-sample), not both")
    if text is None and reference is None and phase is None and kind is None and not sampled and not clear_sample:
        raise BadInput("nothing to change: give at least one of --text, --reference, --phase, --kind, --sample, "
                       "--population, --sample-note, --no-sample")
    with _changing(opened, actor, "evidence.edit", ref, f"edited evidence {evidence_id} of {ref}",
                   reason=reason.strip()) as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        entry = _evidence_entry(change, ref, evidence_id)
        if expect is not None and entry != expect:
            who = entry.edited_by or entry.collected_by
            raise Conflict(f"evidence {evidence_id} of {ref} was changed by {who} since you opened it; your "
                           "input was not applied and is still in the form: reload and apply it again")
        update: dict[str, Any] = {}
        if text is not None:
            update["text"] = text.strip()
        if reference is not None:
            update["reference"] = reference.strip() or None
        if phase is not None:
            update["phase"] = phase
        if kind is not None:
            update["kind"] = kind
        if clear_sample:
            update["sample"] = None
        elif sampled:
            old = entry.sample
            update["sample"] = _sample(
                sample_size if sample_size is not None else (old.size if old else None),
                population if population is not None else (old.population if old else None),
                sample_note if sample_note is not None else (old.description if old else None))
        changed = {name: value for name, value in update.items() if getattr(entry, name) != value}
        if not changed:
            return entry
        for name, value in changed.items():
            tx.change(f"{ref}.evidence.{evidence_id}.{name}", getattr(entry, name), value)
        edited = Evidence.model_validate({**entry.model_dump(), **changed, "edited_by": actor, "edited_at": tx.at})
        current = change.result(ref)
        change.put_result(ref, current.model_copy(update={
            "evidence": [edited if e.id == evidence_id else e for e in current.evidence]}))
        opened.snapshot = change.snapshot
        return edited


def remove_evidence(opened: OpenedAudit, ref: str, evidence_id: str, *, actor: str, reason: str,
                    expect: Evidence | None = None) -> None:
    """Remove a mistaken entry, and its links from every finding in the same change: a finding never points
    at evidence that no longer exists. The copied file stays in the audit folder (another entry may share it)."""
    requirement(opened, ref)
    if not reason or not reason.strip():
        raise BadInput("say why the evidence entry is removed (--reason '...')")
    with _changing(opened, actor, "evidence.remove", ref, f"removed evidence {evidence_id} from {ref}",
                   reason=reason.strip()) as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        gone = _evidence_entry(change, ref, evidence_id)
        if expect is not None and gone != expect:
            raise Conflict(f"evidence {evidence_id} of {ref} was changed by {gone.edited_by or gone.collected_by} "
                           "since you opened it; it was not removed: reload and look at it again")
        current = change.result(ref)
        tx.change(f"{ref}.evidence", gone, None)
        change.put_result(ref, current.model_copy(update={
            "evidence": [e for e in current.evidence if e.id != evidence_id]}))
        for finding in list(change.snapshot.findings.values()):
            if evidence_id in finding.evidence_ids:
                kept = [i for i in finding.evidence_ids if i != evidence_id]
                tx.change(f"{finding.id}.evidence_ids", finding.evidence_ids, kept)
                change.put_finding(finding.model_copy(update={"evidence_ids": kept}))
        opened.snapshot = change.snapshot


def link_evidence(opened: OpenedAudit, finding_id: str, evidence_ids: Sequence[str], *, actor: str) -> Finding:
    """Link existing evidence entries of the finding's requirement to it (entries already linked stay)."""
    if not evidence_ids:
        raise BadInput("name at least one evidence entry to link (E-...)")
    with _changing(opened, actor, "finding.link", finding_id,
                   f"linked evidence {', '.join(evidence_ids)} to {finding_id}") as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        finding = _linkable_finding(change, finding_id)
        if finding.withdrawn is not None:
            raise Refused(f"{finding_id} was withdrawn ({finding.withdrawn}); link the evidence to a finding "
                          "that stands")
        _check_linkable(change, finding, evidence_ids)
        updated = _link(change, finding, evidence_ids, tx)
        opened.snapshot = change.snapshot
        return updated


def unlink_evidence(opened: OpenedAudit, finding_id: str, evidence_ids: Sequence[str], *, actor: str) -> Finding:
    """Take entries out of a finding's links; the entries themselves and the finding's summary stay."""
    if not evidence_ids:
        raise BadInput("name at least one evidence entry to unlink (E-...)")
    with _changing(opened, actor, "finding.unlink", finding_id,
                   f"unlinked evidence {', '.join(evidence_ids)} from {finding_id}") as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        finding = _linkable_finding(change, finding_id)
        # A link to an entry that no longer exists (records older than remove_evidence's cleanup) can
        # still be taken out; anything else must be a real entry of the requirement, and linked.
        _check_linkable(change, finding, [i for i in evidence_ids if i not in finding.evidence_ids])
        not_linked = [i for i in evidence_ids if i not in finding.evidence_ids]
        if not_linked:
            linked = ", ".join(finding.evidence_ids) or "none"
            raise BadInput(f"{', '.join(not_linked)} {'is' if len(not_linked) == 1 else 'are'} not linked to "
                           f"{finding_id} (linked: {linked})")
        kept = [i for i in finding.evidence_ids if i not in evidence_ids]
        tx.change(f"{finding_id}.evidence_ids", finding.evidence_ids, kept)
        updated = finding.model_copy(update={"evidence_ids": kept})
        change.put_finding(updated)
        opened.snapshot = change.snapshot
        return updated


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return cleaned[-80:]


def _store_evidence_file(opened: OpenedAudit, source: Path) -> EvidenceFile:
    """Copy a file into the audit folder, named by its content hash: the audit holds its own copy."""
    source = Path(source).expanduser()
    if not source.exists():
        raise NotFound(f"evidence file {source}: no such file")
    if not source.is_file():
        raise BadInput(f"evidence file {source}: is {kind_of(source.stat().st_mode)}, not a regular file; give the "
                       "path of a saved file")
    size = source.stat().st_size
    if size > MAX_EVIDENCE_BYTES:
        raise BadInput(f"evidence file {source} is {human_size(size)}; evidence files are limited to "
                       f"{human_size(MAX_EVIDENCE_BYTES)} (store it elsewhere and give --reference instead)")
    try:
        # read once, by type and within the limit (a file swapped for a pipe after the checks above is refused)
        data = read_bytes_bounded(source, max_bytes=MAX_EVIDENCE_BYTES, what="evidence")
        digest = sha256_bytes(data)
        name = f"{digest[:12]}-{_safe_name(source.name)}"
        target = opened.store.evidence_path(name)
        if not target.exists():
            atomic_write_bytes(target, data)
    except OSError as exc:
        raise StorageError(f"cannot copy evidence file {source} ({exc.strerror})") from None
    return EvidenceFile(path=f"{EVIDENCE_DIR}/{name}", sha256=digest, size=size, original_name=source.name)


def resolve_evidence_path(opened: OpenedAudit, stored: str) -> Path:
    """A stored evidence path, refused unless it stays inside the audit folder (no '..', absolute or symlink)."""
    root = opened.store.folder.resolve()
    candidate = Path(stored)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise Refused(f"evidence path '{stored}' leaves the audit folder; only paths under {EVIDENCE_DIR}/ "
                      "are accepted")
    full = opened.store.folder / candidate
    resolved = full.resolve()
    if root not in resolved.parents:
        raise Refused(f"evidence path '{stored}' resolves outside the audit folder (symbolic link?)")
    return resolved


def respond(opened: OpenedAudit, finding_id: str, *, position: str, text: str, by: str, actor: str,
            resolved: bool = False) -> Finding:
    """Record the auditee's acknowledgement of a finding, or their diverging opinion."""
    from qms_audit.model.audit import AuditeeResponse

    if position not in ("acknowledged", "disputed"):
        raise BadInput(f"position must be acknowledged or disputed, not '{position}'")
    if position == "disputed" and not text.strip():
        raise BadInput("a diverging opinion needs its text (--text '...')")
    with _changing(opened, actor, "finding.respond", finding_id, f"auditee {position} {finding_id}") as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        finding = change.snapshot.findings.get(finding_id)
        if finding is None:
            raise NotFound(f"audit {opened.id} has no finding {finding_id} "
                           f"({choice_hint(finding_id, list(change.snapshot.findings))})")
        response = AuditeeResponse(position=position, text=text.strip(), by=by, at=tx.at,  # type: ignore[arg-type]
                                   resolved=resolved)
        tx.change(f"{finding_id}.response", finding.response, response)
        updated = finding.model_copy(update={"response": response})
        change.put_finding(updated)
        opened.snapshot = change.snapshot
        return updated


def withdraw_finding(opened: OpenedAudit, finding_id: str, *, reason: str, actor: str) -> Finding:
    if not reason.strip():
        raise BadInput("say why the finding is withdrawn (--reason '...')")
    with _changing(opened, actor, "finding.withdraw", finding_id, f"withdrew {finding_id}", reason=reason) as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        finding = change.snapshot.findings.get(finding_id)
        if finding is None:
            raise NotFound(f"audit {opened.id} has no finding {finding_id}")
        if _capa_started(finding):
            raise Refused(f"{finding_id} has corrective action recorded; close it through CAPA instead")
        updated = finding.model_copy(update={"withdrawn": reason.strip()})
        tx.change(f"{finding_id}.withdrawn", None, reason.strip())
        change.put_finding(updated)
        opened.snapshot = change.snapshot
        return updated


def set_status(opened: OpenedAudit, status: AuditStatus, *, actor: str, reason: str | None = None) -> AuditRecord:
    if status is AuditStatus.CLOSED:
        raise BadInput("close an audit with `qms-audit audit close`, which checks that it can be closed")
    with _changing(opened, actor, "audit.status", opened.id, f"status -> {status.value}", reason=reason) as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        current = effective_status(change.snapshot)
        if status is current:
            return change.record
        if status not in ALLOWED_STATUS_MOVES.get(current, set()):
            allowed = ", ".join(s.value for s in ALLOWED_STATUS_MOVES.get(current, set())) or "none"
            raise Refused(f"audit {opened.id} cannot move from {current.value} to {status.value} "
                          f"(from {current.value}: {allowed})")
        if status is AuditStatus.REPORTED:
            change.refuse_if_disputed("reported")
        record = change.record.model_copy(update={
            "status": status, "history": [*change.record.history,
                                          StatusChange(status=status, at=tx.at, by=actor, reason=reason)]})
        tx.change("status", current, status)
        change.put_record(record)
        opened.snapshot = change.snapshot
        return record


def criteria_change(opened: OpenedAudit) -> tuple[CriteriaChange, bytes]:
    """What moving the audit to the workspace's current text of its standard would change, and that text."""
    library = StandardLibrary(opened.workspace)
    current, text = library.text_of(opened.standard.id)
    snapshot = opened.snapshot
    same = opened.record.plan.criteria.sha256 == sha256_bytes(text)
    return compare(opened.standard, current, same_text=same, results=snapshot.results,
                   findings=list(snapshot.findings.values())), text


def move_criteria(opened: OpenedAudit, *, actor: str, reason: str) -> CriteriaChange:
    """Pin the audit to the workspace's current text of its standard: an open audit only, with a reason, and
    only when every rating and finding still fits the new text (ISO 19011 6.3.2: criteria change by a
    recorded decision, not by someone editing a file). Logged with the hashes before and after."""
    if not reason.strip():
        raise BadInput("moving an audit to other criteria needs a reason (--reason '...')")
    with _changing(opened, actor, "audit.criteria", opened.id, "criteria moved", reason=reason) as tx:
        change = _Change(opened, tx)
        change.refuse_if_closed()
        opened.snapshot = change.snapshot
        found, text = criteria_change(opened)
        if found.misfits:
            raise Refused(f"audit {opened.id} cannot move to {found.after}: " + "; ".join(found.misfits[:5])
                          + (f"; and {len(found.misfits) - 5} more" if len(found.misfits) > 5 else "")
                          + " (settle these ratings and findings first)")
        before = change.record.plan.criteria
        digest = sha256_bytes(text)
        if before.sha256 == digest:
            return found
        new_standard, _ = StandardLibrary(opened.workspace).text_of(opened.standard.id)
        criteria = before.model_copy(update={"version": new_standard.version, "sha256": digest})
        record = change.record.model_copy(update={"plan": change.record.plan.model_copy(update={
            "criteria": criteria})})
        tx.write_bytes(CRITERIA_FILE, text)
        tx.change("criteria", f"{found.before} sha256:{before.sha256}" if before.sha256 else f"{found.before} "
                  "(the workspace's file, not pinned)", f"{found.after} sha256:{digest}")
        change.put_record(record)
        opened.snapshot = change.snapshot
        opened.standard = new_standard
        return found


def approve_report(opened: OpenedAudit, *, actor: str, note: str | None = None) -> AuditRecord:
    """The lead auditor approves the audit report: an electronic signature over the audit as it stands. Only
    once the audit is reported (or in follow-up), and never on a closed audit (approve before closing)."""
    from qms_audit.domain.capa_rules import same_person
    from qms_audit.services.signers import signer_for

    lead = opened.record.plan.lead.name
    if not same_person(actor, lead):
        raise Refused(f"the report of {opened.id} is approved by its lead auditor, {lead} (you are {actor})")
    signer, _ = signer_for(opened.workspace, actor, APPROVAL_MEANING)
    with _changing(opened, actor, "report.approve", opened.id, "approved the audit report", reason=note) as tx:
        tx.signer = signer
        change = _Change(opened, tx)
        change.refuse_if_closed()
        change.refuse_if_disputed("approved")
        status = effective_status(change.snapshot)
        if status not in (AuditStatus.REPORTED, AuditStatus.FOLLOW_UP):
            raise Refused(f"audit {opened.id} is {status.label}: its report is approved once the audit is reported "
                          f"(`qms-audit audit status {opened.id} reported`)")
        approval = ReportApproval(by=actor, at=tx.at, note=note)
        record = change.record.model_copy(update={"approvals": [*change.record.approvals, approval]})
        tx.change("report.approved_by", None, actor)
        change.put_record(record)
        opened.snapshot = change.snapshot
        return record


def close_audit(opened: OpenedAudit, *, actor: str, note: str | None = None) -> AuditRecord:
    """Close and seal the audit: every file's hash goes into the closing log entry."""
    from qms_audit.infra.files import sha256_bytes
    from qms_audit.services.signers import signer_for

    # the seal is an electronic signature: the closing entry, and through it the hash of every file
    signer, _ = signer_for(opened.workspace, actor, SEAL_MEANING)
    with _changing(opened, actor, "audit.close", opened.id, "closed and sealed the audit", reason=note) as tx:
        tx.signer = signer
        change = _Change(opened, tx)
        change.refuse_if_closed()
        change.refuse_if_disputed("closed")
        open_ncs = [f.id for f in change.snapshot.active_findings() if f.grade.is_nc and is_open(f)]
        if open_ncs:
            raise Refused(f"audit {opened.id} still has open nonconformities ({', '.join(open_ncs)}); close "
                          "their CAPA first (`qms-audit nc list --open`)")
        if change.record.status not in (AuditStatus.REPORTED, AuditStatus.FOLLOW_UP):
            raise Refused(f"audit {opened.id} is {effective_status(change.snapshot).label}; report it first "
                          f"(`qms-audit audit status {opened.id} reported`)")
        record = change.record.model_copy(update={
            "status": AuditStatus.CLOSED,
            "history": [*change.record.history, StatusChange(status=AuditStatus.CLOSED, at=tx.at, by=actor,
                                                             reason=note)]})
        tx.change("status", change.record.status, AuditStatus.CLOSED)
        change.put_record(record)
        manifest = sealed_files(opened.store.folder)
        manifest.update({rel: sha256_bytes(data) for rel, data in tx.writes.items()})
        tx.manifest = dict(sorted(manifest.items()))
        opened.snapshot = change.snapshot
        return record


def reopen_audit(opened: OpenedAudit, *, actor: str, reason: str) -> AuditRecord:
    if not reason or not reason.strip():
        raise BadInput("reopening a closed audit needs a reason (--reason '...')")
    from qms_audit.services.signers import signer_for

    signer, _ = signer_for(opened.workspace, actor, REOPEN_MEANING)
    with _changing(opened, actor, "audit.reopen", opened.id, "reopened the audit", reason=reason) as tx:
        tx.signer = signer
        change = _Change(opened, tx)
        if not change.record.is_closed:
            raise Refused(f"audit {opened.id} is not closed (it is {change.record.status.label})")
        record = change.record.model_copy(update={
            "status": AuditStatus.FOLLOW_UP,
            "history": [*change.record.history, StatusChange(status=AuditStatus.FOLLOW_UP, at=tx.at, by=actor,
                                                             reason=reason.strip())]})
        tx.change("status", AuditStatus.CLOSED, AuditStatus.FOLLOW_UP)
        change.put_record(record)
        opened.snapshot = change.snapshot
        return record

