"""Loading and checking the institution profile of a workspace."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from qms_audit.infra.errors import NotFound, choice_hint
from qms_audit.infra.files import MIB
from qms_audit.infra.i18n import LANGUAGES
from qms_audit.infra.loading import load_yaml_model
from qms_audit.infra.locations import Workspace
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


LANGUAGE_CODES = LANGUAGES
ENV_LANGUAGE = "QMS_AUDIT_LANG"


def language_for(workspace: Workspace | None, chosen: str | None = None) -> str:
    """The language a person reads: `--lang`, else $QMS_AUDIT_LANG, else the profile's `language:`, else English.
    Identifiers, file formats and --json keys stay the same in every language."""
    import os

    from qms_audit.infra.errors import BadInput

    for value, origin in ((chosen, "--lang"), (os.environ.get(ENV_LANGUAGE), f"${ENV_LANGUAGE}")):
        if value:
            code = value.strip().lower()
            if code not in LANGUAGE_CODES:
                raise BadInput(f"{origin} {value}: choose en (English), id (Bahasa Indonesia) or ms (Bahasa Melayu)")
            return code
    profile = maybe_profile(workspace) if workspace is not None else None
    return (profile.language if profile is not None else None) or "en"


def paper_for(workspace: Workspace | None) -> str:
    """The paper the institution prints on (A4 unless its profile says Letter); A4 outside a workspace."""
    profile = maybe_profile(workspace) if workspace is not None else None
    return profile.paper if profile is not None else "A4"


def home_unit_of(workspace: Workspace, name: str) -> str | None:
    profile = maybe_profile(workspace)
    if profile is None:
        return None
    person = profile.person(name)
    return person.unit if person else None


EXAMPLE_PROFILE = """\
# The institution profile. SOP drafts are filled from it (`qms-audit sop generate`), reports take the
# institution's name and numbering from it, and audits take auditors' home units from it for the
# independence check (no one audits their own unit). Check it with `qms-audit profile validate`.
format: 1
name: Example University            # full name, as on official documents
short_name: EXU                     # used in document numbers (letters and digits, 2-12)
country: Malaysia
city: Kuala Lumpur

# The units the micro-credential QMS names (clauses 1.2 and 5.3 of mc-qms)
mc_unit: Micro-Credential Centre                      # manages micro-credentials
certification_unit: Micro-Credential Certification Unit  # assesses and issues them
quality_unit: Quality Assurance Unit                  # runs the QMS and internal audits

units:                              # faculties and other units; codes appear in finding ids
  - {name: Faculty of Engineering, code: FOE, head: Prof Example Dean}
  - {name: Quality Assurance Unit, code: QAU, head: Dr Example Quality}
  - {name: Micro-Credential Centre, code: MCC}
  - {name: Micro-Credential Certification Unit, code: MCU}

people:                             # everyone named in roles; `unit` is the home unit
  - {name: Prof Example Head, position: Vice-Chancellor, unit: Office of the Vice-Chancellor}
  - {name: Prof Example Deputy, position: Deputy Vice-Chancellor (Academic), unit: Office of the Vice-Chancellor}
  - {name: Dr Example Quality, position: Head of Quality Assurance, unit: Quality Assurance Unit, auditor: true}
  - {name: Ms Example Director, position: Director, unit: Micro-Credential Centre}
  - {name: Dr Example Certifier, position: Head of Certification, unit: Micro-Credential Certification Unit}
  - {name: Prof Example Dean, position: Dean, unit: Faculty of Engineering}

roles:                              # each value is the name of a person above
  head_of_institution: Prof Example Head
  quality_manager: Dr Example Quality
  mc_manager: Ms Example Director
  certification_head: Dr Example Certifier
  audit_programme_owner: Dr Example Quality
  sop_approver: Prof Example Deputy

review_cycle_months: 24             # how often controlled documents are reviewed
numbering:
  sop: "{institution}-{unit}-SOP-{number:02d}"        # fields: institution, unit, number, sop_id
  report: "{institution}-IAR-{year}-{audit}"          # fields: institution, year, audit
# logo: templates/logo.png          # an image inside the workspace, for reports
credits:                            # the national credit catalogues count workload in
  name: credit                      # as catalogues write it: "2 credits" (Indonesia: name: SKS)
  hours: 40                         # notional learning hours of one (Malaysia's MQF: 40; an Indonesian SKS: 45)
ects_hours: 27.5                    # hours per ECTS credit (25-30)
paper: A4                           # paper for reports and workbooks: A4 or Letter
# language: id                      # what people read here: en, id (Bahasa Indonesia), ms (Bahasa Melayu)
"""
