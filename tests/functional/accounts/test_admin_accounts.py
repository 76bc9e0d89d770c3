"""Issue 10 item 1: administrators manage every account from the browser; partner leads manage
their own organisation's staff and nobody else."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.models import (
    AssistanceRequest,
    Event,
    Notification,
    Role,
    User,
    UserSession,
    VerificationCode,
)
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.functional.accounts.helpers import post_form

NEW = "a-brand-new-secret-9"


def act(client, user_id, action):
    token = csrf_token(client, f"/en/admin/accounts/{user_id}")
    return client.post(f"/en/admin/accounts/{user_id}/{action}", data={"csrf_token": token})


def test_admin_lists_searches_and_filters_accounts(login_as, client, factory, db):
    login_as(Role.ADMIN, full_name="Boss Admin")
    partner = factory.partner(name_en="Helping Hands")
    factory.user(Role.PARTNER, partner_id=partner.id, full_name="Nigar Partner")
    factory.user(Role.SOCIAL_WORKER, full_name="Samir Worker")
    off = factory.user(Role.SOCIAL_WORKER, full_name="Retired Worker")
    db.get(User, off.id).is_active = False
    db.commit()
    factory.user(Role.RETURNEE, full_name="Aysel Returnee", phone="+994551112233")

    body = client.get("/en/admin/accounts/").get_data(as_text=True)
    for name in ("Boss Admin", "Nigar Partner", "Samir Worker", "Aysel Returnee", "Retired"):
        assert name in body
    body = client.get("/en/admin/accounts/?role=social_worker").get_data(as_text=True)
    assert "Samir Worker" in body and "Nigar Partner" not in body
    body = client.get(f"/en/admin/accounts/?partner={partner.id}").get_data(as_text=True)
    assert "Nigar Partner" in body and "Samir Worker" not in body
    body = client.get("/en/admin/accounts/?active=no").get_data(as_text=True)
    assert "Retired Worker" in body and "Samir Worker" not in body
    body = client.get("/en/admin/accounts/?q=samir").get_data(as_text=True)
    assert "Samir Worker" in body and ">Boss Admin</a>" not in body
    body = client.get("/en/admin/accounts/?q=055+111+22+33").get_data(as_text=True)
    assert "Aysel Returnee" in body and "Samir" not in body


@pytest.mark.parametrize(
    "query",
    ["role=boss", "partner=999999999999", "active=maybe", "q=" + "x" * 200, "q=a%00b", "page=x"],
)
def test_bad_filters_are_explained_not_500(login_as, client, query):
    login_as(Role.ADMIN)
    response = client.get(f"/en/admin/accounts/?{query}")
    assert response.status_code in (200, 400)


def test_accounts_are_paged(login_as, client, factory, app_factory):
    login_as(Role.ADMIN)
    for _ in range(27):
        factory.user(Role.SOCIAL_WORKER)
    body = client.get("/en/admin/accounts/").get_data(as_text=True)
    assert "Page 1 of 2" in body
    assert "Page 2 of 2" in client.get("/en/admin/accounts/?page=2").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.ADMIN, Role.PARTNER])
def test_admin_creates_staff_of_every_kind(login_as, client, factory, db, role):
    admin = login_as(Role.ADMIN)
    partner = factory.partner()
    response = post_form(
        client,
        "/en/admin/accounts/new",
        full_name="New Person",
        email="New.Person@example.az",
        phone="",
        role=role.value,
        partner_id=str(partner.id) if role == Role.PARTNER else "",
        is_partner_lead="y",
        preferred_locale="ru",
        password=NEW,
        confirm=NEW,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    user = db.scalar(select(User).where(User.email == "new.person@example.az"))
    assert user.role == role and user.preferred_locale == "ru"
    assert user.is_partner_lead is (role == Role.PARTNER)
    assert user.partner_id == (partner.id if role == Role.PARTNER else None)
    event = db.scalar(
        select(Event).where(Event.kind == "user_created", Event.subject_id == user.id)
    )
    assert event.actor_id == admin.id
    assert (
        sign_in(client.application.test_client(), "new.person@example.az", NEW).status_code == 302
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"full_name": ""}, "s full name."),
        ({"email": "nope"}, "correct format"),
        ({"email": "taken@example.az"}, "already exists"),
        ({"password": "short"}, "at least 8 characters"),
        ({"password": "new-person-2026"}, "Do not use your name"),
        ({"role": "returnee"}, "Not a valid choice"),
        ({"role": "partner", "partner_id": ""}, "Choose the organisation of this person."),
        ({"partner_id": "999999999999"}, "Not a valid choice"),
        ({"full_name": "a\x00b"}, "control characters"),
    ],
)
def test_bad_new_account_input_is_explained(login_as, client, factory, fields, message):
    login_as(Role.ADMIN)
    factory.user(Role.SOCIAL_WORKER, email="taken@example.az")
    data = {
        "full_name": "New Person",
        "email": "someone@example.az",
        "role": "social_worker",
        "partner_id": "",
        "preferred_locale": "az",
        "password": NEW,
        **fields,
    }
    response = post_form(client, "/en/admin/accounts/new", **data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_admin_edits_names_email_lead_flag_and_language(login_as, client, factory, db):
    login_as(Role.ADMIN)
    member = factory.user(Role.PARTNER, full_name="Old Name")
    response = post_form(
        client,
        f"/en/admin/accounts/{member.id}",
        full_name="New Name",
        email="renamed@example.az",
        is_partner_lead="y",
        preferred_locale="en",
    )
    assert response.status_code == 302
    db.expire_all()
    user = db.get(User, member.id)
    assert (user.full_name, user.email, user.is_partner_lead, user.preferred_locale) == (
        "New Name",
        "renamed@example.az",
        True,
        "en",
    )
    event = db.scalar(select(Event).where(Event.kind == "account_updated"))
    assert set(event.data["fields"]) == {
        "full_name",
        "email",
        "is_partner_lead",
        "preferred_locale",
    }


def test_deactivation_ends_sessions_refuses_sign_in_and_keeps_requests(
    login_as, client, factory, db, app
):
    returnee = factory.user(Role.RETURNEE)
    request = factory.request(returnee)
    phone = app.test_client()
    assert sign_in(phone, returnee.login).status_code == 302
    admin = login_as(Role.ADMIN)
    assert act(client, returnee.id, "deactivate").status_code == 302
    assert phone.get("/en/my/").status_code == 302  # the session ended at once
    db.expire_all()
    assert db.scalars(select(UserSession).where(UserSession.user_id == returnee.id)).all() == []
    response = sign_in(app.test_client(), returnee.login)
    assert response.status_code == 403
    assert "This account has been switched off" in response.get_data(as_text=True)
    # A wrong password learns nothing about the account's state.
    response = sign_in(app.test_client(), returnee.login, "wrong-password-x")
    assert "switched off" not in response.get_data(as_text=True)
    assert db.get(AssistanceRequest, request.id) is not None
    event = db.scalar(select(Event).where(Event.kind == "account_deactivated"))
    assert event.actor_id == admin.id and event.subject_id == returnee.id
    assert act(client, returnee.id, "reactivate").status_code == 302
    assert sign_in(app.test_client(), returnee.login).status_code == 302


def test_force_sign_out_everywhere(login_as, client, factory, db, app):
    worker = factory.user(Role.SOCIAL_WORKER)
    laptops = [app.test_client() for _ in range(2)]
    for laptop in laptops:
        sign_in(laptop, worker.login)
    login_as(Role.ADMIN)
    assert act(client, worker.id, "sign-out").status_code == 302
    assert all(laptop.get("/en/triage/").status_code == 302 for laptop in laptops)
    assert sign_in(app.test_client(), worker.login).status_code == 302  # still active
    assert db.scalar(select(Event).where(Event.kind == "signed_out_everywhere")) is not None


def test_admin_starts_a_staff_password_reset_by_email(app_factory, factory, db):
    """With a mail server the link goes by email, in the person's language."""
    app = app_factory(MAIL_SERVER="127.0.0.1")
    worker = factory.user(Role.SOCIAL_WORKER, email="w@example.az", preferred_locale="ru")
    admin = factory.user(Role.ADMIN)
    client = app.test_client()
    assert sign_in(client, admin.login).status_code == 302
    page = client.get(f"/en/admin/accounts/{worker.id}").get_data(as_text=True)
    assert "Send a password reset link" in page
    response = act(client, worker.id, "reset")
    assert response.status_code == 302
    db.expire_all()
    notice = db.scalar(select(Notification).where(Notification.template == "password_reset_link"))
    assert notice.to_address == "w@example.az" and notice.locale == "ru"
    path = re.search(r"http://[^/]+(/\w\w/reset/link/[\w-]+)", notice.body).group(1)
    person = app.test_client()
    assert post_form(person, path, password=NEW, confirm=NEW).status_code == 302
    assert sign_in(app.test_client(), worker.login, NEW).status_code == 302
    event = db.scalar(select(Event).where(Event.kind == "password_reset_started"))
    assert event.actor_id == admin.id
    # A second request within the minute is refused with a message, not a 500.
    response = act(client, worker.id, "reset")
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "less than a minute ago" in follow
    # Another person can be reset at once: only the per-person limit applies.
    colleague = factory.user(Role.SOCIAL_WORKER)
    response = act(client, colleague.id, "reset")
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A link to choose a new password was sent to" in follow


def test_without_email_the_reset_link_is_shown_once_to_the_admin(login_as, client, factory, db):
    """No mail server: the single-use link is on the response to the POST only, and works."""
    worker = factory.user(Role.SOCIAL_WORKER, email="w@example.az", preferred_locale="ru")
    admin = login_as(Role.ADMIN)
    page = client.get(f"/en/admin/accounts/{worker.id}").get_data(as_text=True)
    assert "Make a password reset link" in page and "Send a password reset link" not in page
    response = act(client, worker.id, "reset")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert f"Give this link to {worker.full_name} in person or by phone" in body
    path = re.search(r"http://[^/]+(/ru/reset/link/[\w-]+)", body).group(1)
    db.expire_all()
    assert (
        db.scalar(select(Notification).where(Notification.template == "password_reset_link"))
        is None
    )  # nothing waits in an outbox that nobody delivers
    event = db.scalar(select(Event).where(Event.kind == "password_reset_started"))
    assert (event.actor_id, event.subject_id, event.data) == (
        admin.id,
        worker.id,
        {"delivery": "shown"},
    )
    # Not shown again: the account page and the stored code never hold the link.
    token = path.rsplit("/", 1)[1]
    assert token not in client.get(f"/en/admin/accounts/{worker.id}").get_data(as_text=True)
    assert token not in str(db.scalars(select(VerificationCode.code_hash)).all())
    # It works once, for that person only.
    person = client.application.test_client()
    assert post_form(person, path, password=NEW, confirm=NEW).status_code == 302
    assert sign_in(client.application.test_client(), worker.login, NEW).status_code == 302
    assert client.application.test_client().get(path).status_code == 410


def test_a_partner_lead_gets_the_link_for_their_own_staff_only(login_as, client, factory):
    lead = login_as(Role.PARTNER, is_partner_lead=True)
    mine = factory.user(Role.PARTNER, partner_id=lead.partner_id, email="mine@example.az")
    other = factory.user(Role.PARTNER, email="other@example.az")
    response = act(client, mine.id, "reset")
    assert response.status_code == 200 and "/reset/link/" in response.get_data(as_text=True)
    assert act(client, other.id, "reset").status_code == 404


def test_nobody_switches_off_their_own_account(login_as, client, db):
    admin = login_as(Role.ADMIN)
    response = act(client, admin.id, "deactivate")
    assert response.status_code == 302
    assert "You cannot switch off your own account." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    db.expire_all()
    assert db.get(User, admin.id).is_active


def test_partner_lead_manages_only_their_own_staff(login_as, client, factory, db):
    lead = login_as(Role.PARTNER, is_partner_lead=True)
    mine = factory.user(Role.PARTNER, partner_id=lead.partner_id, full_name="My Colleague")
    theirs = factory.user(Role.PARTNER, full_name="Other Org Person")
    worker = factory.user(Role.SOCIAL_WORKER, full_name="Some Worker")
    body = client.get("/en/admin/accounts/").get_data(as_text=True)
    assert "My Colleague" in body
    assert "Other Org Person" not in body and "Some Worker" not in body
    assert client.get(f"/en/admin/accounts/{mine.id}").status_code == 200
    for other in (theirs, worker):
        assert client.get(f"/en/admin/accounts/{other.id}").status_code == 404
        assert act_without_page(client, other.id, "deactivate").status_code == 404
        assert act_without_page(client, other.id, "sign-out").status_code == 404
        assert act_without_page(client, other.id, "reset").status_code == 404
    assert act(client, mine.id, "deactivate").status_code == 302
    db.expire_all()
    assert not db.get(User, mine.id).is_active
    assert db.get(User, theirs.id).is_active
    # New staff go to the lead's own organisation, whatever the form says.
    other_partner = factory.partner()
    response = post_form(
        client,
        "/en/admin/accounts/new",
        full_name="Fresh Colleague",
        email="fresh@example.az",
        role="partner",
        partner_id=str(other_partner.id),
        preferred_locale="az",
        password=NEW,
    )
    assert response.status_code == 302
    fresh = db.scalar(select(User).where(User.email == "fresh@example.az"))
    assert fresh.partner_id == lead.partner_id
    response = post_form(
        client,
        "/en/admin/accounts/new",
        full_name="Would Be Admin",
        email="admin2@example.az",
        role="admin",
        preferred_locale="az",
        password=NEW,
    )
    assert response.status_code == 400
    assert db.scalar(select(User).where(User.email == "admin2@example.az")) is None


def act_without_page(client, user_id, action):
    token = csrf_token(client, "/en/admin/accounts/")
    return client.post(f"/en/admin/accounts/{user_id}/{action}", data={"csrf_token": token})


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.RETURNEE, Role.PARTNER])
def test_others_may_not_manage_accounts(login_as, client, factory, role):
    login_as(role)  # a partner here is not a lead
    target = factory.user(Role.SOCIAL_WORKER)
    assert client.get("/en/admin/accounts/").status_code == 403
    assert client.get("/en/admin/accounts/new").status_code == 403
    assert client.get(f"/en/admin/accounts/{target.id}").status_code == 403


def test_huge_and_unknown_ids_are_404(login_as, client):
    login_as(Role.ADMIN)
    assert client.get("/en/admin/accounts/2147483648").status_code == 404
    assert client.get("/en/admin/accounts/999999").status_code == 404


def test_action_without_csrf_is_refused(login_as, client, factory, db):
    login_as(Role.ADMIN)
    target = factory.user(Role.SOCIAL_WORKER)
    response = client.post(f"/en/admin/accounts/{target.id}/deactivate", data={})
    assert response.status_code == 400
    db.expire_all()
    assert db.get(User, target.id).is_active


def test_the_command_line_still_makes_the_first_administrator(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--role",
            "admin",
            "--email",
            "first@example.az",
            "--name",
            "First Admin",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert db.scalar(select(User.role).where(User.email == "first@example.az")) == Role.ADMIN


def test_account_pages_in_azerbaijani_and_russian(login_as, client, factory):
    login_as(Role.ADMIN)
    target = factory.user(Role.SOCIAL_WORKER)
    assert "Hesablar" in client.get("/az/admin/accounts/").get_data(as_text=True)
    assert "Учётные записи" in client.get("/ru/admin/accounts/").get_data(as_text=True)
    body = client.get(f"/ru/admin/accounts/{target.id}").get_data(as_text=True)
    assert "Выйти на всех устройствах" in body
