"""Rights over one's data: see and download it, delete the account, withdraw consent.

After deletion no page, API response or data file shows the person's name or phone.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.models import (
    AssistanceRequest,
    Event,
    Message,
    MessageVisibility,
    Notification,
    Referral,
    RequestStatus,
    ReturneeProfile,
    Role,
    User,
)
from portal.services import requests as svc
from portal.services.api_tokens import create_api_token
from tests.conftest import PASSWORD, csrf_token, sign_in

S = RequestStatus
NAME = "Elvin Məmmədov"


def _delete(me, password=PASSWORD, why=""):
    path = "delete" + (f"?why={why}" if why else "")
    return me.post(path, {"password": password})


# --- see and download -------------------------------------------------------------------------


def test_my_data_page_and_file_hold_everything(me, factory, db, app):
    worker = factory.user(Role.SOCIAL_WORKER)
    partner_staff = factory.user(Role.PARTNER)
    req = factory.request(me.user, S.IN_PROGRESS, worker=worker, partner_staff=partner_staff)
    with app.app_context():
        svc.add_message(db, req, worker, "Bring your old passport.", MessageVisibility.SHARED)
        svc.add_message(db, req, worker, "Seems honest.", MessageVisibility.INTERNAL)
        db.commit()

    page = me.get("data").get_data(as_text=True)
    assert NAME in page
    assert req.reference in page
    assert "Bring your old passport." in page
    assert "Seems honest." not in page
    assert "version 2026-12" in page
    assert "Partner" in page  # the organisation that received the referral

    response = me.get("data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["name"] == NAME
    assert data["account"]["phone"] == me.user.phone
    assert data["profile"]["region"] == "ganja"
    assert data["profile"]["country_returned_from"] == "DE"
    assert [c["version"] for c in data["consents"]] == ["2026-12"]
    (r,) = data["requests"]
    assert r["reference"] == req.reference
    assert r["answers"]["document"] == "passport"
    assert [m["body"] for m in r["messages"]] == ["Bring your old passport."]
    assert [e["to_status"] for e in r["timeline"]][0] == "submitted"
    assert r["referred_to"][0]["organisation"].startswith("Partner")
    assert "Seems honest." not in response.get_data(as_text=True)


def test_my_data_is_only_ever_mine(me, other, factory):
    factory.request(other.user, S.SUBMITTED)
    for url in ("data", "data.json", f"data.json?user_id={other.user.id}"):
        body = me.get(url).get_data(as_text=True)
        assert other.user.full_name not in body
        assert other.user.phone not in body


def test_my_data_page_in_russian(me):
    me.lang = "ru"
    body = me.get("data").get_data(as_text=True)
    assert "Ваши данные" in body


def test_staff_cannot_use_returnee_data_pages(client, login_as):
    login_as(Role.SOCIAL_WORKER)
    assert client.get("/en/my/data.json").status_code in (403, 404)


def test_account_page_links_to_the_rights_and_has_no_role_label(me):
    body = me.client.get("/en/account").get_data(as_text=True)
    assert 'href="/en/my/data"' in body
    assert 'href="/en/my/delete"' in body
    assert 'href="/en/my/delete?why=consent"' in body
    assert "(Returnee)" not in body
    assert ">Returnee<" not in body


# --- delete -------------------------------------------------------------------------------------


def test_delete_explains_first(me, factory):
    factory.request(me.user, S.SUBMITTED)
    body = me.get("delete").get_data(as_text=True)
    assert "Your 1 open request is withdrawn" in body
    assert 'type="password"' in body


def test_wrong_password_deletes_nothing(me, db):
    response = _delete(me, "not-my-password")
    assert response.status_code == 400
    assert "The password is wrong" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, me.user.id).full_name == NAME


def test_wrong_password_message_in_azerbaijani(me):
    me.lang = "az"
    response = _delete(me, "not-my-password")
    assert response.status_code == 400
    assert "The password is wrong" not in response.get_data(as_text=True)


def test_empty_password_is_a_message_not_a_500(me):
    response = _delete(me, "")
    assert response.status_code == 400
    assert "Enter your password" in response.get_data(as_text=True)


@pytest.fixture
def busy(me, factory, db, app):
    """The signed-in returnee with a request in progress at a partner, a closed one, messages."""
    worker = factory.user(Role.SOCIAL_WORKER)
    partner_staff = factory.user(Role.PARTNER, is_partner_lead=True)
    open_req = factory.request(
        me.user,
        S.IN_PROGRESS,
        worker=worker,
        partner_staff=partner_staff,
        answers={
            "document": "passport",
            "what_happened": "lost",
            "special_needs": "My son Tural uses a wheelchair",
        },
    )
    closed = factory.request(me.user, S.CLOSED)
    with app.app_context():
        svc.add_message(db, open_req, me.user, f"I am {NAME}, call me", MessageVisibility.SHARED)
        db.commit()
    return {
        "worker": worker,
        "partner_staff": partner_staff,
        "open": open_req,
        "closed": closed,
    }


def test_delete_withdraws_tells_partner_and_erases(me, busy, db, app, client):
    phone = me.user.phone
    response = _delete(me)
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/"
    db.expire_all()

    user = db.get(User, me.user.id)
    assert user.deleted_at is not None
    assert user.phone is None and user.email is None
    assert NAME not in user.full_name
    assert not user.is_active
    assert db.scalar(select(ReturneeProfile).where(ReturneeProfile.user_id == user.id)) is None

    req = db.get(AssistanceRequest, busy["open"].id)
    assert req.status == S.WITHDRAWN
    assert req.answers == {"document": "passport", "what_happened": "lost"}
    assert req.description is None
    assert req.category is not None and req.region_code  # kept for statistics
    referral = db.scalar(select(Referral).where(Referral.request_id == req.id))
    assert referral.status.value == "cancelled"
    assert referral.note is None
    assert db.scalars(select(Message).where(Message.request_id == req.id)).all() == []
    # The partner's staff and the worker were told, through the outbox.
    told = {
        n.user_id
        for n in db.scalars(
            select(Notification).where(Notification.template == "request_withdrawn_account_closed")
        )
    }
    assert {busy["partner_staff"].id, busy["worker"].id} <= told
    # Events keep the facts, and no event carries the person's data.
    events = db.scalars(select(Event).where(Event.request_id == req.id).order_by(Event.id)).all()
    assert events[-1].kind == "withdrawn"
    assert events[-1].data == {"reason": "account_deleted"}
    for e in db.scalars(select(Event)):
        text = json.dumps(e.data, ensure_ascii=False)
        assert NAME not in text and phone not in text
    # The person is signed out and cannot sign in again.
    assert client.get("/en/my/").status_code == 302
    assert sign_in(client, phone).status_code == 400


def test_the_phone_can_register_afresh(me, busy, client, db):
    phone = me.user.phone
    assert _delete(me).status_code == 302
    token = csrf_token(client, "/en/register")
    response = client.post(
        "/en/register",
        data={
            "csrf_token": token,
            "full_name": "New Person",
            "phone": phone,
            "password": "another-long-password",
            "confirm": "another-long-password",
            "preferred_locale": "en",
            "consent": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    db.expire_all()
    fresh = db.scalar(select(User).where(User.phone == phone))
    assert fresh.id != me.user.id
    # The new account sees none of the old requests.
    body = client.get("/en/my/").get_data(as_text=True)
    assert busy["open"].reference not in body


def test_after_deletion_no_page_or_api_shows_name_or_phone(me, busy, app, db, factory):
    phone = me.user.phone
    assert _delete(me).status_code == 302
    worker = busy["worker"]
    partner_staff = busy["partner_staff"]
    looks = []

    staff_client = app.test_client()
    assert sign_in(staff_client, worker.login).status_code == 302
    for req in (busy["open"], busy["closed"]):
        looks.append(staff_client.get(f"/en/triage/requests/{req.id}"))
    looks.append(staff_client.get("/en/triage/?status=all"))
    # Searching by the old name or phone finds nothing (the query itself is echoed back).
    for q in (phone, "Elvin"):
        found = staff_client.get("/en/triage/?status=all&q=" + q).get_data(as_text=True)
        assert busy["open"].reference not in found
        assert busy["closed"].reference not in found

    partner_client = app.test_client()
    assert sign_in(partner_client, partner_staff.login).status_code == 302
    referral = db.scalar(select(Referral).where(Referral.request_id == busy["open"].id))
    looks.append(partner_client.get("/en/partner/?status=all"))
    looks.append(partner_client.get(f"/en/partner/referrals/{referral.id}"))

    with app.app_context():
        _row, raw = create_api_token(db, partner_staff.partner, partner_staff, "System")
        db.commit()
    api = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    looks.append(api.get("/api/v1/referrals?status=all", headers=headers))
    looks.append(api.get(f"/api/v1/referrals/{referral.id}", headers=headers))

    local = phone.removeprefix("+994")
    for response in looks:
        assert response.status_code < 500
        body = response.get_data(as_text=True)
        assert NAME not in body and "Elvin" not in body
        assert phone not in body and local not in body
        assert "Tural" not in body


def test_withdraw_consent_explains_then_deletes(me, busy, db):
    body = me.get("delete?why=consent").get_data(as_text=True)
    assert "Withdraw your consent?" in body
    assert "deletes your account" in body
    response = _delete(me, why="consent")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(User, me.user.id).deleted_at is not None
    kinds = [
        e.kind
        for e in db.scalars(
            select(Event)
            .where(Event.subject_type == "user", Event.subject_id == me.user.id)
            .order_by(Event.id)
        )
    ]
    assert kinds[-1] == "consent_withdrawn"


def test_rights_pages_open_to_someone_who_has_not_agreed_to_the_new_notice(me, db):
    profile = db.scalar(select(ReturneeProfile).where(ReturneeProfile.user_id == me.user.id))
    profile.consent_version = "2020-01"
    db.commit()
    assert me.get("").status_code == 302
    assert me.get("data").status_code == 200
    assert me.get("delete?why=consent").status_code == 200
    consent = me.client.get("/en/consent").get_data(as_text=True)
    assert 'href="/en/my/delete?why=consent"' in consent


def test_privacy_notice_names_the_self_service_rights(client):
    for lang, word in (("en", "Delete your account"), ("ru", "Удалить"), ("az", "Hesab")):
        body = client.get(f"/{lang}/privacy").get_data(as_text=True)
        assert word in body, lang
