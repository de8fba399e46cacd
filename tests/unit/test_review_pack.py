"""The period a management review pack covers when none is named (the CLI and the TUI both ask here)."""

from __future__ import annotations

import datetime as dt

from qms_audit.model.review import ManagementReview
from qms_audit.views.review_pack import default_period, previous_period

TODAY = dt.date(2026, 11, 28)


def review(period_from: dt.date, period_to: dt.date) -> ManagementReview:
    held = period_to + dt.timedelta(days=10)
    return ManagementReview(id=held.isoformat(), held_on=held, period_from=period_from, period_to=period_to,
                            chair="Prof Tan", recorded_by="Ms Ong",
                            recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_with_no_review_recorded_the_pack_covers_the_last_twelve_months():
    assert default_period([], today=TODAY) == (dt.date(2025, 11, 29), TODAY)


def test_the_pack_starts_the_day_after_the_last_review_period():
    reviews = [review(dt.date(2024, 7, 1), dt.date(2025, 6, 30)), review(dt.date(2025, 7, 1), dt.date(2026, 6, 30))]
    assert default_period(reviews, today=TODAY) == (dt.date(2026, 7, 1), TODAY)


def test_nothing_is_left_to_review_by_default_once_the_last_review_reached_today():
    assert default_period([review(dt.date(2025, 12, 1), TODAY - dt.timedelta(days=1))], today=TODAY) == (TODAY, TODAY)
    assert default_period([review(dt.date(2025, 12, 1), TODAY)], today=TODAY) is None


def test_the_period_before_is_as_long_in_whole_months_or_days():
    assert previous_period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert previous_period(dt.date(2026, 7, 1), dt.date(2026, 11, 28)) == (dt.date(2026, 1, 31), dt.date(2026, 6, 30))


def test_a_review_action_done_late_was_overdue_until_it_was_done():
    from qms_audit.model.review import ReviewAction
    from qms_audit.services.reviews import action_state, overdue_on_day

    done = ReviewAction(id="A1", description="train", owner="Dr Lee", due=dt.date(2026, 6, 30), status="done",
                        closed_on=dt.date(2026, 11, 5))
    assert overdue_on_day(done, dt.date(2026, 10, 31)) and not overdue_on_day(done, TODAY)
    assert not overdue_on_day(done, dt.date(2026, 6, 30))  # due that day: late only from the next
    assert action_state(done, TODAY) == "done late"
    still_open = done.model_copy(update={"status": "open", "closed_on": None})
    assert overdue_on_day(still_open, TODAY) and action_state(still_open, TODAY) == "overdue"
