from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import CodePurpose


class VerificationCode(Base):
    """A one-time code sent by SMS (or read out by a worker), or a reset link sent by email.

    Only a keyed hash of the code is stored. `target` is the phone (E.164) or email it was sent
    to; rows for a phone or email without an account exist too (never sent), so that every rule,
    including the rate limits, behaves the same whether or not someone is registered.
    """

    __tablename__ = "verification_codes"
    __table_args__ = (
        Index("ix_verification_codes_target_created", "target", "created_at"),
        Index("ix_verification_codes_client_created", "client_address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[CodePurpose] = mapped_column(enum_column(CodePurpose, 20))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    target: Mapped[str | None] = mapped_column(String(254))
    client_address: Mapped[str | None] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Registration waits here until the phone is proven (name, email, password hash, language).
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<VerificationCode {self.id} {self.purpose.value}>"
