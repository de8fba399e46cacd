"""What SOP templates see: plain dictionaries built from the profile, the standard and the audit programme (no
live objects).

The words the code adds (the draft's status, the cycle's length, dates, month names) are in the reader's
language, as the standard's texts are when it is given in its translation (`OverlayLibrary.localised`); names,
numbers and identifiers from the profile and the programme are as written."""

from __future__ import annotations

import datetime as dt
import re

from qms_audit.domain.presentation import date
from qms_audit.infra.clock import add_months
from qms_audit.infra.i18n import ENGLISH, N_, NP_, _, current_language, ngettext, pgettext
from qms_audit.model.profile import InstitutionProfile
from qms_audit.model.programme import Programme
from qms_audit.model.standard import SopDefinition, Standard

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
NUMBER_WORDS = (NP_("count", "zero"), NP_("count", "one"), NP_("count", "two"), NP_("count", "three"),
                NP_("count", "four"), NP_("count", "five"), NP_("count", "six"), NP_("count", "seven"),
                NP_("count", "eight"), NP_("count", "nine"), NP_("count", "ten"))
PDCA_WORDS = {"P": N_("Plan"), "D": N_("Do"), "C": N_("Check"), "A": N_("Act")}


def sop_number(profile: InstitutionProfile, standard: Standard, sop: SopDefinition) -> str:
    number = [s.id for s in standard.sops].index(sop.id) + 1
    unit = next((u.code for u in profile.units if u.name == profile.quality_unit), "QMS")
    return profile.numbering.sop.format(institution=profile.short_name, unit=unit, number=number, sop_id=sop.id,
                                        year=0, audit="")


def unit_codes(profile: InstitutionProfile) -> dict[str, str]:
    """Unit name -> its code, for short column headings: the profile's code, or (for a central unit the profile
    names but does not list) a code made from its name: "Quality Assurance Unit" -> "QAU", "Registry" -> "REG"
    (never a single letter, which a RACI table would read as R, A, C or I)."""
    codes = {u.name: u.code for u in profile.units}
    for name in (profile.mc_unit, profile.certification_unit, profile.quality_unit):
        words = re.findall(r"[A-Za-z]+", name)
        initials = "".join(w[0] for w in words if w[0].isupper())
        codes.setdefault(name, initials if len(initials) > 1 else "".join(words)[:3].upper() or name)
    return codes


def _month(value: str) -> str:
    """"2026-01" as the reader names the month: "January 2026", "Januari 2026"."""
    year, month = value.split("-")
    if current_language() == ENGLISH:
        return f"{MONTH_NAMES[int(month) - 1]} {year}"
    from babel import dates

    return dates.format_date(dt.date(int(year), int(month), 1), "MMMM y", locale=current_language())


def _months_between(start: str, end: str) -> int:
    """Months of a cycle from its first month to its last, both included: 2026-01 to 2027-12 is 24."""
    (y1, m1), (y2, m2) = (map(int, start.split("-")), map(int, end.split("-")))
    return (y2 * 12 + m2) - (y1 * 12 + m1) + 1


def cycle_words(months: int) -> tuple[str, str]:
    """A cycle's length as a noun and as an adjective: (two years, two-year), (18 months, 18-month)."""
    if months % 12 == 0:
        years = months // 12
        count = pgettext("count", NUMBER_WORDS[years]) if years < len(NUMBER_WORDS) else str(years)
        return (ngettext("{count} year", "{count} years", years).format(count=count),
                _("{count}-year").format(count=count))
    return (ngettext("{count} month", "{count} months", months).format(count=months),
            _("{count}-month").format(count=months))


def audit_cycle(profile: InstitutionProfile, programme: Programme | None) -> dict:
    """The audit cycle an SOP states: the audit programme's own (programme.yaml), so that the SOP and the
    programme say the same; without a programme, the profile's review cycle, on which SOPs are reviewed too."""
    if programme is not None:
        months = _months_between(programme.cycle_start, programme.cycle_end)
        source = "programme"
        start, end = _month(programme.cycle_start), _month(programme.cycle_end)
        name, owner = programme.name, programme.owner
    else:
        months = profile.review_cycle_months
        source = "profile"
        start = end = name = owner = ""
    length, span = cycle_words(months)
    return {"months": months, "length": length, "span": span, "source": source, "start": start, "end": end,
            "programme": name, "programme_owner": owner}


def sop_context(profile: InstitutionProfile, standard: Standard, sop: SopDefinition, *, on: dt.date,
                programme: Programme | None = None) -> dict:
    """The template's values in the reader's language; give the standard in its translation
    (`OverlayLibrary.localised`) for its texts in that language too (`language` says which the template gets)."""
    def person(name: str) -> dict:
        p = profile.person(name)
        return {"name": name, "position": (p.position if p else None) or "", "unit": p.unit if p else "",
                "email": (p.email if p else None) or ""}

    people = {role: person(name) for role, name in profile.roles.model_dump().items()}
    requirements = [
        {"ref": r.ref, "title": r.title, "question": r.question, "force": r.force.value,
         "pdca": r.pdca.value if r.pdca else "", "pdca_label": _(PDCA_WORDS[r.pdca.value]) if r.pdca else "",
         "source_clause": r.source_clause or "",
         # a phase the standard gives no prompt for is an empty cell in the SOP's evidence table
         "evidence": {phase: prompt or "" for phase, prompt in r.evidence.model_dump().items()}}
        for r in standard.requirements_for_sop(sop.id)
    ]
    return {
        "language": current_language(),
        "institution": {
            "name": profile.name, "short_name": profile.short_name, "country": profile.country,
            "city": profile.city or "", "mc_unit": profile.mc_unit, "certification_unit": profile.certification_unit,
            "quality_unit": profile.quality_unit,
            "units": [{"name": u.name, "code": u.code, "head": u.head or ""} for u in profile.units],
            "code": unit_codes(profile),
            "review_cycle_months": profile.review_cycle_months,
        },
        "people": people,
        "sop": {"id": sop.id, "title": sop.title, "clause": sop.clause, "purpose": sop.purpose,
                "required_sections": list(sop.required_sections), "keywords": list(sop.keywords)},
        "standard": {"id": standard.id, "title": standard.title, "version": standard.version,
                     # an institution's own checklist cites no document: it is its own source
                     "citation": standard.source.citation if standard.source
                     else _("{title}, version {version}").format(title=standard.title,
                                                                 version=standard.version)},
        "requirements": requirements,
        "audit_cycle": audit_cycle(profile, programme),
        "document": {
            "number": sop_number(profile, standard, sop),
            "version": "0.1",
            "status": _("Draft for review"),
            "prepared_on": date(on),  # ISO in English, as records are dated; "28 Nov 2026" in Indonesian
            "effective_date": _("on approval"),
            "next_review": date(add_months(on, profile.review_cycle_months)),
            "review_cycle_months": profile.review_cycle_months,
        },
    }
