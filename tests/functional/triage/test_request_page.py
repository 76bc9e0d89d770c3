"""One request: the returnee summary, answers, timeline, messages, and a fixed number of queries."""

from __future__ import annotations

import pytest

from portal.models import (
    Category,
    ContactPreference,
    MessageVisibility,
    PartnerCoverage,
    RequestStatus,
    Role,
    Vulnerability,
)
from portal.services import requests as svc
from portal.services import triage as triage_svc
from tests.functional.triage.conftest import count_queries

S = RequestStatus


def test_request_page_shows_everything_about_the_request(login_as, client, factory, db):
    worker = login_as(Role.SOCIAL_WORKER, full_name="Nigar Worker")
    owner = factory.user(Role.RETURNEE, full_name="Elvin Məmmədov", phone="+994501112233")
    owner.profile.region_code = "ganja"
    owner.profile.household_size = 4
    owner.profile.country_returned_from = "DE"
    owner.profile.contact_preference = ContactPreference.SMS
    owner.profile.vulnerabilities = [Vulnerability.SINGLE_PARENT.value]
    db.commit()
    older = factory.request(owner=owner, status=S.CLOSED)
    req = factory.request(
        owner=owner,
        category=Category.HOUSING,
        region_code="ganja",
        answers={"situation": "no_place_tonight", "household": 4},
    )
    with factory.app.app_context():
        svc.assign_request(db, req, worker, worker)
        svc.request_info(db, req, worker, "Where do you sleep tonight?")
        triage_svc.add_note(db, req, worker, "Called, no answer.", for_partner=True)
        db.commit()
    response = client.get(f"/en/triage/requests/{req.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    # returnee summary
    for text in (
        "Elvin Məmmədov",
        "+994 50 111 22 33",
        "Ganja",
        "4 people",
        "Germany",
        "SMS",
        "Single parent with children",
    ):
        assert text in body, text
    assert older.reference in body  # their other requests
    # answers
    assert "Where do you stay now?" in body and "I have no place to sleep tonight" in body
    # messages, told apart
    assert "Where do you sleep tonight?" in body and "Called, no answer." in body
    assert 'class="msg msg-shared"' in body and 'class="msg msg-internal"' in body
    assert "Shared with the returnee" in body and "Internal note" in body
    assert "Shown to the partner" in body
    # the timeline, in words
    assert "submitted the request." in body
    assert "Nigar Worker took the request." in body
    assert "Nigar Worker asked the returnee for more information." in body
    assert "Nigar Worker added an internal note, shown to the partner." in body
    # actions this status allows: no referral while waiting for information
    assert "Ask for more information" not in body
    assert "Refer to a partner" not in body
    assert "Back to review" in body and "Close the request" in body


def test_actions_follow_the_status(login_as, client, factory):
    login_as(Role.SOCIAL_WORKER)
    new = factory.request()
    body = client.get(f"/en/triage/requests/{new.id}").get_data(as_text=True)
    for action in (
        "Assign to me",
        "Set priority",
        "Ask for more information",
        "Refer to a partner",
        "Close the request",
        "Add an internal note",
    ):
        assert action in body, action
    referred = factory.request(status=S.REFERRED)
    body = client.get(f"/en/triage/requests/{referred.id}").get_data(as_text=True)
    assert "Take the referral back" in body
    assert "Refer to a partner" not in body and "Ask for more information" not in body
    closed = factory.request(status=S.CLOSED)
    body = client.get(f"/en/triage/requests/{closed.id}").get_data(as_text=True)
    assert "Add an internal note" in body
    for action in ("Assign to me", "Set priority", "Refer to a partner", "Close the request"):
        assert action not in body, action


def test_suggestions_say_why_they_fit_and_how_loaded(login_as, client, factory, db):
    login_as(Role.SOCIAL_WORKER)
    near = factory.partner(name_en="Ganja Shelter", capacity=4)
    everywhere = factory.partner(name_en="Everywhere Help", capacity=10)
    elsewhere = factory.partner(name_en="Baku Only")
    db.add_all(
        [
            PartnerCoverage(partner_id=near.id, category=Category.HOUSING, region_code="ganja"),
            PartnerCoverage(partner_id=everywhere.id, category=Category.HOUSING, region_code="*"),
            PartnerCoverage(partner_id=elsewhere.id, category=Category.HOUSING, region_code="baku"),
        ]
    )
    db.commit()
    req = factory.request(category=Category.HOUSING, region_code="ganja")
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "Covers Housing in Ganja" in body
    assert "Covers Housing in all regions" in body
    assert "0 open referrals of 4" in body
    # the same load (none) and no record yet: the exact region comes before "all regions"
    assert body.index("Ganja Shelter") < body.index("Everywhere Help")
    assert body.index("Other active partner") < body.index("Baku Only")


def test_when_no_partner_fits_the_page_says_so_and_offers_all(login_as, client, factory):
    login_as(Role.SOCIAL_WORKER)
    other = factory.partner(name_en="Unrelated Partner")
    factory.partner(name_en="Closed Partner", is_active=False)
    req = factory.request(category=Category.EMPLOYMENT, region_code="shaki")
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "No active partner covers Employment in Shaki" in body
    assert f'value="{other.id}"' in body and "Unrelated Partner" in body
    assert "Closed Partner" not in body


def test_unknown_request_is_404(login_as, client):
    login_as(Role.SOCIAL_WORKER)
    assert client.get("/en/triage/requests/999999").status_code == 404


def test_request_page_makes_a_fixed_number_of_queries(login_as, client, factory, db, app):
    worker = login_as(Role.SOCIAL_WORKER)
    owner = factory.user(Role.RETURNEE)
    for _ in range(3):
        factory.request(owner=owner, status=S.CLOSED)
    staff = factory.user(Role.PARTNER)
    req = factory.request(owner=owner, status=S.REFERRED, partner_staff=staff)
    with app.app_context():
        from portal.models import DeclineReason

        svc.decline_referral(db, req, staff, DeclineReason.NO_CAPACITY)
        for i in range(15):
            triage_svc.add_note(db, req, worker, f"Note {i}")
            svc.add_message(db, req, worker, f"Message {i}", MessageVisibility.SHARED)
            svc.add_message(db, req, owner, f"Answer {i}", MessageVisibility.SHARED)
        db.commit()
    for _ in range(3):
        factory.partner()
    with count_queries(app) as statements:
        response = client.get(f"/en/triage/requests/{req.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Note 14" in body and "Answer 14" in body
    assert "Refer to a partner" in body  # the routing query ran too
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # the five of the page and the header's count of unread notices. A returnee flagged as a
    # possible duplicate costs one SELECT more (the flags, the other person and their requests),
    # and only then (test_duplicates.py, test_a_flagged_page_needs_one_more_select_…).
    assert len(reads) <= 6, "\n\n".join(reads)
    # and one write: the view of the returnee's data, for the audit trail (issue 10)
    assert [s.split()[:3] for s in statements if s not in reads] == [["INSERT", "INTO", "events"]]


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_request_page_in_each_language(login_as, client, factory, lang):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request(status=S.NEEDS_INFO)
    response = client.get(f"/{lang}/triage/requests/{req.id}")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)
