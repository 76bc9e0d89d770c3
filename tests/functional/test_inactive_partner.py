"""Issue 10, item 2: an inactive partner organisation is closed everywhere."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from portal.models import (
    Event,
    PartnerOrganisation,
    Referral,
    ReferralStatus,
    RequestStatus,
    Role,
)
from portal.services import requests as svc
from portal.services.api_tokens import create_api_token
from portal.services.errors import PermissionDenied, ServiceError
from tests.conftest import csrf_token, sign_in
from tests.functional.partner.helpers import Scenario
from tests.functional.triage.test_partners_admin import post_partner

CLOSED_EN = "Your organisation is no longer active in the portal"


@pytest.fixture
def scenario(app, db, factory):
    return Scenario(app, db, factory)


def _deactivate(client, partner, login_as):
    login_as(Role.ADMIN)
    url = f"/en/admin/partners/{partner.id}/edit"
    response = post_partner(
        client, url, coverage=["documentation:*"], name_en=partner.name_en, is_active=None
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    client.post("/en/sign-out", data={"csrf_token": csrf_token(client, "/en/account")})


def test_deactivating_returns_open_referrals_to_triage_with_the_reason(
    app, client, db, scenario, login_as
):
    pending_req, pending = scenario.referral(RequestStatus.REFERRED)
    accepted_req, accepted = scenario.referral(RequestStatus.IN_PROGRESS)
    done_req, done = scenario.referral(RequestStatus.ASSISTANCE_PROVIDED)
    other_req, other = scenario.referral(RequestStatus.REFERRED, staff=scenario.other_staff)

    _deactivate(client, scenario.partner, login_as)

    db.expire_all()
    assert db.get(PartnerOrganisation, scenario.partner.id).is_active is False
    for req, ref in ((pending_req, pending), (accepted_req, accepted)):
        req, ref = db.merge(req), db.get(Referral, ref.id)
        assert req.status == RequestStatus.IN_REVIEW
        assert ref.status == ReferralStatus.CANCELLED
        event = db.scalar(
            select(Event)
            .where(Event.request_id == req.id, Event.kind == "referral_returned")
            .order_by(Event.id.desc())
        )
        assert event.data["reason"] == "partner_deactivated"
        assert event.referral_id == ref.id and event.from_status in ("referred", "in_progress")
    # Ended work and other organisations' referrals are untouched.
    assert db.merge(done_req).status == RequestStatus.ASSISTANCE_PROVIDED
    assert db.get(Referral, done.id).status == ReferralStatus.COMPLETED
    assert db.get(Referral, other.id).status == ReferralStatus.PENDING
    summary = db.scalar(select(Event).where(Event.kind == "partner_deactivated"))
    assert sorted(summary.data["referrals_returned"]) == sorted([pending.id, accepted.id])

    # The social worker reads why on the request page.
    sign_in(client, scenario.worker.login)
    body = client.get(f"/en/triage/requests/{pending_req.id}").get_data(as_text=True)
    assert "was deactivated, so its referral came back to triage" in body


def test_staff_of_an_inactive_organisation_are_refused_on_every_page(
    app, client, db, scenario, login_as
):
    _req, referral = scenario.referral(RequestStatus.REFERRED)
    staff_client = app.test_client()
    assert sign_in(staff_client, scenario.staff.login).status_code == 302
    assert staff_client.get(f"/en/partner/referrals/{referral.id}").status_code == 200

    _deactivate(client, scenario.partner, login_as)

    for path in (
        f"/en/partner/referrals/{referral.id}",
        "/en/partner/",
        "/ru/account",
    ):
        response = staff_client.get(path)
        assert response.status_code in (302, 403), path
    # The refusal says why in the person's language (signing in on /ru/ makes it Russian), and
    # ends the session.
    again = app.test_client()
    response = sign_in(again, scenario.staff.login, lang="ru")
    assert response.status_code == 302
    refused = again.get(response.headers["Location"])
    assert refused.status_code == 403
    assert "Ваша организация больше не активна в портале" in refused.get_data(as_text=True)
    assert again.get("/en/partner/").status_code == 302  # signed out: to the sign-in page
    # Actions are refused too, not only pages.
    token = csrf_token(again, "/en/sign-in")
    response = again.post(f"/en/partner/referrals/{referral.id}/accept", data={"csrf_token": token})
    assert response.status_code in (302, 403)
    db.expire_all()
    assert db.get(Referral, referral.id).status == ReferralStatus.CANCELLED


def test_tokens_of_an_inactive_organisation_stop(app, client, db, scenario, login_as):
    with app.app_context():
        _row, raw = create_api_token(db, scenario.partner, scenario.staff, "Case system")
        db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/referrals", headers=headers).status_code == 200
    _deactivate(client, scenario.partner, login_as)
    response = client.get("/api/v1/referrals", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "organisation_inactive"


def test_no_referral_can_be_sent_to_an_inactive_organisation(app, client, db, scenario, login_as):
    partner = db.get(PartnerOrganisation, scenario.partner.id)
    partner.is_active = False
    db.commit()
    req = scenario.factory.request(status=RequestStatus.IN_REVIEW, worker=scenario.worker)
    with app.app_context(), pytest.raises(ServiceError):
        svc.refer_request(db, db.merge(req), partner, scenario.worker)
    db.rollback()

    sign_in(client, scenario.worker.login)
    url = f"/en/triage/requests/{req.id}"
    body = client.get(url).get_data(as_text=True)
    import re

    version = re.search(r'name="version" type="hidden" value="(\d+)"', body).group(1)
    response = client.post(
        f"{url}/refer",
        data={
            "csrf_token": csrf_token(client, url),
            "request_id": req.id,
            "version": version,
            "partner_id": partner.id,
        },
    )
    assert response.status_code == 400
    assert "Choose an active partner organisation" in response.get_data(as_text=True)
    db.expire_all()
    assert db.merge(req).status == RequestStatus.IN_REVIEW


def test_services_refuse_partner_actions_of_an_inactive_organisation(app, db, scenario):
    req, _referral = scenario.referral(RequestStatus.REFERRED)
    partner = db.get(PartnerOrganisation, scenario.partner.id)
    partner.is_active = False
    db.commit()
    with app.app_context(), pytest.raises(PermissionDenied):
        svc.accept_referral(db, db.merge(req), scenario.staff)
    assert isinstance(app, Flask)
