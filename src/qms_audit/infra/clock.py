"""The current time, in one place, so that tests, demos and generated portfolios can fix it; and periods of
time as people write them (`parse_period`).

QMS_AUDIT_NOW=2026-11-28T10:00:00Z freezes the clock for a process (used by tests and examples).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from qms_audit.infra.errors import BadInput

ENV_NOW = "QMS_AUDIT_NOW"

_override: Callable[[], dt.datetime] | None = None


def now() -> dt.datetime:
    if _override is not None:
        return _override()
    fixed = os.environ.get(ENV_NOW)
    if fixed:
        value = dt.datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    return now().date()


def set_clock(source: Callable[[], dt.datetime] | None) -> None:
    """Replace the clock (None restores the real one)."""
    global _override
    _override = source


def stopped_at(moment: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that always reads `moment` (for `using` inside a loop, where a lambda would bind late)."""
    return lambda: moment


@contextmanager
def using(source: Callable[[], dt.datetime]) -> Iterator[None]:
    """Run a block with another clock, restoring the previous one after."""
    global _override
    previous = _override
    _override = source
    try:
        yield
    finally:
        _override = previous


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (earlier when negative), or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31,
            30, 31][month - 1]
    return dt.date(year, month, min(day.day, last))


PERIOD = re.compile(r"^\s*(\d{4}(?:-\d{2}(?:-\d{2})?)?)\s*\.\.\s*(\d{4}(?:-\d{2}(?:-\d{2})?)?)\s*$")


def _period_end(text: str, *, end: bool) -> dt.date:
    parts = [int(p) for p in text.split("-")]
    try:
        if len(parts) == 3:
            return dt.date(*parts)
        if len(parts) == 2:
            year, month = parts
            if not end:
                return dt.date(year, month, 1)
            following = dt.date(year + (month == 12), month % 12 + 1, 1)
            return following - dt.timedelta(days=1)
        return dt.date(parts[0], 12, 31) if end else dt.date(parts[0], 1, 1)
    except ValueError:
        raise BadInput(f"'{text}' is not a real date") from None


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """`2025..2026`, `2025-07..2026-06` or `2025-07-01..2026-06-30`: months and years cover their whole span."""
    match = PERIOD.match(text)
    if match is None:
        single = text.strip()
        if re.fullmatch(r"\d{4}(-\d{2})?", single):
            return _period_end(single, end=False), _period_end(single, end=True)
        raise BadInput(f"'{text}' is not a period: write FROM..TO, e.g. 2025-07..2026-06 or 2025-01-01..2025-12-31")
    start, stop = _period_end(match.group(1), end=False), _period_end(match.group(2), end=True)
    if stop < start:
        raise BadInput(f"the period {text} ends before it starts")
    return start, stop
