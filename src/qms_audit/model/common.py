"""Building blocks shared by every document model."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from qms_audit.model.numbering import number_key as number_key  # where the models' users look for it


class StrictModel(BaseModel):
    """Unknown fields are errors: a misspelt key must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, validate_assignment=False,
                              use_enum_values=False, defer_build=True)


class Phase(StrEnum):
    """Plan-Do-Check-Act, the cycle the standard runs on (clause 0.6)."""

    PLAN = "P"
    DO = "D"
    CHECK = "C"
    ACT = "A"

    @property
    def label(self) -> str:
        return {"P": "Plan", "D": "Do", "C": "Check", "A": "Act"}[self.value]

    @classmethod
    def parse(cls, text: str) -> Phase:
        t = text.strip().lower()
        for phase in cls:
            if t in (phase.value.lower(), phase.label.lower()):
                return phase
        raise ValueError(text)


PHASES: tuple[Phase, ...] = (Phase.PLAN, Phase.DO, Phase.CHECK, Phase.ACT)

NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
ClauseNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,8}(\.[0-9A-Za-z]{1,8}){0,5}$")]
Ref = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,8}(\.[0-9A-Za-z]{1,8}){1,6}$")]
Weight = Annotated[float, Field(gt=0, le=100)]
