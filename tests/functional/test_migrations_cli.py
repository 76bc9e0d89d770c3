"""The schema comes from Alembic and matches the models; the CLI makes users and demo data."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from portal.db import Base
from portal.models import AssistanceRequest, PartnerOrganisation, RequestStatus, Role, User


def test_migrations_and_models_agree(app):
    engine = app.extensions["db"].engine
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_the_history_has_one_head(app):
    # Branches developed side by side each add a head; `flask db merge` joins them.
    from alembic.script import ScriptDirectory

    from portal.cli import alembic_config

    with app.app_context():
        heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_flask_db_check_passes(app):
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_users_create_staff_and_returnee(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "social_worker",
            "--email",
            "Nigar@SMS.example.az",
            "--name",
            "Nigar Həsənova",
            "--password",
            "a-long-password-1",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["users", "create", "--role", "returnee", "--phone", "050 555 44 33", "--name", "Ali"],
        input="a-long-password-1\na-long-password-1\n",
    )
    assert result.exit_code == 0, result.output
    users = {u.login: u.role for u in db.scalars(select(User))}
    assert users == {"nigar@sms.example.az": Role.SOCIAL_WORKER, "+994505554433": Role.RETURNEE}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "partner", "--email", "p@example.az", "--name", "P"], "--partner"),
        (["--role", "admin", "--phone", "0505554433", "--name", "A"], "--email"),
        (["--role", "returnee", "--email", "r@example.az", "--name", "R"], "--phone"),
        (
            ["--role", "admin", "--email", "a@example.az", "--name", "A", "--password", "123"],
            "8 or more",
        ),
    ],
)
def test_users_create_refuses_bad_input(app, args, message):
    args = ["users", "create", *args]
    if "--password" not in args:
        args += ["--password", "a-long-password-1"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output


def test_demo_load_fills_every_status_and_prints_sign_ins(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--password", "demo-pass-123"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "demo-pass-123" in result.output
    rows = [
        line.split()
        for line in lines
        if line.split()[:1] and line.split()[0] in {"admin", "social_worker", "partner", "returnee"}
    ]
    roles = [r[0] for r in rows]
    assert roles.count("admin") == 1
    assert roles.count("social_worker") == 2
    # 20 people and a second account of one of them (a possible duplicate, issue 12)
    assert roles.count("returnee") == 21
    assert db.scalar(select(func.count()).select_from(PartnerOrganisation)) >= 5
    statuses = set(db.scalars(select(AssistanceRequest.status).distinct()))
    assert statuses == set(RequestStatus)
    # every printed sign-in works with the given password
    client = app.test_client()
    from tests.conftest import sign_in

    for role, login, *_ in rows[:4] + rows[-1:]:
        response = sign_in(client, login, "demo-pass-123")
        assert response.status_code == 302, (role, login)
        client = app.test_client()
    # a second load refuses the non-empty database, --reset replaces it
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "--reset" in result.output
    result = runner.invoke(args=["demo", "load", "--reset", "--password", "demo-pass-456"])
    assert result.exit_code == 0, result.output
    assert db.scalar(select(func.count()).select_from(User)) == len(rows)
