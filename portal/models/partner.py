from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import Category, PartnerKind
from portal.regions import ALL_REGIONS

if TYPE_CHECKING:
    from portal.models.user import User


class PartnerOrganisation(Base):
    """An NGO, state agency or international organisation that helps returnees."""

    __tablename__ = "partner_organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_az: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PartnerKind] = mapped_column(enum_column(PartnerKind, 20))
    contact_person: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    capacity: Mapped[int] = mapped_column(Integer, default=10)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Routing figures kept by services.counts whenever a referral is added or changes status
    # (same transaction): open = pending or accepted; accepted = accepted or completed;
    # answered = accepted, completed or declined.
    open_referrals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    accepted_referrals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    answered_referrals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    coverage: Mapped[list[PartnerCoverage]] = relationship(
        back_populates="partner", cascade="all, delete-orphan"
    )
    staff: Mapped[list[User]] = relationship(back_populates="partner")

    def __repr__(self) -> str:
        return f"<PartnerOrganisation {self.id}>"

    def name(self, locale: str | None = None) -> str:
        if not locale:
            from portal.i18n import current_locale

            current = current_locale()
            locale = str(current) if current is not None else "az"
        return getattr(self, f"name_{locale}", None) or self.name_az

    def covers(self, category: Category, region_code: str) -> bool:
        return any(
            c.category == category and c.region_code in (region_code, ALL_REGIONS)
            for c in self.coverage
        )


class PartnerCoverage(Base):
    """One (kind of help, region) pair a partner serves; region "*" means every region."""

    __tablename__ = "partner_coverage"
    __table_args__ = (
        UniqueConstraint("partner_id", "category", "region_code", name="uq_partner_coverage_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partner_organisations.id", ondelete="CASCADE")
    )
    category: Mapped[Category] = mapped_column(enum_column(Category, 20))
    region_code: Mapped[str] = mapped_column(String(40), index=True)

    partner: Mapped[PartnerOrganisation] = relationship(back_populates="coverage")
