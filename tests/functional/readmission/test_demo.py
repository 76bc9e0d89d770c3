"""Demo data: cases in every status, several states, and a printed code a newcomer can claim."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.models import ReadmissionCase, ReadmissionStatus, User
from tests.conftest import PASSWORD, csrf_token


def test_demo_cases_and_the_printed_invitation_can_be_claimed(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load", "--password", "demo-pass-123"])
    assert result.exit_code == 0, result.output
    statuses = set(db.scalars(select(ReadmissionCase.status).distinct()))
    assert statuses == set(ReadmissionStatus)
    assert db.scalar(select(func.count(func.distinct(ReadmissionCase.requesting_state)))) >= 3
    found = re.search(r"code (\w{4}-\w{4}) for phone (\+\d+) at /az/invitation", result.output)
    assert found, result.output
    code, phone = found.groups()
    client = app.test_client()
    token = csrf_token(client, "/az/invitation")
    response = client.post(
        "/az/invitation",
        data={
            "csrf_token": token,
            "code": code,
            "phone": phone,
            "password": PASSWORD,
            "confirm": PASSWORD,
            "consent": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert response.headers["Location"].endswith("/az/my/profile")
    db.expire_all()
    user = db.scalar(select(User).where(User.phone == phone))
    case = db.scalar(select(ReadmissionCase).where(ReadmissionCase.user_id == user.id))
    assert case.status == ReadmissionStatus.CLAIMED
