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
_PENDING = "queue_version_pending"  # session.info key: this transaction changed the queue


def bump(session: Session) -> None:
    """Say that this transaction changes what the queue shows: the version moves on when it
    commits (one UPDATE, just before the commit, so that its row is locked only for the
    commit itself and a long transaction, a 50,000-row import, holds up nobody)."""
    session.info[_PENDING] = True


def current_query():
    """The queue's version as a scalar subquery (to read it with something else)."""
    return select(DataVersion.n).where(DataVersion.name == QUEUE).scalar_subquery()


def current(session: Session) -> int:
    return session.scalar(select(current_query())) or 0


def _after_flush(session: Session, _context) -> None:
    if session.info.get(_PENDING):
        return
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, WATCHED):
            bump(session)
            return
    for obj in session.dirty:
        if isinstance(obj, WATCHED) and session.is_modified(obj, include_collections=False):
            bump(session)
            return


def _before_commit(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # the last changes, which the commit would flush after this event
    if not session.info.pop(_PENDING, False):
        return
    conn = session.connection()
    done = conn.execute(
        update(DataVersion).where(DataVersion.name == QUEUE).values(n=DataVersion.n + 1)
    )
    if done.rowcount == 0:
        conn.execute(insert(DataVersion).values(name=QUEUE, n=1))


def install() -> None:
    """Listen to every session's flushes and commits (idempotent). A rollback leaves the
    mark: a savepoint rolled back must not forget what came before it, and after a whole
    rollback the mark costs at most one version too many (the session ends with the request)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
