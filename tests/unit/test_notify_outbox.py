"""The outbox: a notice is written with the change that causes it, in the recipient's language."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.models import (
    Category,
    Notification,
    NotificationChannel,
    NotificationStatus,
    Role,
    Urgency,
)
from portal.services import requests as svc

C = NotificationChannel


def _notices(db, user):
    db.expire_all()
    return db.scalars(select(Notification).where(Notification.user_id == user.id)).all()


def test_submitting_writes_the_notices_in_the_owners_language(app, db, factory):
    owner = factory.user(Role.RETURNEE, preferred_locale="ru")
    req = factory.request(owner)
    notices = {n.channel: n for n in _notices(db, owner)}
    assert set(notices) == {C.SMS, C.PORTAL}  # the returnee's default channels
    sms = notices[C.SMS]
    assert sms.status == NotificationStatus.PENDING
    assert sms.to_address == owner.phone
    assert sms.locale == "ru"
    assert req.reference in sms.body and "получено" in sms.body
    assert "/ru/" in sms.body and sms.body.count("http") == 1
    assert notices[C.PORTAL].status == NotificationStatus.SENT


def test_staff_default_and_chosen_channels(factory):
    worker = factory.user(Role.SOCIAL_WORKER)
    assert worker.channels == {C.EMAIL, C.PORTAL}
    worker.notification_channels = "portal"
    assert worker.channels == {C.PORTAL}


def test_a_change_that_rolls_back_leaves_no_notice(app, db, factory):
    owner = factory.user(Role.RETURNEE)
    with app.app_context():
        svc.submit_request(
            db,
            owner,
            category=Category.DOCUMENTATION,
            answers={"document": "passport"},
            urgency=Urgency.THIS_WEEK,
            region_code="baku",
        )
        assert db.scalar(select(func.count()).select_from(Notification)) == 2
        db.rollback()
    assert _notices(db, owner) == []


def test_a_missing_address_gives_a_visible_failed_notice(app, db, factory):
    owner = factory.user(Role.RETURNEE)
    owner.notification_channels = "sms,email,portal"
    db.commit()
    factory.request(owner)
    email = next(n for n in _notices(db, owner) if n.channel == C.EMAIL)
    assert email.status == NotificationStatus.FAILED
    assert email.last_error == "no email address"


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_every_language_renders(app, db, factory, lang):
    owner = factory.user(Role.RETURNEE, preferred_locale=lang)
    req = factory.request(owner)
    sms = next(n for n in _notices(db, owner) if n.channel == C.SMS)
    assert sms.locale == lang
    assert sms.body.endswith(f"http://127.0.0.1:5000/{lang}/my/requests/{req.reference}")
