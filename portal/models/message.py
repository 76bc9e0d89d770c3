from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import MessageVisibility

if TYPE_CHECKING:
    from portal.models.user import User


class Message(Base):
    """A message on a request: shared with the returnee, or an internal note of staff."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_request_created", "request_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_requests.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[MessageVisibility] = mapped_column(enum_column(MessageVisibility, 10))
    # An internal note the social worker chose to show to the partner holding the referral.
    for_partner: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.visibility.value}>"
