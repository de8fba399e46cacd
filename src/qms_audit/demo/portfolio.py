"""Generated workspaces for benchmarks and for trying the management views on a multi-year portfolio.

`qms-audit generate portfolio DIR --audits N` (and the benchmarks) call `generate_portfolio`: realistic
audits of several units over several years, with evidence in every PDCA phase, findings, and CAPAs at
every stage. Each audit is written through the record layer as one logged import (closed audits are
then closed and sealed), so `qms-audit verify` passes on generated data too.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qms_audit.infra import clock
from qms_audit.infra.files import sha256_bytes
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import (
    ActionStatus,
    AuditeeResponse,
    AuditPlan,
    AuditRecord,
    AuditStatus,
    Capa,
    CapaAction,
    CapaEvent,
    ClauseResults,
    Criteria,
    Evidence,
    EvidenceKind,
    Finding,
    Grade,
    RcaMethod,
    RequirementResult,
    RootCause,
    Sample,
    Scope,
    StatusChange,
    Step,
    TeamMember,
    Verification,
    VerificationResult,
)
from qms_audit.model.common import PHASES, Phase
from qms_audit.model.standard import Standard
from qms_audit.store.audits import AUDIT_FILE, CRITERIA_FILE, AuditStore, finding_relpath, results_relpath

UNITS = [
    ("Faculty of Engineering", "FOE"), ("Faculty of Business", "FOB"), ("Faculty of Computing", "FOC"),
    ("Faculty of Education", "FED"), ("Faculty of Health Sciences", "FHS"), ("School of Continuing Education",
                                                                              "SCE"),
    ("Faculty of Agriculture", "FAG"), ("Faculty of Arts and Design", "FAD"),
]
AUDITORS = [
    ("Dr Farah Aziz", "Quality Assurance Unit"), ("Mr Daniel Reyes", "Faculty of Business"),
    ("Dr Siti Hamzah", "Faculty of Computing"), ("Prof Anan Wong", "Faculty of Education"),
    ("Ms Grace Lim", "Quality Assurance Unit"), ("Dr Rizal Putra", "Faculty of Engineering"),
]
OWNERS = ["Dr Mei Lin Tan", "Ms Priya Nair", "Prof Hassan Ismail", "Mr Tan Wei", "Dr Nora Salleh"]
EVIDENCE_TEXT = {
    Phase.PLAN: ["Approved procedure, current version", "Policy section naming the owner and the method",
                 "Plan approved by the faculty board"],
    Phase.DO: ["Records of the sampled micro-credentials", "Completed forms for the latest intake",
               "Minutes showing the step was carried out"],
    Phase.CHECK: ["Monitoring report reviewed by the committee", "Survey results analysed",
                  "Internal review of the records"],
    Phase.ACT: ["Change made after the review, with its record", "Procedure revised after feedback",
                "Action plan completed"],
}


def write_standard(workspace: Workspace, standard: Standard) -> None:
    """Put a generated standard into the workspace so that audits can refer to it."""
    import yaml

    from qms_audit.infra.files import atomic_write_text

    text = yaml.safe_dump(standard.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)
    atomic_write_text(workspace.standards_dir / f"{standard.id}.yaml", text)


def synthetic_standard(n_requirements: int, *, clauses: int = 10, std_id: str | None = None) -> Standard:
    """A valid standard of any size, for benchmarks (e.g. 1,000 requirements for TUI latency)."""
    per = max(1, n_requirements // clauses)
    data: dict = {
        "id": std_id or f"synthetic-{n_requirements}", "title": f"Synthetic standard of {n_requirements} "
        "requirements", "version": "1", "source": {"citation": "generated for benchmarks"}, "clauses": []}
    made = 0
    for c in range(1, clauses + 1):
        reqs = []
        count = per if c < clauses else n_requirements - made
        for r in range(count):
            made += 1
            ref = f"{c}.r{r + 1}"
            reqs.append({"ref": ref, "title": f"Requirement {ref}", "question": f"Is requirement {ref} met in "
                         "practice, with records to show it?", "force": "must" if r % 3 else "should",
                         "pdca": PHASES[(c - 1) * 4 // clauses].value, "source_clause": str(c),
                         "weight": 2.0 if r % 7 == 0 else 1.0,
                         "evidence": {"plan": "A documented plan", "do": "Records of doing",
                                      "check": "Monitoring results", "act": "Improvement made"}})
        data["clauses"].append({"number": str(c), "title": f"Clause {c}", "pdca": PHASES[(c - 1) * 4 // clauses].value,
                                "requirements": reqs})
    return Standard.model_validate(data)


@dataclass
class PortfolioSpec:
    audits: int = 40
    first_year: int = 2022
    years: int = 5
    seed: int = 7
    evidence_per_requirement: tuple[int, int] = (1, 3)
    findings_cap: int | None = None


def _grade_for(rng: random.Random, quality: float, force_must: bool) -> Grade:
    x = rng.random()
    if x < 0.03:
        return Grade.NOT_APPLICABLE
    if x < 0.06:
        return Grade.NOT_ASSESSED
    y = rng.random()
    weakness = 1.0 - quality
    if force_must:
        if y < 0.05 * weakness:
            return Grade.MAJOR_NC
        if y < 0.40 * weakness:
            return Grade.MINOR_NC
        if y < 0.48 * weakness:
            return Grade.OBSERVATION
    if y > 0.975:
        return Grade.GOOD_PRACTICE
    if y > 0.955 - 0.12 * weakness:
        return Grade.OFI
    return Grade.CONFORMITY


def generate_portfolio(workspace: Workspace, standard: Standard, spec: PortfolioSpec,
                       progress: Callable[[int, int], None] | None = None) -> list[str]:
    """Write `spec.audits` audits spread over the years and units; returns their ids."""
    rng = random.Random(spec.seed)
    ids: list[str] = []
    today = clock.today()
    # each audit is pinned to the standard's text, as an audit planned with the tool is
    from qms_audit.services.standards import StandardLibrary

    _, text = StandardLibrary(workspace).text_of(standard.id, standard.version)
    per_year = max(1, spec.audits // spec.years)
    for n in range(spec.audits):
        year = spec.first_year + min(spec.years - 1, n // per_year)
        unit, code = UNITS[n % len(UNITS)]
        # units improve over the years, some faster than others
        quality = min(0.98, 0.55 + 0.07 * (year - spec.first_year) + 0.04 * (n % len(UNITS) % 3))
        audit_id = f"{year}-{code.lower()}-{n:04d}"
        _write_audit(workspace, standard, audit_id, year, unit, code, quality, rng, spec, today, text)
        ids.append(audit_id)
        if progress:
            progress(n + 1, spec.audits)
    return ids


def _write_audit(ws: Workspace, std: Standard, audit_id: str, year: int, unit: str, code: str, quality: float,
                 rng: random.Random, spec: PortfolioSpec, today: dt.date, criteria_text: bytes) -> None:
    month = rng.randint(2, 11)
    start = dt.date(year, month, rng.randint(1, 20))
    at = dt.datetime(start.year, start.month, start.day, 9, tzinfo=dt.UTC)
    auditors = [a for a in AUDITORS if a[1] != unit]
    lead_name, lead_unit = auditors[rng.randrange(len(auditors))]
    other = [a for a in auditors if a[0] != lead_name]
    member = other[rng.randrange(len(other))]
    old = start < today - dt.timedelta(days=200)
    plan = AuditPlan(
        objectives=[f"Determine conformity of {unit} with {std.title}"],
        scope=Scope(auditee_unit=unit, unit_code=code, processes=["Micro-credential lifecycle"]),
        criteria=Criteria(standard=std.id, version=std.version, sha256=sha256_bytes(criteria_text)),
        client="Deputy Vice-Chancellor (Academic)",
        lead=TeamMember(name=lead_name, home_unit=lead_unit, role="lead"),
        team=[TeamMember(name=member[0], home_unit=member[1])],
        start_date=start, end_date=start + dt.timedelta(days=2), locations=["Main campus"],
        method="Document review, record sampling, interviews", sampling="3 micro-credentials at random")
    status = AuditStatus.REPORTED if old else AuditStatus.PLANNED
    record = AuditRecord(id=audit_id, title=f"Internal audit of {unit} {year}", plan=plan, created_at=at,
                         created_by=lead_name, status=status,
                         history=[StatusChange(status=AuditStatus.PLANNED, at=at, by=lead_name)]
                         + ([StatusChange(status=AuditStatus.REPORTED, at=at + dt.timedelta(days=10),
                                          by=lead_name)] if old else []))
    clause_files: dict[str, ClauseResults] = {}
    findings: list[Finding] = []
    counters: dict[str, int] = {}
    ev_seq = 0
    for req in std.requirements():
        grade = _grade_for(rng, quality, req.can_raise_nc)
        clause = std.top_clause_of(req.ref)
        evidence = []
        if grade.is_assessed:
            lo, hi = spec.evidence_per_requirement
            depth = min(4, max(1, int(rng.random() * 4 * quality + 0.7)))
            for i in range(rng.randint(lo, hi)):
                phase = PHASES[min(i, depth - 1)] if i < depth else PHASES[rng.randrange(depth)]
                ev_seq += 1
                evidence.append(Evidence(
                    id=f"E-{rng.getrandbits(32):08x}", phase=phase,
                    kind=list(EvidenceKind)[rng.randrange(len(EvidenceKind))],
                    text=EVIDENCE_TEXT[phase][rng.randrange(3)], reference=f"DOC-{year}-{ev_seq:04d}",
                    sample=Sample(size=3, population=rng.randint(5, 20)) if phase is Phase.DO else None,
                    collected_by=lead_name, collected_at=at + dt.timedelta(minutes=ev_seq)))
        result = RequirementResult(
            grade=grade, note="" if grade is Grade.CONFORMITY else f"{grade.label} on {req.ref}",
            na_reason="Not part of this unit's processes" if grade is Grade.NOT_APPLICABLE else None,
            evidence=evidence, rated_by=lead_name if grade is not Grade.NOT_ASSESSED else None,
            rated_at=at if grade is not Grade.NOT_ASSESSED else None)
        if grade is not Grade.NOT_ASSESSED or evidence:
            cf = clause_files.setdefault(clause, ClauseResults(clause=clause))
            cf.results[req.ref] = result
        if grade.makes_finding and (spec.findings_cap is None or len(findings) < spec.findings_cap):
            prefix = {"major_nc": "NC", "minor_nc": "NC", "observation": "OBS", "ofi": "OFI"}[grade.value]
            key = f"{prefix}-{clause}"
            counters[key] = counters.get(key, 0) + 1
            number = (int(clause) * 100 if clause.isdigit() else 0) + counters[key]
            fid = f"{prefix}-{year}-{code}-{number:03d}"
            findings.append(_finding(fid, grade, req.ref, audit_id, std, unit, lead_name, at, rng, today, old))
    store = AuditStore(ws, audit_id)
    store.folder.mkdir(parents=True, exist_ok=True)
    with clock.using(lambda: at + dt.timedelta(days=3)), store.transaction(
            actor=lead_name, action="audit.import", target=audit_id,
            summary=f"imported generated audit of {unit} {year}") as tx:
        tx.write(AUDIT_FILE, record)
        tx.write_bytes(CRITERIA_FILE, criteria_text)
        for clause, cf in clause_files.items():
            tx.write(results_relpath(clause), cf)
        for f in findings:
            tx.write(finding_relpath(f.id), f)
    if old and all(f.capa is None or f.capa.closed_at is not None for f in findings if f.grade.is_nc) \
            and rng.random() < 0.85:
        from qms_audit.services.auditing import close_audit, open_audit

        with clock.using(lambda: at + dt.timedelta(days=120)):
            close_audit(open_audit(ws, audit_id), actor=lead_name, note="all findings closed")


def _finding(fid: str, grade: Grade, ref: str, audit_id: str, std: Standard, unit: str, lead: str,
             at: dt.datetime, rng: random.Random, today: dt.date, old: bool) -> Finding:
    due = at.date() + dt.timedelta(days=30 if grade is Grade.MAJOR_NC else 60)
    finding = Finding(id=fid, grade=grade, audit_id=audit_id, standard=std.key, ref=ref, unit=unit,
                      statement=f"{grade.label} found on {ref} in the sampled records", evidence="sampled records",
                      raised_by=lead, raised_at=at, response_due=due if grade.severity >= 2 else None,
                      response=AuditeeResponse(position="disputed" if rng.random() < 0.05 else "acknowledged",
                                               text="", by="Dean", at=at + dt.timedelta(days=1)))
    if not grade.is_nc:
        return finding
    owner = OWNERS[rng.randrange(len(OWNERS))]
    verifier = lead
    stage_roll = rng.random() if not old else 0.9 + rng.random() * 0.1
    t = at + dt.timedelta(days=3)
    capa = Capa(correction=Step(text="Immediate correction made", by=owner, at=t))
    history = [CapaEvent(stage="correction", at=t, by=owner)]
    if stage_roll > 0.2:
        t += dt.timedelta(days=5)
        capa.root_cause = RootCause(method=list(RcaMethod)[rng.randrange(5)], statement="Cause found", by=owner,
                                    at=t)
        capa.similar = Step(text="Other units checked", by=owner, at=t)
        due_action = (t + dt.timedelta(days=rng.randint(20, 90))).date()
        capa.actions = [CapaAction(id="A1", description="Corrective action", owner=owner, due=due_action,
                                   planned_by=owner, planned_at=t)]
        history.append(CapaEvent(stage="actions-in-progress", at=t, by=owner))
        if stage_roll > 0.5:
            done_at = t + dt.timedelta(days=rng.randint(10, 120))
            capa.actions[0] = capa.actions[0].model_copy(update={"status": ActionStatus.DONE, "done_at": done_at})
            if stage_roll > 0.7:
                effective = rng.random() > 0.1 or old
                capa.verifications = [Verification(
                    actions=["A1"], method="Re-sampled records", by=verifier,
                    on=(done_at + dt.timedelta(days=14)).date(),
                    result=VerificationResult.EFFECTIVE if effective else VerificationResult.NOT_EFFECTIVE,
                    recorded_at=done_at + dt.timedelta(days=14))]
                if effective and stage_roll > 0.8:
                    capa.closed_at = done_at + dt.timedelta(days=15)
                    capa.closed_by = verifier
                    history.append(CapaEvent(stage="closed", at=capa.closed_at, by=verifier))
    capa.history = history
    return finding.model_copy(update={"capa": capa})


def ids_by_year(ids: Sequence[str]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for audit_id in ids:
        out.setdefault(int(audit_id[:4]), []).append(audit_id)
    return out


# -- a whole sample workspace for the management views ---------------------------------------------------


def sample_profile() -> dict:
    """An institution profile that matches the generated units and auditors (the university is fictional)."""
    people: list[dict[str, str | bool]] = [
        {"name": "Prof Aminah Yusof", "position": "Vice-Chancellor", "unit": "Office of the Vice-Chancellor"},
        {"name": "Prof Rosli Ahmad", "position": "Deputy Vice-Chancellor (Academic)",
         "unit": "Office of the Vice-Chancellor"},
        {"name": "Ms Aishah Rahman", "position": "Director", "unit": "Micro-Credential Centre"},
        {"name": "Dr Kamal Hassan", "position": "Head of Certification", "unit": "Micro-Credential Certification Unit"}]
    people += [{"name": name, "position": "Internal auditor", "unit": unit, "auditor": True}
               for name, unit in AUDITORS]
    people += [{"name": name, "position": "Micro-credential coordinator", "unit": UNITS[i % len(UNITS)][0]}
               for i, name in enumerate(OWNERS)]
    return {
        "format": 1, "name": "Universiti Teknologi Nusantara", "short_name": "UTN", "country": "Malaysia",
        "city": "Kuala Lumpur", "mc_unit": "Micro-Credential Centre",
        "certification_unit": "Micro-Credential Certification Unit", "quality_unit": "Quality Assurance Unit",
        "units": [{"name": name, "code": code} for name, code in UNITS]
        + [{"name": "Quality Assurance Unit", "code": "QAU"}, {"name": "Micro-Credential Centre", "code": "MCC"},
           {"name": "Micro-Credential Certification Unit", "code": "MCU"}],
        "people": people,
        "roles": {"head_of_institution": "Prof Aminah Yusof", "quality_manager": "Dr Farah Aziz",
                  "mc_manager": "Ms Aishah Rahman", "certification_head": "Dr Kamal Hassan",
                  "audit_programme_owner": "Dr Farah Aziz", "sop_approver": "Prof Rosli Ahmad"},
    }


FEEDBACK = [
    ("learner_feedback", "Learners of a stackable micro-credential were not told how it counts towards the degree",
     "4.2.a"),
    ("complaint", "A learner's certificate was issued without the learning outcomes listed", "8.3.c"),
    ("industry_feedback", "An industry partner was not consulted when the curriculum was revised", "4.2.b"),
    ("external_audit", "The accreditation visit found the SOP register out of date", "1.3.b"),
]
REVIEW_ACTIONS = [
    ("Train two more internal auditors from the faculties", "Dr Farah Aziz"),
    ("Publish the stacking rules on every micro-credential page", "Ms Aishah Rahman"),
    ("Add learner satisfaction to the faculty dashboards", "Dr Mei Lin Tan"),
    ("Budget for a digital credential platform", "Prof Rosli Ahmad"),
    ("Revise the assessment SOP after the recurring NCs", "Dr Kamal Hassan"),
]


def generate_sample_workspace(directory, *, audits: int, years: int, seed: int = 7,
                              progress: Callable[[int, int], None] | None = None) -> tuple[Workspace, list[str]]:
    """A workspace holding a multi-year portfolio: profile, audits, register NCs, held reviews, a programme."""
    import yaml

    from qms_audit.infra.files import atomic_write_text
    from qms_audit.model.review import Decision, PlannedReviewAction, ReviewMinutes
    from qms_audit.services.capa import raise_nc
    from qms_audit.services.reviews import record_review, set_action
    from qms_audit.services.standards import StandardLibrary
    from qms_audit.services.workspace_setup import create_workspace

    ws = create_workspace(directory)
    atomic_write_text(ws.profile_path, "# A fictional university, made by `qms-audit generate portfolio`.\n"
                      + yaml.safe_dump(sample_profile(), sort_keys=False, allow_unicode=True, width=110))
    std = StandardLibrary(ws).get("mc-qms")
    today = clock.today()
    first = today.year - years + 1
    ids = generate_portfolio(ws, std, PortfolioSpec(audits=audits, first_year=first, years=years, seed=seed),
                             progress=progress)
    rng = random.Random(seed)
    for year in range(first, today.year + 1):
        for n, (source, statement, ref) in enumerate(FEEDBACK):
            when = dt.datetime(year, 3 + 2 * n, 10, 10, tzinfo=dt.UTC)
            if when.date() > today:
                continue
            with clock.using(clock.stopped_at(when)):
                raise_nc(ws, source=source, statement=statement, grade=Grade.MINOR_NC,
                         unit=UNITS[(year + n) % len(UNITS)][0], unit_code=UNITS[(year + n) % len(UNITS)][1],
                         actor="Dr Farah Aziz", ref=ref, standard=std.id)
    for year in range(first, today.year):
        held = dt.date(year + 1, 1, 20)
        if held > today:
            continue
        actions = [PlannedReviewAction(description=text, owner=owner, due=dt.date(year + 1, 6 + i, 30))
                   for i, (text, owner) in enumerate(REVIEW_ACTIONS[(year % 2):(year % 2) + 3])]
        minutes = ReviewMinutes(
            title=f"University management review {year}", held_on=held, period_from=dt.date(year, 1, 1),
            period_to=dt.date(year, 12, 31), chair="Prof Aminah Yusof",
            attendees=["Prof Rosli Ahmad", "Dr Farah Aziz", "Ms Aishah Rahman", "Dr Kamal Hassan"],
            issues=["National qualifications framework revised its micro-credential guidelines",
                    "Two faculties merged their continuing education offices"][: 1 + year % 2],
            decisions=[Decision(kind="improvement", text="Bring the clauses with repeated NCs into the next "
                                "audit programme early"),
                       Decision(kind="resources", text="Fund auditor training for the faculties")],
            actions=actions)
        with clock.using(clock.stopped_at(dt.datetime(held.year, held.month, held.day, 16, tzinfo=dt.UTC))):
            review = record_review(ws, minutes, actor="Dr Farah Aziz")
        for action in review.actions:
            done_on = action.due - dt.timedelta(days=rng.randint(-20, 40))
            if done_on < today and rng.random() < 0.7:
                with clock.using(clock.stopped_at(dt.datetime(done_on.year, done_on.month, done_on.day, 12,
                                                              tzinfo=dt.UTC))):
                    set_action(ws, review.id, action.id, status="done", actor=action.owner, on=done_on,
                               note="Done and reported to the committee")
    atomic_write_text(ws.programme_path, _sample_programme(ws, ids, today))
    return ws, ids


def _sample_programme(ws: Workspace, ids: list[str], today: dt.date) -> str:
    """This year's programme: the audits already held, those still to come, one left overdue, and one whose
    lead auditor comes from the unit audited (an independence conflict for `programme show` to catch)."""
    import yaml

    from qms_audit.store.audits import AuditStore

    year = today.year
    planned = []
    held_units = set()
    for audit_id in ids:
        if not audit_id.startswith(f"{year}-"):
            continue
        record = AuditStore(ws, audit_id).load().record
        unit = record.plan.scope.auditee_unit
        if unit in held_units:
            continue
        held_units.add(unit)
        start = record.plan.start_date or record.created_at.date()
        planned.append({"unit": unit, "standard": "mc-qms", "month": f"{start.year}-{start.month:02d}",
                        "lead": record.plan.lead.name, "team": [m.name for m in record.plan.team],
                        "audit": audit_id})
    # units not yet audited this year, then two follow-up audits: one already overdue, one still to come
    follow_ups = [name for name, _ in UNITS if name not in held_units] + [UNITS[0][0], UNITS[2][0]]
    for i, unit in enumerate(follow_ups):
        lead = next(name for name, home in AUDITORS[i % len(AUDITORS):] + AUDITORS if home != unit)
        month = max(1, today.month - 1) if i % 2 == 0 else min(12, today.month + 1)
        entry = {"unit": unit, "standard": "mc-qms", "clauses": ["8", "9", "10"] if i % 2 else ["6", "7"],
                 "month": f"{year}-{month:02d}", "lead": lead, "notes": "Follow-up of earlier findings"}
        planned.append(entry)
    conflict = next(((name, home) for name, home in AUDITORS if home in dict(UNITS)), None)
    if conflict:
        planned.append({"unit": conflict[1], "standard": "mc-qms", "clauses": ["7"], "month": f"{year}-12",
                        "lead": conflict[0], "notes": "Follow-up of the resources findings"})
    programme = {"format": 1, "name": f"Internal audit programme {year}", "owner": "Dr Farah Aziz",
                 "cycle_start": f"{year}-01", "cycle_end": f"{year}-12",
                 "method": "Every faculty once a year; clauses with NCs are followed up within the year.",
                 "audits": planned}
    return ("# yaml-language-server: $schema=programme.schema.json\n"
            "# The audit programme of this workspace (ISO 9001:2015 9.2.2); `qms-audit programme show` reads it.\n"
            + yaml.safe_dump(programme, sort_keys=False, allow_unicode=True, width=110))
