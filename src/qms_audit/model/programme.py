"""The audit programme (`programme.yaml`): the audits planned over a cycle (ISO 9001:2015 9.2.2 a)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from qms_audit.model.common import NonEmpty, StrictModel

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class PlannedAudit(StrictModel):
    unit: NonEmpty
    standard: NonEmpty = Field(description="Standard id, e.g. mc-qms.")
    clauses: list[NonEmpty] = Field(default_factory=list, description="Top-level clauses; empty means all.")
    month: Month = Field(description="Planned month, YYYY-MM.")
    lead: NonEmpty
    team: list[NonEmpty] = Field(default_factory=list)
    audit: str | None = Field(default=None, description="The audit record carrying it out, once it exists.")
    notes: str | None = None


class Programme(StrictModel):
    format: Literal[1] = 1
    name: NonEmpty
    owner: NonEmpty = Field(description="Who manages the programme (ISO 9001 9.2.2 a).")
    cycle_start: Month
    cycle_end: Month
    method: str | None = Field(default=None, description="How audits are chosen: importance, changes, results.")
    audits: list[PlannedAudit] = Field(default_factory=list)
