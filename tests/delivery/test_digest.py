"""Social workers are told in the portal; those who chose email get one summary a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.db import set_clock
from portal.delivery.outbox import deliver_due
from portal.models import NotificationChannel, NotificationStatus, RequestStatus, Role
from portal.services import requests as svc

C = NotificationChannel
MORNING = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 09:00 in Baku


@pytest.fixture
def clock():
    def _set(moment):
        set_clock(moment)

    yield _set
    set_clock(None)


def _answer(app, db, factory, worker, text="Here"):
    owner = factory.user(Role.RETURNEE)
    req = factory.request(owner, RequestStatus.NEEDS_INFO, worker=worker)
    with app.app_context():
        svc.give_info(db, req, owner, text)
        db.commit()
    return req


def test_one_digest_a_day_with_the_unread_notices(app, db, factory, outbox, clock, caplog):
    worker = factory.user(Role.SOCIAL_WORKER, preferred_locale="ru")
    clock(MORNING - timedelta(hours=3))  # 06:00 in Baku: before the digest hour
    first = _answer(app, db, factory, worker)
    assert deliver_due(app).digests == 0
    clock(MORNING)
    second = _answer(app, db, factory, worker)
    with caplog.at_level("WARNING", logger="portal.delivery"):
        result = deliver_due(app)
    assert result.digests == 1
    (digest,) = outbox(template="daily_digest")
    assert digest.channel == C.EMAIL and digest.to_address == worker.email
    assert digest.status == NotificationStatus.SENT and digest.locale == "ru"
    assert digest.subject == "2 новых уведомления на портале"
    assert first.reference in digest.body and second.reference in digest.body
    assert "/ru/notices/" in digest.body
    # Later the same day: nothing more, even with news.
    clock(MORNING + timedelta(hours=5))
    _answer(app, db, factory, worker)
    assert deliver_due(app).digests == 0
    # The next morning: only what came since.
    clock(MORNING + timedelta(days=1))
    result = deliver_due(app)
    assert result.digests == 1
    latest = outbox(template="daily_digest")[-1]
    assert latest.subject == "1 новое уведомление на портале"


def test_no_digest_without_email_or_without_news(app, db, factory, outbox, clock):
    quiet = factory.user(Role.SOCIAL_WORKER)
    quiet.notification_channels = "portal"
    idle = factory.user(Role.SOCIAL_WORKER)
    db.commit()
    clock(MORNING)
    _answer(app, db, factory, quiet)
    assert deliver_due(app).digests == 0
    assert [n for n in outbox(template="daily_digest") if n.user_id == idle.id] == []


def test_read_notices_are_left_out(app, db, factory, outbox, clock):
    worker = factory.user(Role.SOCIAL_WORKER)
    clock(MORNING)
    _answer(app, db, factory, worker)
    for notice in outbox(user_id=worker.id):
        notice.read_at = MORNING
    db.commit()
    assert deliver_due(app).digests == 0
