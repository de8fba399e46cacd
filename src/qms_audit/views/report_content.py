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
    plural,
    result_label,
)
from qms_audit.domain.scoring import MATURITY_LABELS, AuditScore, score_snapshot
from qms_audit.infra import clock
from qms_audit.infra.errors import QmsError
from qms_audit.model.audit import AuditPlan, AuditRecord, AuditStatus, Finding, Grade, RequirementResult
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

SAMPLING_STATEMENT = (
    "An audit examines a sample of the available information: documents, records, interviews and observations "
    "chosen as described in the sampling approach. Its conclusions rest on that sample, so the evidence may not "
    "be fully representative of every activity of the auditee, and conformity elsewhere is not certified."
)


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
        out = f"{Phase(self.phase).label}, {self.kind}: {self.text}"
        if self.reference:
            out += f" [{self.reference}]"
        if self.file:
            out += f" (file {self.file})"
        if self.sample:
            out += f" (sample {self.sample})"
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
        return GRADE_MARKS.get(self.grade_key, self.grade)

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
        return f"Version {self.version}" if self.final else f"Draft {self.version}"


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

    @property
    def title(self) -> str:
        return self.record.title


def _evidence_rows(ref: str, result) -> list[EvidenceRow]:
    return [EvidenceRow(
        ref=ref, id=e.id, phase=e.phase.value, kind=e.kind.value, text=e.text, reference=e.reference or "",
        file=e.file.original_name if e.file else "", sha256=e.file.sha256 if e.file else "",
        sample=str(e.sample) if e.sample else "", collected_by=e.collected_by, collected_at=date(e.collected_at),
        source=e.source) for e in result.evidence]


def _finding_row(f: Finding, standard: Standard | None, today: dt.date) -> FindingRow:
    """One finding as the reports list it; `standard` is None when it cannot be loaded (a register NC
    against a standard since removed): the requirement's title is then left blank."""
    req = standard.requirement(f.ref) if f.ref and standard is not None else None
    row = FindingRow(
        id=f.id, grade=f.grade.label, grade_key=f.grade.value, ref=f.ref or "", requirement=req.title if req else "",
        statement=f.statement, evidence=f.evidence, raised=f"{date(f.raised_at)} by {f.raised_by}",
        response_due=date(f.response_due), position=f.response.position if f.response else "no response yet",
        response_text=f.response.text if f.response else "", response_by=f.response.by if f.response else "",
        resolved=bool(f.response and f.response.resolved), stage=capa.stage(f) if f.grade.is_nc else "-",
        overdue=capa.is_overdue(f, today), next_due=date(capa.next_due(f)), owners=", ".join(capa.owners(f)))
    c = f.capa
    if c is not None:
        row.correction = f"{c.correction.text} ({c.correction.by}, {date(c.correction.at)})" if c.correction else ""
        row.containment = f"{c.containment.text} ({c.containment.by}, {date(c.containment.at)})" if c.containment \
            else ""
        if c.root_cause:
            row.root_cause = f"{c.root_cause.statement} (method: {c.root_cause.method.value}; {c.root_cause.by})"
            row.root_cause_words = (f"{c.root_cause.statement} (found by {c.root_cause.by}, "
                                    f"{ROOT_CAUSE_METHOD_WORDS.get(c.root_cause.method.value, 'another method')})")
            row.analysis = c.root_cause.analysis or ""
        row.similar = f"{c.similar.text} ({c.similar.by})" if c.similar else ""
        late = {a.id for a in overdue_actions(f, today)}
        row.actions = [ActionRow(a.id, a.description, a.owner, date(a.due), a.status.value, date(a.done_at),
                                 a.done_note or "", a.id in late) for a in c.actions]
        row.verifications = [f"{date(v.on)}: {v.result.value}, verified by {v.by} ({v.method})"
                             + (f"; {v.note}" if v.note else "") for v in c.verifications]
        row.verification_words = [f"{date(v.on)}: {VERIFICATION_WORDS.get(v.result.value, v.result.value)}, "
                                  f"checked by {v.by} ({v.method})" + (f"; {v.note}" if v.note else "")
                                  for v in c.verifications]
        row.risk_update = f"{c.risk_update.text} ({c.risk_update.by})" if c.risk_update else ""
        row.qms_update = f"{c.qms_update.text} ({c.qms_update.by})" if c.qms_update else ""
        row.closed = f"{date(c.closed_at)} by {c.closed_by}" if c.closed_at else ""
        row.history = [f"{date(h.at)} {h.stage} ({h.by})" + (f": {h.note}" if h.note else "") for h in c.history]
    return row


def report_id_for(record: AuditRecord, profile: InstitutionProfile | None, year: int) -> str:
    if profile is None:
        return f"IAR-{year}-{record.id}"
    return profile.numbering.report.format(institution=profile.short_name, year=year, audit=record.id, unit="",
                                           number=0, sop_id="")


def gather(opened: OpenedAudit, profile: InstitutionProfile | None) -> ReportData:
    std = opened.standard
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
    body = _clause_sections(std, snap, score, active, scope, later)
    findings = [_finding_row(f, std, today) for f in sorted(active, key=lambda f: (-f.grade.severity, f.id))]
    withdrawn = [_finding_row(f, std, today) for f in snap.findings.values() if f.withdrawn]
    disputes = [f for f in findings if f.position == "disputed" and not f.resolved]
    standing = report_standing(entries)
    seal, approval = current_seal(entries), current_approval(entries)
    owner = programme.owner if programme is not None else (profile.roles.audit_programme_owner if profile else "")
    return ReportData(
        record=record, standard=std, score=score,
        institution=profile.name if profile else plan.client or "",
        report_id=report_id_for(record, profile, (plan.start_date or as_of).year), version=standing.version,
        as_of=as_of, status=effective_status(snap).label, clauses=body.clauses, findings=findings,
        good_practices=body.good_practices, disputes=disputes, not_covered=body.not_covered, evidence=body.evidence,
        conclusions=_conclusions(score, body), fulfilment=_fulfilment(std, score, plan.scope.auditee_unit, findings),
        top_risks=_top_risks(std, findings), log_entries=len(entries), withdrawn=withdrawn,
        seal=seal, approval=approval, standing=standing,
        approvals=_approval_steps(record, seal, _approval_of_this_version(entries, approval, standing), owner),
        scope=scope,
        timetable=_timetable(record, entries, std),
        obstacles=_obstacles(record, std, scope, body, snap, disputes),
        objectives=_objective_conclusions(std, snap, score, scope, body, findings, earlier, later),
        programme=_programme_notes(std, this, earlier, findings, programme, later))


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
    return f"; the audit programme plans it for {planned.month} (lead {planned.lead})" if planned else ""


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
                     scope: ScopeView, later: list[PlannedAudit]) -> _ClauseBody:
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
            row = _requirement_row(std, score, req, result, findings_by_ref.get(req.ref, []))
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
                    body.no_reason += why == NO_REASON
        if deferred_refs:
            # one row for the clause left to another visit, with the reason recorded for it
            body.not_covered.append((f"Clause {top.number} {top.title} ({', '.join(deferred_refs)})",
                                     f"left to a later visit: {exclusions}" + _planned_note(top.number, later)))
        body.clauses.append(ClauseSection(
            number=top.number, title=top.title, score=clause_score.score, raw_score=clause_score.raw_score,
            coverage=clause_score.coverage, band=clause_score.band_label, capped=clause_score.capped,
            maturity=clause_score.maturity, assessed=clause_score.assessed, applicable=clause_score.applicable,
            rows=rows))
    for number in reversed(score.out_of_scope):
        why = "outside the scope agreed for this audit" + (f" ({exclusions})" if exclusions else "")
        body.not_covered.insert(0, (f"Clause {_clause_name(std, number)}", why + _planned_note(number, later)))
    return body


def _requirement_row(std: Standard, score: AuditScore, req: Requirement, result: RequirementResult,
                     findings: list[str]) -> RequirementRow:
    return RequirementRow(
        ref=req.ref, title=req.title, question=req.question, force=req.force.value,
        pdca=req.pdca.value if req.pdca else "",
        rating=result_label(std, result), grade=result.grade.value, note=result.note,
        na_reason=result.na_reason or "",
        rated_by=f"{result.rated_by}, {date(result.rated_at)}" if result.rated_by else "",
        evidence=_evidence_rows(req.ref, result), findings=findings,
        maturity=score.requirements[req.ref].maturity if req.ref in score.requirements else 0)


NO_REASON = "not assessed; no reason recorded"


def _why_not_covered(std: Standard, result: RequirementResult, disputed: bool = False) -> str:
    """Why a requirement in scope was not covered, from what the record holds, or "" when it was covered."""
    if result.grade is Grade.NOT_APPLICABLE:
        return f"not applicable: {result.na_reason}"
    if (std.uses_levels and result.level is not None) or result.grade is not Grade.NOT_ASSESSED:
        return ""
    if disputed:
        return "not assessed: the auditors rated it differently and the lead auditor has not settled it yet"
    if result.note:
        return f"not assessed: {result.note}"
    if result.evidence:
        return f"not assessed: {plural(len(result.evidence), 'evidence entry', 'evidence entries')} recorded, no rating"
    return NO_REASON


def _open_ncs(findings: list[FindingRow], grade: Grade) -> list[FindingRow]:
    return [f for f in findings if f.grade_key == grade.value and f.stage != "closed"]


def _top_risks(std: Standard, findings: list[FindingRow]) -> list[str]:
    """Every open major, then open minors on high-criticality requirements, a few other minors and observations."""
    open_minors = _open_ncs(findings, Grade.MINOR_NC)
    observations = [f for f in findings if f.grade_key == Grade.OBSERVATION.value]
    top_risks = [f"{f.id} ({f.mark}, {f.ref}): {f.statement}" for f in _open_ncs(findings, Grade.MAJOR_NC)]
    critical = {r.ref for r in std.requirements() if r.criticality.value == "high"}
    top_risks += [f"{f.id} ({f.mark}, {f.ref}): {f.statement}" for f in open_minors if f.ref in critical]
    top_risks += [f"{f.id} ({f.mark}, {f.ref}): {f.statement}" for f in open_minors if f.ref not in critical][:3]
    top_risks += [f"{f.id} ({f.mark}, {f.ref}): {f.statement}" for f in observations][:2]
    return top_risks


def _conclusions(score: AuditScore, body: _ClauseBody) -> list[str]:
    # only scored clauses are ranked; `or 0.0` never applies and only tells the type checker the key is a number
    weakest = sorted((c for c in body.clauses if c.score is not None), key=lambda c: c.score or 0.0)[:2]
    good = body.good_practices
    conclusions = [f"Verdict: {score.verdict_label}."]
    conclusions += [f"{reason[0].upper()}{reason[1:]}." for reason in score.verdict_reasons]
    if weakest:
        conclusions.append("The weakest clauses are " + " and ".join(
            f"{c.number} {c.title} ({c.shown.text})" for c in weakest) + ".")
    if good:
        conclusions.append(f"{plural(len(good), 'good practice')} {'was' if len(good) == 1 else 'were'} found "
                           "and worth sharing: "
                           + "; ".join(f"{g.ref} {g.title}" for g in good) + ".")
    if score.maturity.overall is not None:
        conclusions.append(f"PDCA maturity averages {score.maturity.overall:.1f} of 4 over the assessed requirements; "
                           + ", ".join(f"{n} at level {lvl} ({MATURITY_LABELS[lvl]})"
                                       for lvl, n in score.maturity.distribution.items() if n) + ".")
    return conclusions


def _fulfilment(std: Standard, score: AuditScore, auditee: str, findings: list[FindingRow]) -> str:
    """The degree of fulfilment of the audit criteria (ISO 19011:2018 6.5.1), in one paragraph."""
    if score.shown.scored:
        degree = (f"On the evidence sampled, {auditee} fulfils the criteria of {std.title} "
                  f"(version {std.version}) to a degree of {score.shown.text} of the applicable requirements "
                  f"assessed, weighted as the standard sets out, with {pct(score.coverage)} of the applicable "
                  f"requirements in scope assessed. ")
    else:
        # too little was assessed to state a degree: saying a percentage here would overstate the evidence
        degree = (f"On the evidence sampled, the degree to which {auditee} fulfils the criteria of "
                  f"{std.title} (version {std.version}) is not scored: {pct(score.coverage)} of the applicable "
                  f"requirements in scope were assessed, below the {pct(std.scoring.coverage_threshold)} a score "
                  f"needs. ")
    open_majors, open_minors = _open_ncs(findings, Grade.MAJOR_NC), _open_ncs(findings, Grade.MINOR_NC)
    return (
        degree
        + (f"{len(open_majors)} major and {len(open_minors)} minor nonconformities remain open. "
           if open_majors or open_minors else "No nonconformity remains open. ")
        + f"The overall result is: {score.verdict_label.lower()}.")


# -- the approval block -----------------------------------------------------------------------------------------


def _signature(key_id: str, meaning: str) -> str:
    if not key_id:
        return "recorded without an electronic signature (made before signatures were kept)"
    return f"electronic signature, key {key_id}, meaning \u201c{meaning}\u201d"


def _approval_of_this_version(entries: list[LogEntry], approval: ApprovalLine | None,
                              standing: Standing) -> ApprovalLine | None:
    """The approval that stands for this version: none for a draft after a reopening until it is approved again
    (the approval before the seal was of the sealed version)."""
    if approval is None or standing.final:
        return approval
    closed_after = any(e.action == "audit.close" and e.seq > approval.seq for e in entries)
    return None if closed_after else approval


def _approval_steps(record: AuditRecord, seal: SealLine | None, approval: ApprovalLine | None,
                    owner: str) -> list[ApprovalStep]:
    """Prepared by the lead auditor (dated when the audit was reported), reviewed by whoever manages the audit
    programme (ISO 19011:2018 5.5.6; the record holds no review, so it is left to sign on paper), approved by
    the lead auditor's signed approval, and issued final by the signed seal."""
    lead = record.plan.lead.name
    reported = next((h.at for h in reversed(record.history) if h.status is AuditStatus.REPORTED), None)
    steps = [ApprovalStep("Prepared", f"{lead}, lead auditor", date(reported.date()) if reported else "",
                          "the audit was reported on this date" if reported else "not reported yet: in preparation")]
    steps.append(ApprovalStep("Reviewed", f"{owner}, audit programme manager" if owner else "audit programme manager",
                              "", "not recorded in the audit record: to be signed on the issued copy"))
    if approval is not None:
        note = "" if approval.changes_since == 0 else (
            f"; the records changed afterwards ({plural(approval.changes_since, 'later change')})"
            + (", so this draft needs approving again" if seal is None else ", before the audit was sealed"))
        steps.append(ApprovalStep("Approved", f"{approval.by}, lead auditor", date(approval.at.date()),
                                  _signature(approval.key_id, approval.meaning) + note))
    else:
        steps.append(ApprovalStep("Approved", f"{lead}, lead auditor", "",
                                  "not approved yet" if seal is None else "not approved before the audit was sealed"))
    if seal is not None:
        role = ", lead auditor" if seal.signer == lead else ""
        steps.append(ApprovalStep("Issued final", f"{seal.signer}{role}", date(seal.at.date()),
                                  _signature(seal.key_id, seal.meaning) + f"; the seal is log entry {seal.seq}"))
    else:
        steps.append(ApprovalStep("Issued final", "", "", "not yet: the report is final once the audit is closed "
                                  "and sealed"))
    return steps


# -- the audit plan and timetable -------------------------------------------------------------------------------

_FIELDWORK = ("evidence.add", "evidence.edit", "evidence.remove", "result.rate", "result.note", "finding.raise",
              "finding.update", "finding.link", "finding.unlink")
_MILESTONES = {"report.approve": "Report approved by the lead auditor (signed)",
               "audit.close": "Audit closed and its records sealed (signed)",
               "audit.reopen": "Audit reopened (signed)", "audit.criteria": "Audit criteria moved to a new version"}


def _timetable(record: AuditRecord, entries: list[LogEntry], std: Standard) -> list[TimetableRow]:
    """What was done when, from the log: the plan, each day of fieldwork (the clauses worked on, by whom), the
    auditee's responses, corrective action, the status changes, approvals and the seal."""
    plan = record.plan
    rows: list[tuple[str, int, TimetableRow]] = [
        (date(record.created_at.date()), 0, TimetableRow(date(record.created_at.date()), "Audit planned",
                                                         record.created_by))]
    if plan.start_date:
        span = date(plan.start_date) + (f" to {date(plan.end_date)}" if plan.end_date and plan.end_date !=
                                        plan.start_date else "")
        rows.append((date(plan.start_date), 1, TimetableRow(span, "Audit visit as planned",
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
            rows.append((date(entry.at.date()), 3, TimetableRow(
                date(entry.at.date()), _MILESTONES[entry.action] + (f": {entry.reason}" if entry.reason else ""),
                entry.actor)))
    for day, done in days.items():
        clauses = sorted({_top_clause(std, e.target) for e in done} - {""}, key=_number_order)
        evidence = sum(1 for e in done if e.action == "evidence.add")
        ratings = sum(1 for e in done if e.action == "result.rate")
        counts = ", ".join(part for part in (plural(evidence, "evidence entry", "evidence entries") if evidence
                                             else "", plural(ratings, "rating") if ratings else "") if part)
        what = "Evidence gathered and requirements rated" + (
            f": {'clause' if len(clauses) == 1 else 'clauses'} {', '.join(clauses)}" if clauses else "")
        rows.append((date(day), 2, TimetableRow(date(day), what + (f" ({counts})" if counts else ""),
                                                _people(done))))
    for day, done in responses.items():
        rows.append((date(day), 2, TimetableRow(
            date(day), "Auditee's responses to findings recorded: " + ", ".join(sorted({e.target for e in done})),
            _people(done))))
    if capa_entries:
        first, last = capa_entries[0].at.date(), capa_entries[-1].at.date()
        checks = sum(1 for e in capa_entries if e.action == "capa.verify")
        closed = sum(1 for e in capa_entries if e.action == "capa.close")
        rows.append((date(first), 2, TimetableRow(
            date(first) + (f" to {date(last)}" if last != first else ""),
            f"Corrective action recorded ({plural(len(capa_entries), 'entry', 'entries')}: "
            f"{plural(checks, 'effectiveness check')}, {plural(closed, 'nonconformity', 'nonconformities')} closed)",
            _people(capa_entries))))
    # a closing or reopening is listed once, as the signed milestone, not again as the status change it made
    signed = {e.at for e in entries if e.action in _MILESTONES}
    for change in (c for c in record.history[1:] if c.at not in signed):
        rows.append((date(change.at.date()), 3, TimetableRow(
            date(change.at.date()), f"Status changed to {change.status.label}"
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
    out = [f"Clause {_clause_name(std, n)} could not be audited in this visit: {record.plan.scope.exclusions}"
           for n in scope.deferred]
    if body.not_assessed:
        out.append(f"{plural(len(body.not_assessed), 'requirement')} of the clauses audited "
                   f"{'was' if len(body.not_assessed) == 1 else 'were'} not assessed (section 7)"
                   + (f"; no reason is recorded for {body.no_reason} of them" if body.no_reason else "")
                   + ". The conclusions do not cover them.")
    if snap.disputes:
        out.append(f"The auditors rated {', '.join(sorted(snap.disputes, key=_number_order))} differently and the "
                   "lead auditor has not settled the ratings yet.")
    if disputes:
        out.append(f"The auditee disputes {', '.join(f.id for f in disputes)}; the diverging opinions are not "
                   "resolved (section 5).")
    out += [f"{o.auditor} audited their own unit; {o.by} recorded why this was accepted: {o.justification}"
            for o in record.independence_overrides]
    return out


_FOLLOW_UP = re.compile(r"follow[- ]?up|previous|earlier|prior|last (?:year|audit)|(?:19|20)\d\d audit", re.I)
_GOOD_PRACTICE = re.compile(r"good practi|worth sharing|\bshar(?:e|ing)\b|strength", re.I)
_IMPROVEMENT = re.compile(r"improv|opportunit", re.I)


def _objective_conclusions(std: Standard, snap: AuditSnapshot, score: AuditScore, scope: ScopeView,
                           body: _ClauseBody, findings: list[FindingRow], others: list[AuditDigest],
                           later: list[PlannedAudit]) -> list[tuple[str, str]]:
    """A conclusion for each objective of the plan, drawn from what the record shows on it. An objective is
    recognised by its words: following up earlier findings, finding good practice, finding what to improve;
    any other objective is taken as the conformity of the auditee to the criteria."""
    out = []
    for objective in snap.record.plan.objectives:
        if _FOLLOW_UP.search(objective):
            text = _follow_up_conclusion(std, snap, scope, others, later)
        elif _GOOD_PRACTICE.search(objective):
            good = body.good_practices
            text = (f"Met: {plural(len(good), 'good practice')} worth sharing "
                    f"{'was' if len(good) == 1 else 'were'} found: "
                    + "; ".join(f"{g.ref} {g.title}" for g in good) + " (section 6)."
                    if good else "No good practice was found in the requirements assessed.")
        elif _IMPROVEMENT.search(objective):
            ofis = [f for f in findings if f.grade_key == Grade.OFI.value]
            text = (f"{plural(len(ofis), 'opportunity for improvement', 'opportunities for improvement')} "
                    "recorded (section 4)." if ofis else "No opportunity for improvement was recorded.")
        else:
            text = _conformity_conclusion(std, score, findings)
        out.append((objective, text))
    return out


def _conformity_conclusion(std: Standard, score: AuditScore, findings: list[FindingRow]) -> str:
    majors, minors = _open_ncs(findings, Grade.MAJOR_NC), _open_ncs(findings, Grade.MINOR_NC)
    text = f"{score.verdict_label}. "
    if score.shown.scored:
        text += f"The criteria are fulfilled to {score.shown.text} of the applicable requirements assessed "
    else:
        text += "Too little was assessed to give a degree of fulfilment "
    text += f"({pct(score.coverage)} of those in scope were assessed). "
    if majors or minors:
        text += (f"{plural(len(majors), 'major nonconformity', 'major nonconformities')} and "
                 f"{plural(len(minors), 'minor nonconformity', 'minor nonconformities')} remain open"
                 + (f", the major on {', '.join(f.ref for f in majors)}" if majors else "") + ".")
    else:
        text += "No nonconformity remains open."
    return text


def _follow_up_conclusion(std: Standard, snap: AuditSnapshot, scope: ScopeView, others: list[AuditDigest],
                          later: list[PlannedAudit]) -> str:
    """The requirements of the criteria on following up audit findings, as assessed (or why not), and the
    earlier audits of the unit recorded in the workspace with their nonconformities still open."""
    unit = snap.record.plan.scope.auditee_unit
    parts = []
    reqs = [r for r in std.requirements() if re.search(r"follow", r.title, re.I) and re.search(r"finding", r.title,
                                                                                                re.I)]
    for req in reqs:
        result = snap.result(req.ref)
        top = _top_clause(std, req.ref)
        if top in scope.outside:
            parts.append(f"Not concluded: {req.ref} ({req.title}) is outside the scope of this audit"
                         + _planned_note(top, later) + ".")
        elif top in scope.deferred and not result.grade.is_assessed:
            parts.append(f"Not concluded in this audit: {req.ref} ({req.title}) is in clause {top}, left to a later "
                         f"visit" + _planned_note(top, later) + ".")
        elif result.grade.is_assessed and result.grade is not Grade.NOT_APPLICABLE:
            parts.append(f"{req.ref} ({req.title}) was rated {result_label(std, result).lower()}"
                         + (f": {result.note}" if result.note else "") + ".")
        else:
            parts.append(f"Not concluded: {req.ref} ({req.title}) was not assessed.")
    if not reqs:
        parts.append("The criteria hold no requirement on following up audit findings.")
    earlier = [d for d in others if " ".join(d.unit.lower().split()) == " ".join(unit.lower().split())
               and d.start <= (snap.record.plan.start_date or snap.record.created_at.date())]
    if not earlier:
        parts.append(f"No earlier audit of {unit} is recorded in this workspace, so the findings of earlier audits "
                     "could not be traced from the records.")
    else:
        still_open = [f.id for d in earlier for f in d.findings if f.live and f.grade.is_nc and f.open]
        parts.append(f"Earlier audits of {unit} recorded here: {', '.join(d.id for d in earlier)}; "
                     + (f"their nonconformities still open: {', '.join(still_open)}." if still_open
                        else "none of their nonconformities is still open."))
    return " ".join(parts)


_NEED_WORDS = {
    "urgent": "bring back first (a major nonconformity, or two or more nonconformities)",
    "soon": "bring back sooner (a nonconformity, or a score below the pass level)",
    "never": "still to be audited in this unit (not assessed in any audit of it recorded here)",
    "unscored": "audit again (assessed too little to be scored)",
}


def _programme_notes(std: Standard, this: AuditDigest, others: list[AuditDigest], findings: list[FindingRow],
                     programme: Programme | None, later: list[PlannedAudit]) -> list[str]:
    """What the results mean for the audit programme, by the rule the programme's proposal uses
    (`services.programme.needs_after`): which clauses come back sooner, what is still to audit, the follow-up
    of open nonconformities, and what the programme already plans for the unit."""
    from qms_audit.services.programme import needs_after

    needs = needs_after(this, others, std)
    notes = []
    for kind, words in _NEED_WORDS.items():
        clauses = [n for n, need in needs.items() if need == kind]
        if not clauses:
            continue
        placed = []
        for number in clauses:
            planned = _planned_for(number, later) if programme is not None else None
            placed.append(f"{_clause_name(std, number)} ("
                          + (f"planned for {planned.month}" if planned else "not in the programme yet") + ")")
        notes.append(f"{words[0].upper()}{words[1:]}: " + "; ".join(placed) + ".")
    open_ncs = [f for f in findings if f.is_nc and f.stage != "closed"]
    if open_ncs:
        notes.append(f"A follow-up is needed: {plural(len(open_ncs), 'nonconformity', 'nonconformities')} "
                     f"({', '.join(f.id for f in open_ncs)}) {'is' if len(open_ncs) == 1 else 'are'} still open; "
                     "the corrective actions and their effectiveness are to be checked.")
    if programme is None:
        notes.append("No audit programme is kept in this workspace (programme.yaml), so none of this is planned "
                     "yet.")
    else:
        for planned in later:
            notes.append(f"The programme plans an audit of {planned.unit} for {planned.month} "
                         f"({'clauses ' + ', '.join(planned.clauses) if planned.clauses else 'all clauses'}, "
                         f"lead {planned.lead})" + (f": {planned.notes}" if planned.notes else "."))
    if not notes:
        notes.append("Every clause audited conformed: the results ask nothing new of the audit programme.")
    return notes
