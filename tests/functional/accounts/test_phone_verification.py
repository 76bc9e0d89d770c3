"""Issue 9 item 6 and issue 10 item 6: registration proves the phone by an SMS code, and reveals
nothing about who has an account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import Event, Notification, Role, User, VerificationCode
from tests.conftest import PASSWORD, sign_in
from tests.functional.accounts.helpers import (
    SMS,
    age_codes,
    client_at,
    last_code,
    post_form,
    register,
    sms_to,
)

PHONE = "+994501234567"


@pytest.fixture
def sms_app(app_factory):
    return app_factory(**SMS)


def test_registration_waits_for_the_code_sent_to_the_phone(sms_app, db):
    client = sms_app.test_client()
    response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/az/verify-phone"
    assert db.scalar(select(User)) is None  # no account before the phone is proven
    code = last_code(db, PHONE)
    notice = sms_to(db, PHONE, "verification_code")[0]
    assert notice.locale == "az" and notice.urgent
    # The code is stored only as a hash.
    row = db.scalar(select(VerificationCode))
    assert code not in row.code_hash and PASSWORD not in str(row.payload)
    page = client.get("/az/verify-phone").get_data(as_text=True)
    assert "+994 50 123 45 67" in page

    wrong = "000000" if code != "000000" else "111111"
    response = post_form(client, "/en/verify-phone", code=wrong, action="verify")
    assert response.status_code == 400
    assert "The code is wrong. You can try 4 more times." in response.get_data(as_text=True)

    response = post_form(client, "/en/verify-phone", code=f" {code[:3]} {code[3:]} ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/az/my/profile"
    db.expire_all()
    user = db.scalar(select(User).where(User.phone == PHONE))
    assert user.role == Role.RETURNEE and user.full_name == "Elvin Məmmədov"
    assert user.profile.consent_at is not None
    assert client.get("/az/my/").status_code == 200
    kinds = set(db.scalars(select(Event.kind).where(Event.subject_id == user.id)))
    assert {"user_created", "consent_given", "phone_verified"} <= kinds
    # The pending registration (with its password hash) is gone from the code row.
    db.expire_all()
    assert db.scalar(select(VerificationCode.payload)) is None
    # The code does not work twice.
    other = sms_app.test_client()
    assert other.get("/en/verify-phone").status_code == 302


def test_wrong_codes_are_explained_in_the_page_language(sms_app, db):
    client = sms_app.test_client()
    register(client, lang="ru")
    code = last_code(db, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    body = post_form(client, "/ru/verify-phone", code=wrong).get_data(as_text=True)
    assert "Код неверный" in body
    body = post_form(client, "/az/verify-phone", code=wrong).get_data(as_text=True)
    assert "Kod səhvdir" in body
    body = post_form(client, "/en/verify-phone", code="").get_data(as_text=True)
    assert "Enter the code" in body


def test_five_wrong_tries_kill_the_code(sms_app, db):
    client = sms_app.test_client()
    register(client)
    code = last_code(db, PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert post_form(client, "/en/verify-phone", code=wrong).status_code == 400
    response = post_form(client, "/en/verify-phone", code=code)
    assert response.status_code == 400
    assert "Too many wrong tries" in response.get_data(as_text=True)
    assert db.scalar(select(User)) is None


def test_an_expired_code_is_refused_and_a_new_one_works(sms_app, db):
    client = sms_app.test_client()
    register(client)
    code = last_code(db, PHONE)
    age_codes(db, 11)
    response = post_form(client, "/en/verify-phone", code=code)
    assert response.status_code == 400
    assert "This code has expired" in response.get_data(as_text=True)
    response = post_form(client, "/en/verify-phone", action="resend")
    assert response.status_code == 302
    new_code = last_code(db, PHONE)
    assert len(sms_to(db, PHONE, "verification_code")) == 2
    assert post_form(client, "/en/verify-phone", code=new_code).status_code == 302


def test_a_new_code_at_most_once_a_minute_and_five_an_hour(sms_app, db):
    client = sms_app.test_client()
    register(client)
    response = post_form(client, "/en/verify-phone", action="resend")
    assert response.status_code == 429
    assert "less than a minute ago" in response.get_data(as_text=True)
    for _ in range(4):
        age_codes(db, 2)
        assert post_form(client, "/en/verify-phone", action="resend").status_code == 302
    age_codes(db, 2)
    response = post_form(client, "/en/verify-phone", action="resend")
    assert response.status_code == 429
    assert "Too many codes were asked for" in response.get_data(as_text=True)
    assert len(sms_to(db, PHONE, "verification_code")) == 5
    # Older codes were replaced: only the newest works.
    codes = [n.body for n in sms_to(db, PHONE, "verification_code")]
    assert len(codes) == 5


def test_the_limits_also_hold_per_client_address(sms_app, db):
    first = client_at(sms_app, "10.0.0.7")
    assert register(first, phone="050 111 11 11").status_code == 302
    second = client_at(sms_app, "10.0.0.7")
    response = register(second, phone="050 222 22 22")
    assert response.status_code == 429
    assert "less than a minute ago" in response.get_data(as_text=True)
    elsewhere = client_at(sms_app, "10.0.0.8")
    assert register(elsewhere, phone="050 222 22 22").status_code == 302


def test_a_code_sent_to_another_phone_does_not_work(sms_app, db):
    one = client_at(sms_app, "10.0.0.1")
    two = client_at(sms_app, "10.0.0.2")
    register(one, phone="050 111 11 11")
    register(two, phone="050 222 22 22")
    code_for_one = last_code(db, "+994501111111")
    code_for_two = last_code(db, "+994502222222")
    if code_for_one != code_for_two:
        response = post_form(two, "/en/verify-phone", code=code_for_one)
        assert response.status_code == 400
        assert "The code is wrong" in response.get_data(as_text=True)
    assert post_form(two, "/en/verify-phone", code=code_for_two).status_code == 302
    db.expire_all()
    assert db.scalar(select(User.phone)) == "+994502222222"


def _strip_tokens(html: str) -> str:
    import re

    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)


def test_a_registered_phone_sees_exactly_what_a_new_phone_sees(sms_app, db, factory):
    owner = factory.user(Role.RETURNEE, phone="+994501111111", preferred_locale="ru")
    new_client = client_at(sms_app, "10.0.0.1")
    taken_client = client_at(sms_app, "10.0.0.2")
    new = register(new_client, phone="050 222 22 22")
    taken = register(taken_client, phone="050 111 11 11")
    assert new.status_code == taken.status_code == 302
    assert new.headers["Location"] == taken.headers["Location"]
    new_page = new_client.get("/en/verify-phone").get_data(as_text=True)
    taken_page = taken_client.get("/en/verify-phone").get_data(as_text=True)
    assert _strip_tokens(new_page).replace("+994 50 222 22 22", "PHONE") == _strip_tokens(
        taken_page
    ).replace("+994 50 111 11 11", "PHONE")
    # The owner is told, in their language; no code goes to their phone.
    told = sms_to(db, owner.phone)
    assert [n.template for n in told] == ["register_attempt"]
    assert told[0].locale == "ru" and "зарегистрироваться" in told[0].body
    # Whatever is typed, nothing is made and the answers match a new phone's wrong code.
    response = post_form(taken_client, "/en/verify-phone", code="123456")
    assert response.status_code == 400
    assert "The code is wrong. You can try 4 more times." in response.get_data(as_text=True)
    # The same limits: a new code a minute later.
    assert post_form(taken_client, "/en/verify-phone", action="resend").status_code == 429
    db.expire_all()
    assert len(db.scalars(select(User)).all()) == 1


def test_registration_is_rate_limited_per_address(app_factory, db):
    app = app_factory(RATELIMIT_ENABLED=True, REGISTER_RATE_LIMIT="2 per minute")
    client = client_at(app, "10.0.0.9")
    assert register(client, phone="050 111 11 11").status_code == 302
    other = client_at(app, "10.0.0.9")
    assert register(other, phone="050 222 22 22").status_code == 302
    third = client_at(app, "10.0.0.9")
    response = register(third, phone="050 333 33 33")
    assert response.status_code == 429
    assert "Too many registrations" in response.get_data(as_text=True)


def test_a_returnee_proves_a_new_phone_number(sms_app, db, factory):
    user = factory.user(Role.RETURNEE, phone="+994501111111")
    client = sms_app.test_client()
    assert sign_in(client, user.login).status_code == 302
    response = post_form(
        client, "/en/account", action="phone", phone="055 999 88 77", current_password=PASSWORD
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/verify-phone"
    db.expire_all()
    assert db.get(User, user.id).phone == "+994501111111"  # not before the code
    code = last_code(db, "+994559998877")
    response = post_form(client, "/en/verify-phone", code=code)
    assert response.status_code == 302
    db.expire_all()
    assert db.get(User, user.id).phone == "+994559998877"
    assert [n.template for n in sms_to(db, "+994501111111")] == ["phone_changed"]
    assert sign_in(sms_app.test_client(), "055 999 88 77").status_code == 302


def test_a_phone_change_needs_the_current_password(sms_app, db, factory):
    user = factory.user(Role.RETURNEE)
    client = sms_app.test_client()
    sign_in(client, user.login)
    response = post_form(
        client, "/en/account", action="phone", phone="055 999 88 77", current_password="wrong-pw"
    )
    assert response.status_code == 400
    assert "The current password is wrong" in response.get_data(as_text=True)
    assert sms_to(db, "+994559998877") == []


def test_a_phone_change_to_a_taken_number_goes_nowhere(sms_app, db, factory):
    factory.user(Role.RETURNEE, phone="+994559998877")
    user = factory.user(Role.RETURNEE)
    client = sms_app.test_client()
    sign_in(client, user.login)
    response = post_form(
        client, "/en/account", action="phone", phone="055 999 88 77", current_password=PASSWORD
    )
    assert response.status_code == 302  # the same next page
    assert sms_to(db, "+994559998877") == []
    assert post_form(client, "/en/verify-phone", code="123456").status_code == 400


def test_without_sms_a_phone_change_happens_at_once(client, db, factory):
    user = factory.user(Role.RETURNEE)
    sign_in(client, user.login)
    response = post_form(
        client, "/en/account", action="phone", phone="055 999 88 77", current_password=PASSWORD
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(User, user.id).phone == "+994559998877"


def test_staff_have_no_phone_change_form(login_as, client):
    login_as(Role.SOCIAL_WORKER)
    assert 'value="phone"' not in client.get("/en/account").get_data(as_text=True)
    response = post_form(
        client, "/en/account", action="phone", phone="055 999 88 77", current_password=PASSWORD
    )
    assert response.status_code == 200


def test_the_verify_page_without_a_pending_code_starts_again(client):
    response = client.get("/en/verify-phone")
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/register"


def test_a_taken_email_is_not_revealed_when_registering_with_a_code(sms_app, db, factory):
    owner = factory.user(Role.SOCIAL_WORKER, email="nigar@sms.example.az")
    client = client_at(sms_app, "10.0.0.3")
    response = register(client, phone="050 333 33 33", email="NIGAR@sms.example.az")
    assert response.status_code == 302
    assert response.headers["Location"] == "/az/verify-phone"
    # The owner of the address is told by email; the code still goes to the new phone.
    told = db.scalars(
        select(Notification).where(Notification.template == "register_attempt_email")
    ).all()
    assert [(n.channel.value, n.to_address) for n in told] == [("email", owner.email)]
    code = last_code(db, "+994503333333")
    assert post_form(client, "/en/verify-phone", code=code).status_code == 302
    db.expire_all()
    made = db.scalar(select(User).where(User.phone == "+994503333333"))
    assert made is not None and made.email is None
