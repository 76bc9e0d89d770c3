"""The readmission API: its own token, idempotent upsert, every bad input a JSON 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import (
    ApiToken,
    Event,
    Notification,
    NotificationChannel,
    ReadmissionCase,
    ReadmissionStatus,
    Role,
)
from portal.services.api_tokens import create_api_token, revoke_api_token
from portal.services.referrals import local_today
from tests.functional.api.test_partner_api import conforms
from tests.functional.readmission.conftest import case_data


def post(client, token, body, **kw):
    response = client.post(
        "/api/v1/readmissions", json=body, headers={"Authorization": f"Bearer {token}"}, **kw
    )
    assert response.content_type == "application/json"
    if response.status_code >= 400:
        conforms(response.get_json(), "Error")
    return response


def get(client, token, number):
    return client.get(
        f"/api/v1/readmissions/{number}", headers={"Authorization": f"Bearer {token}"}
    )


def test_a_new_case_is_201_the_same_number_again_200_and_updates(client, db, readmission_token):
    data = case_data()
    first = post(client, readmission_token, data)
    assert first.status_code == 201
    body = first.get_json()
    conforms(body, "ReadmissionSaved")
    assert body["status"] == "invited"
    again = post(client, readmission_token, {**data, "region_code": "baku"})
    assert again.status_code == 200
    assert again.get_json() == body
    cases = list(db.scalars(select(ReadmissionCase)))
    assert len(cases) == 1
    assert cases[0].region_code == "baku"
    assert cases[0].vulnerabilities == ["family_with_children"]
    # One invitation only: updating the region does not send another.
    sms = list(db.scalars(select(Notification)))
    assert [n.channel for n in sms] == [NotificationChannel.SMS]
    assert sms[0].to_address == data["phone"]
    assert sms[0].locale == "ru"
    kinds = [
        e.kind
        for e in db.scalars(
            select(Event).where(Event.subject_type == "readmission_case").order_by(Event.id)
        )
    ]
    assert kinds == ["readmission_received", "readmission_invited", "readmission_updated"]


def test_a_case_without_a_phone_is_received_not_invited(client, db, readmission_token):
    response = post(client, readmission_token, case_data(phone=None, locale=...))
    assert response.status_code == 201
    assert response.get_json()["status"] == "received"
    case = db.scalar(select(ReadmissionCase))
    assert case.locale == "az"  # az when the language is not known
    assert db.scalar(select(func.count(Notification.id))) == 0


def test_get_tells_status_claimed_and_asked_never_the_requests(
    client, db, factory, readmission_token
):
    data = case_data()
    post(client, readmission_token, data)
    response = get(client, readmission_token, data["case_number"])
    assert response.status_code == 200
    body = response.get_json()
    conforms(body, "ReadmissionState")
    assert body["case_number"] == data["case_number"]
    assert (body["status"], body["invited"], body["claimed"], body["asked_for_help"]) == (
        "invited",
        True,
        False,
        False,
    )
    # Claimed by a returnee who then asks for help.
    case = db.scalar(select(ReadmissionCase))
    user = factory.user(Role.RETURNEE, phone=data["phone"])
    case.user_id, case.status = user.id, ReadmissionStatus.CLAIMED
    from portal.db import utcnow

    case.claimed_at = utcnow()
    db.commit()
    req = factory.request(owner=user)
    body = get(client, readmission_token, data["case_number"]).get_json()
    assert (body["status"], body["claimed"], body["asked_for_help"]) == ("claimed", True, True)
    assert req.reference not in str(body)
    assert set(body) == {"id", "status", "case_number", "invited", "claimed", "asked_for_help"}


def test_unknown_case_number_is_404(client, readmission_token):
    assert get(client, readmission_token, "NOPE-1").status_code == 404
    assert get(client, readmission_token, "X" * 65).status_code == 404
    # NUL: refused by the address check before the route (a 400, never a 500 on PostgreSQL)
    assert get(client, readmission_token, "RA%00x").status_code == 400


# --- the token ---------------------------------------------------------------------------------


def test_a_readmission_token_never_reads_referrals(client, readmission_token):
    response = client.get(
        "/api/v1/referrals", headers={"Authorization": f"Bearer {readmission_token}"}
    )
    assert response.status_code == 401
    response = client.get(
        "/api/v1/referrals/1", headers={"Authorization": f"Bearer {readmission_token}"}
    )
    assert response.status_code == 401


def test_a_partner_token_cannot_touch_readmissions(client, app, db, factory):
    staff = factory.user(Role.PARTNER, is_partner_lead=True)
    with app.app_context():
        from portal.models import PartnerOrganisation

        _row, raw = create_api_token(
            db, db.get(PartnerOrganisation, staff.partner_id), staff, "Partner system"
        )
        db.commit()
    assert post(client, raw, case_data()).status_code == 401
    assert get(client, raw, "RA-1").status_code == 401
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 0


def test_a_revoked_token_is_refused(client, app, db, factory, readmission_token):
    admin = factory.user(Role.ADMIN)
    token = db.scalar(select(ApiToken).where(ApiToken.kind == "readmission"))
    with app.app_context():
        revoke_api_token(db, token, admin)
        db.commit()
    assert post(client, readmission_token, case_data()).status_code == 401


def test_no_token_is_401(client):
    response = client.post("/api/v1/readmissions", json=case_data())
    assert response.status_code == 401


# --- bad input ---------------------------------------------------------------------------------

TODAY = local_today()  # the portal's (Baku) date; pinned_day keeps it today past midnight
FAR = (TODAY + timedelta(days=31)).isoformat()
SOON = (TODAY + timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"colour": "blue"}, "colour", "unknown_field"),
        ({"case_number": None}, "case_number", "missing_field"),
        ({"case_number": "X" * 65}, "case_number", "invalid_value"),
        ({"case_number": "RA 1\x00"}, "case_number", "invalid_value"),
        ({"case_number": 12}, "case_number", "invalid_value"),
        ({"requesting_state": "XX"}, "requesting_state", "invalid_value"),
        ({"requesting_state": "AZ"}, "requesting_state", "invalid_value"),
        ({"requesting_state": "DEU"}, "requesting_state", "invalid_value"),
        ({"full_name": ""}, "full_name", "invalid_value"),
        ({"full_name": "A" * 121}, "full_name", "invalid_value"),
        ({"birth_date": "1990-02-30"}, "birth_date", "invalid_value"),
        ({"birth_date": "12.04.1990"}, "birth_date", "invalid_value"),
        ({"birth_date": "2990-01-01"}, "birth_date", "invalid_value"),
        ({"returned_on": "1989-01-01"}, "returned_on", "invalid_value"),
        ({"returned_on": FAR}, "returned_on", "invalid_value"),
        ({"birth_date": "2000-01-02", "returned_on": "2000-01-01"}, "returned_on", "invalid_value"),
        ({"phone": "12345"}, "phone", "invalid_value"),
        ({"phone": "+99450123"}, "phone", "invalid_value"),
        ({"phone": "0501234567"}, "phone", "invalid_value"),
        ({"phone": "+994124041234"}, "phone", "invalid_value"),  # a Baku landline: no SMS
        ({"region_code": "atlantis"}, "region_code", "invalid_value"),
        ({"locale": "de"}, "locale", "invalid_value"),
        ({"sex": "x"}, "sex", "invalid_value"),
        ({"vulnerabilities": ["minor", "dragon"]}, "vulnerabilities", "invalid_value"),
        ({"vulnerabilities": "minor"}, "vulnerabilities", "invalid_value"),
        ({"vulnerabilities": [1]}, "vulnerabilities", "invalid_value"),
        ({"border_point": "x" * 121}, "border_point", "invalid_value"),
    ],
)
@pytest.mark.usefixtures("pinned_day")
def test_bad_input_is_a_json_422_naming_the_field(
    client, db, readmission_token, change, field, code
):
    response = post(client, readmission_token, {**case_data(), **change})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert (error["field"], error["code"]) == (field, code)
    assert db.scalar(select(func.count(ReadmissionCase.id))) == 0


def test_a_landline_is_refused_in_its_own_words(client, readmission_token):
    response = post(client, readmission_token, case_data(phone="+994124041234"))
    assert response.status_code == 422
    assert "landline" in response.get_json()["error"]["message"]


@pytest.mark.usefixtures("pinned_day")
def test_return_up_to_30_days_ahead_is_accepted(client, readmission_token):
    assert post(client, readmission_token, case_data(returned_on=SOON)).status_code == 201


@pytest.mark.parametrize(
    "raw", [b"", b"not json", b"[1, 2]", b'{"a": NaN}', b"\xff\xfe", b'"text"']
)
def test_malformed_bodies_are_400(client, readmission_token, raw):
    response = client.post(
        "/api/v1/readmissions",
        data=raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {readmission_token}"},
    )
    assert response.status_code == 400
    conforms(response.get_json(), "Error")
