"""Rules of an audit that hold whoever applies them: the CLI, the TUI, the checklist import and CAPA all ask here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from qms_audit.domain.capa_rules import same_person
from qms_audit.model.audit import AuditRecord, AuditStatus, DisputedRating, Finding, Grade

if TYPE_CHECKING:
    from qms_audit.store.audits import AuditSnapshot


def closed_refusal(record: AuditRecord) -> str | None:
    """Why nothing of this audit may change, or None while it is not closed.

    Closing seals every file of the audit (docs/records.md), so any change, to a rating, a finding or the CAPA
    of one of its NCs, waits until the audit is reopened with a reason; the message says how."""
    if not record.is_closed:
        return None
    closed = next((h for h in reversed(record.history) if h.status is AuditStatus.CLOSED), None)
    when = f" on {closed.at:%Y-%m-%d} by {closed.by}" if closed else ""
    return (f"audit {record.id} is closed{when} and cannot be changed; reopen it with "
            f"`qms-audit audit reopen {record.id} --reason '...'`")


def escalated_finding(grade: Grade, active_findings: Iterable[Finding]) -> Finding | None:
    """The finding a rating escalates in place, keeping its id: the one lighter finding of the same kind
    (minor -> major NC, OFI -> observation), when no finding of that grade stands yet. With two lighter
    findings it is not clear which one the rating is about, and a lighter finding of the other kind is another
    matter, so both leave the rating to raise a new finding.

    `active_findings` are the requirement's findings that are not withdrawn."""
    if not grade.makes_finding:
        return None
    active = list(active_findings)
    if any(f.grade is grade for f in active):
        return None
    lighter = [f for f in active if f.grade.severity < grade.severity]
    if len(lighter) == 1 and lighter[0].grade.is_nc == grade.is_nc:
        return lighter[0]
    return None


def statement_needed(grade: Grade, active_findings: Iterable[Finding]) -> bool:
    """Whether rating a requirement `grade` raises a new finding, which must say what was found.

    `active_findings` are the requirement's findings that are not withdrawn. No statement is needed when the
    rating makes no finding, when a finding of that grade already stands, or when the rating escalates one."""
    if not grade.makes_finding:
        return False
    active = list(active_findings)
    if any(f.grade is grade for f in active):
        return False
    return escalated_finding(grade, active) is None


def disputed_refusal(audit_id: str, disputed_refs: Iterable[str], doing: str) -> str | None:
    """Why an audit with ratings still disputed after a merge cannot be reported or closed (`doing`), or None.

    Two auditors rated the same requirement differently; the record holds one of their ratings only until the lead
    auditor decides, so a report or a seal would present an undecided rating as the audit's conclusion."""
    refs = list(disputed_refs)
    if not refs:
        return None
    return (f"audit {audit_id} cannot be {doing}: the rating of {', '.join(refs)} is disputed between auditors; the "
            f"lead auditor settles each by rating it (`qms-audit audit rate {audit_id} REF --grade ...`)")


def may_settle(actor: str, lead: str) -> bool:
    """Only the lead auditor settles a disputed rating (ISO 19011 5.4.2: the lead decides between the team)."""
    return same_person(actor, lead)


def findings_of_rating(ref: str, rating: DisputedRating, findings: Iterable[Finding]) -> list[Finding]:
    """The findings a disputed rating raised: on the requirement, of the rating's grade, raised by its auditor."""
    return [f for f in findings if f.ref == ref and f.withdrawn is None and f.grade is rating.grade
            and rating.by is not None and same_person(f.raised_by, rating.by)]


def effective_status(snapshot: AuditSnapshot) -> AuditStatus:
    """A planned audit with results or findings is in progress. The move is derived rather than written,
    so that auditors starting on different clauses do not all change audit.json (and conflict in git)."""
    status = snapshot.record.status
    if status is AuditStatus.PLANNED and (any(c.results for c in snapshot.clause_files.values())
                                          or snapshot.findings):
        return AuditStatus.IN_PROGRESS
    return status
