from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import NotificationChannel, NotificationStatus

if TYPE_CHECKING:
    from portal.models.user import User


class Notification(Base):
    """One notice to one recipient on one channel: the outbox row, written in the same
    transaction as the change that causes it and delivered later by the worker."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_due", "status", "due_at"),
        Index("ix_notifications_user_channel_read", "user_id", "channel", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("assistance_requests.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[NotificationChannel] = mapped_column(enum_column(NotificationChannel, 10))
    status: Mapped[NotificationStatus] = mapped_column(
        enum_column(NotificationStatus, 10), default=NotificationStatus.PENDING
    )
    template: Mapped[str] = mapped_column(String(60))
    locale: Mapped[str] = mapped_column(String(5))
    # Phone (E.164) for sms, email address for email, empty for portal notices.
    to_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Codes and other texts a person is waiting for: sent at night too.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:  # no address or text in logs
        return f"<Notification {self.id} {self.channel.value} {self.status.value}>"

    def can_view(self, user) -> bool:
        return user is not None and self.user_id is not None and self.user_id == user.id
