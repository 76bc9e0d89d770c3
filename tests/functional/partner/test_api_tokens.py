"""The API tokens page: made by an administrator or the partner's lead, shown once, revocable."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from portal.models import ApiToken, Event, Role
from tests.conftest import sign_in
from tests.functional.partner.helpers import page_csrf

TOKEN_RE = re.compile(r'<code class="secret" id="new-token">(rsp_[A-Za-z0-9_-]+)</code>')


def tokens_url(partner_id: int, lang: str = "en") -> str:
    return f"/{lang}/partner/organisations/{partner_id}/tokens"


def create(client, partner_id: int, name: str = "Case system"):
    token = page_csrf(client, tokens_url(partner_id))
    return client.post(tokens_url(partner_id), data={"csrf_token": token, "name": name})


def test_lead_creates_a_token_shown_once_and_stored_hashed(client, db, scenario, as_staff):
    response = create(client, scenario.partner.id)
    assert response.status_code == 201
    body = response.get_data(as_text=True)
    raw = TOKEN_RE.search(body).group(1)
    assert "It will not be shown again" in body
    assert response.headers["Cache-Control"] == "no-store"
    row = db.scalar(select(ApiToken))
    assert row.partner_id == scenario.partner.id and row.created_by_id == scenario.staff.id
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.prefix == raw[:12] and raw not in (row.name, row.prefix)
    # never again: the list shows the prefix only
    body = client.get(tokens_url(scenario.partner.id)).get_data(as_text=True)
    assert raw not in body and row.prefix in body and "Never" in body
    assert db.scalar(select(Event).where(Event.kind == "api_token_created")) is not None


def test_lead_revokes_a_token(client, db, scenario, as_staff):
    create(client, scenario.partner.id)
    row = db.scalar(select(ApiToken))
    token = page_csrf(client, tokens_url(scenario.partner.id))
    response = client.post(
        f"{tokens_url(scenario.partner.id)}/{row.id}/revoke", data={"csrf_token": token}
    )
    assert response.status_code == 303
    db.expire_all()
    assert row.revoked_at is not None
    body = client.get(tokens_url(scenario.partner.id)).get_data(as_text=True)
    assert "has been revoked" in body and "Revoked" in body


def test_token_name_is_required_and_limited(client, db, scenario, as_staff):
    response = create(client, scenario.partner.id, name="")
    assert response.status_code == 400
    assert "Give the token a name" in response.get_data(as_text=True)
    response = create(client, scenario.partner.id, name="n" * 101)
    assert response.status_code == 400
    assert "Use at most 100 characters." in response.get_data(as_text=True)
    assert db.scalar(select(ApiToken)) is None


def test_admin_may_manage_any_organisations_tokens(client, db, scenario, login_as):
    login_as(Role.ADMIN)
    assert client.get(tokens_url(scenario.other_partner.id)).status_code == 200
    assert create(client, scenario.other_partner.id).status_code == 201
    assert db.scalar(select(ApiToken.partner_id)) == scenario.other_partner.id
    assert client.get(tokens_url(999999)).status_code == 404


def test_staff_who_are_not_lead_cannot(client, db, scenario):
    member = scenario.factory.user(Role.PARTNER, partner_id=scenario.partner.id)
    assert sign_in(client, member.login).status_code == 302
    assert client.get(tokens_url(scenario.partner.id)).status_code == 403
    assert "API tokens" not in client.get("/en/partner/").get_data(as_text=True)


def test_social_workers_and_returnees_cannot(client, scenario, login_as):
    login_as(Role.SOCIAL_WORKER)
    assert client.get(tokens_url(scenario.partner.id)).status_code == 403


def test_lead_of_another_organisation_gets_404(client, db, scenario):
    lead = scenario.factory.user(
        Role.PARTNER, partner_id=scenario.other_partner.id, is_partner_lead=True
    )
    assert sign_in(client, lead.login).status_code == 302
    assert client.get(tokens_url(scenario.partner.id)).status_code == 404
    assert client.get(tokens_url(scenario.other_partner.id)).status_code == 200
