"""Helpers of the account tests: codes are read from the outbox, as a phone would receive them."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from portal.models import Notification, VerificationCode
from tests.conftest import PASSWORD, csrf_token

SMS = {"SMS_GATEWAY_URL": "http://127.0.0.1:9/sms"}


def register(client, lang="en", **fields):
    data = {
        "phone": "050 123 45 67",
        "full_name": "Elvin Məmmədov",
        "email": "",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "preferred_locale": "az",
        "consent": "y",
    }
    data.update(fields)
    data.setdefault("csrf_token", csrf_token(client, f"/{lang}/register"))
    return client.post(f"/{lang}/register", data=data)


def post_form(client, url, **data):
    data.setdefault("csrf_token", csrf_token(client, url))
    return client.post(url, data=data)


def sms_to(db, phone, template=None):
    db.expire_all()
    q = select(Notification).where(Notification.to_address == phone).order_by(Notification.id)
    if template:
        q = q.where(Notification.template == template)
    return db.scalars(q).all()


def last_code(db, phone, digits=6):
    texts = sms_to(db, phone, "verification_code")
    assert texts, f"no code was sent to {phone}"
    match = re.search(rf"\b(\d{{{digits}}})\b", texts[-1].body)
    assert match, texts[-1].body
    return match.group(1)


def age_codes(db, minutes: int):
    """Move every code's clock back, as if `minutes` had passed."""
    rows = db.scalars(select(VerificationCode)).all()
    for row in rows:
        db.execute(
            update(VerificationCode)
            .where(VerificationCode.id == row.id)
            .values(
                created_at=row.created_at - timedelta(minutes=minutes),
                expires_at=row.expires_at - timedelta(minutes=minutes),
                used_at=row.used_at - timedelta(minutes=minutes) if row.used_at else None,
            )
        )
    db.commit()


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client
