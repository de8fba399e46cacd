"""A translation overlay: a standard's human texts in another language, in a file beside the standard.

`standards/eu-mc-2022.id.yaml` holds the Indonesian texts of `standards/eu-mc-2022.yaml`, keyed by what
identifies each text in the standard: clause numbers, requirement refs, SOP ids, grade names, level values and
score band names. Only words are translated; numbers, forces, weights and PDCA phases stay the standard's own.
A text the overlay leaves out is shown in English. `qms-audit standards validate` checks every key against the
standard and reports what each overlay covers (docs/glossary.md fixes the terms both languages use).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from qms_audit.model.common import ClauseNumber, NonEmpty, Ref, Slug, StrictModel
from qms_audit.model.standard import SopId

# The languages an overlay may be written in, with their names in that language. English is the standards'
# own language and needs no overlay.
LANGUAGES: dict[str, str] = {"id": "Bahasa Indonesia", "ms": "Bahasa Melayu"}
Language = Literal["id", "ms"]

_OVERLAY_NAME = re.compile(r"^(?P<stem>.+)\.(?P<language>[a-z]{2})\.ya?ml$")


def overlay_name_parts(name: str) -> tuple[str, str] | None:
    """(the standard's file stem, the language) when `name` is an overlay's file name: `mc-qms.id.yaml` gives
    ('mc-qms', 'id') and `mc-qms@2025.1.ms.yaml` ('mc-qms@2025.1', 'ms'). Only the languages overlays are
    written in count, so a standard whose id merely contains a dot is not mistaken for one."""
    match = _OVERLAY_NAME.match(name)
    if match is None or match["language"] not in LANGUAGES:
        return None
    return match["stem"], match["language"]


class EvidenceText(StrictModel):
    """What evidence of each PDCA phase would look like, translated. A phase left out is shown in English (or
    as its clause's translation, when the requirement takes that phase from its clause)."""

    plan: NonEmpty | None = None
    do: NonEmpty | None = None
    check: NonEmpty | None = None
    act: NonEmpty | None = None


class ClauseText(StrictModel):
    number: ClauseNumber = Field(description="The clause's number in the standard, e.g. '2.10' (quoted).")
    title: NonEmpty | None = None
    summary: NonEmpty | None = None
    evidence: EvidenceText = Field(
        default_factory=EvidenceText,
        description="The clause's own evidence prompts, for the requirements that take them from it.")


class RequirementText(StrictModel):
    ref: Ref = Field(description="The requirement's ref in the standard, e.g. 1.1.a.")
    title: NonEmpty | None = Field(
        default=None, description="Needed only where the standard gives a title of its own (else the question).")
    question: NonEmpty | None = None
    guidance: NonEmpty | None = None
    evidence: EvidenceText = Field(default_factory=EvidenceText)


class SopText(StrictModel):
    id: SopId = Field(description="The SOP's id in the standard, e.g. SOP-AUDIT.")
    title: NonEmpty | None = None
    purpose: NonEmpty | None = None
    sections: dict[NonEmpty, NonEmpty] = Field(
        default_factory=dict,
        description="Each required section's name in the language, by its name in the standard.")


class LevelText(StrictModel):
    value: Annotated[int, Field(ge=0, le=10)] = Field(description="The level's value in the standard's scale.")
    label: NonEmpty | None = None
    description: NonEmpty | None = None


class BandText(StrictModel):
    name: Slug = Field(description="The score band's name in the standard, e.g. largely-conforming.")
    label: NonEmpty


class Overlay(StrictModel):
    format: Literal[1] = Field(default=1, description="Version of this file format.")
    standard: Slug = Field(description="The id of the standard translated; the file is named <id>.<language>.yaml.")
    version: NonEmpty = Field(description="The version of the standard translated (quoted); an overlay for "
                                          "another version is stale and left unused until it is brought up to date.")
    language: Language = Field(description="The language of the texts: id (Bahasa Indonesia) or ms (Bahasa Melayu).")
    title: NonEmpty | None = None
    description: NonEmpty | None = None
    grades: dict[NonEmpty, NonEmpty] = Field(
        default_factory=dict,
        description="Grade labels by grade name: conformity, good_practice, ofi, observation, minor_nc, "
                    "major_nc, not_applicable, not_assessed.")
    levels: list[LevelText] = Field(default_factory=list, description="For a standard rated on levels.")
    bands: list[BandText] = Field(default_factory=list, description="Score band labels by band name.")
    clauses: list[ClauseText] = Field(default_factory=list)
    requirements: list[RequirementText] = Field(default_factory=list)
    sops: list[SopText] = Field(default_factory=list)
