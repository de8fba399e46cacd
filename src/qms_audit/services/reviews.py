"""Management reviews held (ISO 9001:2015 9.3.3): recording their decisions and actions, following the
actions up, and finding what the next review must report on (9.3.2 a)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from qms_audit.infra import clock
from qms_audit.infra.errors import BadInput, NotFound, choice_hint
from qms_audit.model.review import Decision, ManagementReview, ReviewAction, ReviewMinutes
from qms_audit.store.reviews import ReviewRecords

ACTION_STATES = ("open", "done", "dropped")
def load_reviews(workspace) -> list[ManagementReview]:
    records = ReviewRecords(workspace)
    if not records.folder.is_dir():
        return []
    records.ensure_recovered("reader")
    return records.load()


def load_minutes(path: Path, *, base: Path | None = None) -> ReviewMinutes:
    from qms_audit.infra.loading import load_yaml_model

    def checks(minutes: ReviewMinutes):
        if minutes.period_to < minutes.period_from:
            yield ("period_to",), "the period ends before it starts", None

    return load_yaml_model(path, ReviewMinutes, what="review minutes", max_bytes=1024 * 1024, checks=[checks],
                           base=base)


def record_review(workspace, minutes: ReviewMinutes, *, actor: str) -> ManagementReview:
    """Store a held review. Two reviews on one day (a faculty's and the university's) get -2, -3..."""
    if minutes.period_to < minutes.period_from:
        raise BadInput("the review period ends before it starts")
    if not (minutes.decisions or minutes.actions):
        raise BadInput("a review record needs at least one decision or action (9.3.3); add --decision or --action")
    records = ReviewRecords(workspace)
    records.folder.mkdir(parents=True, exist_ok=True)
    with records.transaction(actor=actor, action="review.record", summary=f"recorded the review held on "
                             f"{minutes.held_on.isoformat()}") as tx:
        taken = {r.id for r in records.load()}
        review_id = minutes.held_on.isoformat()
        n = 1
        while review_id in taken:
            n += 1
            review_id = f"{minutes.held_on.isoformat()}-{n}"
        review = ManagementReview(
            id=review_id, title=minutes.title, held_on=minutes.held_on, period_from=minutes.period_from,
            period_to=minutes.period_to, chair=minutes.chair, attendees=minutes.attendees,
            decisions=minutes.decisions, issues=minutes.issues,
            actions=[ReviewAction(id=f"A{i}", description=a.description, owner=a.owner, due=a.due)
                     for i, a in enumerate(minutes.actions, start=1)],
            recorded_by=actor, recorded_at=tx.at)
        tx.target = review_id
        tx.change("decisions", None, len(review.decisions))
        tx.change("actions", None, len(review.actions))
        tx.write(f"{review_id}.json", review)
        return review


def find_review(reviews: list[ManagementReview], review_id: str) -> ManagementReview:
    for review in reviews:
        if review.id == review_id:
            return review
    raise NotFound(f"no management review '{review_id}' is recorded "
                   f"({choice_hint(review_id, [r.id for r in reviews]) or 'none yet: qms-audit review record'})")


def set_action(workspace, review_id: str, action_id: str, *, status: str, actor: str, note: str | None = None,
               on: dt.date | None = None) -> ReviewAction:
    """Follow a review action up: done or dropped (with the date), or open again."""
    if status not in ACTION_STATES:
        raise BadInput(f"unknown action status '{status}' ({choice_hint(status, list(ACTION_STATES))})")
    records = ReviewRecords(workspace)
    with records.transaction(actor=actor, action="review.action", target=review_id,
                             summary=f"{action_id} of the review {review_id} set to {status}") as tx:
        review = find_review(records.load() if records.folder.is_dir() else [], review_id)
        action = next((a for a in review.actions if a.id == action_id.upper()), None)
        if action is None:
            raise NotFound(f"review {review_id} has no action '{action_id}' "
                           f"({choice_hint(action_id, [a.id for a in review.actions])})")
        closed_on = None if status == "open" else (on or clock.today())
        updated = action.model_copy(update={"status": status, "closed_on": closed_on,
                                            "note": note if note is not None else action.note})
        tx.change(f"{action.id}.status", action.status, status)
        tx.write(f"{review.id}.json", review.model_copy(update={
            "actions": [updated if a.id == action.id else a for a in review.actions]}))
        return updated


def action_state(action: ReviewAction, today: dt.date) -> str:
    if action.status != "open":
        late = action.closed_on is not None and action.closed_on > action.due
        return f"{action.status}{' late' if late and action.status == 'done' else ''}"
    return "overdue" if overdue_on_day(action, today) else "open"


def overdue_on_day(action: ReviewAction, day: dt.date) -> bool:
    """Whether the action was still open at the end of `day` (done or dropped only later) and past its due date."""
    open_then = action.status == "open" or (action.closed_on is not None and action.closed_on > day)
    return open_then and action.due < day


@dataclass
class CarriedAction:
    review: ManagementReview
    action: ReviewAction
    state: str


def actions_to_report(reviews: list[ManagementReview], period_to: dt.date, today: dt.date
                      ) -> tuple[ManagementReview | None, list[CarriedAction]]:
    """The previous review (the latest held on or before the period's end whose own period ended earlier) and
    every action the next review must report on: all of that review's, and any still open from earlier ones."""
    earlier = reviews_before(reviews, period_to)
    previous = earlier[-1] if earlier else None
    carried: list[CarriedAction] = []
    for review in earlier:
        for action in review.actions:
            if review is previous or action.status == "open":
                carried.append(CarriedAction(review, action, action_state(action, today)))
    return previous, carried


def reviews_before(reviews: list[ManagementReview], period_to: dt.date) -> list[ManagementReview]:
    """The reviews a review of the period ending `period_to` follows up: held by then, on an earlier period."""
    return [r for r in reviews if r.held_on <= period_to and r.period_to < period_to]


def overdue_review_actions(reviews: list[ManagementReview], period_to: dt.date, day: dt.date) -> int:
    """How many actions of the reviews a review of the period follows up (`reviews_before`) were overdue at the
    end of `day`: the period's end, or today. Only reviews held by `day` count."""
    return sum(1 for review in reviews_before(reviews, period_to) if review.held_on <= day
               for action in review.actions if overdue_on_day(action, day))


def parse_decision(text: str) -> Decision:
    """`improvement: text`, `qms-change: text`, `resources: text`, or plain text."""
    kind, sep, rest = text.partition(":")
    kinds = ("improvement", "qms-change", "resources", "other")
    if sep and kind.strip().lower() in kinds:
        # validated rather than constructed: the kind is a plain str here, and the model checks it
        return Decision.model_validate({"kind": kind.strip().lower(), "text": rest.strip() or text})
    return Decision(kind="other", text=text.strip())
