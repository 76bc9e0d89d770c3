from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import ReadmissionStatus, ReadmissionVulnerability, Sex

if TYPE_CHECKING:
    from portal.models.user import User


class ReadmissionCase(Base):
    """What the readmission case management system knows before the person signs in.

    Kept apart from accounts; a claimed invitation links the case to its returnee.
    """

    __tablename__ = "readmission_cases"
    __table_args__ = (
        Index("ix_readmission_cases_status_returned", "status", "returned_on"),
        Index("ix_readmission_cases_phone", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64), unique=True)
    requesting_state: Mapped[str] = mapped_column(String(2), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    full_name_cyrillic: Mapped[str | None] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[Sex | None] = mapped_column(enum_column(Sex, 10))
    phone: Mapped[str | None] = mapped_column(String(20))
    returned_on: Mapped[date] = mapped_column(Date)
    border_point: Mapped[str | None] = mapped_column(String(120))
    region_code: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(5), default="az")
    vulnerabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[ReadmissionStatus] = mapped_column(
        enum_column(ReadmissionStatus, 20), default=ReadmissionStatus.RECEIVED
    )
    # "api" or "csv": how the case arrived first.
    source: Mapped[str] = mapped_column(String(10), default="api")
    # The invitation: only the SHA-256 of the code is kept; cleared once used.
    invitation_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invitation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:  # no personal data in logs
        return f"<ReadmissionCase {self.id} {self.status.value}>"

    @property
    def vulnerability_list(self) -> list[ReadmissionVulnerability]:
        known = {v.value: v for v in ReadmissionVulnerability}
        return [known[v] for v in (self.vulnerabilities or []) if v in known]

    @property
    def raises_priority(self) -> bool:
        return any(v.raises_priority for v in self.vulnerability_list)

    def can_view(self, user) -> bool:
        """Administrators and social workers only: a case is personal data."""
        return bool(
            user is not None
            and getattr(user, "is_authenticated", False)
            and user.is_active
            and user.is_staff
        )
