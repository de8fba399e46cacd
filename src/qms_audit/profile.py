"""Loading and checking the institution profile of a workspace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from qms_audit.documents import load_yaml_model
from qms_audit.errors import NotFound, choice_hint
from qms_audit.files import MIB
from qms_audit.locations import Workspace
from qms_audit.model.profile import InstitutionProfile

Issue = tuple[Sequence[str | int], str, str | None]


def profile_problems(profile: InstitutionProfile) -> Iterator[Issue]:
    names = [p.name for p in profile.people]
    for field, value in profile.roles.model_dump().items():
        if profile.person(value) is None:
            yield ("roles", field), f"'{value}' is not one of the people listed", choice_hint(value, names)
    codes = [u.code for u in profile.units]
    for i, unit in enumerate(profile.units):
        if codes.count(unit.code) > 1:
            yield ("units", i, "code"), f"unit code '{unit.code}' is used twice", None
        if unit.head and profile.person(unit.head) is None:
            yield ("units", i, "head"), f"'{unit.head}' is not one of the people listed", choice_hint(unit.head, names)
    seen: set[str] = set()
    for i, person in enumerate(profile.people):
        key = " ".join(person.name.lower().split())
        if key in seen:
            yield ("people", i, "name"), f"'{person.name}' is listed twice", None
        seen.add(key)
    for field in ("sop", "report"):
        pattern = getattr(profile.numbering, field)
        try:
            pattern.format(institution="X", unit="U", number=1, sop_id="SOP", year=2026, audit="a")
        except (KeyError, IndexError, ValueError) as exc:
            yield ("numbering", field), f"the pattern cannot be filled ({exc})", \
                "use the fields {institution}, {unit}, {number}, {sop_id}, {year}, {audit}"


def load_profile(workspace: Workspace) -> InstitutionProfile:
    path = workspace.profile_path
    if not path.exists():
        raise NotFound(f"{workspace.relative(path)}: no institution profile yet; write one with "
                       "`qms-audit profile init` and edit it")
    return load_yaml_model(path, InstitutionProfile, what="profile", max_bytes=1 * MIB, checks=[profile_problems],
                           base=workspace.root)


def maybe_profile(workspace: Workspace) -> InstitutionProfile | None:
    return load_profile(workspace) if workspace.profile_path.exists() else None


def home_unit_of(workspace: Workspace, name: str) -> str | None:
    profile = maybe_profile(workspace)
    if profile is None:
        return None
    person = profile.person(name)
    return person.unit if person else None
