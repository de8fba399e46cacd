"""Typed messages widgets and screens send upwards."""

from __future__ import annotations

from textual.message import Message


class RequirementChosen(Message):
    """The auditor moved to another requirement in the checklist."""

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref


class RecordChanged(Message):
    """Something was saved: dependent views (progress, dashboard) refresh."""

    def __init__(self, ref: str | None = None) -> None:
        super().__init__()
        self.ref = ref
