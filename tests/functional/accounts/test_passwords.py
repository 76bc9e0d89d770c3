"""Issue 10 item 7: one password policy everywhere (length in the hint, common passwords, nothing
personal)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import Role, User
from portal.passwords import MIN_LENGTH, contains_personal
from tests.conftest import PASSWORD, sign_in
from tests.functional.accounts.helpers import post_form, register

PERSONAL = "Do not use your name, phone number or email address in the password."
HINT = f"At least {MIN_LENGTH} characters."


@pytest.mark.parametrize(
    "password",
    [
        "0501234567",
        "+994501234567",
        "pass-501234567!",
        "elvin@example.az",
        "elvin.secret-2026",
        "mammadov-secret",
        "ElvinMammadov",
        "Elvin Mammadov",
    ],
)
def test_registration_refuses_a_password_with_personal_details(client, db, password):
    response = register(
        client,
        phone="050 123 45 67",
        full_name="Elvin Mammadov",
        email="elvin@example.az",
        password=password,
        confirm=password,
    )
    assert response.status_code == 400
    assert PERSONAL in response.get_data(as_text=True)
    assert db.scalar(select(User)) is None


def test_the_personal_check_is_translated(client):
    response = register(client, lang="ru", password="0501234567xx", confirm="0501234567xx")
    assert "Не используйте в пароле своё имя" in response.get_data(as_text=True)
    response = register(client, lang="az", password="0501234567xx", confirm="0501234567xx")
    assert "Şifrədə adınızı" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "personal"),
    [
        ("correct-horse-battery", False),
        ("Ali-is-here-2026", False),  # a 3-letter name part alone is not refused
        ("ali-ismayilov-2026", True),
        ("x0551112233x", True),
        ("055 111 22 33", True),
        ("ismayilov.ali@mail.az", True),
        ("mail.az-is-fine", False),
    ],
)
def test_contains_personal(password, personal):
    got = contains_personal(
        password, phone="+994551112233", email="ismayilov.ali@mail.az", name="Ali İsmayılov"
    ) or contains_personal(password, name="Ali Ismayilov")
    assert got is personal


def test_the_account_page_refuses_the_persons_own_details(client, factory):
    user = factory.user(Role.RETURNEE, full_name="Leyla Quliyeva")
    sign_in(client, user.login)
    response = post_form(
        client,
        "/en/account",
        action="password",
        current_password=PASSWORD,
        password="quliyeva-2026!",
        confirm="quliyeva-2026!",
    )
    assert response.status_code == 400
    assert PERSONAL in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/en/register", "/en/account", "/en/admin/accounts/new"])
def test_every_password_form_states_the_same_minimum(login_as, client, url):
    if url == "/en/account":
        login_as(Role.RETURNEE)
    elif url.startswith("/en/admin"):
        login_as(Role.ADMIN)
    body = client.get(url).get_data(as_text=True)
    assert HINT in body


def test_the_command_line_refuses_a_personal_password(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "admin",
            "--email",
            "rauf@example.az",
            "--name",
            "Rauf Aliyev",
            "--password",
            "rauf@example.az!",
        ]
    )
    assert result.exit_code != 0
    assert "must not contain the name" in result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "admin",
            "--email",
            "rauf@example.az",
            "--name",
            "Rauf Aliyev",
            "--password",
            "short",
        ]
    )
    assert f"{MIN_LENGTH} or more characters" in result.output
