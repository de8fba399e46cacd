"""The Annex I elements in an Open Badges 3.0 credential (1EdTech, JSON, or the payload of a JWT).

Open Badges 3.0 has no field for some elements (participation, type of quality assurance, level,
prerequisites); issuers of European micro-credentials add them as alignments (`targetType` `ext:EQF`,
`ext:QualityAssurance`) or as extension fields on the achievement (`participationType`, `assessmentType`,
`supervisionType`, `identityChecked`, `ECTS`, `SBU`, `timeInvestment`). Both are read.

| element | where (relative to the credential; `achievement` is `credentialSubject.achievement`) |
|---|---|
| learner | `credentialSubject.identifier[]` (identity objects), else `credentialSubject.id` |
| title | `achievement.name`, else the credential's `name` |
| country or region | `issuer.address.addressCountry` / `addressCountryCode` (or the issuer's `parentOrg`'s, the |
| | achievement's `creator`'s) |
| awarding body | `issuer.name`, else `achievement.creator.name` |
| date of issue | `awardedDate`, `validFrom`, `issuanceDate` |
| learning outcomes | `achievement.alignment[]` to skills or competencies |
| workload | `achievement.ECTS`, `SBU`, `timeInvestment`, `creditsAvailable`, `credentialSubject.creditsEarned` |
| level | an alignment to the EQF (`targetType` `ext:EQF`, or an EQF framework, name or URL) |
| type of assessment | `achievement.assessmentType`, else `achievement.criteria.narrative` |
| form of participation | `achievement.participationType` |
| quality assurance | an alignment of `targetType` `ext:QualityAssurance`, else an endorsement (a guess) |
| supervision, identity check | `achievement.supervisionType`, `identityChecked` |
| grade | `credentialSubject.result[].value` |
| stackability | `achievement.related` |
| further information | `achievement.description`, the credential's `description` |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from qms_audit.services.credentials import values as v
from qms_audit.services.credentials.elements import ELEMENTS, CredentialResult, ElementResult, found, missing
from qms_audit.services.credentials.paths import At, text
from qms_audit.services.credentials.reading import OB3, Loaded

ACH = "credentialSubject.achievement"
LEVEL, QUALITY, OUTCOME = "level", "quality", "outcome"


@dataclass
class Badge:
    root: At
    subject: At
    achievement: At
    languages: Sequence[str]
    today: dt.date
    problems: list[str] = field(default_factory=list)
    ects: float | None = None

    def text(self, at: At | None) -> tuple[str, str] | None:
        return text(at, self.languages)

    def alignments(self, kind: str) -> list[At]:
        aligned = self.achievement.get("alignment")
        return [a for a in (aligned.members() if aligned else []) if _alignment_kind(a) == kind]


def check(loaded: Loaded, *, file: str, languages: Sequence[str], today: dt.date) -> CredentialResult:
    root = At(loaded.data)
    subject = (root.get("credentialSubject") or At({}, ("credentialSubject",))).first() or At({})
    achievement = subject.get("achievement") or At({}, (*subject.parts, "achievement"))
    badge = Badge(root, subject, achievement.first() or achievement, languages, today)
    results = [READERS[e.key](badge) for e in ELEMENTS]
    notes = [f"paths are within the {loaded.wrapper}"] if loaded.wrapper else []
    kind = badge.text(badge.achievement.get("achievementType"))
    if kind and kind[0].lower() not in ("microcredential", "micro-credential"):
        notes.append(f"the achievement's type is {kind[0]}, not MicroCredential")
    title = next((r.value for r in results if r.key == "title" and r.value), "")
    return CredentialResult(file=file, format=OB3, title=title or "", elements=results, problems=badge.problems,
                            signature=loaded.signature, notes=notes, ects=badge.ects)


def _alignment_kind(at: At) -> str:
    if not isinstance(at.value, dict):
        return OUTCOME
    kind = str(at.value.get("targetType", "")).lower()
    said = " ".join(str(at.value.get(k, "")) for k in ("targetFramework", "targetName", "targetUrl")).lower()
    if kind in ("ext:eqf", "ext:eqflevel", "ext:level", "ext:nqf") or "data.europa.eu/snb/eqf" in said \
            or "european qualifications framework" in said or said.startswith("eqf"):
        return LEVEL
    if kind in ("ext:qualityassurance", "ext:accreditation") or "quality assurance" in said:
        return QUALITY
    return OUTCOME


def _learner(b: Badge) -> ElementResult:
    identities = b.subject.get("identifier")
    for member in identities.members() if identities else []:
        if not isinstance(member.value, dict):
            continue
        kind = member.value.get("identityType", "identity")
        hashed = member.value.get("hashed") is True or str(member.value.get("identityHash", "")).startswith("sha")
        value = f"{kind}, {'hashed' if hashed else member.value.get('identityHash', '')}"
        return found("learner_identification", member.path, value)
    name = b.text(b.subject.get("name"))
    if name:
        return found("learner_identification", name[1], name[0])
    subject_id = b.text(b.subject.get("id"))
    if subject_id:
        return found("learner_identification", subject_id[1], f"{subject_id[0]} (an identifier only)")
    return missing("learner_identification", "credentialSubject has no identifier (identity objects), name or id")


def _title(b: Badge) -> ElementResult:
    said = b.text(b.achievement.get("name")) or b.text(b.root.get("name"))
    if said is None:
        return missing("title", f"no name in {ACH} or in the credential")
    return found("title", said[1], said[0])


def _profiles(b: Badge) -> list[At]:
    issuer = b.root.get("issuer")
    owners = [issuer, issuer.get("parentOrg") if issuer else None, b.achievement.get("creator")]
    return [o for o in owners if o is not None]


def _country(b: Badge) -> ElementResult:
    for owner in _profiles(b):
        address = owner.get("address")
        if address is None:
            continue
        country = b.text(address.get("addressCountry"))
        code = b.text(address.get("addressCountryCode"))
        region = b.text(address.get("addressRegion"))
        if country or code:
            shown = " ".join(p for p in (country[0] if country else None, f"({code[0]})" if code else None) if p)
            shown += f", {region[0]}" if region else ""
            return found("country", (country or code)[1], shown)  # type: ignore[index]
    return missing("country", "issuer.address has no addressCountry or addressCountryCode (nor has the issuer's "
                              "parentOrg or the achievement's creator)")


def _awarding_body(b: Badge) -> ElementResult:
    issuer = b.root.get("issuer")
    said = b.text(issuer.get("name")) if issuer else None
    if said:
        return found("awarding_body", said[1], said[0])
    creator = b.text(b.achievement.get("creator", "name"))
    if creator:
        return found("awarding_body", creator[1], f"{creator[0]} (the achievement's creator; the issuer has no name)")
    if issuer is not None and isinstance(issuer.value, str):
        return missing("awarding_body", f"the issuer is given only by its id ({issuer.value}), without a name")
    return missing("awarding_body", "the issuer has no name, nor has the achievement's creator")


def _date(b: Badge) -> ElementResult:
    said = b.text(b.root.any(("awardedDate",), ("validFrom",), ("issuanceDate",)))
    if said is None:
        return missing("date_of_issue", "no awardedDate, validFrom or issuanceDate")
    shown, problem = v.issue_date(said[0], b.today)
    if problem:
        b.problems.append(problem)
    return found("date_of_issue", said[1], shown)


def _outcomes(b: Badge) -> ElementResult:
    said = [t for a in b.alignments(OUTCOME) if (t := b.text(a.get("targetName")) or b.text(a.get("targetUrl")))]
    if said:
        count = f"{len(said)} aligned skill(s) or competenc(ies)"
        return found("learning_outcomes", said[0][1], f"{count}: " + "; ".join(s[0] for s in said))
    description = b.text(b.achievement.get("description"))
    if description and "learning outcome" in description[0].lower():
        return found("learning_outcomes", description[1], "the description speaks of learning outcomes",
                     guess=True)
    return missing("learning_outcomes", f"no alignment to a skill or competency in {ACH}.alignment, and the "
                                        "description does not state learning outcomes")


def _workload(b: Badge) -> ElementResult:
    parts: list[str] = []
    path = None
    for key, unit in (("ECTS", "ECTS"), ("SBU", "hours"), ("studyLoad", "hours"), ("timeInvestment", "hours")):
        said = b.text(b.achievement.get(key))
        if said:
            parts.append(f"{said[0]} {unit}" + (f" ({key})" if key != unit else ""))
            path = path or said[1]
            if unit == "ECTS" and b.ects is None:
                b.ects = _number(said[0])
    for owner, key in ((b.achievement, "creditsAvailable"), (b.subject, "creditsEarned")):
        said = b.text(owner.get(key))
        if said:
            parts.append(f"{said[0]} credits ({key}; Open Badges 3.0 does not say which credits)")
            path = path or said[1]
    if not parts or path is None:
        return missing("workload", f"no creditsAvailable in {ACH} (nor ECTS, SBU or timeInvestment), and no "
                                   "creditsEarned")
    return found("workload", path, "; ".join(parts))


def _number(said: str) -> float | None:
    try:
        return float(said.replace(",", "."))
    except ValueError:
        return None


def _level(b: Badge) -> ElementResult:
    for at in b.alignments(LEVEL):
        said = b.text(at.get("targetCode")) or b.text(at.get("targetName"))
        if said is None:
            continue
        level = v.read_level(said[0])
        if level.problem:
            b.problems.append(level.problem)
        name = b.text(at.get("targetName"))
        return found("level", at.path, f"EQF {level.eqf}" + (f" ({name[0]})" if name else "") if level.eqf
                     else said[0])
    return missing("level", f"no alignment to the EQF in {ACH}.alignment (targetType ext:EQF, or an EQF framework; "
                            "Annex I asks for the level where one applies)")


def _assessment(b: Badge) -> ElementResult:
    said = b.text(b.achievement.get("assessmentType"))
    if said is None:
        said = b.text(b.achievement.get("criteria", "narrative"))
    if said is None:
        criteria_id = b.text(b.achievement.get("criteria", "id"))
        if criteria_id:
            return found("assessment", criteria_id[1], f"criteria given only as a link ({criteria_id[0]})")
        return missing("assessment", f"no criteria in {ACH} (criteria.narrative says how the achievement is "
                                     "assessed) and no assessmentType")
    reading = v.read_assessment(said[0])
    return found("assessment", said[1], said[0], vocabulary=reading.shown, guess=reading.guess)


def _participation(b: Badge) -> ElementResult:
    said = b.text(b.achievement.any(("participationType",), ("deliveryMode",)))
    if said is None:
        return missing("participation", f"Open Badges 3.0 has no field for it, and {ACH} has no participationType "
                                        "extension")
    reading = v.read_participation(said[0])
    problem = v.participation_problem(said[0], reading)
    if problem:
        b.problems.append(problem)
    return found("participation", said[1], said[0], vocabulary=reading.shown, guess=reading.guess)


def _quality(b: Badge) -> ElementResult:
    for at in b.alignments(QUALITY):
        said = b.text(at.get("targetName")) or b.text(at.get("targetUrl"))
        if said:
            code = b.text(at.get("targetCode"))
            return found("quality_assurance", at.path, said[0] + (f" ({code[0]})" if code else ""))
    endorsement = b.achievement.any(("endorsement",), ("endorsementJwt",))
    if endorsement is not None:
        # an endorsement is a third party's recognition of the achievement, which may or may not be QA
        return found("quality_assurance", endorsement.path, "an endorsement of the achievement", guess=True)
    return missing("quality_assurance", f"no alignment to a quality assurance (targetType ext:QualityAssurance) in "
                                        f"{ACH}.alignment, and no endorsement")


def _prerequisites(b: Badge) -> ElementResult:
    said = b.text(b.achievement.any(("prerequisites",), ("entryRequirement",)))
    if said is None:
        return missing("prerequisites", f"Open Badges 3.0 has no field for them, and {ACH} has no prerequisites "
                                        "extension")
    return found("prerequisites", said[1], said[0])


def _supervision(b: Badge) -> ElementResult:
    said = b.text(b.achievement.get("supervisionType"))
    checked = b.achievement.get("identityChecked")
    if said is None and checked is None:
        return missing("supervision", f"no supervisionType or identityChecked in {ACH}")
    if said is None and checked is not None:
        return found("supervision", checked.path, f"identityChecked {str(checked.value).lower()}")
    assert said is not None
    identity = f"; identityChecked {str(checked.value).lower()}" if checked is not None else ""
    reading = v.read_supervision(said[0])
    return found("supervision", said[1], said[0] + identity, vocabulary=reading.shown, guess=reading.guess)


def _grade(b: Badge) -> ElementResult:
    results = b.subject.get("result")
    for member in results.members() if results else []:
        said = b.text(member.get("value")) or b.text(member.get("achievedLevel"))
        if said:
            return found("grade", said[1], said[0])
    return missing("grade", "no result with a value in credentialSubject.result")


def _stackability(b: Badge) -> ElementResult:
    related = b.achievement.get("related")
    if related is None:
        return missing("stackability", f"no related achievements in {ACH}.related")
    said = b.text(related.get("name")) or b.text(related.get("id"))
    reading = v.read_stacking(said[0]) if said else v.Reading((), False)
    if reading.terms:
        return found("stackability", said[1] if said else related.path, said[0] if said else None,
                     vocabulary=reading.shown)
    # a related achievement may be one this stacks into, or only a similar one
    return found("stackability", related.path, said[0] if said else "related achievements given",
                 vocabulary="integrated or stackable", guess=True)


def _further(b: Badge) -> ElementResult:
    said = b.text(b.achievement.get("description")) or b.text(b.root.get("description"))
    if said is None:
        return missing("further_information", f"no description in {ACH} or in the credential")
    return found("further_information", said[1], said[0])


READERS: dict[str, Callable[[Badge], ElementResult]] = {
    "learner_identification": _learner, "title": _title, "country": _country, "awarding_body": _awarding_body,
    "date_of_issue": _date, "learning_outcomes": _outcomes, "workload": _workload, "level": _level,
    "assessment": _assessment, "participation": _participation, "quality_assurance": _quality,
    "prerequisites": _prerequisites, "supervision": _supervision, "grade": _grade, "stackability": _stackability,
    "further_information": _further,
}
