"""Issue 9 item 7: password reset by SMS code (returnees), by emailed link (staff), and with a
social worker's one-time code (assisted)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.models import Event, Notification, Role, UserSession, VerificationCode
from tests.conftest import PASSWORD, sign_in
from tests.functional.accounts.helpers import (
    SMS,
    age_codes,
    client_at,
    last_code,
    post_form,
    sms_to,
)

NEW = "a-brand-new-secret-9"


@pytest.fixture
def sms_app(app_factory):
    return app_factory(**SMS)


def test_sign_in_page_links_to_forgot_password(client):
    body = client.get("/en/sign-in").get_data(as_text=True)
    assert 'href="/en/forgot-password"' in body


def test_a_returnee_resets_the_password_by_sms(sms_app, db, factory):
    user = factory.user(Role.RETURNEE, phone="+994501234567", preferred_locale="ru")
    elsewhere = sms_app.test_client()
    # Signing in keeps the page's language as the stored one: sign in in Russian.
    assert sign_in(elsewhere, user.login, lang="ru").status_code == 302
    client = sms_app.test_client()
    response = post_form(client, "/en/forgot-password", login="050 123 45 67")
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/reset/code"
    code = last_code(db, user.phone)
    assert sms_to(db, user.phone, "verification_code")[0].locale == "ru"
    response = post_form(client, "/en/reset/code", code=code)
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/reset/new-password"
    # The same rules as on every password form.
    response = post_form(client, "/en/reset/new-password", password="short", confirm="short")
    assert response.status_code == 400
    assert "at least 8 characters" in response.get_data(as_text=True)
    response = post_form(client, "/en/reset/new-password", password=NEW, confirm=NEW)
    assert response.status_code == 302
    assert response.headers["Location"] == "/ru/my/"
    assert client.get("/en/my/").status_code == 200  # signed in
    assert elsewhere.get("/en/my/").status_code == 302  # every other session ended
    db.expire_all()
    assert len(db.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()) == 1
    assert [n.template for n in sms_to(db, user.phone)] == ["verification_code", "password_changed"]
    assert sign_in(sms_app.test_client(), user.login, NEW).status_code == 302
    assert sign_in(sms_app.test_client(), user.login, PASSWORD).status_code == 400
    event = db.scalar(select(Event).where(Event.kind == "password_reset"))
    assert event.actor_id == user.id and event.data["via"] == "reset"
    # The code and the step cannot be used again.
    assert client.get("/en/reset/new-password").status_code == 302


def test_an_unknown_phone_gets_the_same_answer_and_no_sms(sms_app, db, factory):
    factory.user(Role.RETURNEE, phone="+994501234567")
    known = client_at(sms_app, "10.0.0.1")
    unknown = client_at(sms_app, "10.0.0.2")
    a = post_form(known, "/en/forgot-password", login="050 123 45 67")
    b = post_form(unknown, "/en/forgot-password", login="050 765 43 21")
    assert a.status_code == b.status_code == 302
    assert a.headers["Location"] == b.headers["Location"]
    page_a = re.sub(r'value="[^"]+"', "", known.get("/en/reset/code").get_data(as_text=True))
    page_b = re.sub(r'value="[^"]+"', "", unknown.get("/en/reset/code").get_data(as_text=True))
    assert page_a.replace("+994 50 123 45 67", "P") == page_b.replace("+994 50 765 43 21", "P")
    assert sms_to(db, "+994507654321") == []
    response = post_form(unknown, "/en/reset/code", code="123456")
    assert response.status_code == 400
    assert "The code is wrong" in response.get_data(as_text=True)
    assert post_form(unknown, "/en/reset/code", action="resend").status_code == 429


def test_wrong_expired_and_reused_reset_codes(sms_app, db, factory):
    user = factory.user(Role.RETURNEE, phone="+994501234567")
    client = sms_app.test_client()
    post_form(client, "/en/forgot-password", login=user.phone)
    code = last_code(db, user.phone)
    wrong = "000000" if code != "000000" else "111111"
    response = post_form(client, "/az/reset/code", code=wrong)
    assert response.status_code == 400
    assert "Kod səhvdir" in response.get_data(as_text=True)
    age_codes(db, 11)
    response = post_form(client, "/ru/reset/code", code=code)
    assert response.status_code == 400
    assert "Срок действия кода истёк" in response.get_data(as_text=True)
    assert post_form(client, "/en/reset/code", action="resend").status_code == 302
    code = last_code(db, user.phone)
    assert post_form(client, "/en/reset/code", code=code).status_code == 302
    # A second browser holding the same code cannot use it again.
    other = sms_app.test_client()
    with other.session_transaction() as s:
        s["reset_code"] = db.scalars(select(VerificationCode.id)).all()[-1]
    response = post_form(other, "/en/reset/code", code=code)
    assert response.status_code == 400
    assert "already used" in response.get_data(as_text=True)


def test_the_reset_step_expires(sms_app, db, factory):
    user = factory.user(Role.RETURNEE, phone="+994501234567")
    client = sms_app.test_client()
    post_form(client, "/en/forgot-password", login=user.phone)
    post_form(client, "/en/reset/code", code=last_code(db, user.phone))
    age_codes(db, 11)
    response = client.get("/en/reset/new-password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/forgot-password"


def test_without_sms_returnees_are_sent_to_the_hotline(client, factory, db):
    factory.user(Role.RETURNEE, phone="+994501234567")
    response = post_form(client, "/en/forgot-password", login="050 123 45 67")
    assert response.status_code == 400
    assert "Call the hotline" in response.get_data(as_text=True)
    assert db.scalar(select(Notification)) is None


@pytest.mark.parametrize(
    ("login", "message"),
    [("", "Enter your phone number or email"), ("123", "correct format"), ("a@b", "correct")],
)
def test_bad_forgot_input_is_explained(client, login, message):
    response = post_form(client, "/en/forgot-password", login=login)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def _link(db, email):
    db.expire_all()
    notice = db.scalar(
        select(Notification).where(
            Notification.to_address == email, Notification.template == "password_reset_link"
        )
    )
    assert notice is not None and notice.subject
    match = re.search(r"http://[^/]+(/\w\w/reset/link/[\w-]+)", notice.body)
    assert match, notice.body
    return match.group(1)


def test_staff_reset_by_an_emailed_single_use_link(client, db, factory):
    worker = factory.user(Role.SOCIAL_WORKER, email="worker@sms.example.az")
    response = post_form(client, "/en/forgot-password", login="Worker@sms.example.az")
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    path = _link(db, "worker@sms.example.az")
    assert client.get(path).status_code == 200
    response = post_form(client, path, password=NEW, confirm=NEW)
    assert response.status_code == 302
    assert response.headers["Location"] == "/az/triage/"
    db.expire_all()
    emails = db.scalars(
        select(Notification.template)
        .where(Notification.to_address == worker.email)
        .order_by(Notification.id)
    ).all()
    assert emails == ["password_reset_link", "password_changed"]
    fresh = client.application.test_client()
    assert fresh.get(path).status_code == 410  # single use
    assert "Bu link artıq işləmir" in fresh.get(path).get_data(
        as_text=True
    )  # in the link's language
    assert "This link no longer works" in fresh.get(path.replace("/az/", "/en/")).get_data(True)


def test_an_unknown_email_gets_the_same_page_and_nothing_is_sent(client, db):
    response = post_form(client, "/en/forgot-password", login="nobody@example.az")
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    assert db.scalar(select(Notification)) is None


def test_a_reset_link_expires_after_30_minutes(client, db, factory):
    factory.user(Role.ADMIN, email="boss@example.az")
    post_form(client, "/en/forgot-password", login="boss@example.az")
    path = _link(db, "boss@example.az")
    age_codes(db, 31)
    assert client.get(path).status_code == 410
    assert client.get("/en/reset/link/not-a-real-token").status_code == 404


def _issue_code(client, phone):
    response = post_form(client, "/en/admin/password-help", action="find", phone=phone)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    user_id = re.search(r'name="user_id" type="hidden" value="(\d+)"', response.get_data(True))
    response = post_form(
        client,
        "/en/admin/password-help",
        action="issue",
        user_id=user_id.group(1),
        confirmed="y",
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("no-store")
    match = re.search(r"<strong>(\d{4}) (\d{4})</strong>", response.get_data(as_text=True))
    return match.group(1) + match.group(2)


def test_assisted_reset_with_a_code_read_out_by_a_social_worker(client, app, db, factory):
    returnee = factory.user(Role.RETURNEE, phone="+994501234567")
    worker = factory.user(Role.SOCIAL_WORKER)
    sign_in(client, worker.login)
    code = _issue_code(client, "050 123 45 67")
    event = db.scalar(select(Event).where(Event.kind == "assisted_reset_code_issued"))
    assert event.actor_id == worker.id and event.subject_id == returnee.id
    assert event.data["worker_id"] == worker.id
    assert code not in str(db.scalars(select(VerificationCode.code_hash)).all())

    person = app.test_client()
    response = post_form(person, "/en/reset/assisted", phone="050 123 45 67", code=code)
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/reset/new-password"
    response = post_form(person, "/en/reset/new-password", password=NEW, confirm=NEW)
    assert response.status_code == 302
    assert sign_in(app.test_client(), returnee.login, NEW).status_code == 302
    reset = db.scalar(select(Event).where(Event.kind == "password_reset"))
    assert reset.data == {"via": "assisted_reset", "issued_by": worker.id}
    # Once only.
    again = app.test_client()
    response = post_form(again, "/en/reset/assisted", phone="050 123 45 67", code=code)
    assert response.status_code == 400
    assert "already used" in response.get_data(as_text=True)


def test_an_assisted_code_expires_after_30_minutes_and_needs_the_right_phone(
    client, app, db, factory
):
    factory.user(Role.RETURNEE, phone="+994501234567")
    factory.user(Role.RETURNEE, phone="+994507654321")
    sign_in(client, factory.user(Role.ADMIN).login)
    code = _issue_code(client, "050 123 45 67")
    person = app.test_client()
    response = post_form(person, "/en/reset/assisted", phone="050 765 43 21", code=code)
    assert response.status_code == 400
    assert "The code is wrong or has expired" in response.get_data(as_text=True)
    age_codes(db, 31)
    response = post_form(person, "/en/reset/assisted", phone="050 123 45 67", code=code)
    assert response.status_code == 400
    assert "This code has expired" in response.get_data(as_text=True)


def test_password_help_is_for_social_workers_and_administrators(login_as, client, factory):
    factory.user(Role.RETURNEE, phone="+994501234567")
    login_as(Role.PARTNER)
    assert client.get("/en/admin/password-help").status_code == 403
    response = post_form(client, "/en/admin/password-help", action="find", phone="0501234567")
    assert response.status_code == 403


def test_password_help_explains_a_missing_account_and_bad_input(login_as, client):
    login_as(Role.SOCIAL_WORKER)
    response = post_form(client, "/en/admin/password-help", action="find", phone="050 000 00 01")
    assert response.status_code == 404
    assert "No returnee account has this phone number" in response.get_data(as_text=True)
    response = post_form(client, "/en/admin/password-help", action="issue", user_id="99999999999")
    assert response.status_code == 404
    response = post_form(client, "/en/admin/password-help", action="find", phone="x\x00y")
    assert response.status_code == 400


def test_the_worker_must_confirm_the_identity_check(login_as, client, factory):
    returnee = factory.user(Role.RETURNEE)
    login_as(Role.SOCIAL_WORKER)
    response = post_form(
        client, "/en/admin/password-help", action="issue", user_id=str(returnee.id)
    )
    assert response.status_code == 400
    assert "Confirm that you checked who the caller is" in response.get_data(as_text=True)
