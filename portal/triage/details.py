"""Everything the request page shows, in a fixed number of SQL queries, and the timeline
sentences in the viewer's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload

from portal.db import core_execute, db
from portal.i18n import gettext as _
from portal.i18n import upper_first
from portal.models import (
    AssistanceKind,
    AssistanceRecord,
    AssistanceRequest,
    CloseOutcome,
    DeclineReason,
    Event,
    Message,
    MessageVisibility,
    Priority,
    Referral,
    ReferralUpdate,
    RequestStatus,
    Role,
    User,
)
from portal.models.enums import EventKind
from portal.services import audit
from portal.services.routing import Routing, suggest_partners
from portal.services.workflow import allowed_targets

AR = AssistanceRequest
S = RequestStatus


@dataclass
class TimelineEntry:
    event: Event
    message: Message | None
    text: str
    update: ReferralUpdate | None = None
    record: AssistanceRecord | None = None

    @property
    def label(self) -> str:
        return EventKind.label_of(self.event.kind)

    @property
    def kind_label(self) -> str:
        """The kind of help of an assistance record, in the page's language."""
        if self.record is None:
            return ""
        try:
            return AssistanceKind(self.record.kind).label
        except ValueError:
            return AssistanceKind.OTHER.label


@dataclass
class RequestPage:
    request: AssistanceRequest
    others: list[AssistanceRequest]
    timeline: list[TimelineEntry]
    messages: list[TimelineEntry]
    workers: list  # rows of _STAFF: id, full_name, role, is_active
    routing: Routing | None
    targets: list[RequestStatus]
    can: dict[str, bool] = field(default_factory=dict)
    # Per referral id: the partner's updates and assistance records, oldest first.
    partner_work: dict[int, list[TimelineEntry]] = field(default_factory=dict)


# The staff who may be named in a timeline or given the request: only what the page shows.
_STAFF = (
    select(User.id, User.full_name, User.role, User.is_active)
    .where(User.role.in_((Role.SOCIAL_WORKER, Role.ADMIN)))
    .order_by(User.full_name, User.id)
)


# The request, its returnee and their other requests, newest first (built once: a bind
# parameter for the request).
_OWNERS_REQUESTS = (
    select(AR)
    .where(
        AR.owner_id == select(AR.owner_id).where(AR.id == bindparam("request_id")).scalar_subquery()
    )
    .options(
        joinedload(AR.owner).joinedload(User.profile),
        joinedload(AR.assignee),
        joinedload(AR.referrals).joinedload(Referral.partner),
    )
    .order_by(AR.created_at.desc(), AR.id.desc())
)

# The request's events other than views, each with what it is about.
_TIMELINE = (
    select(Event, Message, User, ReferralUpdate, AssistanceRecord)
    .outerjoin(Message, and_(Event.subject_type == "message", Message.id == Event.subject_id))
    .outerjoin(
        ReferralUpdate,
        and_(Event.subject_type == "referral_update", ReferralUpdate.id == Event.subject_id),
    )
    .outerjoin(
        AssistanceRecord,
        and_(Event.subject_type == "assistance_record", AssistanceRecord.id == Event.subject_id),
    )
    .outerjoin(User, User.id == Event.actor_id)
    .where(Event.request_id == bindparam("request_id"), audit.is_change())
    .order_by(Event.created_at, Event.id)
)


def load_request_page(request_id: int, viewer: User) -> RequestPage | None:
    """The request, its returnee and their other requests, the events with the messages,
    the social workers and (when it can be referred) the routing: at most four queries."""
    requests = db.scalars(_OWNERS_REQUESTS, {"request_id": request_id}).unique().all()
    request = next((r for r in requests if r.id == request_id), None)
    if request is None:
        return None
    rows = db.execute(_TIMELINE, {"request_id": request_id}).all()
    workers = list(core_execute(db, _STAFF))
    targets = allowed_targets(request, viewer)
    open_referral = request.open_referral
    can = {
        "assign": request.status.is_open,
        "priority": request.status.is_open,
        "ask": S.NEEDS_INFO in targets,
        "resume": request.status == S.NEEDS_INFO and S.IN_REVIEW in targets,
        "refer": S.REFERRED in targets and open_referral is None,
        "cancel_referral": open_referral is not None and S.IN_REVIEW in targets,
        "close": S.CLOSED in targets,
        "note": True,
    }
    routing = None
    if can["refer"]:
        routing = suggest_partners(db, request.category, request.region_code).with_history(
            request.referrals
        )
    names = Names(
        users={u.id: u for u in workers},
        referrals={r.id: r for r in request.referrals},
    )
    timeline = [
        TimelineEntry(e, m, upper_first(describe(e, names)), update=u, record=a)
        for e, m, _actor, u, a in rows
    ]
    partner_work: dict[int, list[TimelineEntry]] = {}
    for entry in timeline:
        if entry.update is not None or entry.record is not None:
            partner_work.setdefault(entry.event.referral_id or 0, []).append(entry)
    return RequestPage(
        request=request,
        others=[r for r in requests if r.id != request_id],
        timeline=timeline,
        messages=[t for t in timeline if t.message is not None],
        workers=[u for u in workers if u.role == Role.SOCIAL_WORKER],
        routing=routing,
        targets=targets,
        can=can,
        partner_work=partner_work,
    )


@dataclass
class Names:
    users: dict[int, Any]  # rows of _STAFF
    referrals: dict[int, Referral]

    def user(self, user_id) -> str:
        user = self.users.get(user_id) if user_id is not None else None
        return user.full_name if user else _("another person")

    def partner(self, event: Event) -> str:
        referral = self.referrals.get(event.referral_id) if event.referral_id else None
        if referral is not None and referral.partner is not None:
            return referral.partner.name()
        return _("a partner organisation")


def _label(enum_cls, value) -> str:
    try:
        return enum_cls(value).label
    except ValueError:
        return str(value or "")


def describe(event: Event, names: Names) -> str:
    """One sentence for the timeline, in the current language."""
    actor = event.actor.full_name if event.actor is not None else _("The portal")
    data = event.data or {}
    kind = event.kind
    if kind == "submitted":
        return _("%(actor)s submitted the request.", actor=actor)
    if kind == "assigned":
        to = data.get("to")
        if to is None:
            return _("%(actor)s removed the assignee.", actor=actor)
        if to == event.actor_id:
            return _("%(actor)s took the request.", actor=actor)
        return _(
            "%(actor)s assigned the request to %(assignee)s.",
            actor=actor,
            assignee=names.user(to),
        )
    if kind == "review_started":
        return _("%(actor)s started the review.", actor=actor)
    if kind == "info_requested":
        return _("%(actor)s asked the returnee for more information.", actor=actor)
    if kind == "info_given":
        if event.actor is not None and event.actor.is_returnee:
            return _("%(actor)s answered the question.", actor=actor)
        return _("%(actor)s took the request back into review.", actor=actor)
    if kind == "referred" and isinstance(data.get("outside_coverage"), str):
        return _(
            "%(actor)s referred the request to %(partner)s, outside its coverage: %(reason)s",
            actor=actor,
            partner=names.partner(event),
            reason=data["outside_coverage"],
        )
    if kind == "referred":
        return _(
            "%(actor)s referred the request to %(partner)s.",
            actor=actor,
            partner=names.partner(event),
        )
    if kind == "referral_accepted":
        return _(
            "%(partner)s accepted the referral (%(actor)s).",
            partner=names.partner(event),
            actor=actor,
        )
    if kind == "referral_returned":
        if data.get("reason") == "partner_deactivated":
            return _(
                "%(partner)s was deactivated, so its referral came back to triage (%(actor)s).",
                partner=names.partner(event),
                actor=actor,
            )
        if data.get("cancelled"):
            return _(
                "%(actor)s cancelled the referral to %(partner)s.",
                actor=actor,
                partner=names.partner(event),
            )
        if data.get("reason"):
            return _(
                "%(partner)s declined the referral: %(reason)s (%(actor)s).",
                partner=names.partner(event),
                reason=_label(DeclineReason, data["reason"]),
                actor=actor,
            )
        return _(
            "The referral to %(partner)s came back to triage (%(actor)s).",
            partner=names.partner(event),
            actor=actor,
        )
    if kind == "assistance_provided":
        return _(
            "%(partner)s marked the referral complete (%(actor)s).",
            partner=names.partner(event),
            actor=actor,
        )
    if kind == "assistance_recorded":
        return _(
            "%(partner)s recorded assistance given (%(actor)s).",
            partner=names.partner(event),
            actor=actor,
        )
    if kind == "referral_update":
        return _(
            "%(partner)s added a progress update (%(actor)s).",
            partner=names.partner(event),
            actor=actor,
        )
    if kind == "closed":
        return _(
            "%(actor)s closed the request: %(outcome)s.",
            actor=actor,
            outcome=_label(CloseOutcome, data.get("outcome")),
        )
    if kind == "reopened":
        return _("%(actor)s reopened the request.", actor=actor)
    if kind == "withdrawn":
        return _("%(actor)s withdrew the request.", actor=actor)
    if kind == "priority_set":
        return _(
            "%(actor)s changed the priority from %(old)s to %(new)s.",
            actor=actor,
            old=_label(Priority, data.get("from")),
            new=_label(Priority, data.get("to")),
        )
    if kind == "message_added":
        if event.actor is not None and event.actor.is_returnee:
            return _("%(actor)s wrote a message.", actor=actor)
        return _("%(actor)s wrote a message to the returnee.", actor=actor)
    if kind == "note_added":
        if data.get("for_partner"):
            return _("%(actor)s added an internal note, shown to the partner.", actor=actor)
        return _("%(actor)s added an internal note.", actor=actor)
    if event.to_status:
        return _(
            "%(actor)s changed the status from “%(old)s” to “%(new)s”.",
            actor=actor,
            old=_label(RequestStatus, event.from_status),
            new=_label(RequestStatus, event.to_status),
        )
    return _("%(actor)s: %(what)s.", actor=actor, what=EventKind.label_of(kind))


def message_is_shared(message: Message) -> bool:
    return message.visibility == MessageVisibility.SHARED
