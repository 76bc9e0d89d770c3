"""Running counts the staff pages read instead of counting history on every page view.

- request_status_counts: requests per status, and how many of them nobody is assigned to (the
  queue's counts and totals, and the statuses its "unassigned" filter reads);
- partner_organisations.open_referrals / accepted_referrals / answered_referrals (routing).

Both are kept by one flush listener, in the transaction that changes the rows: every request
that is added, deleted or changes status (workflow.apply_transition is the only place a status
changes, but requests are also created by submit_request and removed with an account), and
every referral that is added or changes status; and every request whose assignee changes
(always through assignee_id, never by a bulk UPDATE). Each change is an `n = n + delta` UPDATE, so
concurrent transactions add up instead of overwriting each other. Rows are locked in a fixed
order (status name, partner id) to keep two transactions from waiting on each other in a cycle.

Loaders that bypass the ORM (the bench's COPY, SQL migrations) call recount() afterwards.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.orm import Session, attributes
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from portal.models import (
    AssistanceRequest,
    PartnerOrganisation,
    Referral,
    ReferralStatus,
    RequestStatus,
    RequestStatusCount,
)

OPEN = frozenset((ReferralStatus.PENDING, ReferralStatus.ACCEPTED))
ACCEPTED = frozenset((ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED))
ANSWERED = frozenset((ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED, ReferralStatus.DECLINED))
_PARTNER_COLUMNS = (
    ("open_referrals", OPEN),
    ("accepted_referrals", ACCEPTED),
    ("answered_referrals", ANSWERED),
)


def _value(enum_cls, value):
    if value is None:
        return None
    return enum_cls(value)


def _old_new(obj, attr: str, added: bool, deleted: bool):
    """(value before the flush, value after it) of one attribute; None for a missing side."""
    if added:
        return None, getattr(obj, attr)
    history = attributes.get_history(obj, attr)
    if history.added or history.deleted:  # changed; an empty side was None
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
    else:
        old = new = getattr(obj, attr)
    return (old, None) if deleted else (old, new)


def _request_deltas(session: Session) -> Counter:
    """(column, status) -> change: "requests" per status, "unassigned" per status."""
    deltas: Counter = Counter()
    for obj in [*session.new, *session.deleted, *session.dirty]:
        if not isinstance(obj, AssistanceRequest):
            continue
        added, deleted = obj in session.new, obj in session.deleted
        old_status, new_status = _old_new(obj, "status", added, deleted)
        old_assignee, new_assignee = _old_new(obj, "assignee_id", added, deleted)
        if old_status is not None:
            deltas["requests", RequestStatus(old_status).value] -= 1
            if old_assignee is None:
                deltas["unassigned", RequestStatus(old_status).value] -= 1
        if new_status is not None:
            deltas["requests", RequestStatus(new_status).value] += 1
            if new_assignee is None:
                deltas["unassigned", RequestStatus(new_status).value] += 1
    return deltas


def _partner_deltas(session: Session) -> dict[int, Counter]:
    deltas: dict[int, Counter] = {}
    for obj in [*session.new, *session.deleted, *session.dirty]:
        if not isinstance(obj, Referral):
            continue
        if obj in session.new:
            old, new = None, _value(ReferralStatus, obj.status)
        elif obj in session.deleted:
            history = attributes.get_history(obj, "status")
            old, new = _value(ReferralStatus, (history.deleted or [obj.status])[0]), None
        else:
            history = attributes.get_history(obj, "status")
            if not (history.deleted and history.added):
                continue
            old = _value(ReferralStatus, history.deleted[0])
            new = _value(ReferralStatus, history.added[0])
        counter = deltas.setdefault(obj.partner_id, Counter())
        for column, statuses in _PARTNER_COLUMNS:
            counter[column] += (new in statuses) - (old in statuses)
    return deltas


def _after_flush(session: Session, _context) -> None:
    requests = {k: v for k, v in _request_deltas(session).items() if v}
    partners = {
        pid: {k: v for k, v in c.items() if v}
        for pid, c in _partner_deltas(session).items()
        if pid is not None and any(c.values())
    }
    if not requests and not partners:
        return
    conn = session.connection()
    table = RequestStatusCount.__table__
    for status in sorted({status for _column, status in requests}):
        changes = {c: requests.get((c, status), 0) for c in ("requests", "unassigned")}
        done = conn.execute(
            update(table)
            .where(table.c.status == status)
            .values({table.c[c]: table.c[c] + n for c, n in changes.items() if n})
        )
        if done.rowcount == 0:  # first request ever in this status
            conn.execute(insert(table).values(status=status, **changes))
    table = PartnerOrganisation.__table__
    columns = [table.c[c] for c, _ in _PARTNER_COLUMNS]
    for pid in sorted(partners):
        changes = partners[pid]
        row = conn.execute(
            update(table)
            .where(table.c.id == pid)
            .values({table.c[k]: table.c[k] + v for k, v in changes.items()})
            .returning(*columns)
        ).first()
        # A partner already loaded in this session shows the new figures without a reload.
        partner = session.identity_map.get(identity_key(PartnerOrganisation, pid))
        if partner is not None and row is not None:
            for column, value in zip(columns, row, strict=True):
                set_committed_value(partner, column.key, value)


def install() -> None:
    """Listen to every session's flushes (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


class StatusCounts(dict):
    """Requests per status (every status present), with `.unassigned`: per status, how many
    of them nobody is assigned to."""

    unassigned: dict[RequestStatus, int]

    def __init__(self) -> None:
        super().__init__(dict.fromkeys(RequestStatus, 0))
        self.unassigned = dict.fromkeys(RequestStatus, 0)


# The counts table's columns, for a query that reads them with something else (the queue).
STATUS_COUNT_COLUMNS = (
    RequestStatusCount.status,
    RequestStatusCount.requests,
    RequestStatusCount.unassigned,
)


def status_counts(session: Session) -> StatusCounts:
    """Both from the counts table, in one small read."""
    return counts_from_rows(session.execute(select(*STATUS_COUNT_COLUMNS)))


def counts_from_rows(rows) -> StatusCounts:
    """StatusCounts from rows of (status, requests, unassigned)."""
    counts = StatusCounts()
    for status, n, unassigned in rows:
        try:
            counts[RequestStatus(status)] = n
            counts.unassigned[RequestStatus(status)] = unassigned
        except ValueError:
            continue
    return counts


def fresh_status_counts(session: Session) -> StatusCounts:
    """The same figures counted from the requests themselves (for checks and recount)."""
    counts = StatusCounts()
    ar = AssistanceRequest
    unassigned = func.count().filter(ar.assignee_id.is_(None))
    for status, n, nobody in session.execute(
        select(ar.status, func.count(), unassigned).group_by(ar.status)
    ):
        counts[RequestStatus(status)] = n
        counts.unassigned[RequestStatus(status)] = nobody
    return counts


def fresh_partner_figures(session: Session) -> dict[int, dict[str, int]]:
    """Each partner's routing figures counted from the referrals themselves."""
    figures: dict[int, dict[str, int]] = {
        pid: dict.fromkeys((c for c, _ in _PARTNER_COLUMNS), 0)
        for pid in session.scalars(select(PartnerOrganisation.id))
    }
    rows = session.execute(
        select(Referral.partner_id, Referral.status, func.count()).group_by(
            Referral.partner_id, Referral.status
        )
    )
    for pid, status, n in rows:
        for column, statuses in _PARTNER_COLUMNS:
            if ReferralStatus(status) in statuses:
                figures[pid][column] += n
    return figures


def recount(session: Session) -> None:
    """Rebuild both from the rows (after a bulk load that bypassed the ORM)."""
    conn = session.connection()
    conn.execute(RequestStatusCount.__table__.delete())
    counts = fresh_status_counts(session)
    conn.execute(
        insert(RequestStatusCount),
        [
            {"status": s.value, "requests": n, "unassigned": counts.unassigned[s]}
            for s, n in counts.items()
        ],
    )
    table = PartnerOrganisation.__table__
    for pid, values in fresh_partner_figures(session).items():
        conn.execute(update(table).where(table.c.id == pid).values(**values))
