"""The audit of who saw what: views of a returnee's personal data are append-only Events too.

Call `record_view` wherever a page, the API or an export shows a returnee's personal data to
someone other than the returnee: it adds one Event (kind "viewed_<what>") to the caller's
transaction, beside the change events, with the viewer's role and organisation at that moment.
The administrators' audit page (`audit_page`) and the returnee's own "who has seen your data"
(`seen_by`) read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from portal.db import core_execute, utcnow
from portal.models import AssistanceRequest, Event, PartnerOrganisation, Referral, User
from portal.models._types import UTCDateTime
from portal.models.event import VIEW_KIND_PATTERN

# What was seen (Event.kind). Others may add kinds: keep the "viewed_" prefix.
VIEW_REQUEST = "viewed_request"  # a social worker or administrator opened a request page
VIEW_REFERRAL = "viewed_referral"  # partner staff opened a referral page
VIEW_API_REFERRAL = "viewed_api_referral"  # a partner's system read a referral through the API
VIEW_EXPORT = "viewed_export"  # a data export that holds the returnee's data
VIEW_SEARCH = "viewed_search"  # a search that found the returnee
VIEW_DUPLICATE = "viewed_duplicate"  # shown to a worker as a possible duplicate of someone
VIEW_ACCOUNT = "viewed_account"  # an administrator opened a returnee's account page
# staff opened the readmission case of a person who has claimed it (their account)
VIEW_CASE = "viewed_readmission_case"
VIEW_KINDS = (
    VIEW_REQUEST,
    VIEW_REFERRAL,
    VIEW_API_REFERRAL,
    VIEW_EXPORT,
    VIEW_SEARCH,
    VIEW_DUPLICATE,
    VIEW_ACCOUNT,
    VIEW_CASE,
)
VIEW_PREFIX = "viewed_"


def is_change():
    """Events that change something (the timelines show these), not views of data: the
    condition of the partial index ix_events_request_changes, its pattern written into the
    SQL (a bound parameter would keep PostgreSQL from using the index)."""
    return Event.kind.notlike(literal_column(f"'{VIEW_KIND_PATTERN}'"), escape="/")


def _unproxied(actor):
    """flask-login's current_user as the user itself: every attribute read through the proxy
    costs a lookup, and a page of views reads several per row."""
    get = getattr(actor, "_get_current_object", None)
    return get() if get is not None else actor


def _viewer_details(actor: User | None, data: dict[str, Any] | None) -> dict[str, Any]:
    """What a view event keeps of the viewer as they are now (role, organisation, API token),
    and the view's own data."""
    details: dict[str, Any] = {}
    if actor is not None:
        details["role"] = actor.role.value
        if actor.partner_id is not None:
            details["partner_id"] = actor.partner_id
        token_id = getattr(actor, "api_token_id", None)
        if token_id is not None:
            details["api_token_id"] = token_id
    details.update(data or {})
    return details


def _view_values(
    actor: User | None,
    request: AssistanceRequest | None,
    referral: Referral | None,
    kind: str,
    returnee: User | int | None,
    data: dict[str, Any] | None,
) -> dict[str, Any]:
    if not kind.startswith(VIEW_PREFIX):
        raise ValueError(f"view kinds start with {VIEW_PREFIX!r}: {kind!r}")
    if request is None and referral is not None:
        request = referral.request
    returnee_id = returnee.id if isinstance(returnee, User) else returnee
    if returnee_id is None and request is not None:
        returnee_id = request.owner_id
    if returnee_id is None:
        raise ValueError("a view is of some returnee's data: give request, referral or returnee")
    details = _viewer_details(actor, data)
    if referral is not None:
        subject_type, subject_id = "referral", referral.id
    elif request is not None:
        subject_type, subject_id = "request", request.id
    else:
        subject_type, subject_id = "user", returnee_id
    return {
        "kind": kind,
        "actor_id": actor.id if actor is not None and actor.id is not None else None,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "request_id": request.id if request is not None else None,
        "referral_id": referral.id if referral is not None else None,
        "returnee_id": returnee_id,
        "public": False,
        "data": details,
        "created_at": utcnow(),
    }


def record_view(
    session: Session,
    actor: User | None,
    request: AssistanceRequest | None = None,
    referral: Referral | None = None,
    *,
    kind: str = VIEW_REQUEST,
    returnee: User | int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one view Event: `actor` (a user, or the transient user of an API token) saw the
    personal data of a returnee, through `request` / `referral` or directly (`returnee`).

    Flushes, never commits: the caller commits with the rest of its work (a GET view commits
    just for this). The viewer's role and organisation are stored as they are now, so that the
    returnee's list stays right after the person changes job.
    """
    event = Event(**_view_values(actor, request, referral, kind, returnee, data))
    session.add(event)
    session.flush()
    return event


# A list shows the same referrals again and again (an inbox reloaded, a partner's system
# polling the API): a viewer's list views of one referral are recorded once in this period.
LIST_VIEW_ONCE_PER = timedelta(hours=1)


def record_views(
    session: Session,
    actor: User | None,
    *,
    referrals,
    kind: str,
    data: dict | None = None,
    once_per: timedelta | None = None,
) -> int:
    """record_view for several referrals at once (a page of the partner API's list, the
    partner inbox): one INSERT. With `once_per`, a referral this viewer already saw this way
    (same kind, a list) within that period is not recorded again. Requests:
    record_request_views."""
    actor = _unproxied(actor)
    referrals = list(referrals)
    if once_per is not None and referrals:
        recent = _recently_listed(session, actor, referrals, kind, once_per)
        referrals = [referral for referral in referrals if referral.id not in recent]
    rows = [_view_values(actor, None, referral, kind, None, data) for referral in referrals]
    if rows:
        session.execute(insert(_EVENTS), rows)  # the table's INSERT: no ORM bulk machinery
    return len(rows)


def _recently_listed(session: Session, actor, referrals, kind: str, period: timedelta) -> set[int]:
    """Ids of these referrals that this viewer (the person, or the API token) saw in a list
    within `period`: read through the requests' (request_id, created_at) index."""
    actor_id = actor.id if actor is not None else None
    token_id = _viewer_details(actor, None).get("api_token_id")
    rows = session.execute(
        select(Event.referral_id, Event.actor_id, Event.data).where(
            Event.request_id.in_({referral.request_id for referral in referrals}),
            Event.created_at >= utcnow() - period,
            Event.kind == kind,
        )
    )
    recent = set()
    for referral_id, viewer_id, data in rows:
        data = data if isinstance(data, dict) else {}
        if data.get("list") and viewer_id == actor_id and data.get("api_token_id") == token_id:
            recent.add(referral_id)
    return recent


_EVENTS = Event.__table__
# One view event per request of a list of ids, the returnee read from each request: one
# INSERT … SELECT, the same rows as record_views makes one by one.
_REQUEST_VIEWS = insert(_EVENTS).from_select(
    ["kind", "actor_id", "subject_type", "subject_id", "request_id", "returnee_id", "public",
     "data", "created_at"],
    select(
        bindparam("kind", type_=_EVENTS.c.kind.type),
        bindparam("actor_id", type_=_EVENTS.c.actor_id.type),
        literal("request", _EVENTS.c.subject_type.type),
        AssistanceRequest.id,
        AssistanceRequest.id,
        AssistanceRequest.owner_id,
        literal(False, _EVENTS.c.public.type),
        bindparam("data", type_=_EVENTS.c.data.type),
        bindparam("created_at", type_=_EVENTS.c.created_at.type),
    ).where(AssistanceRequest.id.in_(bindparam("ids", expanding=True))),
)  # fmt: skip


def record_request_views(
    session: Session, actor: User | None, request_ids, *, kind: str, data=None
) -> int:
    """record_view for each of these requests (a page of search results) in one statement."""
    if not kind.startswith(VIEW_PREFIX):
        raise ValueError(f"view kinds start with {VIEW_PREFIX!r}: {kind!r}")
    ids = list(dict.fromkeys(request_ids))
    if not ids:
        return 0
    actor = _unproxied(actor)
    core_execute(
        session,
        _REQUEST_VIEWS,
        {
            "kind": kind,
            "actor_id": actor.id if actor is not None else None,
            "data": _viewer_details(actor, data),
            "created_at": utcnow(),
            "ids": ids,
        },
    )
    return len(ids)


def record_views_together(session: Session, actor: User | None, views) -> int:
    """Several record_view calls in one INSERT (a page that shows more than one returnee's
    data): each of `views` is a dict of record_view's keyword arguments (request, referral,
    kind, returnee, data)."""
    actor = _unproxied(actor)
    rows = [
        _view_values(
            actor,
            view.get("request"),
            view.get("referral"),
            view["kind"],
            view.get("returnee"),
            view.get("data"),
        )
        for view in views
    ]
    if rows:
        # render_nulls: a view without a request keeps its NULL, so the rows stay one batch.
        session.execute(insert(_EVENTS).execution_options(render_nulls=True), rows)
    return len(rows)


def record_returnee_views(
    session: Session, actor: User, returnee_ids, *, kind: str, data: dict | None = None
) -> int:
    """record_view for every returnee id that the select `returnee_ids` (one column) gives, in
    one INSERT … SELECT: a big export records its views without a row in Python each.
    Returns the number of views recorded."""
    values = _view_values(actor, None, None, kind, 0, data)
    ids = returnee_ids.subquery()
    id_col = next(iter(ids.c))
    columns = [
        "kind",
        "actor_id",
        "subject_type",
        "subject_id",
        "returnee_id",
        "public",
        "data",
        "created_at",
    ]
    source = select(
        literal(values["kind"], String()),
        literal(values["actor_id"], Integer()),
        literal("user", String()),
        id_col,
        id_col,
        literal(False, Boolean()),
        literal(values["data"], JSON()),
        literal(values["created_at"], UTCDateTime()),
    )
    result = session.execute(insert(Event).from_select(columns, source))
    return result.rowcount or 0


# --- the administrators' audit page --------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    returnee_id: int | None = None
    request_id: int | None = None
    kind: str | None = None  # one kind, or "views" for every view kind, or "changes"
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class AuditCursor:
    """Keyset position: the (created_at, id) of the last row shown, newest first."""

    created_at: datetime
    id: int

    _EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

    def token(self) -> str:
        micros = (self.created_at - self._EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> AuditCursor | None:
        """None for anything this module did not make (never an error)."""
        parts = (text or "").split(".")
        if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
            return None
        micros, ident = (int(p) for p in parts)
        if not 0 < ident <= 2**31 - 1:
            return None
        try:
            moment = cls._EPOCH + timedelta(microseconds=micros)
        except OverflowError:
            return None
        if moment.year > 2100:
            return None
        return cls(moment, ident)


@dataclass
class AuditPage:
    events: list[Event]
    next_cursor: AuditCursor | None
    partners: dict[int, PartnerOrganisation]
    requests: dict[int, AssistanceRequest]


def audit_query(filters: AuditFilters, after: AuditCursor | None = None):
    """Events matching the filters, newest first, from the keyset position on.

    Served by an index per filter, each ending in (created_at, id), so a page costs the same
    with thousands or millions of events (bench/audit_bench.py measures it).
    """
    query = select(Event)
    if filters.actor_id is not None:
        query = query.where(Event.actor_id == filters.actor_id)
    if filters.returnee_id is not None:
        query = query.where(Event.returnee_id == filters.returnee_id)
    if filters.request_id is not None:
        query = query.where(Event.request_id == filters.request_id)
    if filters.kind == "views":
        query = query.where(Event.kind.in_(VIEW_KINDS))
    elif filters.kind == "changes":
        query = query.where(Event.kind.not_in(VIEW_KINDS))
    elif filters.kind:
        query = query.where(Event.kind == filters.kind)
    if filters.since is not None:
        query = query.where(Event.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(Event.created_at < filters.until)
    if after is not None:
        query = query.where(
            or_(
                Event.created_at < after.created_at,
                and_(Event.created_at == after.created_at, Event.id < after.id),
            )
        )
    return query.order_by(Event.created_at.desc(), Event.id.desc())


def audit_page(
    session: Session, filters: AuditFilters, after: AuditCursor | None = None, size: int = 50
) -> AuditPage:
    rows = list(session.scalars(audit_query(filters, after).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    partner_ids = {e.data.get("partner_id") for e in rows if isinstance(e.data, dict)}
    partner_ids.discard(None)
    partners = {
        p.id: p
        for p in session.scalars(
            select(PartnerOrganisation).where(PartnerOrganisation.id.in_(partner_ids))
        )
    }
    request_ids = {e.request_id for e in rows if e.request_id is not None}
    requests = {
        r.id: r
        for r in session.scalars(
            select(AssistanceRequest).where(AssistanceRequest.id.in_(request_ids))
        )
    }
    last = rows[-1] if rows else None
    return AuditPage(
        events=rows,
        next_cursor=AuditCursor(last.created_at, last.id) if more and last else None,
        partners=partners,
        requests=requests,
    )


# --- what the returnee sees ------------------------------------------------------------------


@dataclass(frozen=True)
class SeenBy:
    """One organisation and role that saw the returnee's data: how often, first and last."""

    role: str  # Role value, or "system" for a partner's case system (API)
    partner: PartnerOrganisation | None  # None: the State Migration Service
    times: int
    first_at: datetime
    last_at: datetime


def seen_by(session: Session, returnee_id: int, request_id: int | None = None) -> list[SeenBy]:
    """Who saw the returnee's data (of one request, or all), by organisation and role, most
    recent first. No names of people: only the role and the organisation.

    Counted in SQL (one row per kind of viewer), so a request that an inbox lists every day
    costs no more to show than one opened once."""
    api = Event.kind == VIEW_API_REFERRAL
    role = Event.data["role"].as_string()
    partner = Event.data["partner_id"].as_integer()
    query = select(
        api, role, partner, func.count(), func.min(Event.created_at), func.max(Event.created_at)
    ).where(Event.returnee_id == returnee_id, Event.kind.in_(VIEW_KINDS))
    if request_id is not None:
        # Views of the person rather than of one request (a case export with names and
        # phones) belong on every request page of theirs.
        query = query.where(or_(Event.request_id == request_id, Event.request_id.is_(None)))
    groups: dict[tuple[str, int | None], SeenBy] = {}
    for by_api, role_value, partner_id, times, first_at, last_at in session.execute(
        query.group_by(api, role, partner)
    ):
        key = ("system" if by_api else str(role_value or "system"), partner_id)
        seen = groups.get(key)
        if seen is not None:  # the same organisation and role, through the API and not
            times += seen.times
            first_at, last_at = min(first_at, seen.first_at), max(last_at, seen.last_at)
        groups[key] = SeenBy(key[0], None, times, first_at, last_at)
    partner_ids = {pid for _role, pid in groups if pid is not None}
    partners = {
        p.id: p
        for p in session.scalars(
            select(PartnerOrganisation).where(PartnerOrganisation.id.in_(partner_ids))
        )
    }
    out = [
        SeenBy(
            s.role, partners.get(pid) if pid is not None else None, s.times, s.first_at, s.last_at
        )
        for (_role, pid), s in groups.items()
    ]
    out.sort(key=lambda s: s.last_at, reverse=True)
    return out


def count_views(session: Session, returnee_id: int) -> int:
    return session.scalar(
        select(func.count(Event.id)).where(
            Event.returnee_id == returnee_id, Event.kind.in_(VIEW_KINDS)
        )
    )
