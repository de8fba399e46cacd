"""The audit programme: coverage of clauses and units over the cycle, gaps, overdue audits, auditor
independence, and a proposal for next year weighted by earlier results (ISO 9001:2015 9.2.2)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from qms_audit.infra.errors import NotFound, QmsError, choice_hint
from qms_audit.infra.files import MIB
from qms_audit.infra.loading import load_yaml_model
from qms_audit.infra.locations import Workspace
from qms_audit.model.audit import Grade
from qms_audit.model.common import number_key
from qms_audit.model.profile import InstitutionProfile
from qms_audit.model.programme import PlannedAudit, Programme
from qms_audit.model.standard import Standard
from qms_audit.services.portfolio import AuditDigest
from qms_audit.services.standards import StandardLibrary

DONE = ("reported", "follow_up", "closed")
# months of the proposed year for audits of clauses with major or repeated NCs, other NCs, and rotation
WINDOWS = {"urgent": (2, 3), "soon": (4, 5, 6), "due": (9, 10, 11)}


def load_programme(workspace: Workspace) -> Programme:
    path = workspace.programme_path
    if not path.exists():
        raise NotFound(f"{workspace.relative(path)}: no audit programme yet; write one (see docs/programme.md) or "
                       "propose one with `qms-audit programme suggest -o programme.yaml`")

    library = StandardLibrary(workspace)

    def checks(programme: Programme):
        if programme.cycle_end < programme.cycle_start:
            yield ("cycle_end",), "the cycle ends before it starts", None
        for i, planned in enumerate(programme.audits):
            if not programme.cycle_start <= planned.month <= programme.cycle_end:
                yield ("audits", i, "month"), f"{planned.month} is outside the cycle", \
                    f"{programme.cycle_start} to {programme.cycle_end}"
            try:
                std = library.get(planned.standard)
            except QmsError as exc:
                yield ("audits", i, "standard"), exc.message, None
                continue
            numbers = [c.number for c in std.auditable_clauses()]
            for k, number in enumerate(planned.clauses):
                if number not in numbers:
                    yield ("audits", i, "clauses", k), f"'{number}' is not an auditable clause of {std.id}", \
                        choice_hint(number, numbers)

    return load_yaml_model(path, Programme, what="programme", max_bytes=2 * MIB, checks=[checks],
                           base=workspace.root)


@dataclass
class PlannedRow:
    planned: PlannedAudit
    status: str  # done, in progress, scheduled, overdue
    audit: str | None
    conflicts: list[str]


@dataclass
class ProgrammeView:
    programme: Programme
    rows: list[PlannedRow]
    coverage: dict[str, dict[str, list[str]]]  # standard -> clause -> ["unit (month)"]
    gaps: dict[str, list[str]]  # standard -> clauses never planned in the cycle
    units_not_audited: list[str]
    unknown_people: list[str]


def _same_unit(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _match(planned: PlannedAudit, digests: list[AuditDigest], taken: set[str]) -> AuditDigest | None:
    """The audit carrying out a planned one: the one it names, else the first audit of that unit and standard
    starting within three months of the planned month that no other planned audit has claimed."""
    if planned.audit:
        return next((d for d in digests if d.id == planned.audit), None)
    year, month = map(int, planned.month.split("-"))
    first = dt.date(year, month, 1)
    candidates = []
    for d in digests:
        if d.id in taken or not _same_unit(d.unit, planned.unit) or d.standard_key.split("@")[0] != planned.standard:
            continue
        start = d.start
        if first <= start < first + dt.timedelta(days=92):
            candidates.append((start, d))
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def view(workspace: Workspace, programme: Programme, digests: list[AuditDigest], profile: InstitutionProfile | None,
         *, today: dt.date) -> ProgrammeView:
    library = StandardLibrary(workspace)
    this_month = f"{today.year:04d}-{today.month:02d}"
    rows = []
    unknown: set[str] = set()
    coverage: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    taken = {p.audit for p in programme.audits if p.audit}
    for planned in sorted(programme.audits, key=lambda p: (p.month, p.unit)):
        digest = _match(planned, digests, taken)
        if digest is not None:
            taken.add(digest.id)
        conflicts = _conflicts(planned, profile, unknown)
        rows.append(PlannedRow(planned, _status(planned, digest, this_month), digest.id if digest else None,
                               conflicts))
        std = library.get(planned.standard)
        clauses = planned.clauses or [c.number for c in std.auditable_clauses()]
        for number in clauses:
            coverage[std.id][number].append(f"{planned.unit} ({planned.month})")
    gaps = {}
    for std_id in {p.standard for p in programme.audits}:
        std = library.get(std_id)
        gaps[std_id] = [c.number for c in std.auditable_clauses() if c.number not in coverage[std_id]]
    return ProgrammeView(programme, rows, {s: dict(c) for s, c in coverage.items()}, gaps,
                         _units_not_audited(programme, profile), sorted(unknown))


def _status(planned: PlannedAudit, digest: AuditDigest | None, this_month: str) -> str:
    if digest is not None:
        return "done" if digest.status.value in DONE else "in progress"
    return "overdue" if planned.month < this_month else "scheduled"


def _conflicts(planned: PlannedAudit, profile: InstitutionProfile | None, unknown: set[str]) -> list[str]:
    """Auditors of the planned audit who belong to the unit audited; names the profile does not know go to
    `unknown`."""
    conflicts = []
    for name in [planned.lead, *planned.team]:
        person = profile.person(name) if profile else None
        if person is None:
            unknown.add(name)
        elif _same_unit(person.unit, planned.unit):
            conflicts.append(f"{name} belongs to {planned.unit}")
    return conflicts


def _units_not_audited(programme: Programme, profile: InstitutionProfile | None) -> list[str]:
    """The profile's units the programme plans no audit of (the central units that run the system aside)."""
    if not profile:
        return []
    planned_units = {" ".join(p.unit.lower().split()) for p in programme.audits}
    central = {profile.mc_unit.lower(), profile.certification_unit.lower(), profile.quality_unit.lower()}
    return [u.name for u in profile.units if " ".join(u.name.lower().split()) not in planned_units
            and u.name.lower() not in central]


def _clause_need(number: str, history: list[AuditDigest], std: Standard, year: int) -> str | None:
    """How soon a unit's clause is audited again, from the last audit that scored it: 'urgent' (a major NC or
    two NCs), 'soon' (an NC, or below the pass threshold), 'due' (never audited, or three years ago), 'unscored'
    (assessed too thinly to be scored), or None (it conformed recently)."""
    last = next((d for d in reversed(history) if number in d.clauses), None)
    if last is None:
        return "due"
    ncs = [f for f in last.findings if f.grade.is_nc and f.live and f.ref and f.ref.split(".")[0] == number]
    shown = last.clauses[number]
    last_year = last.start.year
    if any(f.grade is Grade.MAJOR_NC for f in ncs) or len(ncs) >= 2:
        return "urgent"
    if ncs or (shown.score is not None and shown.score < std.scoring.pass_threshold):
        return "soon"
    if year - last_year >= 3:
        return "due"
    if not shown.scored and shown.coverage is not None:
        # assessed too thinly to be scored: nothing shows it conformed, so it is audited again
        return "unscored"
    return None


def suggest(workspace: Workspace, digests: list[AuditDigest], profile: InstitutionProfile | None, *, year: int,
            standard_id: str = "mc-qms") -> tuple[Programme, list[str]]:
    """Next year's programme: clauses with nonconformities come back within months, clauses below the pass
    band within the year, clauses not scored when last audited (too little coverage) later in the year, the rest
    when three years have passed since they were last audited."""
    std = StandardLibrary(workspace).get(standard_id)
    clauses = [c.number for c in std.auditable_clauses()]
    by_unit: dict[str, list[AuditDigest]] = defaultdict(list)
    for d in digests:
        if d.standard_key.split("@")[0] == standard_id:
            by_unit[d.unit].append(d)
    units = sorted(set(by_unit) | ({u.name for u in profile.units} - {profile.mc_unit, profile.certification_unit,
                                                                       profile.quality_unit} if profile else set()))
    auditors = [p for p in (profile.people if profile else []) if p.auditor]
    reasons: list[str] = []
    planned: list[PlannedAudit] = []
    rotation = 0
    placed = {"urgent": 0, "soon": 0, "due": 0}
    for unit in units:
        history = sorted(by_unit.get(unit, []), key=lambda d: d.start)
        needs: dict[str, list[str]] = {"urgent": [], "soon": [], "due": [], "unscored": []}
        for number in clauses:
            need = _clause_need(number, history, std, year)
            if need is not None:
                needs[need].append(number)
        urgent, soon, due, unscored = needs["urgent"], needs["soon"], needs["due"], needs["unscored"]
        if not (urgent or soon or due or unscored):
            reasons.append(f"{unit}: every clause conformed when last audited less than three years ago; "
                           "no audit proposed")
            continue
        # spread each kind of audit over its window so that they do not all fall in one month
        kind = "urgent" if urgent else ("soon" if soon else "due")
        window = WINDOWS[kind]
        month = window[placed[kind] % len(window)]
        placed[kind] += 1
        candidates = [a for a in auditors if not _same_unit(a.unit, unit)]
        lead = candidates[rotation % len(candidates)].name if candidates else "to be named"
        rotation += 1
        chosen = sorted(set(urgent + soon + due + unscored), key=number_key)
        why = _why(urgent, soon, due, unscored)
        planned.append(PlannedAudit(unit=unit, standard=standard_id, clauses=chosen, month=f"{year}-{month:02d}",
                                    lead=lead, notes=why))
        reasons.append(f"{unit} in {year}-{month:02d}: {why}")
    programme = Programme(
        name=f"Internal audit programme {year}",
        owner=profile.roles.audit_programme_owner if profile else "to be named",
        cycle_start=f"{year}-01", cycle_end=f"{year}-12",
        method=("Proposed from earlier results: clauses with a major or repeated nonconformity come back in "
                "February or March, clauses with a nonconformity or below the pass band from April to June, and "
                "clauses not audited for three years, or assessed too little to be scored, from September to "
                "November. Lead auditors come from other units."),
        audits=planned)
    return programme, reasons


def _why(urgent: list[str], soon: list[str], due: list[str], unscored: list[str]) -> str:
    parts = []
    if urgent:
        parts.append("major or repeated NCs in clauses " + ", ".join(urgent))
    if soon:
        parts.append("NCs or scores below the pass band in clauses " + ", ".join(soon))
    if due:
        parts.append("not audited for three years (or never): clauses " + ", ".join(due))
    if unscored:
        parts.append("not scored when last audited (too little assessed): clauses " + ", ".join(unscored))
    return "; ".join(parts)


def programme_yaml(programme: Programme) -> str:
    import yaml

    header = ("# Audit programme proposed by `qms-audit programme suggest`: review it, then save it as "
              "programme.yaml.\n")
    data = programme.model_dump(mode="json", exclude_none=True)
    data["audits"] = [{k: v for k, v in planned.items() if v != []} for planned in data["audits"]]
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
