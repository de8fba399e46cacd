"""Scores as every view shows them (`Shown`, `shown_score`) and means across audits (`mean_shown`), exact in
integer units. Kept apart from the scoring of one audit (`domain/scoring.py`) and free of the record types: the
management views that aggregate the index's facts tables load nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from qms_audit.domain.presentation import pct

NOT_SCORED = "not scored"
NOT_APPLICABLE = "not applicable"
NO_AUDIT = "no audit"  # a mean over a period in which no audit had it in scope


class Shown(NamedTuple):
    """What every view shows for one clause, sub-clause, PDCA phase or audit: a score, or none and why.

    Made only by `shown_score` (directly, or from the values it decided), so that no view decides again.
    A tuple rather than a dataclass: every audit of a portfolio makes dozens of them."""

    score: float | None  # None unless the coverage reached the threshold
    coverage: float | None  # None when nothing in it is applicable

    @property
    def scored(self) -> bool:
        return self.score is not None

    @property
    def text(self) -> str:
        if self.score is not None:
            return pct(self.score)
        if self.coverage is None:
            return NOT_APPLICABLE
        return f"{NOT_SCORED} (coverage {pct(self.coverage)})"

    @property
    def short(self) -> str:
        """The same in a narrow place (a chart's margin, a list column): the coverage is shown beside it."""
        if self.score is not None:
            return pct(self.score)
        return NOT_APPLICABLE if self.coverage is None else NOT_SCORED


def shown_score(raw: float | None, coverage: float | None, threshold: float) -> Shown:
    """The one rule: a score is shown only when its coverage reaches the standard's coverage threshold.

    Below it the evidence is too thin to conclude, so no percentage is given at all (the raw value stays in
    `raw_score` for transparency, never in a view)."""
    if raw is None or coverage is None or coverage + 1e-9 < threshold:
        return Shown(None, coverage)
    return Shown(raw, coverage)


@dataclass(frozen=True)
class ShownMean:
    """A clause, phase or overall score across audits: the mean over the audits that scored it. An audit with
    too little coverage contributes no percentage (not a zero either); `scored` of `audits` says how many
    counted, `audits` being those where it was applicable, `included` those it was part of (in scope), applicable
    or not (None: not counted, as in the index's sums)."""

    mean: float | None
    scored: int
    audits: int
    included: int | None = None

    @property
    def text(self) -> str:
        """The mean; else "not scored" when the audits it applied in assessed too little of it, "not applicable"
        when it was part of audits but applied in none, "no audit" when no audit had it in scope."""
        if self.mean is None and self.audits == 0 and self.included is not None:
            return NOT_APPLICABLE if self.included else NO_AUDIT
        return mean_text(self.mean)


# Means across audits are exact: each audit's score is counted in billionths (`score_units`, far below what any
# view shows) and the total is an integer, so the mean is the same whatever order the audits are added in, in
# Python or in SQL over the index's facts tables (store/facts.py); rounding to 4 places is then half-even on the
# exact value.
SCORE_UNITS = 10**9


def score_units(score: float) -> int:
    return round(score * SCORE_UNITS)


def contribution(item: tuple[float | None, float | None] | None) -> tuple[bool, int | None]:
    """What one audit's shown score (`Shown`, or its (score, coverage); None: not part of that audit) adds to a
    mean across audits: whether it counts as an audit where it applied, and its score in units, None when it
    was not scored (too little coverage adds no percentage, not a zero either)."""
    if item is None:
        return False, None
    score, coverage = item
    if coverage is None:
        return False, None
    return True, (score_units(score) if score is not None else None)


def mean_of_units(total: int, count: int, places: int = 4) -> float | None:
    """The mean of `count` values summing to `total` units, rounded half-even to `places` decimals; None for none."""
    if count <= 0:
        return None
    scale = 10**places
    quotient, remainder = divmod(total * scale, count * SCORE_UNITS)
    twice = 2 * remainder
    if twice > count * SCORE_UNITS or (twice == count * SCORE_UNITS and quotient % 2):
        quotient += 1
    return quotient / scale


def mean_shown(items: Iterable[tuple[float | None, float | None] | None]) -> ShownMean:
    """The mean of the shown scores across audits, rounded like every portfolio figure."""
    audits = scored = total = included = 0
    for item in items:
        applicable, units = contribution(item)
        included += item is not None
        audits += applicable
        if units is not None:
            scored += 1
            total += units
    return ShownMean(mean_of_units(total, scored), scored, audits, included)


def shown_mean_of(total: int | None, scored: int, audits: int) -> ShownMean:
    """`mean_shown` from the sums of the audits' contributions (as SQL adds them up)."""
    return ShownMean(mean_of_units(total or 0, scored), scored, audits)


def mean_text(mean: float | None) -> str:
    """A mean made by `mean_shown`, as read: None means no audit scored it."""
    return NOT_SCORED if mean is None else pct(mean)


def shown_points(value: float) -> int:
    """The whole percentage `pct` shows for a score or mean."""
    return int(f"{value * 100:.0f}")


def change_points(now: float | None, before: float | None) -> int | None:
    """The change between two shown figures in percentage points, as a reader works it out from the two numbers
    shown (74% after 80% is -6, whatever the decimals): None when either is not shown."""
    if now is None or before is None:
        return None
    return shown_points(now) - shown_points(before)
