"""A management review held (`reviews/<date>.yaml`): its decisions and the actions it set (ISO 9001 9.3.3)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from qms_audit.model.common import NonEmpty, StrictModel


class ReviewAction(StrictModel):
    id: Annotated[str, StringConstraints(pattern=r"^A\d+$")]
    description: NonEmpty
    owner: NonEmpty
    due: dt.date
    status: Literal["open", "done", "dropped"] = "open"
    closed_on: dt.date | None = None
    note: str | None = None


class Decision(StrictModel):
    kind: Literal["improvement", "qms-change", "resources", "other"] = "other"
    text: NonEmpty


class HeldReview(StrictModel):
    """What a held review is: when, for which period, who chaired and attended, what it noted and decided."""

    title: NonEmpty = "Management review"
    held_on: dt.date
    period_from: dt.date
    period_to: dt.date
    chair: NonEmpty
    attendees: list[NonEmpty] = Field(default_factory=list)
    issues: list[NonEmpty] = Field(default_factory=list,
                                   description="Changes in internal and external issues noted (9.3.2 b).")
    decisions: list[Decision] = Field(default_factory=list)


class ManagementReview(HeldReview):
    """The stored record (`reviews/<id>.json`), with its numbered actions and who recorded it."""

    format: Literal[1] = 1
    id: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}(-\d+)?$")] = Field(
        description="The date it was held, with -2, -3... for a second review on the same day.")
    actions: list[ReviewAction] = Field(default_factory=list)
    recorded_by: NonEmpty
    recorded_at: dt.datetime


class PlannedReviewAction(StrictModel):
    description: NonEmpty
    owner: NonEmpty
    due: dt.date


class ReviewMinutes(HeldReview):
    """What `qms-audit review record --file` reads: the outputs of a held review, as its secretary wrote them."""

    actions: list[PlannedReviewAction] = Field(default_factory=list)
