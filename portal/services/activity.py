"""What needs the social worker: the queue's "new activity" mark and its "Waiting" clock.

An answer or a message from the returnee, a partner's decline or give-back, a partner's
progress update or recorded help, and the returnee's answer about the help received all
need the worker. workflow.record_event calls note() for every event; note() moves
request.activity_at and raises request.new_activity for those. seen() clears the mark when
the assignee (or, for an unassigned request, any staff member) opens the request page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.models import AssistanceRequest, User
from portal.services import versions

NEEDS_WORKER = frozenset(
    {
        "info_given",
        "message_added",
        "referral_returned",
        "referral_update",
        "assistance_recorded",
        "assistance_provided",
        "help_confirmation",
        "reopened",
    }
)


def needs_worker(kind: str, actor: User | None, data: dict | None) -> bool:
    if kind not in NEEDS_WORKER:
        return False
    if kind == "referral_returned" and (data or {}).get("reason") == "partner_deactivated":
        return True  # an administrator's act, but the request is back on the worker's desk
    return actor is None or not actor.is_staff


def note(
    session: Session,
    request: AssistanceRequest,
    kind: str,
    actor: User | None,
    data: dict | None,
    now: datetime,
) -> None:
    """Called for every event on a request (workflow.record_event). A plain UPDATE, like
    seen(): bookkeeping for the queue does not bump the request's version, so a partner's
    progress note does not make the worker's open form stale."""
    if not needs_worker(kind, actor, data) or request.id is None:
        return
    session.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id == request.id)
        .values(activity_at=now, new_activity=True)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(request, "activity_at", now)
    set_committed_value(request, "new_activity", True)
    versions.bump(session)  # the queue's "new activity" mark and waiting time


def is_seer(request: AssistanceRequest, viewer: User) -> bool:
    """Whose opening of the page clears the mark."""
    if request.assignee_id is None:
        return viewer.is_staff
    return request.assignee_id == viewer.id


def seen(session: Session, request: AssistanceRequest, viewer: User, now: datetime) -> bool:
    """The assignee opened the request page: clear the mark and note when (at most one UPDATE,
    only when something changes). A plain UPDATE: opening a page does not bump the request's
    version, so nobody's open form goes stale because a colleague looked at it."""
    if not is_seer(request, viewer):
        return False
    if not request.new_activity and request.assignee_seen_at is not None:
        return False
    session.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id == request.id)
        .values(new_activity=False, assignee_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    # Not a change for the ORM to flush again (that would bump the version).
    set_committed_value(request, "new_activity", False)
    set_committed_value(request, "assignee_seen_at", now)
    versions.bump(session)
    return True
