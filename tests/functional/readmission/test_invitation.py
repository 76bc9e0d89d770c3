"""The invitation: an SMS code for a case with a phone, claimed on /<lang>/invitation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.db import utcnow
from portal.models import Notification, ReadmissionCase, ReadmissionStatus, Role, User
from portal.services import readmissions as svc
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.functional.readmission.conftest import case_data

CODE_RE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4})\b")


def arrive(app, db, **kw) -> tuple[ReadmissionCase, str]:
    """A case arrives (as through the API); returns it and the code of its SMS."""
    with app.app_context():
        case, _created = svc.upsert_case(db, case_data(**kw), None)
        db.commit()
    sms = db.scalars(select(Notification).order_by(Notification.id.desc())).first()
    return case, CODE_RE.search(sms.body).group(1)


def claim(client, code, phone, lang="en", **extra):
    token = csrf_token(client, f"/{lang}/invitation")
    data = {
        "csrf_token": token,
        "code": code,
        "phone": phone,
        "password": PASSWORD,
        "confirm": PASSWORD,
        "consent": "y",
        **extra,
    }
    return client.post(f"/{lang}/invitation", data=data)


def test_the_sms_carries_a_code_and_the_portal_address(app, db):
    case, code = arrive(app, db, locale="az")
    sms = db.scalar(select(Notification))
    assert "/az/invitation" in sms.body
    assert sms.to_address == case.phone
    # Only the hash is stored.
    assert case.invitation_code_hash == svc.hash_code(code)
    assert code.replace("-", "") not in str(case.__dict__)
    assert case.invitation_expires_at - case.invited_at == timedelta(days=30)


def test_claiming_makes_a_linked_account_and_a_prefilled_profile(app, db, client):
    case, code = arrive(app, db, locale="ru", region_code="ganja", requesting_state="NO")
    response = claim(client, code.lower().replace("-", " "), case.phone)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/en/my/profile")
    db.expire_all()
    user = db.scalar(select(User).where(User.phone == case.phone))
    assert user.role == Role.RETURNEE
    assert user.full_name == case.full_name
    assert user.profile.consent_version is not None
    case = db.get(ReadmissionCase, case.id)
    assert (case.status, case.user_id) == (ReadmissionStatus.CLAIMED, user.id)
    page = client.get("/en/my/profile").get_data(as_text=True)
    assert case.full_name in page
    assert user.profile.birth_date.isoformat() == "1990-04-12", user.profile.birth_date
    assert "12/04/1990" in page  # date of birth, one format per locale
    assert '<option selected value="ganja">' in page
    assert '<option selected value="NO">' in page
    returned = case.returned_on
    assert f'value="{returned.year}"' in page


def test_a_code_is_single_use(app, db, client, app_factory):
    case, code = arrive(app, db)
    assert claim(client, code, case.phone).status_code == 302
    other = app_factory().test_client()
    response = claim(other, code, case.phone)
    assert response.status_code == 400
    assert "already been used" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("wrong", "This invitation code is not right"),
        ("garbage", "invisible control characters"),
        ("phone", "This phone number is not the one the invitation was sent to"),
        ("expired", "This invitation has expired"),
        ("replaced", "This invitation code is not right"),
    ],
)
def test_bad_codes_get_a_clear_message(app, db, client, how, message):
    case, code = arrive(app, db)
    phone = case.phone
    if how == "wrong":
        code = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    elif how == "garbage":
        code = "<script>\x00"
    elif how == "phone":
        phone = "+994551234567"
    elif how == "expired":
        row = db.get(ReadmissionCase, case.id)
        row.invitation_expires_at = utcnow() - timedelta(minutes=1)
        db.commit()
    elif how == "replaced":
        with app.app_context():
            svc.issue_invitation(db, db.get(ReadmissionCase, case.id), None)
            db.commit()
    response = claim(client, code, phone)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert db.scalar(select(User).where(User.phone == case.phone)) is None


def test_a_phone_with_an_account_links_after_sign_in(app, db, client, factory):
    case, code = arrive(app, db)
    user = factory.user(Role.RETURNEE, phone=case.phone)
    response = claim(client, code, case.phone)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already exists" in page
    assert "/en/sign-in?next=" in page
    assert sign_in(client, user.login).status_code == 302
    token = csrf_token(client, "/en/invitation")
    response = client.post("/en/invitation", data={"csrf_token": token, "code": code})
    assert response.status_code == 302
    db.expire_all()
    case = db.get(ReadmissionCase, case.id)
    assert (case.status, case.user_id) == (ReadmissionStatus.CLAIMED, user.id)
    assert db.scalar(select(User.id).where(User.phone == case.phone)) == user.id  # one account


def test_a_signed_in_returnee_with_another_phone_cannot_link(app, db, client, login_as):
    _case, code = arrive(app, db)
    login_as(Role.RETURNEE)
    token = csrf_token(client, "/en/invitation")
    response = client.post("/en/invitation", data={"csrf_token": token, "code": code})
    assert response.status_code == 400
    assert "not the one the invitation was sent to" in response.get_data(as_text=True)


def test_wrong_codes_are_rate_limited_like_sign_in(app, db, app_factory):
    limited = app_factory(RATELIMIT_ENABLED=True, ACCOUNT_FAILURE_LIMIT="3 per minute")
    client = limited.test_client()
    codes = [claim(client, "AAAA-AAAA", "+994501234567").status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_the_invitation_page_is_translated(client, lang):
    response = client.get(f"/{lang}/invitation")
    assert response.status_code == 200
    assert f'lang="{lang}"' in response.get_data(as_text=True)


GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def sms_parts(text: str) -> int:
    if set(text) <= GSM7:
        return 1 if len(text) <= 160 else -(-len(text) // 153)
    return 1 if len(text) <= 70 else -(-len(text) // 67)  # UCS-2


@pytest.mark.parametrize("locale", ["az", "ru", "en"])
def test_the_invitation_sms_fits_two_parts(app_factory, db, locale):
    long_site = app_factory(PORTAL_BASE_URL="https://reintegration.migration.gov.az")
    case, code = arrive(long_site, db, locale=locale)
    sms = db.scalar(select(Notification).where(Notification.to_address == case.phone))
    assert code in sms.body
    assert "https://reintegration.migration.gov.az/" + locale + "/invitation" in sms.body
    assert sms_parts(sms.body) <= 2, (len(sms.body), sms.body)
    if locale != "en":
        assert "Welcome home" not in sms.body  # translated
