from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.models import Notification, NotificationChannel, NotificationStatus, Role

from .servers import SmsGateway, SmtpServer


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
