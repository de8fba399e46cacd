"""The audit programme: coverage of clauses and units over the cycle, gaps, overdue audits, auditor
independence, and a proposal for next year weighted by earlier results (ISO 9001:2015 9.2.2)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from qms_audit.domain.presentation import pct
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


# how soon a unit's clause is audited again, most pressing first, and the window of months each goes to
NEEDS = ("urgent", "soon", "never", "unscored", "due")
NEED_WINDOW = {"urgent": "urgent", "soon": "soon", "never": "due", "unscored": "due", "due": "due"}


def _clause_need(number: str, history: list[AuditDigest], std: Standard, year: int) -> tuple[str, str] | None:
    """How soon a unit's clause is audited again, from its audits so far (oldest first), and the detail of why:
    'urgent' (a major NC or two NCs when last audited), 'soon' (an NC, or a score below the pass band), 'never'
    (no audit of the unit ever assessed it), 'unscored' (assessed too little to be scored when last audited), 'due'
    (last audited three years ago or more); None when it conformed recently."""
    covered = [d for d in history if number in d.clauses and (d.clauses[number].coverage or 0.0) > 0]
    if not covered:
        return "never", number
    last = covered[-1]
    ncs = [f for f in last.findings if f.grade.is_nc and f.live and f.ref and f.ref.split(".")[0] == number]
    shown = last.clauses[number]
    if any(f.grade is Grade.MAJOR_NC for f in ncs) or len(ncs) >= 2:
        return "urgent", number
    if ncs or (shown.score is not None and shown.score < std.scoring.pass_threshold):
        return "soon", number
    if year - last.start.year >= 3:
        return "due", f"{number} ({last.start.year})"
    if not shown.scored:
        # assessed too thinly to be scored: nothing shows it conformed, so it is audited again
        return "unscored", f"{number} (coverage {pct(shown.coverage)} in {last.id})"
    return None



def needs_after(audit: AuditDigest, earlier: list[AuditDigest], std: Standard) -> dict[str, str]:
    """What one audit's results ask of the programme, clause by clause: the need the proposal's rule
    (`_clause_need`) finds for each clause in the audit's scope, this audit being the latest of its unit's audits
    (`earlier`: other audits; those of other units or standards, or later, are ignored). Clauses that conformed
    are left out."""
    standard = audit.standard_key.split("@")[0]
    history = sorted([*(d for d in earlier if d.id != audit.id and _same_unit(d.unit, audit.unit)
                        and d.standard_key.split("@")[0] == standard and d.start <= audit.start), audit],
                     key=lambda d: (d.start, d.id))
    needs = {}
    for number in sorted(audit.clauses, key=number_key):
        need = _clause_need(number, history, std, audit.start.year)
        if need is not None:
            needs[number] = need[0]
    return needs


def planned_after(programme: Programme, audit: AuditDigest) -> list[PlannedAudit]:
    """The programme's audits of the same unit planned after this one (not the entry this audit carries out)."""
    month = f"{audit.start:%Y-%m}"
    return [p for p in programme.audits if _same_unit(p.unit, audit.unit) and p.month > month
            and p.audit != audit.id]

@dataclass
class _UnitPlan:
    """One unit in the proposal: its audits kept from the current programme and what each clause needs."""

    name: str
    kept: list[PlannedAudit]
    needs: dict[str, tuple[str, str]]  # clause -> (need, detail)

    def kept_for(self, number: str, standard_id: str) -> PlannedAudit | None:
        return next((p for p in self.kept if p.standard == standard_id and (not p.clauses or number in p.clauses)),
                    None)


def _units(profile: InstitutionProfile | None, by_unit: dict[str, list[AuditDigest]],
           kept: list[PlannedAudit]) -> list[str]:
    """Every unit to plan for: each unit of the institution profile, the central ones included, then any other
    unit that was audited or is scheduled."""
    names = [u.name for u in profile.units] if profile else []
    for name in [*sorted(d[0].unit for d in by_unit.values() if d), *(p.unit for p in kept)]:
        if not any(_same_unit(name, known) for known in names):
            names.append(name)
    return names


def suggest(workspace: Workspace, digests: list[AuditDigest], profile: InstitutionProfile | None, *, year: int,
            standard_id: str = "mc-qms", scheduled: Programme | None = None) -> tuple[Programme, list[str]]:
    """Next year's programme, for every unit of the profile: the audits `scheduled` for that year (the current
    programme's) are kept as they are, and audits are proposed for the clauses they leave out that need one.
    Clauses with nonconformities come back within months, clauses below the pass band within the year, clauses
    never assessed in the unit, or not scored when last audited (too little coverage), later in the year, the
    rest when three years have passed since they were last audited. Returns the programme and, per unit, why."""
    std = StandardLibrary(workspace).get(standard_id)
    clauses = [c.number for c in std.auditable_clauses()]
    by_unit: dict[str, list[AuditDigest]] = defaultdict(list)
    for d in digests:
        if d.standard_key.split("@")[0] == standard_id:
            by_unit[" ".join(d.unit.lower().split())].append(d)
    kept = [p for p in (scheduled.audits if scheduled else []) if p.month.startswith(f"{year:04d}-")]
    auditors = [p for p in (profile.people if profile else []) if p.auditor]
    reasons: list[str] = []
    proposed: list[PlannedAudit] = []
    rotation = 0
    placed = dict.fromkeys(WINDOWS, 0)
    for name in _units(profile, by_unit, kept):
        history = sorted(by_unit.get(" ".join(name.lower().split()), []), key=lambda d: (d.start, d.id))
        needs = {n: need for n in clauses if (need := _clause_need(n, history, std, year)) is not None}
        unit = _UnitPlan(name, [p for p in kept if _same_unit(p.unit, name)], needs)
        for planned in unit.kept:
            covers = {n: need for n, need in needs.items() if unit.kept_for(n, standard_id) is planned}
            reasons.append(f"{name}: kept as scheduled, {planned.month} ({planned.standard}, "
                           f"{_clauses(planned.clauses) if planned.clauses else 'all clauses'})"
                           + (f"; it covers {_why(covers)}" if covers else "")
                           + _late_note(unit, planned, standard_id, year))
        left = {n: need for n, need in needs.items() if unit.kept_for(n, standard_id) is None}
        if not left:
            reasons.append(f"{name}: " + ("no further audit needed: the scheduled audits cover every clause that "
                                          "needs one" if unit.kept and needs else
                                          "every clause conformed when last audited less than three years ago; no "
                                          "audit proposed"))
            continue
        kind = NEED_WINDOW[next(k for k in NEEDS if any(need == k for need, _ in left.values()))]
        window = WINDOWS[kind]
        alongside = next((p for p in unit.kept if int(p.month[5:]) in window), None)
        month = int(alongside.month[5:]) if alongside else window[placed[kind] % len(window)]
        placed[kind] += alongside is None
        candidates = [a for a in auditors if not _same_unit(a.unit, name)]
        lead = candidates[rotation % len(candidates)].name if candidates else "to be named"
        rotation += 1
        why = _why(left)
        if alongside is not None:
            why += f"; alongside the audit already scheduled in {alongside.month}, with which it can be run as one"
        proposed.append(PlannedAudit(unit=name, standard=standard_id, clauses=sorted(left, key=number_key),
                                     month=f"{year}-{month:02d}", lead=lead, notes=why))
        reasons.append(f"{name} in {year}-{month:02d}: {why}")
    method = ("Proposed from earlier results, for every unit of the institution: clauses with a major or repeated "
              "nonconformity come back in February or March, clauses with a nonconformity or below the pass band "
              "from April to June, and clauses never assessed in the unit, assessed too little to be scored, or not "
              "audited for three years, from September to November. Lead auditors come from other units.")
    if kept:
        method += " The audits already scheduled for the year are kept as they were planned."
    programme = Programme(
        name=f"Internal audit programme {year}",
        owner=profile.roles.audit_programme_owner if profile else (scheduled.owner if scheduled else "to be named"),
        cycle_start=f"{year}-01", cycle_end=f"{year}-12", method=method,
        audits=sorted([*kept, *proposed], key=lambda p: (p.month, p.unit)))
    return programme, reasons


def _late_note(unit: _UnitPlan, planned: PlannedAudit, standard_id: str, year: int) -> str:
    """A scheduled audit later in the year than its clauses' nonconformities call for."""
    late = [n for n, (need, _) in unit.needs.items() if need in ("urgent", "soon")
            and unit.kept_for(n, standard_id) is planned and planned.month > f"{year}-{WINDOWS[need][-1]:02d}"]
    return f"; {_clauses(late)} call for an earlier audit (their latest NCs)" if late else ""


def _clauses(numbers: list[str]) -> str:
    return ("clause " if len(numbers) == 1 else "clauses ") + ", ".join(numbers)


NEED_TEXT = {
    "urgent": "major or repeated NCs when last audited",
    "soon": "NCs or scores below the pass band when last audited",
    "never": "never assessed in an audit of this unit",
    "unscored": "assessed too little to be scored when last audited",
    "due": "not audited for three years (the year last audited in brackets)",
}


def _why(needs: dict[str, tuple[str, str]]) -> str:
    parts = []
    for kind in NEEDS:
        details = [detail for _n, (need, detail) in sorted(needs.items(), key=lambda kv: number_key(kv[0]))
                   if need == kind]
        if details:
            parts.append(f"{_clauses(details)}: {NEED_TEXT[kind]}")
    return "; ".join(parts)


def programme_yaml(programme: Programme) -> str:
    import yaml

    header = ("# Audit programme proposed by `qms-audit programme suggest`: review it, then save it as "
              "programme.yaml.\n")
    data = programme.model_dump(mode="json", exclude_none=True)
    data["audits"] = [{k: v for k, v in planned.items() if v != []} for planned in data["audits"]]
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
