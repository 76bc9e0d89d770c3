from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import DuplicateReason, DuplicateStatus

if TYPE_CHECKING:
    from portal.models.user import User


class DuplicateFlag(Base):
    """Two returnee accounts that may belong to one person, for a social worker to decide.

    The pair is stored in one order (the smaller user id first), so a pair is flagged once
    whichever of the two was checked (services/duplicates.py)."""

    __tablename__ = "duplicate_flags"
    __table_args__ = (
        UniqueConstraint("first_user_id", "second_user_id", name="uq_duplicate_flags_pair"),
        CheckConstraint("first_user_id < second_user_id", name="ordered_pair"),
        # The unique pair serves "flags of user X" as the first; this index as the second.
        Index("ix_duplicate_flags_second_user_id", "second_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    second_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[DuplicateReason] = mapped_column(enum_column(DuplicateReason, 30))
    # How alike the names are, 0-100 (rapidfuzz); 100 for the same name or the same phone.
    score: Mapped[int] = mapped_column(Integer)
    status: Mapped[DuplicateStatus] = mapped_column(
        enum_column(DuplicateStatus, 20), default=DuplicateStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    # Every UPDATE bumps and checks the version: two workers deciding at once, one wins.
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:  # ids only: no personal data in logs
        return f"<DuplicateFlag {self.id} {self.first_user_id}/{self.second_user_id}>"

    def other_of(self, user_id: int) -> int:
        return self.second_user_id if user_id == self.first_user_id else self.first_user_id

    def involves(self, user_id: int | None) -> bool:
        return user_id in (self.first_user_id, self.second_user_id)

    @staticmethod
    def can_view(user) -> bool:
        """Social workers and administrators only; never returnees or partners."""
        return bool(
            user is not None
            and getattr(user, "is_authenticated", False)
            and user.is_active
            and user.is_staff
        )
