from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime

if TYPE_CHECKING:
    from portal.models.user import User


# Views of personal data are events too (services/audit.py: kinds that start "viewed_"), and
# a request opened a thousand times has a thousand of them. The timelines read the others
# through a partial index; PostgreSQL uses it only when the query says the same, with the
# same constant (services/audit.py is_change).
VIEW_KIND_PATTERN = "viewed/_%"  # ESCAPE '/'
CHANGES_ONLY = f"kind NOT LIKE '{VIEW_KIND_PATTERN}' ESCAPE '/'"


class Event(Base):
    """Append-only timeline and audit trail: who did what to which record, when."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_request_created", "request_id", "created_at"),
        Index(
            "ix_events_request_changes",
            "request_id",
            "created_at",
            "id",
            postgresql_where=text(CHANGES_ONLY),
            sqlite_where=text(CHANGES_ONLY),
        ),
        Index("ix_events_subject", "subject_type", "subject_id"),
        # The audit page: newest first with keyset paging, unfiltered or by one filter.
        Index("ix_events_created_id", "created_at", "id"),
        Index("ix_events_actor_created", "actor_id", "created_at", "id"),
        Index("ix_events_returnee_created", "returnee_id", "created_at", "id"),
        Index("ix_events_kind_created", "kind", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column()
    request_id: Mapped[int | None] = mapped_column(ForeignKey("assistance_requests.id"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    # Whose personal data the event is about (views of data; see services.audit).
    returnee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    # Shown on the returnee's timeline (never for internal work).
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind}>"


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(Event, "before_update")
def _refuse_update(mapper, connection, target):  # noqa: ARG001
    raise AppendOnlyError("events are append-only")


@event.listens_for(Event, "before_delete")
def _refuse_delete(mapper, connection, target):  # noqa: ARG001
    raise AppendOnlyError("events are append-only")
