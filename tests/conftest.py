"""Fixtures: one migrated database per run (SQLite file, or PostgreSQL via TEST_DATABASE_URL),
emptied after every test; the real app and its test client."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, delete, text
from sqlalchemy.orm import Session

from portal import create_app
from portal.cli import alembic_config
from portal.db import Base, set_clock
from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    PartnerKind,
    PartnerOrganisation,
    RequestStatus,
    Role,
    Urgency,
)
from portal.services import requests as svc
from portal.services.accounts import create_user
from portal.services.returnees import record_consent

PASSWORD = "correct-horse-battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _fresh_schema(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = _database_url(tmp_path_factory)
    _fresh_schema(url)
    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": url})
    with app.app_context():
        cfg = alembic_config()
        cfg.attributes["skip_logging"] = True
        command.upgrade(cfg, "head")
    app.extensions["db"].engine.dispose()
    return url


def make_app(database_url: str, **overrides):
    return create_app({"CONFIG_NAME": "testing", "DATABASE_URL": database_url, **overrides})


@pytest.fixture(scope="session")
def _session_app(database_url):
    app = make_app(database_url)
    yield app
    app.extensions["db"].engine.dispose()


@pytest.fixture
def app_factory(database_url):
    """app_factory(**config): another app on the test database, closed after the test."""
    made = []

    def _make(url: str | None = None, **overrides):
        app = make_app(url or database_url, **overrides)
        made.append(app)
        return app

    yield _make
    for app in made:
        app.extensions["db"].session.remove()
        app.extensions["db"].engine.dispose()
        _close_limit_stores(app)


def _close_limit_stores(app) -> None:
    """Close the Redis connections of an app's limit counters (a test's app that used
    RATELIMIT_STORAGE_URI=redis://…), so no socket is left for the garbage collector."""
    limiter = app.extensions["portal_limiter"]  # no storage while rate limits are off
    for store in (app.extensions["auth_limits"].storage, getattr(limiter, "_storage", None)):
        client = getattr(store, "storage", None)
        if callable(getattr(client, "close", None)):
            client.close()


def _empty_tables(app) -> None:
    engine = app.extensions["db"].engine
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
    # The data versions start again from nothing: what was kept under them is another
    # test's (a real database's versions only grow).
    app.extensions.get("page_cache", {}).clear()


@pytest.fixture
def app(_session_app) -> Iterator:
    yield _session_app
    _session_app.extensions["db"].session.remove()
    _empty_tables(_session_app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """A session of its own, like a second connection, to arrange data and check results.

    It is not the request session: pages see only what the test committed, and the test sees
    what pages committed after db.expire_all().
    """
    session = Session(bind=app.extensions["db"].engine, expire_on_commit=False)
    yield session
    session.rollback()
    session.close()


# --- factories -------------------------------------------------------------------------------


class Factory:
    """Makes rows through the real services, committed with the test's own session."""

    def __init__(self, app, session: Session) -> None:
        self.app = app
        self.db = session
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def partner(self, **kw) -> PartnerOrganisation:
        db = self.db
        n = self._next()
        p = PartnerOrganisation(
            name_az=kw.get("name_az", f"Tərəfdaş {n}"),
            name_ru=kw.get("name_ru", f"Партнёр {n}"),
            name_en=kw.get("name_en", f"Partner {n}"),
            kind=kw.get("kind", PartnerKind.NGO),
            capacity=kw.get("capacity", 5),
            is_active=kw.get("is_active", True),
        )
        db.add(p)
        db.commit()
        return p

    def user(self, role: Role = Role.RETURNEE, **kw):
        db = self.db
        n = self._next()
        if role == Role.RETURNEE:
            kw.setdefault("phone", f"+99450{1000000 + n}")
        else:
            kw.setdefault("email", f"{role.value}{n}@example.az")
        if role == Role.PARTNER and "partner_id" not in kw:
            kw["partner_id"] = self.partner().id
        consent = kw.pop("consent", True)
        with self.app.app_context():
            user = create_user(
                db,
                role=role,
                full_name=kw.pop("full_name", f"Test Person {n}"),
                password=kw.pop("password", PASSWORD),
                **kw,
            )
            if role == Role.RETURNEE and consent:
                record_consent(db, user, self.app.config["PRIVACY_NOTICE_VERSION"])
        db.commit()
        return user

    def request(
        self,
        owner=None,
        status: RequestStatus = RequestStatus.SUBMITTED,
        *,
        category: Category = Category.DOCUMENTATION,
        region_code: str = "baku",
        worker=None,
        partner_staff=None,
        answers: dict | None = None,
        urgency: Urgency = Urgency.THIS_WEEK,
        submission_key: str | None = None,
    ) -> AssistanceRequest:
        """A request walked through the real services to `status` (the path people take)."""
        db = self.db
        owner = owner or self.user(Role.RETURNEE)
        S = RequestStatus
        with self.app.app_context():
            req = svc.submit_request(
                db,
                owner,
                category=category,
                answers=answers or {"document": "passport", "what_happened": "lost"},
                urgency=urgency,
                region_code=region_code,
                submission_key=submission_key,
            )
            if status != S.SUBMITTED:
                worker = worker or self.user(Role.SOCIAL_WORKER)
                if status == S.WITHDRAWN:
                    svc.withdraw_request(db, req, owner)
                elif status == S.CLOSED:
                    svc.close_request(db, req, worker, CloseOutcome.NOT_ELIGIBLE)
                else:
                    svc.assign_request(db, req, worker, worker)
                    if status == S.NEEDS_INFO:
                        svc.request_info(db, req, worker, "Which document do you still have?")
                    elif status in (S.REFERRED, S.IN_PROGRESS, S.ASSISTANCE_PROVIDED):
                        partner_staff = partner_staff or self.user(Role.PARTNER)
                        partner = db.get(PartnerOrganisation, partner_staff.partner_id)
                        svc.refer_request(db, req, partner, worker, note="Please help")
                        if status != S.REFERRED:
                            svc.accept_referral(db, req, partner_staff)
                        if status == S.ASSISTANCE_PROVIDED:
                            svc.record_assistance(db, req, partner_staff, "Fee paid", complete=True)
            db.commit()
        assert req.status == status
        return req


@pytest.fixture
def factory(app, db):
    return Factory(app, db)


def csrf_token(client, url: str) -> str:
    response = client.get(url)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({response.status_code})"
    return match.group(1)


def sign_in(client, login: str, password: str = PASSWORD, lang: str = "en"):
    token = csrf_token(client, f"/{lang}/sign-in")
    return client.post(
        f"/{lang}/sign-in", data={"csrf_token": token, "login": login, "password": password}
    )


@pytest.fixture
def login_as(client, factory):
    """login_as(role, **kw) -> user: make a user of that role and sign the client in."""

    def _login(role: Role = Role.RETURNEE, **kw):
        user = factory.user(role, **kw)
        response = sign_in(client, user.login)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    return _login


ROOT = Path(__file__).resolve().parent.parent


def baku_noon(day: date) -> datetime:
    """Noon in Baku (UTC+4, no summer time) on `day`, as a UTC moment."""
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)


@pytest.fixture
def pinned_day(request) -> Iterator[date]:
    """Pin the portal's clock to noon in Baku on the test module's TODAY (or the real local
    day): a date a test computed when it was imported stays today even when the run crosses
    midnight in Baku, which CI's evening runs do (20:00 UTC)."""
    from portal.services.referrals import local_today

    day = getattr(request.module, "TODAY", None) or local_today()
    set_clock(baku_noon(day))
    yield day
    set_clock(None)
