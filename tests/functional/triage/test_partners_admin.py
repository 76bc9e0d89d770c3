"""Partner organisations: administrators manage them and their staff accounts; social workers
may look; returnees and partner staff may not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import (
    Category,
    Event,
    PartnerCoverage,
    PartnerKind,
    PartnerOrganisation,
    Role,
    User,
)
from tests.conftest import PASSWORD, csrf_token, sign_in

GOOD = {
    "name_az": "Yeni Həyat",
    "name_ru": "Новая жизнь",
    "name_en": "New Life",
    "kind": "ngo",
    "contact_person": "Leyla Quliyeva",
    "phone": "012 400 00 07",
    "email": "Office@NewLife.example.az",
    "capacity": "7",
    "is_active": "y",
}


def post_partner(client, url, coverage=(), **fields):
    data = {**GOOD, **fields, "csrf_token": csrf_token(client, url)}
    data = {k: v for k, v in data.items() if v is not None}
    data["coverage"] = list(coverage)
    return client.post(url, data=data)


def test_admin_creates_a_partner_with_coverage(login_as, client, db):
    admin = login_as(Role.ADMIN)
    response = post_partner(
        client, "/en/admin/partners/new", coverage=["housing:*", "housing:baku", "employment:ganja"]
    )
    assert response.status_code == 302
    partner = db.scalar(select(PartnerOrganisation))
    assert (partner.name_az, partner.name_ru, partner.name_en) == (
        "Yeni Həyat",
        "Новая жизнь",
        "New Life",
    )
    assert partner.kind == PartnerKind.NGO and partner.capacity == 7 and partner.is_active
    assert partner.phone == "+994124000007" and partner.email == "office@newlife.example.az"
    pairs = {(c.category, c.region_code) for c in partner.coverage}
    # "all regions" makes Baku redundant
    assert pairs == {(Category.HOUSING, "*"), (Category.EMPLOYMENT, "ganja")}
    event = db.scalar(select(Event).where(Event.kind == "partner_created"))
    assert event.actor_id == admin.id and event.subject_id == partner.id
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "New Life" in body and "all regions" in body and "Ganja" in body


def test_admin_edits_a_partner_and_the_change_is_recorded(login_as, client, factory, db):
    login_as(Role.ADMIN)
    partner = factory.partner(name_en="Old Name")
    db.add(PartnerCoverage(partner_id=partner.id, category=Category.HOUSING, region_code="baku"))
    db.commit()
    url = f"/en/admin/partners/{partner.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="housing:baku" id="cov-housing-baku" checked' in page
    response = post_partner(
        client, url, coverage=["documentation:*"], name_en="New Name", is_active=None
    )
    assert response.status_code == 302
    db.expire_all()
    partner = db.get(PartnerOrganisation, partner.id)
    assert partner.name_en == "New Name" and partner.is_active is False
    assert [(c.category, c.region_code) for c in partner.coverage] == [
        (Category.DOCUMENTATION, "*")
    ]
    event = db.scalar(select(Event).where(Event.kind == "partner_updated"))
    assert event.data["name_en"] == "New Name"
    assert event.data["coverage_added"] == ["documentation:*"]
    assert event.data["coverage_removed"] == ["housing:baku"]


@pytest.mark.parametrize(
    ("fields", "coverage", "message"),
    [
        ({"name_ru": ""}, [], "This field is required"),
        ({"phone": "12345"}, [], "Enter a phone number in the correct format"),
        ({"email": "not-an-email"}, [], "Enter an email address in the correct format"),
        ({"capacity": "-1"}, [], "Enter a number from 0 to 10000."),
        ({"capacity": "many"}, [], "Not a valid integer value."),
        ({"kind": "club"}, [], "Not a valid choice."),
        ({}, ["housing:atlantis"], "Choose regions from the list."),
        ({}, ["sports:*"], "Choose regions from the list."),
    ],
)
def test_bad_partner_input_is_explained_and_kept(login_as, client, db, fields, coverage, message):
    login_as(Role.ADMIN)
    response = post_partner(client, "/en/admin/partners/new", coverage=coverage, **fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in body
    assert 'value="Leyla Quliyeva"' in body
    assert db.scalar(select(PartnerOrganisation)) is None


def test_admin_creates_a_partner_staff_account(login_as, client, factory, db):
    admin = login_as(Role.ADMIN)
    partner = factory.partner()
    url = f"/en/admin/partners/{partner.id}"
    data = {
        "csrf_token": csrf_token(client, url),
        "full_name": "Kamran Əliyev",
        "email": "Kamran@Partner.example.az",
        "phone": "",
        "preferred_locale": "ru",
        "is_partner_lead": "y",
        "password": PASSWORD,
    }
    response = client.post(f"{url}/staff", data=data)
    assert response.status_code == 302
    user = db.scalar(select(User).where(User.email == "kamran@partner.example.az"))
    assert user.role == Role.PARTNER and user.partner_id == partner.id and user.is_partner_lead
    assert user.preferred_locale == "ru"
    created = select(Event).where(Event.kind == "user_created", Event.subject_id == user.id)
    event = db.scalar(created)
    assert event.actor_id == admin.id
    assert "Kamran Əliyev" in client.get(url).get_data(as_text=True)
    # the new account signs in and lands in the partner workspace
    other = client.application.test_client()
    signed_in = sign_in(other, "kamran@partner.example.az", lang="ru")
    assert signed_in.headers["Location"] == "/ru/partner/"
    # the same email again is refused
    data["csrf_token"] = csrf_token(client, url)
    response = client.post(f"{url}/staff", data=data)
    assert response.status_code == 400
    assert "An account with this email address already exists." in response.get_data(as_text=True)


def test_staff_account_needs_a_strong_password(login_as, client, factory, db):
    login_as(Role.ADMIN)
    partner = factory.partner()
    url = f"/en/admin/partners/{partner.id}"
    response = client.post(
        f"{url}/staff",
        data={
            "csrf_token": csrf_token(client, url),
            "full_name": "Somebody",
            "email": "somebody@partner.example.az",
            "preferred_locale": "az",
            "password": "short",
        },
    )
    assert response.status_code == 400
    assert "Password must be at least 8 characters" in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.email == "somebody@partner.example.az")) is None


def test_social_workers_may_look_but_not_edit(login_as, client, factory):
    login_as(Role.SOCIAL_WORKER)
    partner = factory.partner(name_en="Visible Partner")
    body = client.get("/en/admin/partners/").get_data(as_text=True)
    assert "Visible Partner" in body and "Add a partner organisation" not in body
    body = client.get(f"/en/admin/partners/{partner.id}").get_data(as_text=True)
    assert "Visible Partner" in body and "Create a staff account" not in body
    assert client.get("/en/admin/partners/new").status_code == 403
    assert client.get(f"/en/admin/partners/{partner.id}/edit").status_code == 403
    assert client.post(f"/en/admin/partners/{partner.id}/edit", data=GOOD).status_code == 403
    assert client.post(f"/en/admin/partners/{partner.id}/staff", data={}).status_code == 403


@pytest.mark.parametrize("role", [Role.RETURNEE, Role.PARTNER])
def test_returnees_and_partner_staff_are_refused(login_as, client, factory, role):
    login_as(role)
    partner = factory.partner()
    for path in (
        "/en/admin/",
        "/en/admin/partners/",
        f"/en/admin/partners/{partner.id}",
        "/en/admin/partners/new",
        f"/en/admin/partners/{partner.id}/edit",
    ):
        assert client.get(path).status_code == 403, path


def test_unknown_partner_is_404(login_as, client):
    login_as(Role.ADMIN)
    assert client.get("/en/admin/partners/424242").status_code == 404
    assert client.get("/en/admin/partners/424242/edit").status_code == 404


def test_api_tokens_link_only_when_that_page_exists(app_factory, factory):
    app = app_factory()
    if "partner.api_tokens" not in app.view_functions:
        app.add_url_rule(
            "/<lang:lang_code>/partner/test-tokens/<int:partner_id>",
            endpoint="partner.api_tokens",
            view_func=lambda partner_id: "tokens",
        )
    client = app.test_client()
    admin = factory.user(Role.ADMIN)
    assert sign_in(client, admin.login).status_code == 302
    partner = factory.partner()
    body = client.get(f"/en/admin/partners/{partner.id}").get_data(as_text=True)
    assert "API tokens" in body


def test_no_api_tokens_link_without_that_page(login_as, client, factory, app):
    login_as(Role.ADMIN)
    partner = factory.partner()
    body = client.get(f"/en/admin/partners/{partner.id}").get_data(as_text=True)
    assert ("API tokens" in body) == ("partner.api_tokens" in app.view_functions)


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_partner_pages_in_each_language(login_as, client, factory, lang):
    login_as(Role.ADMIN)
    partner = factory.partner()
    for path in (
        "partners/",
        f"partners/{partner.id}",
        f"partners/{partner.id}/edit",
        "partners/new",
    ):
        response = client.get(f"/{lang}/admin/{path}")
        assert response.status_code == 200, path
        assert f'<html lang="{lang}">' in response.get_data(as_text=True)
