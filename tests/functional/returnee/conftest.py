"""Fixtures of the returnee pages: a returnee with a complete profile, signed in, and helpers
that walk the ask-for-help flow through the real pages."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.models import (
    AssistanceRequest,
    ContactPreference,
    ReturneeProfile,
    Role,
)
from tests.conftest import CSRF_RE, sign_in

ANSWERS = {
    "housing": [
        ("housing", {"situation": "no_place_tonight"}),
        ("household", {"household": "4", "special_needs": "My son uses a wheelchair."}),
    ],
    "employment": [
        ("work", {"profession": "Driver", "experience": "8 years, trucks in Germany"}),
        ("education", {"education": "secondary", "languages": ["az", "ru", "de"]}),
        ("training", {"training": "vocational", "work_area": "Baku"}),
    ],
    "documentation": [
        ("document", {"document": "passport"}),
        ("document-problem", {"what_happened": "lost"}),
        ("identity", {"holds_identity_document": "no"}),
    ],
}
DETAILS = {"description": "Please call me after 6 pm.", "urgency": "this_week"}


def complete_profile(db, user, **kw) -> ReturneeProfile:
    profile = db.scalar(select(ReturneeProfile).where(ReturneeProfile.user_id == user.id))
    profile.region_code = kw.get("region_code", "ganja")
    profile.return_date = kw.get("return_date", date(2025, 3, 15))
    profile.country_returned_from = kw.get("country", "DE")
    profile.household_size = kw.get("household_size", 3)
    profile.contact_preference = kw.get("contact_preference", ContactPreference.SMS)
    profile.consent_version = kw.get("consent_version", "2026-12")
    db.commit()
    return profile


def token(client, url="/en/my/profile") -> str:
    body = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(body)
    assert match, body[:300]
    return match.group(1)


class Returnee:
    """A signed-in returnee and the pages they use."""

    def __init__(self, client, db, user, lang="en") -> None:
        self.client, self.db, self.user, self.lang = client, db, user, lang
        self._token = None

    @property
    def csrf(self) -> str:
        if self._token is None:
            self._token = token(self.client, f"/{self.lang}/my/profile")
        return self._token

    def get(self, path: str):
        return self.client.get(f"/{self.lang}/my/{path}")

    def post(self, path: str, data: dict | None = None, **kw):
        payload = {"csrf_token": self.csrf, **(data or {})}
        return self.client.post(f"/{self.lang}/my/{path}", data=payload, **kw)

    def step(self, slug: str, data: dict, change: bool = False):
        path = f"ask/{slug}" + ("?change=1" if change else "")
        return self.post(path, data)

    def fill(self, category: str, answers=None, details=None):
        """Answer every page of the flow up to 'check your answers'."""
        response = self.step("kind", {"category": category})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        for slug, data in answers or ANSWERS[category]:
            response = self.step(slug, data)
            assert response.status_code == 302, (slug, response.get_data(as_text=True)[:3000])
        response = self.step("details", details or DETAILS)
        assert response.status_code == 302
        assert response.headers["Location"] == f"/{self.lang}/my/ask/check"
        return response

    def submission_key(self) -> str:
        body = self.get("ask/check").get_data(as_text=True)
        start = body.index('name="submission_key"')
        tag = body[body.rindex("<input", 0, start) : body.index(">", start)]
        return tag.split('value="')[1].split('"')[0]

    def submit(self, key: str | None = None):
        key = key or self.submission_key()
        return self.post("ask/check", {"submission_key": key})

    def requests(self) -> list[AssistanceRequest]:
        self.db.expire_all()
        return self.db.scalars(
            select(AssistanceRequest).where(AssistanceRequest.owner_id == self.user.id)
        ).all()


@pytest.fixture
def returnee_user(factory, db):
    user = factory.user(Role.RETURNEE, full_name="Elvin Məmmədov")
    complete_profile(db, user)
    return user


@pytest.fixture
def me(client, db, returnee_user):
    """The signed-in returnee with a complete profile."""
    assert sign_in(client, returnee_user.login).status_code == 302
    return Returnee(client, db, returnee_user)


@pytest.fixture
def other(app, db, factory):
    """A second returnee, signed in on another browser."""
    user = factory.user(Role.RETURNEE, full_name="Günel Əliyeva")
    complete_profile(db, user, region_code="baku")
    client = app.test_client()
    assert sign_in(client, user.login).status_code == 302
    return Returnee(client, db, user)
