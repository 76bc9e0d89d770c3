from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime

if TYPE_CHECKING:
    from portal.models.user import User


class ReferralUpdate(Base):
    """A progress note a partner adds to a referral it works on."""

    __tablename__ = "referral_updates"
    __table_args__ = (Index("ix_referral_updates_referral_created", "referral_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ReferralUpdate {self.id}>"


class AssistanceRecord(Base):
    """What a partner gave: a kind from the list for the category, the date, and how much."""

    __tablename__ = "assistance_records"
    __table_args__ = (Index("ix_assistance_records_referral_id", "referral_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    request_id: Mapped[int] = mapped_column(ForeignKey("assistance_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    given_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    amount_azn: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    units: Mapped[int | None] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<AssistanceRecord {self.id}>"


class ApiToken(Base):
    """An API token: only its SHA-256 is stored; shown once when created.

    A partner system's token reads its organisation's referrals; a readmission token (kind
    "readmission") is the case management system's, and may only create and read cases.
    """

    KIND_PARTNER: ClassVar[str] = "partner"
    KIND_READMISSION: ClassVar[str] = "readmission"

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_partner_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a readmission token (it belongs to no organisation).
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner_organisations.id"))
    # What the token may do: "partner" (its organisation's referrals) or "readmission"
    # (create and read readmission cases, nothing else).
    kind: Mapped[str] = mapped_column(String(20), default="partner", server_default="partner")
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}>"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
