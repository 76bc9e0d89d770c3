"""Routing rules (portal.services.routing.suggest_partners): coverage, "all regions", inactive
partners, load then acceptance ranking, and no partner fitting."""

from __future__ import annotations

from sqlalchemy import event

from portal.db import utcnow
from portal.models import (
    Category,
    PartnerCoverage,
    Referral,
    ReferralStatus,
    RequestStatus,
)
from portal.regions import ALL_REGIONS
from portal.services.routing import suggest_partners

H, E, D = Category.HOUSING, Category.EMPLOYMENT, Category.DOCUMENTATION


def covered(factory, *pairs, **kw):
    partner = factory.partner(**kw)
    for category, region in pairs:
        factory.db.add(
            PartnerCoverage(partner_id=partner.id, category=category, region_code=region)
        )
    factory.db.commit()
    return partner


def referrals(factory, partner, *statuses):
    """Referral rows of the given statuses to `partner` (routing only counts them)."""
    req = factory.request(status=RequestStatus.IN_REVIEW)
    for status in statuses:
        factory.db.add(
            Referral(
                request_id=req.id,
                partner_id=partner.id,
                status=status,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    factory.db.commit()


def names(loads) -> list[str]:
    return [x.partner.name_en for x in loads]


def test_coverage_of_the_region_or_all_regions_fits(factory, db):
    covered(factory, (H, "ganja"), name_en="Ganja housing")
    covered(factory, (H, ALL_REGIONS), name_en="Housing everywhere")
    covered(factory, (H, "baku"), name_en="Baku housing")
    covered(factory, (E, "ganja"), (D, ALL_REGIONS), name_en="Other kinds")
    covered(factory, name_en="No coverage")
    routing = suggest_partners(db, H, "ganja")
    assert set(names(routing.suggestions)) == {"Ganja housing", "Housing everywhere"}
    assert set(names(routing.others)) == {"Baku housing", "Other kinds", "No coverage"}
    why = {x.partner.name_en: (x.covers_region, x.covers_all_regions) for x in routing.suggestions}
    assert why == {"Ganja housing": (True, False), "Housing everywhere": (False, True)}


def test_inactive_partners_are_never_suggested_nor_offered(factory, db):
    covered(factory, (H, ALL_REGIONS), name_en="Closed down", is_active=False)
    covered(factory, (H, "ganja"), name_en="Working")
    routing = suggest_partners(db, H, "ganja")
    assert names(routing.suggestions) == ["Working"]
    assert "Closed down" not in names(routing.all_active)


def test_least_loaded_first(factory, db):
    busy = covered(factory, (D, ALL_REGIONS), name_en="Busy", capacity=4)
    calm = covered(factory, (D, ALL_REGIONS), name_en="Calm", capacity=10)
    full = covered(factory, (D, ALL_REGIONS), name_en="Full", capacity=2)
    referrals(factory, busy, ReferralStatus.PENDING, ReferralStatus.ACCEPTED)  # 2/4
    referrals(factory, calm, ReferralStatus.PENDING, ReferralStatus.ACCEPTED)  # 2/10
    referrals(factory, full, ReferralStatus.PENDING, ReferralStatus.PENDING)  # 2/2
    # closed referrals are no load
    referrals(factory, calm, ReferralStatus.COMPLETED, ReferralStatus.DECLINED)
    routing = suggest_partners(db, D, "baku")
    assert names(routing.suggestions) == ["Calm", "Busy", "Full"]
    loads = {
        x.partner.name_en: (x.open_referrals, x.capacity, x.is_full) for x in routing.suggestions
    }
    assert loads == {"Calm": (2, 10, False), "Busy": (2, 4, False), "Full": (2, 2, True)}


def test_equal_load_then_the_partner_that_accepts_more(factory, db):
    picky = covered(factory, (E, ALL_REGIONS), name_en="Picky", capacity=5)
    keen = covered(factory, (E, ALL_REGIONS), name_en="Keen", capacity=5)
    covered(factory, (E, ALL_REGIONS), name_en="New", capacity=5)
    referrals(
        factory, picky, ReferralStatus.DECLINED, ReferralStatus.DECLINED, ReferralStatus.COMPLETED
    )  # 1 of 3 accepted
    referrals(
        factory, keen, ReferralStatus.COMPLETED, ReferralStatus.COMPLETED, ReferralStatus.DECLINED
    )  # 2 of 3
    routing = suggest_partners(db, E, "shaki")
    assert names(routing.suggestions) == ["Keen", "Picky", "New"]
    rates = {x.partner.name_en: x.acceptance_rate for x in routing.suggestions}
    assert rates["Keen"] == 2 / 3 and rates["Picky"] == 1 / 3 and rates["New"] is None


def test_zero_capacity_counts_as_full(factory, db):
    covered(factory, (H, ALL_REGIONS), name_en="No places", capacity=0)
    covered(factory, (H, ALL_REGIONS), name_en="Places", capacity=3)
    routing = suggest_partners(db, H, "baku")
    assert names(routing.suggestions) == ["Places", "No places"]
    assert routing.suggestions[1].is_full


def test_no_partner_fits_but_every_active_partner_can_be_chosen(factory, db):
    covered(factory, (H, "baku"), name_en="Baku housing")
    covered(factory, (D, "ganja"), name_en="Ganja documents")
    covered(factory, (E, ALL_REGIONS), name_en="Inactive jobs", is_active=False)
    routing = suggest_partners(db, E, "lankaran")
    assert routing.suggestions == []
    assert set(names(routing.others)) == {"Baku housing", "Ganja documents"}


def test_one_query_whatever_the_number_of_partners(factory, db, app):
    for i in range(8):
        partner = covered(factory, (H, ALL_REGIONS), (D, "baku"), name_en=f"P{i}")
        referrals(factory, partner, ReferralStatus.PENDING)
    statements = []

    def _count(*args):
        statements.append(args[2])

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        db.expire_all()
        routing = suggest_partners(db, H, "baku")
        [x.partner.name_en for x in routing.all_active]
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    assert len(routing.suggestions) == 8
    assert len(statements) == 1
