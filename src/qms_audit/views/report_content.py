"""Everything an audit report says, gathered once from the records; the Word and Excel reports both render
it, so they cannot disagree and neither can drop a field the records hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from qms_audit.domain import capa_rules as capa
from qms_audit.domain.audit_rules import effective_status
from qms_audit.domain.capa_rules import overdue_actions
from qms_audit.domain.means import Shown
from qms_audit.domain.presentation import date, pct, result_label
from qms_audit.domain.scoring import MATURITY_LABELS, AuditScore, score_snapshot
from qms_audit.infra import clock
from qms_audit.model.audit import AuditRecord, Finding, Grade, RequirementResult
from qms_audit.model.log import LogEntry
from qms_audit.model.profile import InstitutionProfile
from qms_audit.model.standard import Requirement, Standard
from qms_audit.services.auditing import OpenedAudit
from qms_audit.store.audits import AuditSnapshot
from qms_audit.store.eventlog import ordered

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
        out = f"{self.phase} {self.kind}: {self.text}"
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

    @property
    def is_nc(self) -> bool:
        return self.grade_key in (Grade.MINOR_NC.value, Grade.MAJOR_NC.value)


@dataclass
class SealLine:
    """The seal of a closed audit as the report prints it, so that anyone holding the report can check the
    audit against it (`qms-audit verify AUDIT --report FILE`)."""

    seq: int
    hash: str
    at: dt.datetime
    signer: str
    key_id: str


def current_seal(entries: list[LogEntry]) -> SealLine | None:
    """The closing entry that seals the audit now: the last one, unless a reopening came after it."""
    for entry in reversed(entries):
        if entry.action == "audit.reopen":
            return None
        if entry.action == "audit.close" and entry.manifest is not None:
            signed = entry.signed_by
            return SealLine(entry.seq, entry.hash, entry.at, signed.name if signed else entry.actor,
                            signed.key_id if signed else "")
    return None


@dataclass
class ApprovalLine:
    """The latest approval of the report, with how many changes to the audit's records came after it."""

    by: str
    at: dt.datetime
    key_id: str
    changes_since: int


def current_approval(entries: list[LogEntry]) -> ApprovalLine | None:
    for i in range(len(entries) - 1, -1, -1):
        entry = entries[i]
        if entry.action == "report.approve":
            later = sum(1 for e in entries[i + 1:] if any(rel.startswith(("results/", "findings/"))
                                                           for rel in e.files))
            signed = entry.signed_by
            return ApprovalLine(entry.actor, entry.at, signed.key_id if signed else "", later)
    return None


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
            row.analysis = c.root_cause.analysis or ""
        row.similar = f"{c.similar.text} ({c.similar.by})" if c.similar else ""
        late = {a.id for a in overdue_actions(f, today)}
        row.actions = [ActionRow(a.id, a.description, a.owner, date(a.due), a.status.value, date(a.done_at),
                                 a.done_note or "", a.id in late) for a in c.actions]
        row.verifications = [f"{date(v.on)}: {v.result.value}, verified by {v.by} ({v.method})"
                             + (f"; {v.note}" if v.note else "") for v in c.verifications]
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
    body = _clause_sections(std, snap, score, active)
    findings = [_finding_row(f, std, today) for f in sorted(active, key=lambda f: (-f.grade.severity, f.id))]
    withdrawn = [_finding_row(f, std, today) for f in snap.findings.values() if f.withdrawn]
    disputes = [f for f in findings if f.position == "disputed" and not f.resolved]
    return ReportData(
        record=record, standard=std, score=score,
        institution=profile.name if profile else plan.client or "",
        report_id=report_id_for(record, profile, (plan.start_date or as_of).year), version="1.0", as_of=as_of,
        status=effective_status(snap).label, clauses=body.clauses, findings=findings,
        good_practices=body.good_practices, disputes=disputes, not_covered=body.not_covered, evidence=body.evidence,
        conclusions=_conclusions(score, body), fulfilment=_fulfilment(std, score, plan.scope.auditee_unit, findings),
        top_risks=_top_risks(std, findings), log_entries=len(entries), withdrawn=withdrawn,
        seal=current_seal(entries), approval=current_approval(entries))


@dataclass
class _ClauseBody:
    """What the walk through the standard's clauses collects for the report, in the standard's order."""

    clauses: list[ClauseSection] = field(default_factory=list)
    evidence: list[EvidenceRow] = field(default_factory=list)
    good_practices: list[RequirementRow] = field(default_factory=list)
    not_covered: list[tuple[str, str]] = field(default_factory=list)


def _clause_sections(std: Standard, snap: AuditSnapshot, score: AuditScore, active: list[Finding]) -> _ClauseBody:
    findings_by_ref: dict[str, list[str]] = {}
    for f in active:
        findings_by_ref.setdefault(f.ref or "", []).append(f.id)
    body = _ClauseBody()
    for top in std.clauses:
        clause_score = score.clauses.get(top.number)
        if clause_score is None:
            continue
        rows = []
        for req in top.all_requirements():
            result = snap.result(req.ref)
            row = _requirement_row(std, score, req, result, findings_by_ref.get(req.ref, []))
            body.evidence.extend(row.evidence)
            rows.append(row)
            if result.grade is Grade.GOOD_PRACTICE:
                body.good_practices.append(row)
            why = _why_not_covered(std, result)
            if why:
                body.not_covered.append((f"{req.ref} {req.title}", why))
        body.clauses.append(ClauseSection(
            number=top.number, title=top.title, score=clause_score.score, raw_score=clause_score.raw_score,
            coverage=clause_score.coverage, band=clause_score.band_label, capped=clause_score.capped,
            maturity=clause_score.maturity, assessed=clause_score.assessed, applicable=clause_score.applicable,
            rows=rows))
    for number in score.out_of_scope:
        clause = std.clause(number)
        why = snap.record.plan.scope.exclusions or "outside the scope agreed for this audit"
        body.not_covered.insert(0, (f"Clause {number} {clause.title if clause else ''}".strip(), why))
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


def _why_not_covered(std: Standard, result: RequirementResult) -> str:
    """Why a requirement in scope was not covered, or "" when it was."""
    if result.grade is Grade.NOT_APPLICABLE:
        return f"not applicable: {result.na_reason}"
    if not (std.uses_levels and result.level is not None) and result.grade is Grade.NOT_ASSESSED:
        return "not assessed in this audit"
    return ""


def _open_ncs(findings: list[FindingRow], grade: Grade) -> list[FindingRow]:
    return [f for f in findings if f.grade_key == grade.value and f.stage != "closed"]


def _top_risks(std: Standard, findings: list[FindingRow]) -> list[str]:
    """Every open major, then open minors on high-criticality requirements, a few other minors and observations."""
    open_minors = _open_ncs(findings, Grade.MINOR_NC)
    observations = [f for f in findings if f.grade_key == Grade.OBSERVATION.value]
    top_risks = [f"{f.id} (major, {f.ref}): {f.statement}" for f in _open_ncs(findings, Grade.MAJOR_NC)]
    critical = {r.ref for r in std.requirements() if r.criticality.value == "high"}
    top_risks += [f"{f.id} (minor, {f.ref}): {f.statement}" for f in open_minors if f.ref in critical]
    top_risks += [f"{f.id} (minor, {f.ref}): {f.statement}" for f in open_minors if f.ref not in critical][:3]
    top_risks += [f"{f.id} (observation, {f.ref}): {f.statement}" for f in observations][:2]
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
        conclusions.append(f"{len(good)} good practice(s) were found and are worth sharing: "
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
