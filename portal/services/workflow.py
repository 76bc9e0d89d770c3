"""The one table of request status transitions and the one function that applies them.

Nothing else in the code assigns AssistanceRequest.status.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.exc import StaleDataError

from portal.db import utcnow
from portal.models import AssistanceRequest, Event, RequestStatus, User
from portal.services import activity, report_tallies
from portal.services.errors import PermissionDenied, StaleRequest, TransitionNotAllowed

S = RequestStatus


class Actor(enum.Enum):
    OWNER = "owner"  # the returnee who owns the request
    STAFF = "staff"  # a social worker or an administrator
    PARTNER = "partner"  # staff of the partner holding the request's open referral
    # The owner deleting their account (or withdrawing consent): every open request ends.
    LEAVING_OWNER = "leaving_owner"


@dataclass(frozen=True)
class Transition:
    source: RequestStatus
    target: RequestStatus
    actors: frozenset[Actor]
    event: str


def _t(source: S, target: S, event: str, *actors: Actor) -> Transition:
    return Transition(source, target, frozenset(actors), event)


_OPEN_BEFORE_WORK = (S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO, S.REFERRED)
_CLOSABLE = (S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO, S.REFERRED, S.IN_PROGRESS)

TRANSITIONS: tuple[Transition, ...] = (
    _t(S.SUBMITTED, S.IN_REVIEW, "review_started", Actor.STAFF),
    _t(S.SUBMITTED, S.NEEDS_INFO, "info_requested", Actor.STAFF),
    _t(S.IN_REVIEW, S.NEEDS_INFO, "info_requested", Actor.STAFF),
    _t(S.NEEDS_INFO, S.IN_REVIEW, "info_given", Actor.OWNER, Actor.STAFF),
    _t(S.SUBMITTED, S.REFERRED, "referred", Actor.STAFF),
    _t(S.IN_REVIEW, S.REFERRED, "referred", Actor.STAFF),
    _t(S.REFERRED, S.IN_PROGRESS, "referral_accepted", Actor.PARTNER),
    _t(S.REFERRED, S.IN_REVIEW, "referral_returned", Actor.PARTNER, Actor.STAFF),
    _t(S.IN_PROGRESS, S.IN_REVIEW, "referral_returned", Actor.PARTNER, Actor.STAFF),
    _t(S.IN_PROGRESS, S.ASSISTANCE_PROVIDED, "assistance_provided", Actor.PARTNER),
    _t(S.ASSISTANCE_PROVIDED, S.CLOSED, "closed", Actor.STAFF),
    # Staff reopen; the owner says the help did not come (or only partly): back to review.
    _t(S.ASSISTANCE_PROVIDED, S.IN_REVIEW, "reopened", Actor.STAFF, Actor.OWNER),
    *(_t(s, S.CLOSED, "closed", Actor.STAFF) for s in _CLOSABLE),
    *(_t(s, S.WITHDRAWN, "withdrawn", Actor.OWNER, Actor.LEAVING_OWNER) for s in _OPEN_BEFORE_WORK),
    *(
        _t(s, S.WITHDRAWN, "withdrawn", Actor.LEAVING_OWNER)
        for s in (S.IN_PROGRESS, S.ASSISTANCE_PROVIDED)
    ),
)

_BY_PAIR: dict[tuple[RequestStatus, RequestStatus], Transition] = {
    (t.source, t.target): t for t in TRANSITIONS
}


def actor_kinds(request: AssistanceRequest, user: User, *, leaving: bool = False) -> set[Actor]:
    """What the user is with respect to this request (`leaving`: the owner deletes the account)."""
    kinds: set[Actor] = set()
    if user.is_returnee and request.owner_id == user.id:
        kinds.add(Actor.OWNER)
        if leaving:
            kinds.add(Actor.LEAVING_OWNER)
    if user.is_staff and user.is_active:
        kinds.add(Actor.STAFF)
    if user.is_partner and user.partner_id is not None:
        referral = request.open_referral
        if referral is not None and referral.partner_id == user.partner_id:
            kinds.add(Actor.PARTNER)
    return kinds


def allowed_targets(request: AssistanceRequest, user: User) -> list[RequestStatus]:
    """Statuses this user may move the request to now (for showing actions)."""
    kinds = actor_kinds(request, user)
    return [t.target for t in TRANSITIONS if t.source == request.status and t.actors & kinds]


def can_transition(request: AssistanceRequest, target: RequestStatus, user: User) -> bool:
    rule = _BY_PAIR.get((request.status, target))
    return rule is not None and bool(rule.actors & actor_kinds(request, user))


def check_version(request: AssistanceRequest, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != request.version:
        raise StaleRequest(_l("This request changed since you opened it. Here is how it is now."))


def record_event(
    session: Session,
    kind: str,
    actor: User | None,
    request: AssistanceRequest | None = None,
    *,
    subject_type: str = "request",
    subject_id: int | None = None,
    referral_id: int | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    public: bool = False,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one Event to the audit trail (and to the request's timeline when given)."""
    if subject_id is None:
        subject_id = request.id if request is not None else 0
    now = utcnow()
    if request is not None:
        activity.note(session, request, kind, actor, data, now)
    event = Event(
        kind=kind,
        actor_id=actor.id if actor is not None else None,
        subject_type=subject_type,
        subject_id=subject_id,
        request_id=request.id if request is not None else None,
        returnee_id=request.owner_id if request is not None else None,
        referral_id=referral_id,
        from_status=from_status,
        to_status=to_status,
        public=public,
        data=data or {},
        created_at=now,
    )
    session.add(event)
    return event


# The first time a request reaches these statuses is kept for the reports (time to referral…).
_MILESTONES = {
    S.REFERRED: "referred_at",
    S.IN_PROGRESS: "accepted_at",
    S.ASSISTANCE_PROVIDED: "helped_at",
}


def _mark_milestone(request: AssistanceRequest, source: S, target: S, now) -> list[str]:
    """Set the milestones reached for the first time; returns their column names."""
    marked = []
    # Any staff decision on a submitted request is its first review (withdrawing is not).
    if source == S.SUBMITTED and target != S.WITHDRAWN and request.first_reviewed_at is None:
        request.first_reviewed_at = now
        marked.append("first_reviewed_at")
    column = _MILESTONES.get(target)
    if column is not None and getattr(request, column) is None:
        setattr(request, column, now)
        marked.append(column)
    return marked


def apply_transition(
    request: AssistanceRequest,
    target: RequestStatus,
    actor: User,
    *,
    expected_version: int | None = None,
    referral_id: int | None = None,
    data: dict[str, Any] | None = None,
    public: bool = True,
    leaving: bool = False,
) -> Event:
    """Move the request to `target` if the table allows it for this actor; write the Event.

    Raises TransitionNotAllowed, PermissionDenied or StaleRequest and changes nothing then.
    """
    session = object_session(request)
    if session is None:
        raise RuntimeError("the request must belong to a session")
    check_version(request, expected_version)
    source = request.status
    rule = _BY_PAIR.get((source, target))
    if rule is None:
        raise TransitionNotAllowed(
            _l(
                "A request that is “%(source)s” cannot become “%(target)s”.",
                source=source.label,
                target=target.label,
            )
        )
    if not rule.actors & actor_kinds(request, actor, leaving=leaving):
        raise PermissionDenied(_l("You may not make this change to this request."))

    now = utcnow()
    request.status = target
    request.status_changed_at = now
    if not target.is_open:
        request.closed_at = now
    milestones = _mark_milestone(request, source, target, now)
    event = record_event(
        session,
        rule.event,
        actor,
        request,
        referral_id=referral_id,
        from_status=source.value,
        to_status=target.value,
        public=public,
        data=data,
    )
    try:
        session.flush()  # bumps request.version; a concurrent change fails here
        report_tallies.on_transition(session, request, source, target, milestones, data)
    except StaleDataError:
        session.rollback()
        raise StaleRequest(
            _l("This request changed since you opened it. Here is how it is now.")
        ) from None
    return event
