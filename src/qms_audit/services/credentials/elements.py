"""The elements of a micro-credential (EU Council Recommendation 2022/C 243/02, Annex I) and what a check
found of each, for a credential file or a catalogue row alike.

An element is `found` (with the place it was found: a path in the credential's own data model, or a catalogue
cell), `missing` (with the reason), or `not applicable` (a level, where none applies). A credential is aligned
when no mandatory element is missing and no value is wrong (a date in the future, a workload with no unit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FOUND = "found"
MISSING = "missing"
NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class Element:
    key: str
    name: str
    mandatory: bool
    annex_number: int  # its number in Annex I's list of mandatory or of optional elements

    @property
    def annex(self) -> str:
        """How the standards cite it (`source_clause` of eu-mc-2022's requirements)."""
        return f"Annex I, {'mandatory' if self.mandatory else 'optional'} element {self.annex_number}"


ELEMENTS: tuple[Element, ...] = (
    Element("learner_identification", "Identification of the learner", True, 1),
    Element("title", "Title of the micro-credential", True, 2),
    Element("country", "Country or region of the issuer", True, 3),
    Element("awarding_body", "Awarding body", True, 4),
    Element("date_of_issue", "Date of issue", True, 5),
    Element("learning_outcomes", "Learning outcomes", True, 6),
    Element("workload", "Notional workload (ECTS where possible)", True, 7),
    Element("level", "Level (EQF / QF-EHEA), where applicable", True, 8),
    Element("assessment", "Type of assessment", True, 9),
    Element("participation", "Form of participation", True, 10),
    Element("quality_assurance", "Type of quality assurance", True, 11),
    Element("prerequisites", "Prerequisites", False, 1),
    Element("supervision", "Supervision and identity verification", False, 2),
    Element("grade", "Grade", False, 3),
    Element("stackability", "Integration or stackability", False, 4),
    Element("further_information", "Further information", False, 5),
)
BY_KEY = {e.key: e for e in ELEMENTS}
MANDATORY_KEYS = tuple(e.key for e in ELEMENTS if e.mandatory)


@dataclass
class ElementResult:
    key: str
    status: str
    path: str | None = None
    value: str | None = None
    reason: str | None = None
    # the term of the EU vocabulary (Annex I's lists) the value was read as, and whether that reading is a guess
    vocabulary: str | None = None
    guess: bool = False

    @property
    def element(self) -> Element:
        return BY_KEY[self.key]

    def where(self) -> str:
        """Where it was found and what it says, or why it is missing or not applicable: one line, never cut."""
        if self.status == FOUND:
            text = self.path or ""
            if self.value:
                text += f": {self.value}" if text else self.value
            if self.vocabulary:
                text += f" (read as '{self.vocabulary}'{', a guess' if self.guess else ''})"
            return text
        return self.reason or ""

    def to_json(self) -> dict[str, Any]:
        e = self.element
        return {"element": self.key, "name": e.name, "mandatory": e.mandatory, "annex_i": e.annex,
                "status": self.status, "path": self.path, "value": self.value, "reason": self.reason,
                "vocabulary": self.vocabulary, "guess": self.guess}


def found(key: str, path: str, value: str | None = None, *, vocabulary: str | None = None,
          guess: bool = False) -> ElementResult:
    return ElementResult(key, FOUND, path=path, value=value, vocabulary=vocabulary, guess=guess)


def missing(key: str, reason: str) -> ElementResult:
    return ElementResult(key, MISSING, reason=reason)


def not_applicable(key: str, reason: str, path: str | None = None) -> ElementResult:
    return ElementResult(key, NOT_APPLICABLE, path=path, reason=reason)


@dataclass
class CredentialResult:
    """One micro-credential as checked: a credential file, or one row of a catalogue."""

    file: str
    format: str
    title: str
    elements: list[ElementResult]
    problems: list[str] = field(default_factory=list)
    signature: str | None = None
    notes: list[str] = field(default_factory=list)
    row: int | None = None
    ects: float | None = None

    def element(self, key: str) -> ElementResult:
        return next(r for r in self.elements if r.key == key)

    @property
    def missing(self) -> list[str]:
        """The names of the mandatory elements it lacks."""
        return [r.element.name for r in self.elements if r.element.mandatory and r.status == MISSING]

    @property
    def aligned(self) -> bool:
        return not self.missing and not self.problems

    @property
    def label(self) -> str:
        """How a person finds it: the file, and the row of a catalogue."""
        return f"{self.file}, row {self.row}" if self.row is not None else self.file

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "format": self.format, "title": self.title, "aligned": self.aligned,
                "missing": self.missing, "problems": self.problems, "signature": self.signature,
                "notes": self.notes, "elements": [r.to_json() for r in self.elements]}

    def row_json(self) -> dict[str, Any]:
        """A catalogue row, in the fields catalogue results have always had, with its elements."""
        return {"row": self.row, "title": self.title, "aligned": self.aligned, "problems": self.problems,
                "ects": self.ects, "missing": self.missing, "elements": [r.to_json() for r in self.elements]}
