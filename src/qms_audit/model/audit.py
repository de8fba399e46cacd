"""An audit as documents: the plan and status, results per clause, findings with their CAPA.

Folder layout (`audits/<audit-id>/`), split so that auditors working in separate clones mostly change different
files; a results or findings file both changed is merged per requirement by `qms-audit git merge-file`
(docs/records.md, "Team audits"):

    audit.json                 plan, status and status history
    results/clause-04.json     ratings, notes and evidence of the requirements of clause 4
    findings/NC-2026-FOE-003.json   one finding (NC, observation, OFI) with its CAPA record
    evidence/<sha12>-<name>    copies of evidence files, named by content hash
    log/000042-<hash>.json     the hash-chained event log, one entry per file
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from qms_audit.infra.i18n import N_, NP_, _, pgettext
from qms_audit.model.common import NonEmpty, Phase, StrictModel

UnitCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,9}$")]
FindingId = Annotated[str, StringConstraints(pattern=r"^(NC|OBS|OFI)-[0-9]{4}-[A-Z][A-Z0-9]{1,9}-[0-9]{3,}$")]
EvidenceId = Annotated[str, StringConstraints(pattern=r"^E-[0-9a-f]{8,}$")]


class AuditStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    REPORTED = "reported"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Grade(StrEnum):
    """Finding grades (domain reference §3)."""

    CONFORMITY = "conformity"
    GOOD_PRACTICE = "good_practice"
    OFI = "ofi"
    OBSERVATION = "observation"
    MINOR_NC = "minor_nc"
    MAJOR_NC = "major_nc"
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSED = "not_assessed"

    @property
    def label(self) -> str:
        """The grade in the reader's language (the English words are the table below)."""
        return _(GRADE_LABELS[self])

    @property
    def short(self) -> str:
        return pgettext("grade code", GRADE_SHORT[self])

    # The sets are looked up, not built here: reading a member off the class is slow, and a portfolio asks
    # these of every finding of ten thousand audits.
    @property
    def is_nc(self) -> bool:
        return self in NC_GRADES

    @property
    def makes_finding(self) -> bool:
        return self in FINDING_GRADES

    @property
    def is_assessed(self) -> bool:
        return self not in UNASSESSED_GRADES

    @property
    def severity(self) -> int:
        """Higher is worse; used to keep a rating no better than the worst finding on the requirement."""
        return GRADE_SEVERITY[self]


GRADE_LABELS = {
    Grade.CONFORMITY: N_("Conformity"),
    Grade.GOOD_PRACTICE: N_("Good practice"),
    Grade.OFI: N_("Opportunity for improvement"),
    Grade.OBSERVATION: N_("Observation"),
    Grade.MINOR_NC: N_("Minor nonconformity"),
    Grade.MAJOR_NC: N_("Major nonconformity"),
    Grade.NOT_APPLICABLE: N_("Not applicable"),
    Grade.NOT_ASSESSED: N_("Not assessed"),
}
GRADE_SHORT = {
    Grade.CONFORMITY: NP_("grade code", "C"),
    Grade.GOOD_PRACTICE: NP_("grade code", "GP"),
    Grade.OFI: NP_("grade code", "OFI"),
    Grade.OBSERVATION: NP_("grade code", "OBS"),
    Grade.MINOR_NC: NP_("grade code", "MIN"),
    Grade.MAJOR_NC: NP_("grade code", "MAJ"),
    Grade.NOT_APPLICABLE: NP_("grade code", "N/A"),
    Grade.NOT_ASSESSED: NP_("grade code", "-"),
}
GRADE_SEVERITY = {
    Grade.NOT_ASSESSED: -1,
    Grade.NOT_APPLICABLE: -1,
    Grade.GOOD_PRACTICE: 0,
    Grade.CONFORMITY: 0,
    Grade.OFI: 1,
    Grade.OBSERVATION: 2,
    Grade.MINOR_NC: 3,
    Grade.MAJOR_NC: 4,
}
FINDING_GRADES = (Grade.OFI, Grade.OBSERVATION, Grade.MINOR_NC, Grade.MAJOR_NC)
NC_GRADES = frozenset((Grade.MINOR_NC, Grade.MAJOR_NC))
UNASSESSED_GRADES = frozenset((Grade.NOT_ASSESSED, Grade.NOT_APPLICABLE))

# Words people type for a grade on the command line or in a workbook.
GRADE_ALIASES = {
    "c": Grade.CONFORMITY, "conform": Grade.CONFORMITY, "conforming": Grade.CONFORMITY,
    "gp": Grade.GOOD_PRACTICE, "good-practice": Grade.GOOD_PRACTICE, "good practice": Grade.GOOD_PRACTICE,
    "opportunity for improvement": Grade.OFI,
    "obs": Grade.OBSERVATION,
    "minor": Grade.MINOR_NC, "min": Grade.MINOR_NC, "minor-nc": Grade.MINOR_NC, "minor nc": Grade.MINOR_NC,
    "minor nonconformity": Grade.MINOR_NC,
    "major": Grade.MAJOR_NC, "maj": Grade.MAJOR_NC, "major-nc": Grade.MAJOR_NC, "major nc": Grade.MAJOR_NC,
    "major nonconformity": Grade.MAJOR_NC,
    "na": Grade.NOT_APPLICABLE, "n/a": Grade.NOT_APPLICABLE, "not-applicable": Grade.NOT_APPLICABLE,
    "not applicable": Grade.NOT_APPLICABLE,
    "not-assessed": Grade.NOT_ASSESSED, "not assessed": Grade.NOT_ASSESSED, "-": Grade.NOT_ASSESSED,
    "": Grade.NOT_ASSESSED,
}


def parse_grade(text: str) -> Grade:
    key = text.strip().lower()
    for grade in Grade:
        if key in (grade.value, grade.label.lower()):
            return grade
    if key in GRADE_ALIASES:
        return GRADE_ALIASES[key]
    raise ValueError(text)


class EvidenceKind(StrEnum):
    DOCUMENT = "document"
    RECORD = "record"
    INTERVIEW = "interview"
    OBSERVATION = "observation"
    DATA = "data"


class TeamMember(StrictModel):
    name: NonEmpty
    home_unit: str | None = Field(default=None, description="The unit the auditor belongs to.")
    role: Literal["lead", "auditor", "observer", "technical-expert"] = "auditor"


class Participant(StrictModel):
    name: NonEmpty
    position: str | None = None
    unit: str | None = None


class IndependenceOverride(StrictModel):
    auditor: NonEmpty
    justification: NonEmpty
    by: NonEmpty
    at: dt.datetime


class Scope(StrictModel):
    auditee_unit: NonEmpty
    unit_code: UnitCode = Field(description="Short code of the auditee unit used in finding ids, e.g. FOE.")
    processes: list[NonEmpty] = Field(default_factory=list)
    clauses: list[NonEmpty] = Field(
        default_factory=list, description="Top-level clauses in scope; empty means every auditable clause.")
    exclusions: str | None = Field(default=None, description="What is left out of scope, and why.")


class Criteria(StrictModel):
    standard: NonEmpty
    version: NonEmpty
    other: list[NonEmpty] = Field(default_factory=list, description="Further criteria: policies, regulations.")
    sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the standard's text as pinned when the audit was planned (a copy is kept in "
                    "criteria/standard.yaml); none for audits planned before criteria were pinned.")


class AuditPlan(StrictModel):
    objectives: list[NonEmpty] = Field(default_factory=list)
    scope: Scope
    criteria: Criteria
    client: str | None = Field(default=None, description="Who asked for the audit.")
    lead: TeamMember
    team: list[TeamMember] = Field(default_factory=list)
    auditee_participants: list[Participant] = Field(default_factory=list)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    locations: list[NonEmpty] = Field(default_factory=list)
    method: str | None = Field(default=None, description="How evidence is gathered: review, interview, ...")
    sampling: str | None = Field(default=None, description="The sampling approach.")
    confidentiality: str | None = None
    distribution: list[NonEmpty] = Field(default_factory=list)

    def auditors(self) -> list[TeamMember]:
        return [self.lead, *self.team]


class StatusChange(StrictModel):
    status: AuditStatus
    at: dt.datetime
    by: NonEmpty
    reason: str | None = None


class ReportApproval(StrictModel):
    """The lead auditor's approval of the audit report (ISO 19011:2018 6.5.1); the log entry that records it
    carries their electronic signature."""

    by: NonEmpty
    at: dt.datetime
    note: str | None = None


class AuditRecord(StrictModel):
    """`audit.json`."""

    format: Literal[1] = 1
    id: NonEmpty
    title: NonEmpty
    kind: Literal["internal", "external", "self-assessment"] = "internal"
    status: AuditStatus = AuditStatus.PLANNED
    plan: AuditPlan
    created_at: dt.datetime
    created_by: NonEmpty
    history: list[StatusChange] = Field(default_factory=list)
    independence_overrides: list[IndependenceOverride] = Field(default_factory=list)
    approvals: list[ReportApproval] = Field(default_factory=list, exclude_if=lambda a: not a)

    @property
    def standard_id(self) -> str:
        return self.plan.criteria.standard

    @property
    def standard_version(self) -> str:
        return self.plan.criteria.version

    @property
    def is_closed(self) -> bool:
        return self.status is AuditStatus.CLOSED


class Sample(StrictModel):
    size: Annotated[int, Field(ge=1)]
    population: Annotated[int, Field(ge=1)] | None = None
    description: str | None = None

    def __str__(self) -> str:
        text = f"{self.size}" + (f" of {self.population}" if self.population else "")
        return text + (f" ({self.description})" if self.description else "")


class EvidenceFile(StrictModel):
    path: NonEmpty = Field(description="Path inside the audit folder, under evidence/.")
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=0)]
    original_name: NonEmpty


class Evidence(StrictModel):
    id: EvidenceId
    phase: Phase
    kind: EvidenceKind
    text: NonEmpty
    reference: str | None = Field(default=None, description="Document number, URL, location, interviewee.")
    file: EvidenceFile | None = None
    sample: Sample | None = None
    collected_by: NonEmpty
    collected_at: dt.datetime
    source: Literal["auditor", "desk-review", "credentials-check", "import"] = "auditor"
    # Optional so that entries written before edits were possible still load; the log holds every old value.
    edited_by: str | None = Field(default=None, description="Who last changed the entry, if anyone did.")
    edited_at: dt.datetime | None = None


class RequirementResult(StrictModel):
    # Defaults are left out of the files: a level-rated result reads {"level": 3}, not a grade beside it.
    grade: Grade = Field(default=Grade.NOT_ASSESSED, exclude_if=lambda g: g is Grade.NOT_ASSESSED)
    level: Annotated[int, Field(ge=0, le=10)] | None = Field(
        default=None, description="For standards rated on levels (self-assessments).")
    note: str = Field(default="", exclude_if=lambda n: n == "")
    na_reason: str | None = None
    evidence: list[Evidence] = Field(default_factory=list, exclude_if=lambda e: not e)
    rated_by: str | None = None
    rated_at: dt.datetime | None = None

    @property
    def phases(self) -> set[Phase]:
        return {e.phase for e in self.evidence}


class DisputedRating(StrictModel):
    """One auditor's rating of a requirement that another auditor rated differently in another clone."""

    grade: Grade = Field(default=Grade.NOT_ASSESSED, exclude_if=lambda g: g is Grade.NOT_ASSESSED)
    level: Annotated[int, Field(ge=0, le=10)] | None = None
    note: str = Field(default="", exclude_if=lambda n: n == "")
    na_reason: str | None = None
    by: str | None = Field(default=None, description="Who rated it (unknown when only a note was written).")
    at: dt.datetime | None = None


class Dispute(StrictModel):
    """Two or more ratings of one requirement made apart and met in a `git merge`. The result holds one of them
    (the most severe) until the lead auditor settles the dispute by rating the requirement."""

    ratings: list[DisputedRating] = Field(min_length=2)


class ClauseResults(StrictModel):
    """`results/clause-NN.json`: every touched requirement of one top-level clause, keyed by ref."""

    format: Literal[1] = 1
    clause: NonEmpty
    results: dict[str, RequirementResult] = Field(default_factory=dict)
    # left out while there is none, so files written before disputes existed keep their bytes
    disputes: dict[str, Dispute] = Field(
        default_factory=dict, exclude_if=lambda d: not d,
        description="Requirements rated differently by auditors whose work was merged, until the lead settles them.")


# --- findings and corrective action (ISO 9001:2015 10.2, domain reference §4) ---------------------------


class NcSource(StrEnum):
    INTERNAL_AUDIT = "internal_audit"
    EXTERNAL_AUDIT = "external_audit"
    COMPLAINT = "complaint"
    LEARNER_FEEDBACK = "learner_feedback"
    INDUSTRY_FEEDBACK = "industry_feedback"
    MANAGEMENT_REVIEW = "management_review"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class RcaMethod(StrEnum):
    FIVE_WHYS = "5-whys"
    ISHIKAWA = "ishikawa"
    FAULT_TREE = "fault-tree"
    EIGHT_D = "8d"
    PARETO = "pareto"
    PROCESS_MAPPING = "process-mapping"
    OTHER = "other"


class Step(StrictModel):
    """One recorded CAPA step: what was done, by whom, when."""

    text: NonEmpty
    by: NonEmpty
    at: dt.datetime


class RootCause(StrictModel):
    method: RcaMethod
    statement: NonEmpty
    analysis: str | None = Field(default=None, description="The working: the five whys, the fishbone, ...")
    by: NonEmpty
    at: dt.datetime


class ActionStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class CapaAction(StrictModel):
    id: Annotated[str, StringConstraints(pattern=r"^A[0-9]+$")]
    description: NonEmpty
    owner: NonEmpty
    due: dt.date
    status: ActionStatus = ActionStatus.PLANNED
    done_at: dt.datetime | None = None
    done_note: str | None = None
    planned_by: NonEmpty
    planned_at: dt.datetime


class VerificationResult(StrEnum):
    EFFECTIVE = "effective"
    NOT_EFFECTIVE = "not-effective"


class Verification(StrictModel):
    actions: list[NonEmpty] = Field(default_factory=list, description="The actions whose effect was verified.")
    method: NonEmpty
    by: NonEmpty
    on: dt.date
    result: VerificationResult
    note: str | None = None
    recorded_at: dt.datetime


class CapaEvent(StrictModel):
    stage: NonEmpty
    at: dt.datetime
    by: NonEmpty
    note: str | None = None


class Capa(StrictModel):
    correction: Step | None = Field(default=None, description="Immediate correction of the nonconformity.")
    containment: Step | None = Field(default=None, description="Containing it and dealing with consequences.")
    root_cause: RootCause | None = None
    similar: Step | None = Field(default=None, description="Whether similar NCs exist or could occur.")
    actions: list[CapaAction] = Field(default_factory=list)
    verifications: list[Verification] = Field(default_factory=list)
    risk_update: Step | None = Field(default=None, description="Risks and opportunities updated.")
    qms_update: Step | None = Field(default=None, description="Changes made to the QMS.")
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    history: list[CapaEvent] = Field(default_factory=list)


class AuditeeResponse(StrictModel):
    position: Literal["acknowledged", "disputed"]
    text: str = ""
    by: NonEmpty
    at: dt.datetime
    resolved: bool = Field(default=False, description="For a dispute: whether the diverging opinion was resolved.")


class Finding(StrictModel):
    """`findings/<id>.json` in an audit, or `ncs/<id>.json` for NCs raised outside audits."""

    format: Literal[1] = 1
    id: FindingId
    grade: Grade
    source: NcSource = NcSource.INTERNAL_AUDIT
    audit_id: str | None = None
    standard: str | None = None
    ref: str | None = Field(default=None, description="The requirement it concerns, when there is one.")
    unit: str | None = Field(default=None, description="The unit concerned.")
    statement: NonEmpty
    evidence: str = Field(default="", description="The objective evidence, summarised.")
    evidence_ids: list[str] = Field(
        default_factory=list, description="Evidence entries of the requirement this finding rests on.")
    raised_by: NonEmpty
    raised_at: dt.datetime
    response_due: dt.date | None = Field(default=None, description="When correction is due, as agreed.")
    response: AuditeeResponse | None = None
    capa: Capa | None = None
    withdrawn: str | None = Field(default=None, description="Why the finding was withdrawn, if it was.")
