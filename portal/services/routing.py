"""Routing: which partner organisations should get a request. The rules live here and only here.

A partner fits a request when one of its coverage pairs has the request's kind of help and
either the request's region or "all regions" (ALL_REGIONS). Inactive partners are never
suggested. Fitting partners are ranked by load (open referrals, pending or accepted, against
capacity: least loaded first), then by how often they accept what they answer (most first;
a partner that has answered nothing yet comes after those with a record), then by an exact
region match before "all regions", then by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.orm import Session

from portal.models import (
    Category,
    PartnerCoverage,
    PartnerOrganisation,
    Referral,
    ReferralStatus,
)
from portal.regions import ALL_REGIONS

OPEN_REFERRAL = (ReferralStatus.PENDING, ReferralStatus.ACCEPTED)
ACCEPTED = (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED)
ANSWERED = (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED, ReferralStatus.DECLINED)


@dataclass(frozen=True)
class PartnerLoad:
    """An active partner organisation with the figures routing ranks by."""

    partner: PartnerOrganisation
    open_referrals: int
    accepted: int
    answered: int
    covers_region: bool  # coverage names the request's region itself
    covers_all_regions: bool  # coverage for the kind of help in every region

    @property
    def fits(self) -> bool:
        return self.covers_region or self.covers_all_regions

    @property
    def capacity(self) -> int:
        return self.partner.capacity

    @property
    def load(self) -> float:
        """Open referrals per place; 1.0 or more means full (no capacity counts as full)."""
        if self.capacity <= 0:
            return float("inf") if self.open_referrals else 1.0
        return self.open_referrals / self.capacity

    @property
    def is_full(self) -> bool:
        return self.open_referrals >= self.capacity

    @property
    def acceptance_rate(self) -> float | None:
        """Share of answered referrals the partner accepted; None before its first answer."""
        return self.accepted / self.answered if self.answered else None

    def rank_key(self) -> tuple:
        rate = self.acceptance_rate
        return (
            self.load,
            rate is None,
            -(rate or 0.0),
            not self.covers_region,
            self.partner.name_en.casefold(),
            self.partner.id,
        )


@dataclass(frozen=True)
class Routing:
    """Suggestions for one request, best first, and every other active partner."""

    category: Category
    region_code: str
    suggestions: list[PartnerLoad]
    others: list[PartnerLoad]
    # Partner id -> the latest referral of this request that partner declined or gave back.
    declined: dict[int, Referral] = field(default_factory=dict)

    @property
    def all_active(self) -> list[PartnerLoad]:
        return [*self.suggestions, *self.others]

    @property
    def preselected(self) -> PartnerLoad | None:
        """The suggestion chosen when the page opens: the best one that has not declined this
        request and is not full; None rather than a partner that has said no."""
        for load in self.suggestions:
            if load.partner.id not in self.declined and not load.is_full:
                return load
        return None

    def with_history(self, referrals) -> Routing:
        """The same suggestions with the partners that declined this request marked and moved
        after the others (they stay choosable: circumstances change)."""
        declined: dict[int, Referral] = {}
        for referral in referrals:
            if referral.status == ReferralStatus.DECLINED:
                declined[referral.partner_id] = referral  # referrals come oldest first
        if not declined:
            return self

        def again_last(loads):
            return sorted(loads, key=lambda x: x.partner.id in declined)  # stable sort

        return replace(
            self,
            suggestions=again_last(self.suggestions),
            others=again_last(self.others),
            declined=declined,
        )


def _covers(region):
    coverage = PartnerCoverage
    return exists().where(
        and_(
            coverage.partner_id == PartnerOrganisation.id,
            coverage.category == bindparam("category", type_=coverage.category.type),
            coverage.region_code == region,
        )
    )


# Every active partner, whether it covers the kind of help in the region and in all regions
# (built once: the kind and the regions are bind parameters).
_ACTIVE_PARTNERS = select(
    PartnerOrganisation,
    _covers(bindparam("region", type_=PartnerCoverage.region_code.type)),
    _covers(bindparam("everywhere", type_=PartnerCoverage.region_code.type)),
).where(PartnerOrganisation.is_active.is_(True))


def suggest_partners(session: Session, category: Category, region_code: str) -> Routing:
    """Rank the active partners for a request of this kind in this region (one SQL query).

    The load and acceptance figures are the running counts on the partner rows
    (services.counts keeps them with every referral change), not a count of all history."""
    rows = session.execute(
        _ACTIVE_PARTNERS, {"category": category, "region": region_code, "everywhere": ALL_REGIONS}
    ).all()
    loads = [
        PartnerLoad(
            partner=p,
            open_referrals=max(p.open_referrals or 0, 0),
            accepted=max(p.accepted_referrals or 0, 0),
            answered=max(p.answered_referrals or 0, 0),
            covers_region=bool(here),
            covers_all_regions=bool(everywhere),
        )
        for p, here, everywhere in rows
    ]
    loads.sort(key=PartnerLoad.rank_key)
    return Routing(
        category=category,
        region_code=region_code,
        suggestions=[x for x in loads if x.fits],
        others=[x for x in loads if not x.fits],
    )
