from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import Category


class RequestDraft(Base):
    """The answers a returnee has given so far in the ask-for-help flow, kept on the server so
    a dropped connection or the back button loses nothing. One draft per returnee."""

    __tablename__ = "request_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    category: Mapped[Category | None] = mapped_column(enum_column(Category, 20))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Idempotency key handed to the submit form; the request keeps it (see submit_request).
    submission_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<RequestDraft {self.id} owner={self.owner_id}>"
