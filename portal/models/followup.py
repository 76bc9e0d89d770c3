from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime

if TYPE_CHECKING:
    from portal.models.request import AssistanceRequest


class FollowUp(Base):
    """A short reintegration check 3, 6 or 12 months after a request closed with help given.

    The answers are values from closed scales (portal/followups.py), kept as data for reports.
    """

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("request_id", "months", name="uq_follow_ups_request_months"),
        Index("ix_follow_ups_owner_answered", "owner_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_requests.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    months: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    request: Mapped[AssistanceRequest] = relationship()

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} {self.months}m>"

    def can_view(self, user) -> bool:
        """The returnee it was sent to, and SMS staff."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return user.is_staff or (user.is_returnee and self.owner_id == user.id)
