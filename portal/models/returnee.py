from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import ContactPreference

if TYPE_CHECKING:
    from portal.models.user import User


class ReturneeProfile(Base):
    """What a returnee tells about themselves once, reused by every request."""

    __tablename__ = "returnee_profiles"
    __table_args__ = (
        # The reports' recount of registrations by day, country and region (report_tallies.
        # rebuild) reads this index alone on PostgreSQL (an index-only scan).
        Index(
            "ix_returnee_profiles_created_at",
            "created_at",
            postgresql_include=["country_returned_from", "region_code"],
        ),
        # Possible duplicates: the people born on the same day (services/duplicates.py).
        Index("ix_returnee_profiles_birth_date", "birth_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    region_code: Mapped[str | None] = mapped_column(String(40), index=True)
    return_date: Mapped[date | None] = mapped_column(Date)
    country_returned_from: Mapped[str | None] = mapped_column(String(2))
    # Known from a readmission case (the profile form does not ask for it).
    birth_date: Mapped[date | None] = mapped_column(Date)
    household_size: Mapped[int | None] = mapped_column(Integer)
    vulnerabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_preference: Mapped[ContactPreference | None] = mapped_column(
        enum_column(ContactPreference, 20)
    )
    consent_version: Mapped[str | None] = mapped_column(String(20))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When this person was last compared with the others for possible duplicates (None: not
    # yet), and whether any pair was ever flagged: the request page looks for flags only then.
    duplicates_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    has_duplicate_flags: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(back_populates="profile", foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<ReturneeProfile {self.id} user={self.user_id}>"

    @property
    def is_complete(self) -> bool:
        return bool(self.region_code and self.household_size and self.contact_preference)
