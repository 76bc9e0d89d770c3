"""Administrators see failed and waiting notices and send them again; nobody else may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.models import Event, Notification, NotificationChannel, NotificationStatus, Role
from tests.conftest import csrf_token

C = NotificationChannel
P = NotificationStatus


@pytest.fixture
def failed_sms(db, factory):
    owner = factory.user(Role.RETURNEE)
    row = Notification(
        user_id=owner.id,
        channel=C.SMS,
        status=P.FAILED,
        template="request_received",
        locale="az",
        to_address=owner.phone,
        body="secret text",
        attempts=6,
        last_error="sms gateway answered 500",
        due_at=utcnow(),
        created_at=utcnow(),
    )
    db.add(row)
    db.commit()
    return row


def test_the_admin_sees_failed_and_pending_notices(client, login_as, factory, failed_sms):
    login_as(Role.ADMIN)
    factory.request()  # a pending SMS
    page = client.get("/en/admin/notifications/").get_data(as_text=True)
    assert "1 failed notice" in page and "1 notice waiting to be sent" in page
    assert "sms gateway answered 500" in page
    assert "secret text" not in page  # the text itself is not shown
    assert "Retry all failed notices" in page
    assert "SMS are written to the server log" in page  # tests run without a gateway


def test_retry_makes_the_notice_pending_again(client, login_as, db, failed_sms):
    admin = login_as(Role.ADMIN)
    token = csrf_token(client, "/en/admin/notifications/")
    response = client.post(
        f"/en/admin/notifications/{failed_sms.id}/retry", data={"csrf_token": token}
    )
    assert response.status_code == 302
    db.expire_all()
    row = db.get(Notification, failed_sms.id)
    assert row.status == P.PENDING and row.attempts == 0
    event = db.scalar(select(Event).where(Event.kind == "notification_retried"))
    assert event.actor_id == admin.id and event.subject_id == row.id


def test_retry_all_failed(client, login_as, db, failed_sms):
    login_as(Role.ADMIN)
    token = csrf_token(client, "/en/admin/notifications/")
    response = client.post("/en/admin/notifications/retry-failed", data={"csrf_token": token})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 notice will be sent again." in follow
    db.expire_all()
    assert db.get(Notification, failed_sms.id).status == P.PENDING


def test_a_notice_without_address_cannot_be_retried(client, login_as, db, failed_sms):
    login_as(Role.ADMIN)
    failed_sms.to_address = None
    db.commit()
    token = csrf_token(client, "/en/admin/notifications/")
    response = client.post(
        f"/en/admin/notifications/{failed_sms.id}/retry",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "This notice has no address to send to." in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Notification, failed_sms.id).status == P.FAILED


def test_retry_needs_the_token(client, login_as, db, failed_sms):
    login_as(Role.ADMIN)
    client.post(f"/en/admin/notifications/{failed_sms.id}/retry", data={})
    db.expire_all()
    assert db.get(Notification, failed_sms.id).status == P.FAILED


def test_retry_of_a_missing_notice_is_404(client, login_as):
    login_as(Role.ADMIN)
    token = csrf_token(client, "/en/admin/notifications/")
    response = client.post("/en/admin/notifications/999999/retry", data={"csrf_token": token})
    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.RETURNEE, Role.SOCIAL_WORKER, Role.PARTNER])
def test_only_administrators(client, login_as, failed_sms, role):
    login_as(role)
    assert client.get("/en/admin/notifications/").status_code == 403
    response = client.post(f"/en/admin/notifications/{failed_sms.id}/retry", data={})
    assert response.status_code == 403


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_the_page_is_translated(client, login_as, failed_sms, lang):
    login_as(Role.ADMIN)
    page = client.get(f"/{lang}/admin/notifications/").get_data(as_text=True)
    assert "failed notice" not in page and "Outgoing notices" not in page
