"""Two workers on one request: which changes overlap.

Every action form carries the version of the request the worker saw and the id of the last
Event on its page. When the version moved on, the Events written since tell what changed; an
action that touches none of the same things (the priority while a colleague added a note or
took the request) goes through on the current version, and one that does (two status changes,
two priorities) is refused, with those Events shown.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import AssistanceRequest, Event

ASSIGNEE = "assignee"
PRIORITY = "priority"
STATUS = "status"

# What each action of the request page changes.
ACTION_TOUCHES: dict[str, frozenset[str]] = {
    "assign": frozenset({ASSIGNEE}),
    "priority": frozenset({PRIORITY}),
    "ask": frozenset({STATUS}),
    "resume": frozenset({STATUS}),
    "refer": frozenset({STATUS}),
    "cancel_referral": frozenset({STATUS}),
    "close": frozenset({STATUS}),
    "note": frozenset(),
}


def touched_by(event: Event) -> frozenset[str]:
    """What an Event changed on the request: its status, assignee or priority (or nothing:
    messages, notes, the partner's updates and records, views)."""
    touched = set()
    if event.to_status:
        touched.add(STATUS)
    if event.kind == "assigned":
        touched.add(ASSIGNEE)
    if event.kind == "priority_set":
        touched.add(PRIORITY)
    return frozenset(touched)


def changes_since(
    session: Session, request: AssistanceRequest, seen_event_id: int | None
) -> list[Event] | None:
    """The Events of the request after the one the worker's page showed last; None when the
    form did not say (then nothing can be merged)."""
    if seen_event_id is None or seen_event_id < 0:
        return None
    return list(
        session.scalars(
            select(Event)
            .where(Event.request_id == request.id, Event.id > seen_event_id)
            .order_by(Event.id)
        )
    )


def overlapping(changes: list[Event], action: str) -> list[Event]:
    """The changes that touch what the action would change."""
    wanted = ACTION_TOUCHES.get(action, frozenset({STATUS, ASSIGNEE, PRIORITY}))
    return [e for e in changes if touched_by(e) & wanted]
