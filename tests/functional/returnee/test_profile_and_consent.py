"""The profile after registration and later, and consent again when the notice changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.models import ContactPreference, Event, ReturneeProfile, Role, User
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.functional.returnee.conftest import Returnee, complete_profile
from tests.functional.returnee.test_validation import GOOD_PROFILE
from tests.functional.test_auth import finish_registration


def test_registration_then_profile_then_ask(client, db):
    token = csrf_token(client, "/en/register")
    response = client.post(
        "/en/register",
        data={
            "csrf_token": token,
            "phone": "050 222 33 44",
            "full_name": "Aysel Nəsirova",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "preferred_locale": "en",
            "consent": "y",
        },
    )
    assert response.status_code == 302
    # Without SMS the next page asks for the password just chosen.
    assert finish_registration(client, lang="en").status_code == 302
    home = client.get("/en/my/").get_data(as_text=True)
    assert "First, tell us about yourself" in home
    assert client.get("/en/my/ask/").headers["Location"] == "/en/my/profile?next=ask"
    page = client.get("/en/my/profile?next=ask").get_data(as_text=True)
    assert "Where do you live now?" in page
    user = db.scalar(select(User).where(User.phone == "+994502223344"))
    r = Returnee(client, db, user)
    response = r.post("profile", {**GOOD_PROFILE, "next": "ask"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/my/ask/"
    assert client.get("/en/my/ask/").headers["Location"] == "/en/my/ask/kind"


def test_profile_is_saved_and_shown_again(me, db):
    response = me.post("profile", GOOD_PROFILE)
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/my/"
    assert "Your details have been saved." in me.get("").get_data(as_text=True)
    db.expire_all()
    p = db.scalar(select(ReturneeProfile).where(ReturneeProfile.user_id == me.user.id))
    assert p.region_code == "shaki"
    assert p.return_date == date(2025, 10, 2)
    assert p.country_returned_from == "NO"
    assert p.household_size == 5
    assert sorted(p.vulnerabilities) == ["chronic_illness", "single_parent"]
    assert p.contact_preference == ContactPreference.PHONE_CALL
    event = db.scalar(select(Event).where(Event.kind == "profile_updated"))
    assert "region_code" in event.data["fields"] and "Shaki" not in str(event.data)
    body = me.get("profile").get_data(as_text=True)
    assert 'value="2"' in body and 'value="10"' in body and 'value="2025"' in body
    assert 'value="5"' in body


def test_prefer_not_to_say_alone_is_fine(me, db):
    data = {**GOOD_PROFILE, "vulnerabilities": ["prefer_not_to_say"]}
    assert me.post("profile", data).status_code == 302
    data = {**GOOD_PROFILE, "vulnerabilities": []}
    assert me.post("profile", data).status_code == 302
    db.expire_all()
    p = db.scalar(select(ReturneeProfile).where(ReturneeProfile.user_id == me.user.id))
    assert p.vulnerabilities == []


def test_changing_the_language_in_the_profile(me, db):
    response = me.post("profile", {**GOOD_PROFILE, "preferred_locale": "ru"})
    assert response.headers["Location"] == "/ru/my/"
    db.expire_all()
    assert db.get(User, me.user.id).preferred_locale == "ru"


def test_regions_are_sorted_in_the_page_language(me, client):
    body = me.get("profile").get_data(as_text=True)
    assert body.index(">Absheron<") < body.index(">Baku<") < body.index(">Zardab<")


def test_countries_are_named_in_the_page_language(client, db, returnee_user):
    sign_in(client, returnee_user.login, lang="ru")
    body = client.get("/ru/my/profile").get_data(as_text=True)
    assert ">Германия<" in body and ">Норвегия<" in body
    assert 'value="AZ"' not in body
    body = client.get("/en/my/profile").get_data(as_text=True)
    assert ">Germany<" in body


def test_email_contact_only_with_an_email(client, factory, db):
    user = factory.user(Role.RETURNEE, email="a@example.az")
    complete_profile(db, user)
    sign_in(client, user.login)
    assert 'value="email"' in client.get("/en/my/profile").get_data(as_text=True)


# --- consent ----------------------------------------------------------------------------------


def test_consent_again_when_the_notice_changes(app_factory, factory, db, returnee_user):
    app = app_factory(PRIVACY_NOTICE_VERSION="2027-01")
    client = app.test_client()
    response = sign_in(client, returnee_user.login, lang="az")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/az/consent")
    # Nothing else of the returnee pages until they agree.
    for path in ["/en/my/", "/en/my/ask/kind", "/en/my/profile"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/en/consent?next=")
    page = client.get("/en/consent?next=/en/my/profile")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Our privacy notice has changed" in body and "2027-01" in body
    token = csrf_token(client, "/en/consent")
    response = client.post("/en/consent", data={"csrf_token": token, "next": "/en/my/profile"})
    assert response.status_code == 400
    assert "To use the portal you need to agree to the privacy notice" in response.get_data(
        as_text=True
    )
    response = client.post(
        "/en/consent", data={"csrf_token": token, "consent": "y", "next": "/en/my/profile"}
    )
    assert response.headers["Location"] == "/en/my/profile"
    db.expire_all()
    p = db.scalar(select(ReturneeProfile).where(ReturneeProfile.user_id == returnee_user.id))
    assert p.consent_version == "2027-01" and p.consent_at is not None
    assert db.scalar(
        select(Event).where(Event.kind == "consent_given", Event.subject_id == returnee_user.id)
    )
    assert client.get("/en/my/").status_code == 200


def test_no_consent_page_when_the_version_is_the_same(client, returnee_user):
    response = sign_in(client, returnee_user.login, lang="az")
    assert response.headers["Location"] == "/az/my/"
    assert client.get("/en/consent").headers["Location"] == "/en/my/"


def test_consent_page_refuses_off_site_next(app_factory, returnee_user):
    client = app_factory(PRIVACY_NOTICE_VERSION="2027-01").test_client()
    sign_in(client, returnee_user.login)
    token = csrf_token(client, "/en/consent")
    response = client.post(
        "/en/consent", data={"csrf_token": token, "consent": "y", "next": "//evil.example/"}
    )
    assert response.headers["Location"] == "/en/my/"


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_consent_page_in_each_language(app_factory, returnee_user, lang):
    client = app_factory(PRIVACY_NOTICE_VERSION="2027-01").test_client()
    sign_in(client, returnee_user.login)
    response = client.get(f"/{lang}/consent")
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_staff_are_not_asked_for_consent(app_factory, factory):
    client = app_factory(PRIVACY_NOTICE_VERSION="2027-01").test_client()
    worker = factory.user(Role.SOCIAL_WORKER)
    response = sign_in(client, worker.login, lang="az")
    assert response.headers["Location"] == "/az/triage/"


def test_regions_in_azerbaijani_follow_the_azerbaijani_alphabet(client, returnee_user):
    sign_in(client, returnee_user.login, lang="az")
    body = client.get("/az/my/profile").get_data(as_text=True)
    # c < ç < d and ş after s in the Azerbaijani alphabet (not at the end as in code points)
    assert body.index(">Cəbrayıl<") < body.index(">Daşkəsən<")
    assert body.index(">Samux<") < body.index(">Şabran<") < body.index(">Tərtər<")
