"""In-portal notices: each person sees only their own, the header counts the unread ones, opening
one marks it read; the account page sets the channels."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.models import Notification, NotificationChannel, RequestStatus, Role
from tests.conftest import csrf_token

C = NotificationChannel


def _portal_notices(db, user):
    db.expire_all()
    return db.scalars(
        select(Notification)
        .where(Notification.user_id == user.id, Notification.channel == C.PORTAL)
        .order_by(Notification.id)
    ).all()


def _input(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, name
    return match.group(0)


def test_the_header_counts_unread_notices_and_opening_marks_read(client, login_as, factory, db):
    owner = login_as(Role.RETURNEE, preferred_locale="en")
    req = factory.request(owner)
    factory.request(owner)
    page = client.get("/en/my/").get_data(as_text=True)
    assert re.search(r'href="/en/notices/">Notices <span class="badge">2 unread</span>', page)

    listing = client.get("/en/notices/").get_data(as_text=True)
    assert f"Your request {req.reference} was received" in listing
    notice = _portal_notices(db, owner)[0]
    shown = client.get(f"/en/notices/{notice.id}")
    assert shown.status_code == 200
    body = shown.get_data(as_text=True)
    assert f'href="/en/my/requests/{req.reference}"' in body  # the way to the request
    assert _portal_notices(db, owner)[0].read_at is not None
    page = client.get("/en/my/").get_data(as_text=True)
    assert "1 unread" in page


def test_mark_all_read(client, login_as, factory, db):
    owner = login_as(Role.RETURNEE)
    factory.request(owner)
    token = csrf_token(client, "/en/notices/")
    response = client.post("/en/notices/read-all", data={"csrf_token": token})
    assert response.status_code == 302
    assert all(n.read_at is not None for n in _portal_notices(db, owner))
    assert "unread" not in client.get("/en/notices/").get_data(as_text=True)


def test_read_all_without_a_token_is_refused(client, login_as, factory, db):
    owner = login_as(Role.RETURNEE)
    factory.request(owner)
    response = client.post("/en/notices/read-all", data={})
    assert response.status_code == 400
    assert all(n.read_at is None for n in _portal_notices(db, owner))


@pytest.mark.parametrize("role", [Role.RETURNEE, Role.SOCIAL_WORKER, Role.PARTNER, Role.ADMIN])
def test_nobody_sees_anothers_notice(client, login_as, factory, db, role):
    owner = factory.user(Role.RETURNEE)
    factory.request(owner)
    notice = _portal_notices(db, owner)[0]
    login_as(role)
    assert client.get(f"/en/notices/{notice.id}").status_code == 404
    assert notice.body not in client.get("/en/notices/").get_data(as_text=True)
    assert _portal_notices(db, owner)[0].read_at is None


def test_an_sms_row_is_not_a_portal_notice(client, login_as, factory, db):
    owner = login_as(Role.RETURNEE)
    factory.request(owner)
    db.expire_all()
    sms = db.scalar(
        select(Notification).where(Notification.user_id == owner.id, Notification.channel == C.SMS)
    )
    assert client.get(f"/en/notices/{sms.id}").status_code == 404
    assert client.get("/en/notices/999999").status_code == 404


def test_notices_need_sign_in(client):
    response = client.get("/en/notices/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_partner_notice_opens_the_referral(client, login_as, factory, db):
    staff = login_as(Role.PARTNER)
    req = factory.request(status=RequestStatus.REFERRED, partner_staff=staff)
    notice = _portal_notices(db, staff)[0]
    assert notice.template == "referral_new"
    body = client.get(f"/en/notices/{notice.id}").get_data(as_text=True)
    assert f'href="/en/partner/referrals/{req.open_referral.id}"' in body


def test_a_worker_notice_opens_the_request(client, login_as, factory, db, app):
    worker = login_as(Role.SOCIAL_WORKER)
    owner = factory.user(Role.RETURNEE)
    req = factory.request(owner, RequestStatus.NEEDS_INFO, worker=worker)
    from portal.services import requests as svc

    with app.app_context():
        svc.give_info(db, req, owner, "Here it is")
        db.commit()
    notice = _portal_notices(db, worker)[0]
    body = client.get(f"/en/notices/{notice.id}").get_data(as_text=True)
    assert f'href="/en/triage/requests/{req.id}"' in body


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_the_list_is_in_the_page_language(client, login_as, factory, lang):
    login_as(Role.RETURNEE)
    response = client.get(f"/{lang}/notices/")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_a_returnee_chooses_channels_on_the_account_page(client, login_as, db):
    owner = login_as(Role.RETURNEE, email="me@example.az")
    page = client.get("/en/account").get_data(as_text=True)
    assert 'id="notifications"' in page
    assert "checked" in _input(page, "sms")  # default: SMS + portal
    assert "checked" not in _input(page, "email")
    token = csrf_token(client, "/en/account")
    response = client.post("/en/notices/settings", data={"csrf_token": token, "email": "y"})
    assert response.status_code == 302
    db.expire_all()
    user = db.get(type(owner), owner.id)
    assert user.channels == {C.EMAIL, C.PORTAL}


def test_no_email_choice_without_an_address(client, login_as, db):
    owner = login_as(Role.RETURNEE)
    page = client.get("/en/notices/settings").get_data(as_text=True)
    assert 'name="sms"' in page and 'name="email"' not in page
    token = csrf_token(client, "/en/notices/settings")
    response = client.post("/en/notices/settings", data={"csrf_token": token, "email": "y"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(type(owner), owner.id).channels == {C.PORTAL}  # no address: not chosen


def test_a_social_worker_chooses_the_daily_digest(client, login_as, db):
    worker = login_as(Role.SOCIAL_WORKER)
    page = client.get("/en/notices/settings").get_data(as_text=True)
    assert "A summary by email once a day" in page and 'name="sms"' not in page
    token = csrf_token(client, "/en/notices/settings")
    client.post("/en/notices/settings", data={"csrf_token": token})
    db.expire_all()
    assert db.get(type(worker), worker.id).channels == {C.PORTAL}


def test_settings_without_a_token_change_nothing(client, login_as, db):
    owner = login_as(Role.RETURNEE)
    response = client.post("/en/notices/settings", data={"email": "y"})
    assert response.status_code == 400
    db.expire_all()
    assert db.get(type(owner), owner.id).notification_channels is None
