"""What SOP templates see: plain dictionaries built from the profile and the standard (no live objects)."""

from __future__ import annotations

import datetime as dt

from qms_audit.infra.clock import add_months
from qms_audit.model.profile import InstitutionProfile
from qms_audit.model.standard import SopDefinition, Standard


def sop_number(profile: InstitutionProfile, standard: Standard, sop: SopDefinition) -> str:
    number = [s.id for s in standard.sops].index(sop.id) + 1
    unit = next((u.code for u in profile.units if u.name == profile.quality_unit), "QMS")
    return profile.numbering.sop.format(institution=profile.short_name, unit=unit, number=number, sop_id=sop.id,
                                        year=0, audit="")


def sop_context(profile: InstitutionProfile, standard: Standard, sop: SopDefinition, *, on: dt.date) -> dict:
    def person(name: str) -> dict:
        p = profile.person(name)
        return {"name": name, "position": (p.position if p else None) or "", "unit": p.unit if p else "",
                "email": (p.email if p else None) or ""}

    people = {role: person(name) for role, name in profile.roles.model_dump().items()}
    requirements = [
        {"ref": r.ref, "title": r.title, "question": r.question, "force": r.force.value,
         "pdca": r.pdca.value if r.pdca else "", "pdca_label": r.pdca.label if r.pdca else "",
         "source_clause": r.source_clause or "",
         # a phase the standard gives no prompt for is an empty cell in the SOP's evidence table
         "evidence": {phase: prompt or "" for phase, prompt in r.evidence.model_dump().items()}}
        for r in standard.requirements_for_sop(sop.id)
    ]
    return {
        "institution": {
            "name": profile.name, "short_name": profile.short_name, "country": profile.country,
            "city": profile.city or "", "mc_unit": profile.mc_unit, "certification_unit": profile.certification_unit,
            "quality_unit": profile.quality_unit,
            "units": [{"name": u.name, "code": u.code, "head": u.head or ""} for u in profile.units],
            "review_cycle_months": profile.review_cycle_months,
        },
        "people": people,
        "sop": {"id": sop.id, "title": sop.title, "clause": sop.clause, "purpose": sop.purpose,
                "required_sections": list(sop.required_sections), "keywords": list(sop.keywords)},
        "standard": {"id": standard.id, "title": standard.title, "version": standard.version,
                     # an institution's own checklist cites no document: it is its own source
                     "citation": standard.source.citation if standard.source
                     else f"{standard.title}, version {standard.version}"},
        "requirements": requirements,
        "document": {
            "number": sop_number(profile, standard, sop),
            "version": "0.1",
            "status": "Draft for review",
            "prepared_on": on.isoformat(),
            "effective_date": "on approval",
            "next_review": add_months(on, profile.review_cycle_months).isoformat(),
            "review_cycle_months": profile.review_cycle_months,
        },
    }
