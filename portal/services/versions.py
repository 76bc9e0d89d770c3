"""The queue's data version: a number that grows whenever something the queue page shows
changes, so that a rendered queue page can be shown again while the number is the same.

What the queue shows comes from requests (and the per-status counts kept from them), the
names of returnees and workers, readmission cases (the "Vulnerable" tag) and duplicate flags
(and the profiles that mark them).
A flush listener marks the transaction whenever a flush adds, deletes or changes one of
those; the few plain UPDATEs and INSERTs on them (services/activity.py, duplicates.py,
readmission_imports.py, data_rights.py) call bump() themselves. Just before a marked
transaction commits, the row `queue` of data_versions goes up by one, in that transaction.

A reader that sees the new number reads the new data with it: the number and the data are
committed together. A page rendered between the two reads is kept under the old number,
which nobody asks for again once the change is committed.

A second number, `urgent`, moves on only when a transaction adds, deletes or changes a
request that is or was of urgent priority: the urgent list above the queue is kept under it
(most changes leave that list alone).
"""

from __future__ import annotations

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, attributes

from portal.models import (
    AssistanceRequest,
    DataVersion,
    DuplicateFlag,
    Priority,
    ReadmissionCase,
    ReturneeProfile,
    User,
)

QUEUE = "queue"
URGENT = "urgent"  # what the urgent list shows: requests that are or were urgent
_URGENT_PENDING = "urgent_version_pending"
WATCHED = (AssistanceRequest, User, ReturneeProfile, ReadmissionCase, DuplicateFlag)
_PENDING = "queue_version_pending"  # session.info key: this transaction changed the queue


def bump(session: Session) -> None:
    """Say that this transaction changes what the queue shows: the version moves on when it
    commits (one UPDATE, just before the commit, so that its row is locked only for the
    commit itself and a long transaction, a 50,000-row import, holds up nobody)."""
    session.info[_PENDING] = True


def current_query(name: str = QUEUE):
    """The queue's version (or the urgent list's) as a scalar subquery (to read it with
    something else)."""
    return select(DataVersion.n).where(DataVersion.name == name).scalar_subquery()


def current(session: Session) -> int:
    return session.scalar(select(current_query())) or 0


def _is_or_was_urgent(request: AssistanceRequest) -> bool:
    # unchanged, added and deleted values: the priority before and after this flush
    return Priority.URGENT in attributes.get_history(request, "priority").sum()


def _after_flush(session: Session, _context) -> None:
    if session.info.get(_PENDING) and session.info.get(_URGENT_PENDING):
        return
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, WATCHED):
            bump(session)
            if isinstance(obj, AssistanceRequest) and _is_or_was_urgent(obj):
                session.info[_URGENT_PENDING] = True
    for obj in session.dirty:
        if isinstance(obj, WATCHED) and session.is_modified(obj, include_collections=False):
            bump(session)
            if isinstance(obj, AssistanceRequest) and _is_or_was_urgent(obj):
                session.info[_URGENT_PENDING] = True


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the last changes, which the commit would flush after this event
    names = [QUEUE] if session.info.pop(_PENDING, False) else []
    if session.info.pop(_URGENT_PENDING, False):
        names.append(URGENT)
    conn = session.connection() if names else None
    for name in names:
        done = conn.execute(
            update(DataVersion).where(DataVersion.name == name).values(n=DataVersion.n + 1)
        )
        if done.rowcount == 0:
            conn.execute(insert(DataVersion).values(name=name, n=1))


def install() -> None:
    """Listen to every session's flushes and commits (idempotent). A rollback leaves the
    mark: a savepoint rolled back must not forget what came before it, and after a whole
    rollback the mark costs at most one version too many (the session ends with the request)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
