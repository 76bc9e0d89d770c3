from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.db import set_clock, utcnow
from portal.models import Notification, NotificationChannel, NotificationStatus, Role

from .servers import SmsGateway, SmtpServer


@pytest.fixture(autouse=True)
def baku_daytime():
    """Delivery tests run at noon in Baku unless they set the clock themselves: SMS wait for
    the end of the quiet hours (22:00-08:00), and CI may run at any hour. The last noon that
    has passed, never the next one: a worker in another process (real clock) must find the
    notices the test made due."""
    real = datetime.now(UTC)
    noon = real.replace(hour=8, minute=0, second=0, microsecond=0)  # 12:00 in Baku
    set_clock(noon if noon <= real else noon - timedelta(days=1))
    yield
    set_clock(None)


@pytest.fixture
def sms_gateway():
    with SmsGateway() as gateway:
        yield gateway


@pytest.fixture
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def outbox(db):
    """outbox(**filters) -> the notices now in the database, oldest first."""

    def _rows(**filters):
        db.expire_all()
        query = select(Notification).order_by(Notification.id)
        for name, value in filters.items():
            query = query.where(getattr(Notification, name) == value)
        return db.scalars(query).all()

    return _rows


@pytest.fixture
def sms_notice(db, factory):
    """sms_notice(**kw): one due SMS row for a returnee, committed."""

    def _make(**kw):
        user = kw.pop("user", None) or factory.user(Role.RETURNEE)
        now = utcnow()
        row = Notification(
            user_id=user.id,
            channel=kw.pop("channel", NotificationChannel.SMS),
            status=NotificationStatus.PENDING,
            template=kw.pop("template", "request_received"),
            locale=kw.pop("locale", "az"),
            to_address=kw.pop("to_address", user.phone),
            body=kw.pop("body", "Müraciətiniz 7K3M-Q9TX qəbul edildi."),
            urgent=kw.pop("urgent", False),
            due_at=kw.pop("due_at", now),
            created_at=now,
            **kw,
        )
        db.add(row)
        db.commit()
        return row

    return _make
