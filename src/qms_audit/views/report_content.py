"""Everything an audit report says, gathered once from the records; the Word and Excel reports both render
it, so they cannot disagree and neither can drop a field the records hold."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qms_audit.domain import capa_rules as capa
from qms_audit.domain.audit_rules import effective_status
from qms_audit.domain.capa_rules import overdue_actions
from qms_audit.domain.means import Shown
from qms_audit.domain.presentation import (
    GRADE_MARKS,
    ROOT_CAUSE_METHOD_WORDS,
    VERIFICATION_WORDS,
    capa_stage_words,
    date,
    pct,
    result_label,
)
from qms_audit.domain.scoring import (
    MATURITY_LABELS,
    VERDICT_INCOMPLETE,
    VERDICT_NOT_CONFORMING,
    AuditScore,
    score_snapshot,
)
from qms_audit.infra import clock
from qms_audit.infra.errors import QmsError
from qms_audit.infra.i18n import N_, NP_, _, current_language, format_decimal, ngettext, pgettext
from qms_audit.model.audit import (
    GRADE_LABELS,
    AuditPlan,
    AuditRecord,
    AuditStatus,
    Finding,
    Grade,
    RequirementResult,
    Sample,
)
from qms_audit.model.common import Phase
from qms_audit.model.log import LogEntry
from qms_audit.model.profile import InstitutionProfile
from qms_audit.model.standard import Requirement, Standard
from qms_audit.services.auditing import OpenedAudit
from qms_audit.store.audits import AuditSnapshot
from qms_audit.store.eventlog import ordered

if TYPE_CHECKING:  # the portfolio and the programme are loaded only when a report is gathered
    from qms_audit.model.programme import PlannedAudit, Programme
    from qms_audit.services.portfolio import AuditDigest

SAMPLING_STATEMENT = N_(
    "An audit examines a sample of the available information: documents, records, interviews and observations "
    "chosen as described in the sampling approach. Its conclusions rest on that sample, so the evidence may not "
    "be fully representative of every activity of the auditee, and conformity elsewhere is not certified."
)

# -- words for the records' codes ---------------------------------------------------------------------------
# The records keep codes (a phase letter, an evidence kind, a status); the report words them in the reader's
# language. In English a code's words are the code itself where the report always printed it so.

PHASE_WORDS = {"P": NP_("PDCA phase", "Plan"), "D": NP_("PDCA phase", "Do"), "C": NP_("PDCA phase", "Check"),
               "A": NP_("PDCA phase", "Act")}
EVIDENCE_KINDS = {"document": NP_("evidence kind", "document"), "record": NP_("evidence kind", "record"),
                  "interview": NP_("evidence kind", "interview"),
                  "observation": NP_("evidence kind", "observation"), "data": NP_("evidence kind", "data")}
EVIDENCE_SOURCES = {"auditor": NP_("evidence source", "auditor"),
                    "desk-review": NP_("evidence source", "desk-review"),
                    "credentials-check": NP_("evidence source", "credentials-check"),
                    "import": NP_("evidence source", "import")}
TEAM_ROLES = {"lead": NP_("team role", "lead"), "auditor": NP_("team role", "auditor"),
              "observer": NP_("team role", "observer"), "technical-expert": NP_("team role", "technical-expert")}
FORCES = {"must": NP_("force", "must"), "should": NP_("force", "should")}
FORCE_WORDS = {"must": N_("required"), "should": N_("recommended")}
ACTION_STATUSES = {"planned": NP_("action status", "planned"), "done": NP_("action status", "done"),
                   "cancelled": NP_("action status", "cancelled")}
VERIFICATION_RESULTS = {"effective": NP_("verification result", "effective"),
                        "not-effective": NP_("verification result", "not-effective")}
RCA_METHODS = {"5-whys": NP_("method", "5-whys"), "ishikawa": NP_("method", "ishikawa"),
               "fault-tree": NP_("method", "fault-tree"), "8d": NP_("method", "8d"),
               "pareto": NP_("method", "pareto"), "process-mapping": NP_("method", "process-mapping"),
               "other": NP_("method", "other")}
POSITIONS = {"acknowledged": NP_("auditee position", "acknowledged"),
             "disputed": NP_("auditee position", "disputed"),
             "no response yet": NP_("auditee position", "no response yet")}
# corrective-action stages (`capa_rules.stage`) as the registers' stage column shows them: the code itself in
# English, which a register is filtered on; a short word in the other languages
CAPA_STAGES = {"open": NP_("capa stage", "open"), "correction": NP_("capa stage", "correction"),
               "analysed": NP_("capa stage", "analysed"),
               "actions-in-progress": NP_("capa stage", "actions-in-progress"),
               "awaiting-verification": NP_("capa stage", "awaiting-verification"),
               "verified": NP_("capa stage", "verified"), "reopened": NP_("capa stage", "reopened"),
               "closed": NP_("capa stage", "closed")}
AUDIT_STATUSES = {"planned": NP_("audit status", "planned"), "in_progress": NP_("audit status", "in progress"),
                  "reported": NP_("audit status", "reported"), "follow_up": NP_("audit status", "follow up"),
                  "closed": NP_("audit status", "closed")}
MATURITY_WORDS = {0: NP_("maturity", "none"), 1: NP_("maturity", "planned"), 2: NP_("maturity", "done"),
                  3: NP_("maturity", "checked"), 4: NP_("maturity", "acted")}  # scoring's MATURITY_LABELS
SPECIAL_BANDS = {"not-applicable": N_("Not applicable"), "not-assessed": N_("Not assessed"),
                 "insufficient-coverage": N_("Insufficient coverage")}
VERDICT_WORDS = {VERDICT_INCOMPLETE: N_("Incomplete: not enough evidence to conclude"),
                 VERDICT_NOT_CONFORMING: N_("Not conforming")}

# The Indonesian PPEPP cycle (SPMI) beside PDCA, for an institution whose profile says `quality_cycle: ppepp`:
# Plan is Penetapan, Do Pelaksanaan, Check Evaluasi, and Act is split into Pengendalian and Peningkatan.
PPEPP_STEPS = {"P": ("Penetapan",), "D": ("Pelaksanaan",), "C": ("Evaluasi",),
               "A": ("Pengendalian", "Peningkatan")}
PPEPP_WORDS = {"Penetapan": N_("Penetapan (setting the standard)"),
               "Pelaksanaan": N_("Pelaksanaan (carrying out the standard)"),
               "Evaluasi": N_("Evaluasi (evaluating its fulfilment, by the internal audit among other means)"),
               "Pengendalian": N_("Pengendalian (correcting the gaps found, decided at the management review)"),
               "Peningkatan": N_("Peningkatan (raising the standard for the next cycle)")}


def words(table: dict[str, str], code: str, context: str | None = None) -> str:
    """A record's code in the reader's words (`table` holds the English, marked); an unknown code as it is."""
    if code not in table:
        return code
    return pgettext(context, table[code]) if context else _(table[code])


def phase_words(code: str) -> str:
    return words(PHASE_WORDS, code, "PDCA phase")


def maturity_words(level: int) -> str:
    if level not in MATURITY_WORDS:
        return MATURITY_LABELS.get(level, str(level))
    return pgettext("maturity", MATURITY_WORDS[level])


def status_words(status: AuditStatus) -> str:
    return words(AUDIT_STATUSES, status.value, "audit status")


def position_words(position: str) -> str:
    return words(POSITIONS, position, "auditee position")


def band_words(band: str, label: str) -> str:
    """A clause's band: the standard's label (in its translation), or the words of a band scoring adds."""
    return _(SPECIAL_BANDS[band]) if band in SPECIAL_BANDS else label


def verdict_words(score: AuditScore) -> str:
    return _(VERDICT_WORDS[score.verdict]) if score.verdict in VERDICT_WORDS else score.verdict_label


def shown_text(shown: Shown) -> str:
    """`Shown.text` in the reader's words: "74%", or "not scored (coverage 33%)"."""
    if shown.score is not None:
        return pct(shown.score)
    if shown.coverage is None:
        return _("not applicable")
    return _("not scored (coverage {coverage})").format(coverage=pct(shown.coverage))


def shown_short(shown: Shown) -> str:
    if shown.score is not None:
        return pct(shown.score)
    return _("not applicable") if shown.coverage is None else _("not scored")


def month_words(month: str) -> str:
    """A programme's month, 'YYYY-MM' in the records: as it is in English, 'Februari 2027' in Indonesian."""
    language = current_language()
    if language == "en":
        return month
    try:
        first = dt.date(int(month[:4]), int(month[5:7]), 1)
    except ValueError:
        return month
    from babel.dates import format_date as babel_date

    return babel_date(first, "LLLL y", locale=language)


def decimal(value: float | None, places: int = 1, none: str = "—") -> str:
    return none if value is None else format_decimal(value, places=places)


# The reasons scoring gives for its verdict (domain/scoring.py), in the reader's words: each form scoring writes
# is matched here and worded again with its figures, so the rule stays in scoring and only the words change.
_REASONS: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"^(\d+) open major nonconformit(?:y|ies)$"),
     lambda m: ngettext("{n} open major nonconformity", "{n} open major nonconformities",
                        int(m[1])).format(n=m[1])),
    (re.compile(r"^(\d+) open minor nonconformit(?:y|ies)$"),
     lambda m: ngettext("{n} open minor nonconformity", "{n} open minor nonconformities",
                        int(m[1])).format(n=m[1])),
    (re.compile(r"^coverage (\S+) \(threshold (\S+)\)$"),
     lambda m: _("coverage {coverage} (threshold {threshold})").format(coverage=m[1], threshold=m[2])),
    (re.compile(r"^clauses below the coverage threshold: (.*)$"),
     lambda m: _("clauses below the coverage threshold: {clauses}").format(clauses=m[1])),
    (re.compile(r"^clauses not assessed: (.*)$"),
     lambda m: _("clauses not assessed: {clauses}").format(clauses=m[1])),
    (re.compile(r"^clauses below the pass band: (.*)$"),
     lambda m: _("clauses below the pass band: {clauses}").format(clauses=m[1])),
    (re.compile(r"^overall score (\S+): (.*)$"),
     lambda m: _("overall score {score}: {band}").format(score=m[1], band=m[2])),
]


def reason_words(reason: str) -> str:
    for pattern, word in _REASONS:
        match = pattern.match(reason)
        if match:
            return word(match)  # type: ignore[operator]
    return reason


def verdict_reasons(score: AuditScore) -> list[str]:
    return [reason_words(r) for r in score.verdict_reasons]


@dataclass
class EvidenceRow:
    ref: str
    id: str
    phase: str
    kind: str
    text: str
    reference: str
    file: str
    sha256: str
    sample: str
    collected_by: str
    collected_at: str
    source: str

    def summary(self) -> str:
        out = _("{phase}, {kind}: {text}").format(phase=phase_words(Phase(self.phase).value),
                                                  kind=words(EVIDENCE_KINDS, self.kind, "evidence kind"),
                                                  text=self.text)
        if self.reference:
            out += f" [{self.reference}]"
        if self.file:
            out += " " + _("(file {file})").format(file=self.file)
        if self.sample:
            out += " " + _("(sample {sample})").format(sample=self.sample)
        return out


@dataclass
class RequirementRow:
    ref: str
    title: str
    question: str
    force: str
    pdca: str
    rating: str
    grade: str
    note: str
    na_reason: str
    rated_by: str
    evidence: list[EvidenceRow]
    findings: list[str]
    maturity: int


@dataclass
class ClauseSection:
    number: str
    title: str
    score: float | None  # shown only with enough coverage (see `shown`)
    raw_score: float | None
    coverage: float | None
    band: str
    capped: bool
    maturity: float | None
    assessed: int
    applicable: int
    rows: list[RequirementRow]

    @property
    def shown(self) -> Shown:
        """The score as the report shows it: "74%", or "not scored (coverage 33%)"."""
        return Shown(self.score, self.coverage)


@dataclass
class ActionRow:
    id: str
    description: str
    owner: str
    due: str
    status: str
    done: str
    note: str
    overdue: bool


@dataclass
class FindingRow:
    id: str
    grade: str
    grade_key: str
    ref: str
    requirement: str
    statement: str
    evidence: str
    raised: str
    response_due: str
    position: str
    response_text: str
    response_by: str
    resolved: bool
    stage: str
    overdue: bool
    next_due: str
    owners: str
    correction: str = ""
    containment: str = ""
    root_cause: str = ""
    analysis: str = ""
    similar: str = ""
    actions: list[ActionRow] = field(default_factory=list)
    verifications: list[str] = field(default_factory=list)
    risk_update: str = ""
    qms_update: str = ""
    closed: str = ""
    history: list[str] = field(default_factory=list)
    # the same in a manager's words (the workbooks keep the codes above, to filter on)
    root_cause_words: str = ""
    verification_words: list[str] = field(default_factory=list)

    @property
    def is_nc(self) -> bool:
        return self.grade_key in (Grade.MINOR_NC.value, Grade.MAJOR_NC.value)

    @property
    def mark(self) -> str:
        """The grade as the report marks it: "MAJOR NC", "Minor NC", ..."""
        return _(GRADE_MARKS[self.grade_key]) if self.grade_key in GRADE_MARKS else self.grade

    @property
    def stage_words(self) -> str:
        return capa_stage_words(self.stage, late=self.overdue) if self.is_nc else ""


@dataclass
class SealLine:
    """The seal of a closed audit as the report prints it, so that anyone holding the report can check the
    audit against it (`qms-audit verify AUDIT --report FILE`)."""

    seq: int
    hash: str
    at: dt.datetime
    signer: str
    key_id: str
    meaning: str = ""  # what the signer declared, as signed ("closed the audit and sealed its files")


def current_seal(entries: list[LogEntry]) -> SealLine | None:
    """The closing entry that seals the audit now: the last one, unless a reopening came after it."""
    for entry in reversed(entries):
        if entry.action == "audit.reopen":
            return None
        if entry.action == "audit.close" and entry.manifest is not None:
            signed = entry.signed_by
            return SealLine(entry.seq, entry.hash, entry.at, signed.name if signed else entry.actor,
                            signed.key_id if signed else "", signed.meaning if signed else "")
    return None


@dataclass
class ApprovalLine:
    """The latest approval of the report, with how many changes to the audit's records came after it."""

    by: str
    at: dt.datetime
    key_id: str
    changes_since: int
    meaning: str = ""  # what the signer declared, as signed
    seq: int = 0


def current_approval(entries: list[LogEntry]) -> ApprovalLine | None:
    for i in range(len(entries) - 1, -1, -1):
        entry = entries[i]
        if entry.action == "report.approve":
            later = sum(1 for e in entries[i + 1:] if any(rel.startswith(("results/", "findings/"))
                                                           for rel in e.files))
            signed = entry.signed_by
            return ApprovalLine(entry.actor, entry.at, signed.key_id if signed else "", later,
                                signed.meaning if signed else "", entry.seq)
    return None


@dataclass(frozen=True)
class Standing:
    """Where the report stands. A draft while the audit is open, numbered 0.N before the first seal (N counting
    the lead auditor's approvals, one more when the records changed since the last); final once the audit is
    closed and sealed, version 1.0, then 2.0 if it is reopened and sealed again (and 1.N drafts between)."""

    final: bool
    version: str

    @property
    def label(self) -> str:
        return (_("Version {version}") if self.final else _("Draft {version}")).format(version=self.version)


def report_standing(entries: list[LogEntry]) -> Standing:
    seals = [i for i, e in enumerate(entries) if e.action == "audit.close" and e.manifest is not None]
    if current_seal(entries) is not None:
        return Standing(True, f"{len(seals)}.0")
    since = seals[-1] + 1 if seals else 0
    approvals = sum(1 for e in entries[since:] if e.action == "report.approve")
    approval = current_approval(entries)
    standing_approval = (approval is not None and approval.changes_since == 0
                         and any(e.seq == approval.seq for e in entries[since:]))
    return Standing(False, f"{len(seals)}.{approvals + (0 if standing_approval else 1)}")


@dataclass
class ApprovalStep:
    """One line of the approval block: who prepared, reviewed, approved and sealed the report, and how."""

    step: str
    name: str
    date: str
    signature: str


@dataclass
class TimetableRow:
    when: str
    activity: str
    who: str


@dataclass
class ScopeView:
    """The scope as planned, and the clauses of it the exclusions leave to another visit."""

    planned: list[str]  # clause numbers in the planned scope
    deferred: list[str]  # clause numbers of the planned scope the exclusions name
    outside: list[str]  # auditable clauses outside the planned scope

    @property
    def audited(self) -> list[str]:
        return [n for n in self.planned if n not in self.deferred]


@dataclass
class ReportData:
    record: AuditRecord
    standard: Standard
    score: AuditScore
    institution: str
    report_id: str
    version: str
    as_of: dt.date
    status: str
    clauses: list[ClauseSection]
    findings: list[FindingRow]
    good_practices: list[RequirementRow]
    disputes: list[FindingRow]
    not_covered: list[tuple[str, str]]
    evidence: list[EvidenceRow]
    conclusions: list[str]
    fulfilment: str
    top_risks: list[str]
    log_entries: int
    withdrawn: list[FindingRow]
    seal: SealLine | None = None
    approval: ApprovalLine | None = None
    standing: Standing = field(default_factory=lambda: Standing(False, "0.1"))
    approvals: list[ApprovalStep] = field(default_factory=list)
    scope: ScopeView = field(default_factory=lambda: ScopeView([], [], []))
    timetable: list[TimetableRow] = field(default_factory=list)
    obstacles: list[str] = field(default_factory=list)
    objectives: list[tuple[str, str]] = field(default_factory=list)  # (objective, conclusion)
    programme: list[str] = field(default_factory=list)
    # the institution's quality cycle (institution.yaml `quality_cycle`): "ppepp" shows PPEPP beside PDCA
    quality_cycle: str = "pdca"
    # the standard's texts in the reader's language come from its overlay; these places stayed English
    untranslated: list[str] = field(default_factory=list)
    grade_labels: dict[Grade, str] = field(default_factory=dict)  # the translation's, where it has its own

    @property
    def verdict(self) -> str:
        return verdict_words(self.score)

    @property
    def verdict_reasons(self) -> list[str]:
        return verdict_reasons(self.score)

    @property
    def title(self) -> str:
        return self.record.title


def sample_words(sample: Sample) -> str:
    """`Sample.__str__` in the reader's words: "3 of 11 (the MCs of 2026)"."""
    text = (_("{size} of {population}").format(size=sample.size, population=sample.population)
            if sample.population else str(sample.size))
    return text + (f" ({sample.description})" if sample.description else "")


def _evidence_rows(ref: str, result) -> list[EvidenceRow]:
    return [EvidenceRow(
        ref=ref, id=e.id, phase=e.phase.value, kind=e.kind.value, text=e.text, reference=e.reference or "",
        file=e.file.original_name if e.file else "", sha256=e.file.sha256 if e.file else "",
        sample=sample_words(e.sample) if e.sample else "", collected_by=e.collected_by,
        collected_at=date(e.collected_at),
        source=e.source) for e in result.evidence]


def grade_words(grade: Grade, grades: dict[Grade, str] | None = None) -> str:
    """A grade's label: the standard's translation (its overlay) where it has one, else the catalogue's."""
    own = grades.get(grade) if grades else None
    return own if own and own != GRADE_LABELS[grade] else grade.label


def _finding_row(f: Finding, standard: Standard | None, today: dt.date,
                 grades: dict[Grade, str] | None = None) -> FindingRow:
    """One finding as the reports list it; `standard` is None when it cannot be loaded (a register NC
    against a standard since removed): the requirement's title is then left blank. `grades`: the grade labels of
    the standard's translation."""
    req = standard.requirement(f.ref) if f.ref and standard is not None else None
    row = FindingRow(
        id=f.id, grade=grade_words(f.grade, grades), grade_key=f.grade.value, ref=f.ref or "",
        requirement=req.title if req else "", statement=f.statement, evidence=f.evidence,
        raised=_("{date} by {name}").format(date=date(f.raised_at), name=f.raised_by),
        response_due=date(f.response_due), position=f.response.position if f.response else "no response yet",
        response_text=f.response.text if f.response else "", response_by=f.response.by if f.response else "",
        resolved=bool(f.response and f.response.resolved), stage=capa.stage(f) if f.grade.is_nc else "-",
        overdue=capa.is_overdue(f, today), next_due=date(capa.next_due(f)), owners=", ".join(capa.owners(f)))
    c = f.capa
    if c is not None:
        row.correction = _("{text} ({name}, {date})").format(text=c.correction.text, name=c.correction.by,
                                                             date=date(c.correction.at)) if c.correction else ""
        row.containment = _("{text} ({name}, {date})").format(text=c.containment.text, name=c.containment.by,
                                                              date=date(c.containment.at)) if c.containment else ""
        if c.root_cause:
            method = c.root_cause.method.value
            row.root_cause = _("{statement} (method: {method}; {name})").format(
                statement=c.root_cause.statement, method=words(RCA_METHODS, method, "method"), name=c.root_cause.by)
            row.root_cause_words = _("{statement} (found by {name}, {method})").format(
                statement=c.root_cause.statement, name=c.root_cause.by,
                method=_(ROOT_CAUSE_METHOD_WORDS.get(method, ROOT_CAUSE_METHOD_WORDS["other"])))
            row.analysis = c.root_cause.analysis or ""
        row.similar = f"{c.similar.text} ({c.similar.by})" if c.similar else ""
        late = {a.id for a in overdue_actions(f, today)}
        row.actions = [ActionRow(a.id, a.description, a.owner, date(a.due),
                                 words(ACTION_STATUSES, a.status.value, "action status"), date(a.done_at),
                                 a.done_note or "", a.id in late) for a in c.actions]
        row.verifications = [_("{date}: {result}, verified by {name} ({method})").format(
            date=date(v.on), result=words(VERIFICATION_RESULTS, v.result.value, "verification result"), name=v.by,
            method=v.method) + (f"; {v.note}" if v.note else "") for v in c.verifications]
        row.verification_words = [_("{date}: {result}, checked by {name} ({method})").format(
            date=date(v.on), result=_(VERIFICATION_WORDS[v.result.value]) if v.result.value in VERIFICATION_WORDS
            else v.result.value, name=v.by, method=v.method) + (f"; {v.note}" if v.note else "")
            for v in c.verifications]
        row.risk_update = f"{c.risk_update.text} ({c.risk_update.by})" if c.risk_update else ""
        row.qms_update = f"{c.qms_update.text} ({c.qms_update.by})" if c.qms_update else ""
        row.closed = _("{date} by {name}").format(date=date(c.closed_at), name=c.closed_by) if c.closed_at else ""
        row.history = [f"{date(h.at)} {h.stage} ({h.by})" + (f": {h.note}" if h.note else "") for h in c.history]
    return row


def report_id_for(record: AuditRecord, profile: InstitutionProfile | None, year: int) -> str:
    if profile is None:
        return f"IAR-{year}-{record.id}"
    return profile.numbering.report.format(institution=profile.short_name, year=year, audit=record.id, unit="",
                                           number=0, sop_id="")


def localised_criteria(opened: OpenedAudit, language: str | None = None):
    """The audit's criteria in the reader's language: the standard it is judged against (for pinned criteria
    the copy kept with the audit) with the texts of its overlay, `standards/<id>.<language>.yaml` (or
    `<id>@<version>.<language>.yaml`), used when the overlay translates that very version."""
    from qms_audit.services.overlays import OverlayLibrary
    from qms_audit.services.standards import StandardLibrary

    return OverlayLibrary(StandardLibrary(opened.workspace)).localised(opened.standard,
                                                                        language or current_language())


def gather(opened: OpenedAudit, profile: InstitutionProfile | None) -> ReportData:
    localised = localised_criteria(opened)
    std = localised.standard
    grades = localised.grade_labels
    english = opened.standard  # the standard's own words, which the report's rules recognise requirements by
    snap = opened.snapshot
    record, plan = snap.record, snap.record.plan
    score = score_snapshot(std, snap)
    entries = ordered(opened.store.log.entries())
    # the report is dated by its records, so the same records always give the same report
    as_of = entries[-1].at.date() if entries else record.created_at.date()
    today = clock.today()
    active = snap.active_findings()
    scope = scope_view(std, plan)
    programme = _programme(opened)
    this, earlier = _unit_audits(opened, score)
    later = _planned_after(programme, this)
    body = _clause_sections(std, snap, score, active, scope, later, grades)
    findings = [_finding_row(f, std, today, grades)
                for f in sorted(active, key=lambda f: (-f.grade.severity, f.id))]
    withdrawn = [_finding_row(f, std, today, grades) for f in snap.findings.values() if f.withdrawn]
    disputes = [f for f in findings if f.position == "disputed" and not f.resolved]
    standing = report_standing(entries)
    seal, approval = current_seal(entries), current_approval(entries)
    owner = programme.owner if programme is not None else (profile.roles.audit_programme_owner if profile else "")
    return ReportData(
        record=record, standard=std, score=score,
        institution=profile.name if profile else plan.client or "",
        report_id=report_id_for(record, profile, (plan.start_date or as_of).year), version=standing.version,
        as_of=as_of, status=status_words(effective_status(snap)), clauses=body.clauses, findings=findings,
        good_practices=body.good_practices, disputes=disputes, not_covered=body.not_covered, evidence=body.evidence,
        conclusions=_conclusions(score, body), fulfilment=_fulfilment(std, score, plan.scope.auditee_unit, findings),
        top_risks=_top_risks(std, findings), log_entries=len(entries), withdrawn=withdrawn,
        seal=seal, approval=approval, standing=standing,
        approvals=_approval_steps(record, seal, _approval_of_this_version(entries, approval, standing), owner),
        scope=scope,
        timetable=_timetable(record, entries, std),
        obstacles=_obstacles(record, std, scope, body, snap, disputes),
        objectives=_objective_conclusions(std, english, snap, score, scope, body, findings, earlier, later,
                                          grades),
        programme=_programme_notes(std, this, earlier, findings, programme, later),
        quality_cycle=profile.quality_cycle if profile else "pdca", untranslated=localised.missing,
        grade_labels=grades)


# -- scope: what was planned, and what the exclusions leave out -------------------------------------------------

_CLAUSE_MENTION = re.compile(r"\bclauses?\s+((?:\d+(?:\.\d+)*)(?:\s*(?:,|and|&|or)\s*\d+(?:\.\d+)*)*)", re.I)


def scope_view(std: Standard, plan: AuditPlan) -> ScopeView:
    """The clauses in the planned scope, and those of them the exclusions name ("Clause 10 is left to the
    follow-up visit"): an empty list of clauses means every auditable clause, so without this a clause would be
    both in scope and excluded. The scores still count a deferred clause as in scope and not assessed (they
    follow the plan); the report says so where it gives the coverage."""
    auditable = [c.number for c in std.auditable_clauses()]
    planned = [n for n in auditable if not plan.scope.clauses or n in plan.scope.clauses]
    named = {number for match in _CLAUSE_MENTION.finditer(plan.scope.exclusions or "")
             for number in re.findall(r"\d+(?:\.\d+)*", match.group(1))}
    return ScopeView(planned=planned, deferred=[n for n in planned if n in named],
                     outside=[n for n in auditable if n not in planned])


def _clause_name(std: Standard, number: str) -> str:
    clause = std.clause(number)
    return f"{number} {clause.title}" if clause else number


def _planned_for(number: str, later: list[PlannedAudit]) -> PlannedAudit | None:
    return next((p for p in later if not p.clauses or number in p.clauses), None)


def _planned_note(number: str, later: list[PlannedAudit]) -> str:
    planned = _planned_for(number, later)
    return _("; the audit programme plans it for {month} (lead {lead})").format(
        month=month_words(planned.month), lead=planned.lead) if planned else ""


# -- the unit's audits and the programme ------------------------------------------------------------------------


def _programme(opened: OpenedAudit) -> Programme | None:
    """The workspace's audit programme, if it has one that loads; a report is made without it otherwise."""
    from qms_audit.services.programme import load_programme

    try:
        return load_programme(opened.workspace)
    except QmsError:
        return None


def _planned_after(programme: Programme | None, this: AuditDigest) -> list[PlannedAudit]:
    from qms_audit.services.programme import planned_after

    return planned_after(programme, this) if programme is not None else []


def _unit_audits(opened: OpenedAudit, score: AuditScore) -> tuple[AuditDigest, list[AuditDigest]]:
    """This audit as the portfolio sees it, and the workspace's other audits (its unit's earlier ones among them);
    an audit that cannot be read is left out, as the portfolio views leave it out."""
    from qms_audit.services.portfolio import LoadedAudit, digest, load_digests

    this = digest(LoadedAudit(opened.id, opened.snapshot, opened.standard, score), details=False)
    try:
        others = [d for d in load_digests(opened.workspace, errors=[]) if d.id != opened.id]
    except QmsError:
        others = []
    return this, others


@dataclass
class _ClauseBody:
    """What the walk through the standard's clauses collects for the report, in the standard's order."""

    clauses: list[ClauseSection] = field(default_factory=list)
    evidence: list[EvidenceRow] = field(default_factory=list)
    good_practices: list[RequirementRow] = field(default_factory=list)
    not_covered: list[tuple[str, str]] = field(default_factory=list)
    not_assessed: list[str] = field(default_factory=list)  # refs in the audited clauses, not rated
    no_reason: int = 0  # of those, how many have no note, evidence or dispute to say why


def _clause_sections(std: Standard, snap: AuditSnapshot, score: AuditScore, active: list[Finding],
                     scope: ScopeView, later: list[PlannedAudit],
                     grades: dict[Grade, str] | None = None) -> _ClauseBody:
    findings_by_ref: dict[str, list[str]] = {}
    for f in active:
        findings_by_ref.setdefault(f.ref or "", []).append(f.id)
    disputed = set(snap.disputes)
    exclusions = snap.record.plan.scope.exclusions or ""
    body = _ClauseBody()
    for top in std.clauses:
        clause_score = score.clauses.get(top.number)
        if clause_score is None:
            continue
        rows = []
        deferred_refs = []
        for req in top.all_requirements():
            result = snap.result(req.ref)
            row = _requirement_row(std, score, req, result, findings_by_ref.get(req.ref, []), grades)
            body.evidence.extend(row.evidence)
            rows.append(row)
            if result.grade is Grade.GOOD_PRACTICE:
                body.good_practices.append(row)
            why = _why_not_covered(std, result, req.ref in disputed)
            if why and top.number in scope.deferred and result.grade is not Grade.NOT_APPLICABLE:
                deferred_refs.append(req.ref)
            elif why:
                body.not_covered.append((f"{req.ref} {req.title}", why))
                if result.grade is not Grade.NOT_APPLICABLE:
                    body.not_assessed.append(req.ref)
                    body.no_reason += why == _(NO_REASON)
        if deferred_refs:
            # one row for the clause left to another visit, with the reason recorded for it
            body.not_covered.append((
                _("Clause {number} {title} ({refs})").format(number=top.number, title=top.title,
                                                            refs=", ".join(deferred_refs)),
                _("left to a later visit: {exclusions}").format(exclusions=exclusions)
                + _planned_note(top.number, later)))
        body.clauses.append(ClauseSection(
            number=top.number, title=top.title, score=clause_score.score, raw_score=clause_score.raw_score,
            coverage=clause_score.coverage, band=band_words(clause_score.band, clause_score.band_label),
            capped=clause_score.capped,
            maturity=clause_score.maturity, assessed=clause_score.assessed, applicable=clause_score.applicable,
            rows=rows))
    for number in reversed(score.out_of_scope):
        why = _("outside the scope agreed for this audit") + (f" ({exclusions})" if exclusions else "")
        body.not_covered.insert(0, (_("Clause {clause}").format(clause=_clause_name(std, number)),
                                    why + _planned_note(number, later)))
    return body


def rating_words(std: Standard, result: RequirementResult, grades: dict[Grade, str] | None = None) -> str:
    """`result_label` with the grade labels of the standard's translation."""
    if std.uses_levels and result.level is not None and result.grade is not Grade.NOT_APPLICABLE:
        return result_label(std, result)
    return grade_words(result.grade, grades)


def _requirement_row(std: Standard, score: AuditScore, req: Requirement, result: RequirementResult,
                     findings: list[str], grades: dict[Grade, str] | None = None) -> RequirementRow:
    return RequirementRow(
        ref=req.ref, title=req.title, question=req.question, force=req.force.value,
        pdca=req.pdca.value if req.pdca else "",
        rating=rating_words(std, result, grades), grade=result.grade.value, note=result.note,
        na_reason=result.na_reason or "",
        rated_by=f"{result.rated_by}, {date(result.rated_at)}" if result.rated_by else "",
        evidence=_evidence_rows(req.ref, result), findings=findings,
        maturity=score.requirements[req.ref].maturity if req.ref in score.requirements else 0)


NO_REASON = N_("not assessed; no reason recorded")


def _why_not_covered(std: Standard, result: RequirementResult, disputed: bool = False) -> str:
    """Why a requirement in scope was not covered, from what the record holds, or "" when it was covered."""
    if result.grade is Grade.NOT_APPLICABLE:
        return _("not applicable: {reason}").format(reason=result.na_reason)
    if (std.uses_levels and result.level is not None) or result.grade is not Grade.NOT_ASSESSED:
        return ""
    if disputed:
        return _("not assessed: the auditors rated it differently and the lead auditor has not settled it yet")
    if result.note:
        return _("not assessed: {note}").format(note=result.note)
    if result.evidence:
        n = len(result.evidence)
        return ngettext("not assessed: {n} evidence entry recorded, no rating",
                        "not assessed: {n} evidence entries recorded, no rating", n).format(n=n)
    return _(NO_REASON)


def _open_ncs(findings: list[FindingRow], grade: Grade) -> list[FindingRow]:
    return [f for f in findings if f.grade_key == grade.value and f.stage != "closed"]


def _top_risks(std: Standard, findings: list[FindingRow]) -> list[str]:
    """Every open major, then open minors on high-criticality requirements, a few other minors and observations."""
    open_minors = _open_ncs(findings, Grade.MINOR_NC)
    observations = [f for f in findings if f.grade_key == Grade.OBSERVATION.value]
    top_risks = [_risk(f) for f in _open_ncs(findings, Grade.MAJOR_NC)]
    critical = {r.ref for r in std.requirements() if r.criticality.value == "high"}
    top_risks += [_risk(f) for f in open_minors if f.ref in critical]
    top_risks += [_risk(f) for f in open_minors if f.ref not in critical][:3]
    top_risks += [_risk(f) for f in observations][:2]
    return top_risks


def _risk(f: FindingRow) -> str:
    return f"{f.id} ({f.mark}, {f.ref}): {f.statement}"


def _conclusions(score: AuditScore, body: _ClauseBody) -> list[str]:
    # only scored clauses are ranked; `or 0.0` never applies and only tells the type checker the key is a number
    weakest = sorted((c for c in body.clauses if c.score is not None), key=lambda c: c.score or 0.0)[:2]
    good = body.good_practices
    conclusions = [_("Verdict: {verdict}.").format(verdict=verdict_words(score))]
    conclusions += [f"{reason[0].upper()}{reason[1:]}." for reason in verdict_reasons(score)]
    if weakest:
        named = [_("{number} {title} ({score})").format(number=c.number, title=c.title, score=shown_text(c.shown))
                 for c in weakest]
        conclusions.append(_("The weakest clauses are {clauses}.").format(clauses=_(" and ").join(named)))
    if good:
        conclusions.append(ngettext("{n} good practice was found and worth sharing: {list}.",
                                    "{n} good practices were found and worth sharing: {list}.", len(good)).format(
            n=len(good), list="; ".join(f"{g.ref} {g.title}" for g in good)))
    if score.maturity.overall is not None:
        levels = ", ".join(_("{n} at level {level} ({words})").format(n=n, level=lvl, words=maturity_words(lvl))
                           for lvl, n in score.maturity.distribution.items() if n)
        conclusions.append(_("PDCA maturity averages {value} of 4 over the assessed requirements; {levels}.").format(
            value=decimal(score.maturity.overall), levels=levels))
    return conclusions


def _fulfilment(std: Standard, score: AuditScore, auditee: str, findings: list[FindingRow]) -> str:
    """The degree of fulfilment of the audit criteria (ISO 19011:2018 6.5.1), in one paragraph."""
    if score.shown.scored:
        degree = _("On the evidence sampled, {auditee} fulfils the criteria of {standard} (version {version}) to a "
                   "degree of {score} of the applicable requirements assessed, weighted as the standard sets out, "
                   "with {coverage} of the applicable requirements in scope assessed.").format(
            auditee=auditee, standard=std.title, version=std.version, score=shown_text(score.shown),
            coverage=pct(score.coverage)) + " "
    else:
        # too little was assessed to state a degree: saying a percentage here would overstate the evidence
        degree = _("On the evidence sampled, the degree to which {auditee} fulfils the criteria of {standard} "
                   "(version {version}) is not scored: {coverage} of the applicable requirements in scope were "
                   "assessed, below the {threshold} a score needs.").format(
            auditee=auditee, standard=std.title, version=std.version, coverage=pct(score.coverage),
            threshold=pct(std.scoring.coverage_threshold)) + " "
    open_majors, open_minors = _open_ncs(findings, Grade.MAJOR_NC), _open_ncs(findings, Grade.MINOR_NC)
    if open_majors or open_minors:
        remain = _("{majors} major and {minors} minor nonconformities remain open.").format(
            majors=len(open_majors), minors=len(open_minors))
    else:
        remain = _("No nonconformity remains open.")
    return degree + remain + " " + _("The overall result is: {verdict}.").format(
        verdict=verdict_words(score).lower())


# -- the approval block -----------------------------------------------------------------------------------------


def _signature(key_id: str, meaning: str) -> str:
    if not key_id:
        return _("recorded without an electronic signature (made before signatures were kept)")
    return _("electronic signature, key {key}, meaning \u201c{meaning}\u201d").format(key=key_id, meaning=meaning)


def _approval_of_this_version(entries: list[LogEntry], approval: ApprovalLine | None,
                              standing: Standing) -> ApprovalLine | None:
    """The approval that stands for this version: none for a draft after a reopening until it is approved again
    (the approval before the seal was of the sealed version)."""
    if approval is None or standing.final:
        return approval
    closed_after = any(e.action == "audit.close" and e.seq > approval.seq for e in entries)
    return None if closed_after else approval


def _lead(name: str) -> str:
    return _("{name}, lead auditor").format(name=name)


def _approval_steps(record: AuditRecord, seal: SealLine | None, approval: ApprovalLine | None,
                    owner: str) -> list[ApprovalStep]:
    """Prepared by the lead auditor (dated when the audit was reported), reviewed by whoever manages the audit
    programme (ISO 19011:2018 5.5.6; the record holds no review, so it is left to sign on paper), approved by
    the lead auditor's signed approval, and issued final by the signed seal."""
    lead = record.plan.lead.name
    reported = next((h.at for h in reversed(record.history) if h.status is AuditStatus.REPORTED), None)
    steps = [ApprovalStep(pgettext("approval step", "Prepared"), _lead(lead),
                          date(reported.date()) if reported else "",
                          _("the audit was reported on this date") if reported
                          else _("not reported yet: in preparation"))]
    steps.append(ApprovalStep(pgettext("approval step", "Reviewed"),
                              _("{name}, audit programme manager").format(name=owner) if owner
                              else _("audit programme manager"),
                              "", _("not recorded in the audit record: to be signed on the issued copy")))
    if approval is not None:
        if approval.changes_since == 0:
            note = ""
        elif seal is None:
            note = ngettext("; the records changed afterwards ({n} later change), so this draft needs approving again",
                            "; the records changed afterwards ({n} later changes), so this draft needs approving "
                            "again", approval.changes_since).format(n=approval.changes_since)
        else:
            note = ngettext("; the records changed afterwards ({n} later change), before the audit was sealed",
                            "; the records changed afterwards ({n} later changes), before the audit was sealed",
                            approval.changes_since).format(n=approval.changes_since)
        steps.append(ApprovalStep(pgettext("approval step", "Approved"), _lead(approval.by), date(approval.at.date()),
                                  _signature(approval.key_id, approval.meaning) + note))
    else:
        steps.append(ApprovalStep(pgettext("approval step", "Approved"), _lead(lead), "",
                                  _("not approved yet") if seal is None
                                  else _("not approved before the audit was sealed")))
    if seal is not None:
        steps.append(ApprovalStep(pgettext("approval step", "Issued final"),
                                  _lead(seal.signer) if seal.signer == lead else seal.signer, date(seal.at.date()),
                                  _signature(seal.key_id, seal.meaning)
                                  + _("; the seal is log entry {seq}").format(seq=seal.seq)))
    else:
        steps.append(ApprovalStep(pgettext("approval step", "Issued final"), "", "",
                                  _("not yet: the report is final once the audit is closed and sealed")))
    return steps


# -- the audit plan and timetable -------------------------------------------------------------------------------

_FIELDWORK = ("evidence.add", "evidence.edit", "evidence.remove", "result.rate", "result.note", "finding.raise",
              "finding.update", "finding.link", "finding.unlink")
_MILESTONES = {"report.approve": N_("Report approved by the lead auditor (signed)"),
               "audit.close": N_("Audit closed and its records sealed (signed)"),
               "audit.reopen": N_("Audit reopened (signed)"),
               "audit.criteria": N_("Audit criteria moved to a new version")}


def _span(first: dt.date, last: dt.date | None) -> str:
    if last is None or last == first:
        return date(first)
    return _("{start} to {end}").format(start=date(first), end=date(last))


def _timetable(record: AuditRecord, entries: list[LogEntry], std: Standard) -> list[TimetableRow]:
    """What was done when, from the log: the plan, each day of fieldwork (the clauses worked on, by whom), the
    auditee's responses, corrective action, the status changes, approvals and the seal."""
    plan = record.plan
    rows: list[tuple[str, int, TimetableRow]] = [
        (record.created_at.date().isoformat(), 0, TimetableRow(date(record.created_at.date()), _("Audit planned"),
                                                               record.created_by))]
    if plan.start_date:
        rows.append((plan.start_date.isoformat(), 1, TimetableRow(_span(plan.start_date, plan.end_date),
                                                                  _("Audit visit as planned"),
                                                                  ", ".join(m.name for m in plan.auditors()))))
    days: dict[dt.date, list[LogEntry]] = {}
    responses: dict[dt.date, list[LogEntry]] = {}
    capa_entries: list[LogEntry] = []
    for entry in entries:
        if entry.action in _FIELDWORK:
            days.setdefault(entry.at.date(), []).append(entry)
        elif entry.action == "finding.respond":
            responses.setdefault(entry.at.date(), []).append(entry)
        elif entry.action.startswith("capa."):
            capa_entries.append(entry)
        elif entry.action in _MILESTONES:
            rows.append((entry.at.date().isoformat(), 3, TimetableRow(
                date(entry.at.date()), _(_MILESTONES[entry.action]) + (f": {entry.reason}" if entry.reason else ""),
                entry.actor)))
    for day, done in days.items():
        clauses = sorted({_top_clause(std, e.target) for e in done} - {""}, key=_number_order)
        evidence = sum(1 for e in done if e.action == "evidence.add")
        ratings = sum(1 for e in done if e.action == "result.rate")
        counts = ", ".join(part for part in (
            ngettext("{n} evidence entry", "{n} evidence entries", evidence).format(n=evidence) if evidence else "",
            ngettext("{n} rating", "{n} ratings", ratings).format(n=ratings) if ratings else "") if part)
        if clauses:
            what = ngettext("Evidence gathered and requirements rated: clause {clauses}",
                            "Evidence gathered and requirements rated: clauses {clauses}",
                            len(clauses)).format(clauses=", ".join(clauses))
        else:
            what = _("Evidence gathered and requirements rated")
        rows.append((day.isoformat(), 2, TimetableRow(date(day), what + (f" ({counts})" if counts else ""),
                                                      _people(done))))
    for day, done in responses.items():
        rows.append((day.isoformat(), 2, TimetableRow(
            date(day), _("Auditee's responses to findings recorded: {findings}").format(
                findings=", ".join(sorted({e.target for e in done}))),
            _people(done))))
    if capa_entries:
        first, last = capa_entries[0].at.date(), capa_entries[-1].at.date()
        checks = sum(1 for e in capa_entries if e.action == "capa.verify")
        closed = sum(1 for e in capa_entries if e.action == "capa.close")
        rows.append((first.isoformat(), 2, TimetableRow(
            _span(first, last),
            _("Corrective action recorded ({entries}: {checks}, {closed} closed)").format(
                entries=ngettext("{n} entry", "{n} entries", len(capa_entries)).format(n=len(capa_entries)),
                checks=ngettext("{n} effectiveness check", "{n} effectiveness checks", checks).format(n=checks),
                closed=ngettext("{n} nonconformity", "{n} nonconformities", closed).format(n=closed)),
            _people(capa_entries))))
    # a closing or reopening is listed once, as the signed milestone, not again as the status change it made
    signed = {e.at for e in entries if e.action in _MILESTONES}
    for change in (c for c in record.history[1:] if c.at not in signed):
        rows.append((change.at.date().isoformat(), 3, TimetableRow(
            date(change.at.date()), _("Status changed to {status}").format(status=status_words(change.status))
            + (f": {change.reason}" if change.reason else ""), change.by)))
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


def _top_clause(std: Standard, ref: str) -> str:
    try:
        return std.top_clause_of(ref)
    except KeyError:
        return ""


def _number_order(number: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in number.split("."))


def _people(entries: list[LogEntry]) -> str:
    return ", ".join(dict.fromkeys(e.actor for e in entries))


# -- obstacles, objectives and the programme --------------------------------------------------------------------


def _obstacles(record: AuditRecord, std: Standard, scope: ScopeView, body: _ClauseBody, snap: AuditSnapshot,
               disputes: list[FindingRow]) -> list[str]:
    """What the record shows that may limit the conclusions; the record has no field for obstacles, so this is
    derived from it (deferred clauses, requirements not assessed, unsettled ratings, disputes, independence)."""
    out = [_("Clause {clause} could not be audited in this visit: {exclusions}").format(
        clause=_clause_name(std, n), exclusions=record.plan.scope.exclusions) for n in scope.deferred]
    if body.not_assessed:
        n = len(body.not_assessed)
        line = ngettext("{n} requirement of the clauses audited was not assessed (section 7)",
                        "{n} requirements of the clauses audited were not assessed (section 7)", n).format(n=n)
        if body.no_reason:
            line += _("; no reason is recorded for {n} of them").format(n=body.no_reason)
        out.append(line + ". " + _("The conclusions do not cover them."))
    if snap.disputes:
        out.append(_("The auditors rated {refs} differently and the lead auditor has not settled the ratings "
                     "yet.").format(refs=", ".join(sorted(snap.disputes, key=_number_order))))
    if disputes:
        out.append(_("The auditee disputes {findings}; the diverging opinions are not resolved (section 5).").format(
            findings=", ".join(f.id for f in disputes)))
    out += [_("{auditor} audited their own unit; {name} recorded why this was accepted: {justification}").format(
        auditor=o.auditor, name=o.by, justification=o.justification) for o in record.independence_overrides]
    return out


_FOLLOW_UP = re.compile(r"follow[- ]?up|previous|earlier|prior|last (?:year|audit)|(?:19|20)\d\d audit", re.I)
_GOOD_PRACTICE = re.compile(r"good practi|worth sharing|\bshar(?:e|ing)\b|strength", re.I)
_IMPROVEMENT = re.compile(r"improv|opportunit", re.I)


def _objective_conclusions(std: Standard, english: Standard, snap: AuditSnapshot, score: AuditScore,
                           scope: ScopeView, body: _ClauseBody, findings: list[FindingRow],
                           others: list[AuditDigest], later: list[PlannedAudit],
                           grades: dict[Grade, str] | None = None) -> list[tuple[str, str]]:
    """A conclusion for each objective of the plan, drawn from what the record shows on it. An objective is
    recognised by its words: following up earlier findings, finding good practice, finding what to improve;
    any other objective is taken as the conformity of the auditee to the criteria. `english` is the standard in
    its own words (requirements are recognised by them), `std` the same in the reader's language."""
    out = []
    for objective in snap.record.plan.objectives:
        if _FOLLOW_UP.search(objective):
            text = _follow_up_conclusion(std, english, snap, scope, others, later, grades)
        elif _GOOD_PRACTICE.search(objective):
            good = body.good_practices
            text = (ngettext("Met: {n} good practice worth sharing was found: {list} (section 6).",
                             "Met: {n} good practices worth sharing were found: {list} (section 6).",
                             len(good)).format(n=len(good), list="; ".join(f"{g.ref} {g.title}" for g in good))
                    if good else _("No good practice was found in the requirements assessed."))
        elif _IMPROVEMENT.search(objective):
            ofis = [f for f in findings if f.grade_key == Grade.OFI.value]
            text = (ngettext("{n} opportunity for improvement recorded (section 4).",
                             "{n} opportunities for improvement recorded (section 4).", len(ofis)).format(n=len(ofis))
                    if ofis else _("No opportunity for improvement was recorded."))
        else:
            text = _conformity_conclusion(std, score, findings)
        out.append((objective, text))
    return out


def _conformity_conclusion(std: Standard, score: AuditScore, findings: list[FindingRow]) -> str:
    majors, minors = _open_ncs(findings, Grade.MAJOR_NC), _open_ncs(findings, Grade.MINOR_NC)
    text = f"{verdict_words(score)}. "
    if score.shown.scored:
        text += _("The criteria are fulfilled to {score} of the applicable requirements assessed ({coverage} of "
                  "those in scope were assessed).").format(score=shown_text(score.shown),
                                                           coverage=pct(score.coverage)) + " "
    else:
        text += _("Too little was assessed to give a degree of fulfilment ({coverage} of those in scope were "
                  "assessed).").format(coverage=pct(score.coverage)) + " "
    if majors or minors:
        majors_text = ngettext("{n} major nonconformity", "{n} major nonconformities", len(majors)).format(
            n=len(majors))
        minors_text = ngettext("{n} minor nonconformity", "{n} minor nonconformities", len(minors)).format(
            n=len(minors))
        if majors:
            text += _("{majors} and {minors} remain open, the major on {refs}.").format(
                majors=majors_text, minors=minors_text, refs=", ".join(f.ref for f in majors))
        else:
            text += _("{majors} and {minors} remain open.").format(majors=majors_text, minors=minors_text)
    else:
        text += _("No nonconformity remains open.")
    return text


def _follow_up_conclusion(std: Standard, english: Standard, snap: AuditSnapshot, scope: ScopeView,
                          others: list[AuditDigest], later: list[PlannedAudit],
                          grades: dict[Grade, str] | None = None) -> str:
    """The requirements of the criteria on following up audit findings, as assessed (or why not), and the
    earlier audits of the unit recorded in the workspace with their nonconformities still open."""
    unit = snap.record.plan.scope.auditee_unit
    parts = []
    refs = [r.ref for r in english.requirements() if re.search(r"follow", r.title, re.I)
            and re.search(r"finding", r.title, re.I)]
    for ref in refs:
        req = std.requirement(ref)
        if req is None:
            continue
        result = snap.result(req.ref)
        top = _top_clause(std, req.ref)
        if top in scope.outside:
            parts.append(_("Not concluded: {ref} ({title}) is outside the scope of this audit").format(
                ref=req.ref, title=req.title) + _planned_note(top, later) + ".")
        elif top in scope.deferred and not result.grade.is_assessed:
            parts.append(_("Not concluded in this audit: {ref} ({title}) is in clause {clause}, left to a later "
                           "visit").format(ref=req.ref, title=req.title, clause=top) + _planned_note(top, later) + ".")
        elif result.grade.is_assessed and result.grade is not Grade.NOT_APPLICABLE:
            parts.append(_("{ref} ({title}) was rated {rating}").format(
                ref=req.ref, title=req.title, rating=rating_words(std, result, grades).lower())
                + (f": {result.note}" if result.note else "") + ".")
        else:
            parts.append(_("Not concluded: {ref} ({title}) was not assessed.").format(ref=req.ref, title=req.title))
    if not refs:
        parts.append(_("The criteria hold no requirement on following up audit findings."))
    earlier = [d for d in others if " ".join(d.unit.lower().split()) == " ".join(unit.lower().split())
               and d.start <= (snap.record.plan.start_date or snap.record.created_at.date())]
    if not earlier:
        parts.append(_("No earlier audit of {unit} is recorded in this workspace, so the findings of earlier audits "
                       "could not be traced from the records.").format(unit=unit))
    else:
        still_open = [f.id for d in earlier for f in d.findings if f.live and f.grade.is_nc and f.open]
        audits = ", ".join(d.id for d in earlier)
        if still_open:
            parts.append(_("Earlier audits of {unit} recorded here: {audits}; their nonconformities still open: "
                           "{findings}.").format(unit=unit, audits=audits, findings=", ".join(still_open)))
        else:
            parts.append(_("Earlier audits of {unit} recorded here: {audits}; none of their nonconformities is "
                           "still open.").format(unit=unit, audits=audits))
    return " ".join(parts)


_NEED_WORDS = {
    "urgent": N_("Bring back first (a major nonconformity, or two or more nonconformities): {clauses}."),
    "soon": N_("Bring back sooner (a nonconformity, or a score below the pass level): {clauses}."),
    "never": N_("Still to be audited in this unit (not assessed in any audit of it recorded here): {clauses}."),
    "unscored": N_("Audit again (assessed too little to be scored): {clauses}."),
}


def _programme_notes(std: Standard, this: AuditDigest, others: list[AuditDigest], findings: list[FindingRow],
                     programme: Programme | None, later: list[PlannedAudit]) -> list[str]:
    """What the results mean for the audit programme, by the rule the programme's proposal uses
    (`services.programme.needs_after`): which clauses come back sooner, what is still to audit, the follow-up
    of open nonconformities, and what the programme already plans for the unit."""
    from qms_audit.services.programme import needs_after

    needs = needs_after(this, others, std)
    notes = []
    for kind, sentence in _NEED_WORDS.items():
        clauses = [n for n, need in needs.items() if need == kind]
        if not clauses:
            continue
        placed = []
        for number in clauses:
            planned = _planned_for(number, later) if programme is not None else None
            placed.append(_("{clause} ({when})").format(
                clause=_clause_name(std, number),
                when=_("planned for {month}").format(month=month_words(planned.month)) if planned
                else _("not in the programme yet")))
        notes.append(_(sentence).format(clauses="; ".join(placed)))
    open_ncs = [f for f in findings if f.is_nc and f.stage != "closed"]
    if open_ncs:
        notes.append(ngettext(
            "A follow-up is needed: {n} nonconformity ({findings}) is still open; the corrective actions and their "
            "effectiveness are to be checked.",
            "A follow-up is needed: {n} nonconformities ({findings}) are still open; the corrective actions and "
            "their effectiveness are to be checked.", len(open_ncs)).format(
            n=len(open_ncs), findings=", ".join(f.id for f in open_ncs)))
    if programme is None:
        notes.append(_("No audit programme is kept in this workspace (programme.yaml), so none of this is planned "
                       "yet."))
    else:
        for planned in later:
            which = (_("clauses {clauses}").format(clauses=", ".join(planned.clauses)) if planned.clauses
                     else _("all clauses"))
            line = _("The programme plans an audit of {unit} for {month} ({clauses}, lead {lead})").format(
                unit=planned.unit, month=month_words(planned.month), clauses=which, lead=planned.lead)
            notes.append(line + (f": {planned.notes}" if planned.notes else "."))
    if not notes:
        notes.append(_("Every clause audited conformed: the results ask nothing new of the audit programme."))
    return notes
