"""Running counts the staff pages read instead of counting history on every page view.

- request_status_counts: requests per status (the queue's counts and totals);
- partner_organisations.open_referrals / accepted_referrals / answered_referrals (routing).

Both are kept by one flush listener, in the transaction that changes the rows: every request
that is added, deleted or changes status (workflow.apply_transition is the only place a status
changes, but requests are also created by submit_request and removed with an account), and
every referral that is added or changes status. Each change is an `n = n + delta` UPDATE, so
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


def _moves(session: Session, cls, attr: str):
    """(old, new) status of every instance of cls this flush adds, deletes or moves."""
    for obj in session.new:
        if isinstance(obj, cls):
            yield None, getattr(obj, attr)
    for obj in session.deleted:
        if isinstance(obj, cls):
            history = attributes.get_history(obj, attr)
            old = history.deleted[0] if history.deleted else getattr(obj, attr)
            yield old, None
    for obj in session.dirty:
        if isinstance(obj, cls) and obj not in session.deleted:
            history = attributes.get_history(obj, attr)
            if history.deleted and history.added and history.deleted[0] != history.added[0]:
                yield history.deleted[0], history.added[0]


def _request_deltas(session: Session) -> Counter:
    deltas: Counter = Counter()
    for old, new in _moves(session, AssistanceRequest, "status"):
        if old is not None:
            deltas[RequestStatus(old).value] -= 1
        if new is not None:
            deltas[RequestStatus(new).value] += 1
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
    for status in sorted(requests):
        delta = requests[status]
        done = conn.execute(
            update(RequestStatusCount)
            .where(RequestStatusCount.status == status)
            .values(requests=RequestStatusCount.requests + delta)
        )
        if done.rowcount == 0:  # first request ever in this status
            conn.execute(insert(RequestStatusCount).values(status=status, requests=delta))
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


def status_counts(session: Session) -> dict[RequestStatus, int]:
    """Requests per status from the counts table (one small read); every status present."""
    counts = dict.fromkeys(RequestStatus, 0)
    for status, n in session.execute(
        select(RequestStatusCount.status, RequestStatusCount.requests)
    ):
        try:
            counts[RequestStatus(status)] = n
        except ValueError:
            continue
    return counts


def fresh_status_counts(session: Session) -> dict[RequestStatus, int]:
    """The same figures counted from the requests themselves (for checks and recount)."""
    counts = dict.fromkeys(RequestStatus, 0)
    rows = session.execute(
        select(AssistanceRequest.status, func.count()).group_by(AssistanceRequest.status)
    )
    for status, n in rows:
        counts[RequestStatus(status)] = n
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
        [{"status": s.value, "requests": n} for s, n in counts.items()],
    )
    table = PartnerOrganisation.__table__
    for pid, values in fresh_partner_figures(session).items():
        conn.execute(update(table).where(table.c.id == pid).values(**values))
