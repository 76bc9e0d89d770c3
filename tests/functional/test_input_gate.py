"""Issue 10, the probe's findings: the input gate, ids beyond the database's range, strict
dates, request size limits and the error pages (run on PostgreSQL too: NUL is its trap)."""

from __future__ import annotations

import pytest

from portal.inputs import DB_INT_MAX, parse_datetime_strict
from portal.models import RequestStatus, Role
from portal.services.api_tokens import create_api_token
from tests.conftest import csrf_token

CONTROL_EN = "This text contains invisible control characters"
CONTROL_RU = "Этот текст содержит невидимые управляющие символы"


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "name\x07", "x\x1bx", "tab\there", "a\x85"])
def test_sign_in_refuses_control_characters_next_to_the_field(client, value):
    token = csrf_token(client, "/en/sign-in")
    response = client.post(
        "/en/sign-in", data={"csrf_token": token, "login": value, "password": "whatever12"}
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert CONTROL_EN in body
    assert 'aria-describedby="login-error"' in body or 'id="login-error"' in body


def test_registration_refuses_nul_in_every_text_field_in_the_users_language(client):
    token = csrf_token(client, "/ru/register")
    response = client.post(
        "/ru/register",
        data={
            "csrf_token": token,
            "phone": "+994501234567\x00",
            "full_name": "Ali\x00 Aliyev",
            "email": "a\x00@example.az",
            "password": "long-enough-pass\x00",
            "confirm": "long-enough-pass\x00",
            "preferred_locale": "ru",
            "consent": "y",
        },
    )
    assert response.status_code == 400
    assert response.get_data(as_text=True).count(CONTROL_RU) >= 3


def test_multi_line_fields_keep_tabs_and_line_breaks_but_not_nul(client, factory, login_as):
    worker = login_as(Role.SOCIAL_WORKER)
    req = factory.request(worker=worker)
    url = f"/en/triage/requests/{req.id}"
    page = client.get(url).get_data(as_text=True)
    import re

    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {"csrf_token": csrf_token(client, url), "request_id": req.id, "version": version}
    refused = client.post(f"{url}/note", data={**data, "body": "first\x00line"})
    assert refused.status_code == 400
    assert CONTROL_EN in refused.get_data(as_text=True)
    accepted = client.post(f"{url}/note", data={**data, "body": "first line\r\n\tsecond line"})
    assert accepted.status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/en/triage/requests/2147483648",
        "/en/triage/requests/99999999999999999999",
        "/en/admin/partners/2147483648",
        "/en/partner/referrals/9223372036854775808",
        "/en/partner/organisations/2147483648/tokens",
        "/en/triage/requests/0",
    ],
)
def test_ids_beyond_the_database_range_are_not_found(client, login_as, path):
    login_as(Role.ADMIN if "/partner/" not in path else Role.PARTNER)
    assert client.get(path).status_code == 404


def test_integers_in_forms_are_capped_at_the_database_range(client, factory, login_as, db):
    worker = login_as(Role.SOCIAL_WORKER)
    req = factory.request(worker=worker)
    url = f"/en/triage/requests/{req.id}"
    page = client.get(url).get_data(as_text=True)
    import re

    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    for field, value in (("assignee_id", str(DB_INT_MAX + 1)), ("assignee_id", "-" + "9" * 30)):
        response = client.post(
            f"{url}/assign",
            data={
                "csrf_token": csrf_token(client, url),
                "request_id": req.id,
                "version": version,
                field: value,
            },
        )
        assert response.status_code == 400, value
        assert "This number is too large." in response.get_data(as_text=True)
    # A forged request id out of range is "not this request's form", not a server error.
    response = client.post(
        f"{url}/priority",
        data={
            "csrf_token": csrf_token(client, url),
            "request_id": str(2**63),
            "version": version,
            "priority": "high",
        },
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    ["q=%00", "status=%00", "after=1%00", "x%00=1", "q=%1b%5b31m"],
)
def test_control_characters_in_the_address_give_a_translated_400(client, login_as, query):
    login_as(Role.SOCIAL_WORKER)
    response = client.get(f"/ru/triage/?{query}")
    assert response.status_code == 400
    assert "Адрес содержит символы" in response.get_data(as_text=True)


def test_strict_date_time_parsing():
    assert parse_datetime_strict("2026-03-12T09:30:00Z").isoformat() == "2026-03-12T09:30:00+00:00"
    assert parse_datetime_strict("2026-03-12T13:30:00+04:00").hour == 9
    assert parse_datetime_strict("2026-03-12T09:30:00").tzinfo is not None
    for bad in (
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+14:00",
        "2026-03-12T09:30:00+15:00",
        "2026-02-30T00:00:00Z",
        "2026-03-12",
        "2026-03-12T09:30:00Z junk",
        "１２３４-03-12T09:30:00Z",
        "",
    ):
        assert parse_datetime_strict(bad) is None, bad


@pytest.fixture
def api_token(app, db, factory):
    admin = factory.user(Role.ADMIN)
    staff = factory.user(Role.PARTNER, is_partner_lead=True)
    with app.app_context():
        _row, raw = create_api_token(db, staff.partner, admin, "Case system")
        db.commit()
    return {"Authorization": f"Bearer {raw}"}, staff


@pytest.mark.parametrize(
    "since",
    [
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00+23:59",
        "2026-01-01T00:00:00+99:00",
        "2026-13-01T00:00:00Z",
    ],
)
def test_api_updated_since_out_of_range_is_a_400(client, api_token, since):
    headers, _staff = api_token
    response = client.get(
        "/api/v1/referrals", query_string={"updated_since": since}, headers=headers
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "updated_since"
    ok = client.get(
        "/api/v1/referrals", query_string={"updated_since": "2026-01-01T00:00:00Z"}, headers=headers
    )
    assert ok.status_code == 200


def test_api_ids_beyond_the_range_are_404(client, api_token):
    headers, _staff = api_token
    for path in ("/api/v1/referrals/2147483648", "/api/v1/referrals/2147483648/accept"):
        method = client.get if path.endswith("48") else client.post
        response = method(path, headers=headers)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_api_refuses_control_characters_in_json_text(client, api_token, factory):
    headers, staff = api_token
    req = factory.request(status=RequestStatus.IN_PROGRESS, partner_staff=staff)
    referral = req.referrals[-1]
    url = f"/api/v1/referrals/{referral.id}/updates"
    for body in ({"body": "x\u0000y"}, {"body": "\u001b[2J"}, {"body": "\ud800"}):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.get_json()["error"]["field"] == "body"
    ok = client.post(url, json={"body": "Called.\n\tVisit booked."}, headers=headers)
    assert ok.status_code == 201


def test_bodies_over_the_limit_get_a_translated_413(client, api_token):
    response = client.post(
        "/az/sign-in",
        data={"login": "x" * (1024 * 1024 + 10), "password": "x"},
    )
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert '<html lang="az">' in body
    assert "Göndərdiyiniz məlumat çox böyükdür" in body
    assert response.headers["Content-Security-Policy"]
    headers, _staff = api_token
    response = client.post(
        "/api/v1/referrals/1/updates", json={"body": "x" * 70_000}, headers=headers
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def _boom_app(app_factory, url=None):
    app = app_factory(url)

    @app.route("/<lang:lang_code>/boom-for-test")
    def boom():
        raise RuntimeError("a bug")

    return app


def test_the_500_page_is_the_apps_own_translated_with_headers_and_compressed(app_factory):
    client = _boom_app(app_factory).test_client()
    response = client.get("/ru/boom-for-test", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 500
    assert response.headers["Content-Encoding"] == "gzip"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    import gzip

    body = gzip.decompress(response.get_data()).decode()
    assert '<html lang="ru">' in body
    assert "Что-то пошло не так" in body


def test_error_pages_are_compressed_like_the_others(client):
    response = client.get("/en/no-such-page", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 404
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]


def test_the_500_page_is_served_even_when_the_database_is_down(app_factory, tmp_path):
    app = _boom_app(app_factory, f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "a-session-token"  # the user loader must ask the database
    response = client.get("/az/boom-for-test")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert '<html lang="az">' in body
    assert "Error code: 500" not in body  # translated
    assert response.headers["Content-Security-Policy"]
