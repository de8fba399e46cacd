"""When an open nonconformity is overdue, given the last day it is on time (`capa_rules.overdue_after`). Apart
from the other CAPA rules (`domain/capa_rules.py`) because it needs no record type: the index's views apply it
to the days stored in the facts tables without loading one."""

from __future__ import annotations

import datetime as dt


def overdue_on(after: dt.date | None, today: dt.date) -> bool:
    """Whether an NC whose `overdue_after` is `after` is overdue on `today`."""
    return after is not None and after < today
