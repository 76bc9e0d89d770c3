"""The queue's data version: a number that grows whenever something the queue page shows
changes, so that a rendered queue page can be shown again while the number is the same.

What the queue shows comes from requests (and the per-status counts kept from them), the
names of returnees and workers, readmission cases (the "Vulnerable" tag) and duplicate flags
(and the profiles that mark them).
One flush listener adds 1 to the row `queue` of data_versions, in the transaction of the
change, whenever a flush adds, deletes or changes one of those; the few plain UPDATEs and
INSERTs on them (services/activity.py, services/duplicates.py) call bump() themselves.

A reader that sees the new number reads the new data with it: the number and the data are
committed together. A page rendered between the two reads is kept under the old number,
which nobody asks for again once the change is committed.
"""

from __future__ import annotations

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from portal.models import (
    AssistanceRequest,
    DataVersion,
    DuplicateFlag,
    ReadmissionCase,
    ReturneeProfile,
    User,
)

QUEUE = "queue"
WATCHED = (AssistanceRequest, User, ReturneeProfile, ReadmissionCase, DuplicateFlag)
_BUMPED = "versions_bumped"  # session.info key: bumped in this transaction already


def bump(session: Session) -> None:
    """Add 1 to the queue's version in the session's transaction (once per transaction: one
    more is enough, and the row stays locked only by the first UPDATE)."""
    if session.info.get(_BUMPED):
        return
    session.info[_BUMPED] = True
    conn = session.connection()
    done = conn.execute(
        update(DataVersion).where(DataVersion.name == QUEUE).values(n=DataVersion.n + 1)
    )
    if done.rowcount == 0:
        conn.execute(insert(DataVersion).values(name=QUEUE, n=1))


def current_query():
    """The queue's version as a scalar subquery (to read it with something else)."""
    return select(DataVersion.n).where(DataVersion.name == QUEUE).scalar_subquery()


def current(session: Session) -> int:
    return session.scalar(select(current_query())) or 0


def _after_flush(session: Session, _context) -> None:
    if session.info.get(_BUMPED):
        return
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, WATCHED):
            bump(session)
            return
    for obj in session.dirty:
        if isinstance(obj, WATCHED) and session.is_modified(obj, include_collections=False):
            bump(session)
            return


def _end(session: Session, *_args) -> None:
    session.info.pop(_BUMPED, None)


def install() -> None:
    """Listen to every session's flushes (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _end)
        event.listen(Session, "after_rollback", _end)
        event.listen(Session, "after_soft_rollback", _end)
