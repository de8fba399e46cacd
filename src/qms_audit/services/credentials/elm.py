"""The Annex I elements in a Europass Digital Credential (European Learning Model 3, JSON-LD).

What is read, relative to the credential (the claim is `credentialSubject.hasClaim`, its specification
`hasClaim.specifiedBy`):

| element | where |
|---|---|
| learner | `credentialSubject.fullName` (or given and family name), with `nationalID`, `identifier`, `dateOfBirth` |
| title | `hasClaim.title`, else `specifiedBy.title` |
| country or region | the awarding body's `location.address.countryCode` (else `location.spatialCode`, its |
| | registration's `spatial`), else the issuer's |
| awarding body | `hasClaim.awardedBy.awardingBody[].legalName`, else the issuer's `legalName` |
| date of issue | `issued`, `issuanceDate`, `validFrom`, else `awardedBy.awardingDate` |
| learning outcomes | `specifiedBy.learningOutcome[].title`, else `learningOutcomeSummary` |
| workload | `specifiedBy.creditPoint` (framework and points), `volumeOfLearning` |
| level | `specifiedBy.eqfLevel`, `nqfLevel` |
| type of assessment | `hasClaim.provenBy.specifiedBy.dcType`, `provenBy.title` |
| form of participation | `specifiedBy.mode`, else the learning activity's (`influencedBy.specifiedBy.mode`) |
| quality assurance | `specifiedBy.accreditation`, else the awarding body's `accreditation` |
| prerequisites | `specifiedBy.entryRequirement` |
| supervision, identity check | `provenBy.idVerification` |
| grade | `provenBy.grade` |
| stackability | `isPartOf` of the claim or its specification, else `specifiedBy.isPartialQualification` |
| further information | `additionalNote`, `supplementaryDocument`, `homepage`, `description` |
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from qms_audit.services.credentials import values as v
from qms_audit.services.credentials.elements import ELEMENTS, CredentialResult, ElementResult, found, missing
from qms_audit.services.credentials.paths import At, text
from qms_audit.services.credentials.reading import ELM, Loaded

CLAIM = "credentialSubject.hasClaim"
SPEC = "credentialSubject.hasClaim.specifiedBy"


@dataclass
class Credential:
    root: At
    subject: At
    claim: At
    spec: At
    languages: Sequence[str]
    today: dt.date
    problems: list[str] = field(default_factory=list)
    ects: float | None = None

    def text(self, at: At | None) -> tuple[str, str] | None:
        return text(at, self.languages)

    def awarding_bodies(self) -> list[At]:
        bodies = self.claim.get("awardedBy", "awardingBody")
        return list(bodies.members()) if bodies is not None else []


def check(loaded: Loaded, *, file: str, languages: Sequence[str], today: dt.date) -> CredentialResult:
    root = At(loaded.data)
    subject = (root.get("credentialSubject") or At({}, ("credentialSubject",))).first() or At({})
    claims = subject.get("hasClaim")
    claim = claims.first() if claims is not None else None
    notes = []
    if loaded.wrapper:
        notes.append(f"paths are within the {loaded.wrapper}")
    if claims is not None and isinstance(claims.value, list) and len(claims.value) > 1:
        notes.append(f"the credential makes {len(claims.value)} claims; the first ({claims.path}[0]) is checked")
    claim = claim or At({}, (*subject.parts, "hasClaim"))
    spec = claim.any(("specifiedBy",), ("learningAchievementSpecification",)) or At({}, (*claim.parts, "specifiedBy"))
    credential = Credential(root, subject, claim, spec.first() or spec, languages, today)
    results = [READERS[e.key](credential) for e in ELEMENTS]
    title = next((r.value for r in results if r.key == "title" and r.value), "")
    return CredentialResult(file=file, format=ELM, title=title or "", elements=results,
                            problems=credential.problems, signature=loaded.signature, notes=notes,
                            ects=credential.ects)


def _concept(at: At | None, languages: Sequence[str]) -> str | None:
    """A concept's label with its code (the last part of its URI), e.g. 'Slovenia (SVN)'."""
    if at is None:
        return None
    first = at.first()
    if first is None:
        return None
    label = text(first, languages)
    code = first.value.get("id") if isinstance(first.value, dict) else None
    tail = code.rstrip("/").rsplit("/", 1)[-1] if isinstance(code, str) and code.startswith("http") else None
    # a country's code (SVN) says something; most vocabularies' codes are opaque hashes (920fbb3cbe)
    readable = tail if tail and re.fullmatch(r"[A-Z]{2,3}", tail) else None
    if label and readable:
        return f"{label[0]} ({readable})"
    return label[0] if label else tail


def _learner(c: Credential) -> ElementResult:
    name = c.text(c.subject.get("fullName"))
    if name is None:
        parts = [t for t in (c.text(c.subject.get("givenName")), c.text(c.subject.get("familyName"))) if t]
        if parts:
            name = (" ".join(t[0] for t in parts), parts[0][1])
    identifiers = []
    for key, label in (("nationalID", "national ID"), ("identifier", "identifier"), ("dateOfBirth", "born")):
        at = c.subject.get(key)
        said = c.text(at.get("notation") or at) if at is not None else None
        if said:
            day = v.read_date(said[0]).day if key == "dateOfBirth" else None
            identifiers.append((f"{label} {day.isoformat() if day else said[0]}", said[1]))
    if name is None and not identifiers:
        return missing("learner_identification", "credentialSubject has no fullName, givenName or familyName and no "
                                                 "nationalID, identifier or dateOfBirth")
    if name is None:
        return found("learner_identification", identifiers[0][1],
                     "; ".join(i[0] for i in identifiers) + " (no name)")
    if not identifiers:
        return found("learner_identification", name[1],
                     f"{name[0]} (no further identifier such as a national ID or date of birth)")
    return found("learner_identification", name[1], "; ".join([name[0], *(i[0] for i in identifiers)]))


def _title(c: Credential) -> ElementResult:
    said = c.text(c.claim.get("title")) or c.text(c.spec.get("title"))
    if said is None:
        return missing("title", f"no title in {CLAIM} or {SPEC}")
    return found("title", said[1], said[0])


def _country(c: Credential) -> ElementResult:
    routes = (("location", "address", "countryCode"), ("location", "spatialCode"), ("registration", "spatial"),
              ("eIDASIdentifier", "spatial"), ("eidasLegalIdentifier", "spatial"))
    issuer = c.root.get("issuer")
    owners = [(b, "awarding body") for b in c.awarding_bodies()] + ([(issuer, "issuer")] if issuer else [])
    for owner, _role in owners:
        at = owner.any(*routes)
        shown = _concept(at, c.languages)
        if at is not None and shown:
            return found("country", at.path, shown)
    return missing("country", "neither the awarding body (awardedBy.awardingBody) nor the issuer has a location with "
                              "a country (location.address.countryCode) or a registration's country")


def _awarding_body(c: Credential) -> ElementResult:
    names = [t for body in c.awarding_bodies() if (t := c.text(body.any(("legalName",), ("prefLabel",))))]
    if names:
        return found("awarding_body", names[0][1], "; ".join(n[0] for n in names))
    issuer = c.text((c.root.get("issuer") or At(None)).any(("legalName",), ("prefLabel",)))
    if issuer:
        return found("awarding_body", issuer[1], f"{issuer[0]} (the issuer; the claim names no awarding body)")
    return missing("awarding_body", f"no awarding body with a legalName in {CLAIM}.awardedBy.awardingBody, and the "
                                    "issuer has no legalName")


def _date(c: Credential) -> ElementResult:
    at = c.root.any(("issued",), ("issuanceDate",), ("validFrom",)) or c.claim.get("awardedBy", "awardingDate")
    said = c.text(at)
    if said is None:
        return missing("date_of_issue", "no issued, issuanceDate or validFrom date, and no awardedBy.awardingDate")
    shown, problem = v.issue_date(said[0], c.today)
    if problem:
        c.problems.append(problem)
    return found("date_of_issue", said[1], shown)


def _outcomes(c: Credential) -> ElementResult:
    outcomes = c.spec.get("learningOutcome")
    said = [t for member in (outcomes.members() if outcomes else [])
            if (t := c.text(member) or c.text(member.get("relatedESCOSkill")))]
    if said:
        count = f"{len(said)} outcome{'s' if len(said) != 1 else ''}: "
        return found("learning_outcomes", said[0][1], count + "; ".join(s[0] for s in said))
    summary = c.text(c.spec.get("learningOutcomeSummary"))
    if summary:
        return found("learning_outcomes", summary[1], summary[0])
    return missing("learning_outcomes", f"no learningOutcome (nor learningOutcomeSummary) in {SPEC}")


def _workload(c: Credential) -> ElementResult:
    parts, path = [], None
    credit = c.spec.get("creditPoint")
    for member in credit.members() if credit else []:
        point = c.text(member.get("point"))
        if point is None:
            continue
        framework = _concept(member.get("framework"), c.languages) or "credit points"
        ects = "ects" in framework.lower() or "european credit transfer" in framework.lower()
        parts.append(f"{point[0]} ECTS" if ects else f"{point[0]} ({framework})")
        path = path or point[1]
        if ects and c.ects is None:
            c.ects = _number(point[0])
    for key in ("volumeOfLearning", "workload"):
        at = c.spec.get(key)
        said = c.text(at)
        if said is None:
            continue
        hours = v.duration_hours(said[0])
        parts.append(f"{key} {said[0]}" + (f" = {hours:g} hours" if hours is not None else ""))
        path = path or said[1]
    if not parts:
        return missing("workload", f"no creditPoint, volumeOfLearning or workload in {SPEC}")
    return found("workload", path or "", "; ".join(parts))


def _number(text_: str) -> float | None:
    try:
        return float(text_.replace(",", "."))
    except ValueError:
        return None


def _level(c: Credential) -> ElementResult:
    eqf = c.spec.get("eqfLevel")
    shown = []
    if eqf is not None:
        first = eqf.first() or eqf
        code = first.value.get("id") if isinstance(first.value, dict) else first.value
        label = _concept(eqf, c.languages) or ""
        number = v.read_level(str(code).rsplit("/", 1)[-1]) if isinstance(code, str | int) else v.read_level(label)
        if number.problem:
            number = v.read_level(label)
        if number.problem:
            c.problems.append(number.problem)
        shown.append(f"EQF {number.eqf}" if number.eqf else label)
    nqf = c.spec.get("nqfLevel")
    shown += [named for member in (nqf.members() if nqf else []) if (named := _concept(member, c.languages))]
    located = eqf or nqf
    if not shown or located is None:
        return missing("level", f"no eqfLevel or nqfLevel in {SPEC} (Annex I asks for the level where one "
                                "applies)")
    return found("level", located.path, "; ".join(shown))


def _assessment(c: Credential) -> ElementResult:
    proven = c.claim.get("provenBy")
    if proven is None:
        return missing("assessment", f"no provenBy (the learning assessment) in {CLAIM}")
    first = proven.first() or proven
    kind = first.get("specifiedBy", "dcType")
    said = [t for t in (_concept_text(kind, c.languages), c.text(first.get("title")),
                        c.text(first.get("specifiedBy", "title"))) if t]
    if not said:
        return missing("assessment", f"{first.path} has no type (specifiedBy.dcType) and no title")
    reading = v.read_assessment(" / ".join(s[0] for s in said))
    shown = " / ".join(dict.fromkeys(s[0] for s in said))
    return found("assessment", said[0][1], shown, vocabulary=reading.shown, guess=reading.guess)


def _concept_text(at: At | None, languages: Sequence[str]) -> tuple[str, str] | None:
    shown = _concept(at, languages)
    return (shown, at.path) if shown and at is not None else None


def _participation(c: Credential) -> ElementResult:
    at = c.spec.get("mode") or c.claim.get("influencedBy", "specifiedBy", "mode")
    said = _concept_text(at, c.languages)
    if said is None:
        return missing("participation", f"no mode in {SPEC}, nor in the learning activity "
                                        f"({CLAIM}.influencedBy.specifiedBy.mode)")
    reading = v.read_participation(said[0])
    problem = v.participation_problem(said[0], reading)
    if problem:
        c.problems.append(problem)
    return found("participation", said[1], said[0], vocabulary=reading.shown, guess=reading.guess)


def _quality(c: Credential) -> ElementResult:
    candidates = [c.spec.get("accreditation")] + [b.get("accreditation") for b in c.awarding_bodies()]
    for at in candidates:
        first = at.first() if at is not None else None
        if first is None:
            continue
        kind = _concept(first.get("dcType"), c.languages)
        title = c.text(first.get("title"))
        agent = c.text(first.get("accreditingAgent", "legalName"))
        shown = ": ".join(p for p in (kind, title[0] if title else None) if p) or "an accreditation"
        return found("quality_assurance", first.path, shown + (f", by {agent[0]}" if agent else ""))
    return missing("quality_assurance", f"no accreditation in {SPEC}.accreditation or on the awarding body "
                                        "(awardedBy.awardingBody.accreditation)")


def _prerequisites(c: Credential) -> ElementResult:
    said = c.text(c.spec.get("entryRequirement"))
    if said is None:
        return missing("prerequisites", f"no entryRequirement in {SPEC}")
    return found("prerequisites", said[1], said[0])


def _supervision(c: Credential) -> ElementResult:
    said = _concept_text(c.claim.get("provenBy", "idVerification"), c.languages)
    if said is None:
        return missing("supervision", f"no idVerification in {CLAIM}.provenBy")
    reading = v.read_supervision(said[0])
    return found("supervision", said[1], said[0], vocabulary=reading.shown, guess=reading.guess)


def _grade(c: Credential) -> ElementResult:
    said = c.text(c.claim.get("provenBy", "grade"))
    if said is None:
        return missing("grade", f"no grade in {CLAIM}.provenBy")
    scheme = c.text(c.claim.get("provenBy", "specifiedBy", "gradingScheme", "title"))
    return found("grade", said[1], said[0] + (f" (grading scheme: {scheme[0]})" if scheme else ""))


def _stackability(c: Credential) -> ElementResult:
    part_of = c.claim.get("isPartOf") or c.spec.get("isPartOf") or c.claim.get("entitlesTo")
    if part_of is not None:
        said = c.text(part_of) or (part_of.path, part_of.path)
        return found("stackability", part_of.path, said[0], vocabulary="integrated or stackable")
    partial = c.spec.get("isPartialQualification")
    if partial is not None and isinstance(partial.value, bool | str):
        is_partial = str(partial.value).lower() == "true"
        # a partial qualification counts towards a full one; a full one stands alone: a reading of the flag
        return found("stackability", partial.path, f"isPartialQualification {str(partial.value).lower()}",
                     vocabulary="integrated or stackable" if is_partial else "stand-alone", guess=True)
    return missing("stackability", f"no isPartOf or entitlesTo in {CLAIM} or {SPEC}, and no "
                                   "isPartialQualification")


def _further(c: Credential) -> ElementResult:
    for owner in (c.claim, c.spec):
        for key in ("additionalNote", "supplementaryDocument", "homepage"):
            at = owner.get(key)
            said = c.text(at) or c.text(at.get("contentURL") if at is not None else None)
            if said:
                return found("further_information", said[1], said[0])
    for owner in (c.claim, c.spec):
        said = c.text(owner.get("description"))
        if said:
            return found("further_information", said[1], said[0])
    return missing("further_information", f"no additionalNote, supplementaryDocument, homepage or description in "
                                          f"{CLAIM} or its specification")


READERS: dict[str, Callable[[Credential], ElementResult]] = {
    "learner_identification": _learner, "title": _title, "country": _country, "awarding_body": _awarding_body,
    "date_of_issue": _date, "learning_outcomes": _outcomes, "workload": _workload, "level": _level,
    "assessment": _assessment, "participation": _participation, "quality_assurance": _quality,
    "prerequisites": _prerequisites, "supervision": _supervision, "grade": _grade, "stackability": _stackability,
    "further_information": _further,
}
