"""Every page so far in three languages, the language rules, error pages, /healthz."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint, abort

from portal.models import Role
from tests.conftest import make_app

LANGS = ["az", "ru", "en"]
PUBLIC_PAGES = ["/{lang}/", "/{lang}/privacy", "/{lang}/sign-in", "/{lang}/register"]
TITLES = {
    "az": "Azərbaycana qayıtdıqdan sonra yardım",
    "ru": "Помощь после возвращения в Азербайджан",
    "en": "Help after your return to Azerbaijan",
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_public_pages_render_in_each_language(client, lang, page):
    response = client.get(page.format(lang=lang))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in body
    assert 'href="#main"' in body  # skip link
    assert f'href="/{lang}/privacy"' in body  # footer link
    # the language switch links to this same page in the two other languages
    path = page.format(lang="{}")
    for other in LANGS:
        if other != lang:
            assert f'href="{path.format(other)}"' in body


@pytest.mark.parametrize("lang", LANGS)
def test_home_page_is_in_the_language_of_the_prefix(client, lang):
    assert TITLES[lang] in client.get(f"/{lang}/").get_data(as_text=True)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("role", "page"),
    [
        (Role.RETURNEE, "/{lang}/my/"),
        (Role.RETURNEE, "/{lang}/account"),
        (Role.SOCIAL_WORKER, "/{lang}/triage/"),
        (Role.PARTNER, "/{lang}/partner/"),
        (Role.ADMIN, "/{lang}/account"),
    ],
)
def test_signed_in_pages_render_in_each_language(login_as, client, lang, role, page):
    user = login_as(role)
    response = client.get(page.format(lang=lang))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in body
    assert user.full_name in body
    assert response.headers["Cache-Control"] == "no-store"


def test_language_switch_is_built_from_the_page_not_its_query_string(client):
    # Issue 10: the links come from the endpoint and view arguments only; query parameters
    # named like url_for's own (endpoint, _external, _anchor) used to cause a server error.
    body = client.get("/en/sign-in?next=/en/account").get_data(as_text=True)
    assert 'href="/ru/sign-in"' in body
    for query in ("endpoint=1", "_external=1", "_anchor=x", "lang_code=xx", "values=1&method=2"):
        response = client.get(f"/en/sign-in?{query}")
        assert response.status_code == 200, query
        assert 'href="/az/sign-in"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("headers", "cookie", "expected"),
    [
        ({}, None, "/az/"),
        ({"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"}, None, "/ru/"),
        ({"Accept-Language": "en-GB,en;q=0.9"}, None, "/en/"),
        ({"Accept-Language": "de-DE,de;q=0.9"}, None, "/az/"),
        ({"Accept-Language": "en"}, "ru", "/ru/"),
    ],
)
def test_root_redirects_by_cookie_then_accept_language_then_az(client, headers, cookie, expected):
    if cookie:
        client.set_cookie("lang", cookie)
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_visiting_a_language_remembers_it(client):
    client.get("/ru/privacy")
    assert client.get("/", headers={"Accept-Language": "en"}).headers["Location"] == "/ru/"


def test_unknown_language_prefix_is_a_404_in_the_default_language(client):
    response = client.get("/xx/sign-in")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert '<html lang="az">' in body
    assert "Səhifə tapılmadı" in body


@pytest.mark.parametrize(
    ("lang", "title"),
    [("az", "Səhifə tapılmadı"), ("ru", "Страница не найдена"), ("en", "Page not found")],
)
def test_404_in_each_language(client, lang, title):
    response = client.get(f"/{lang}/no-such-page")
    assert response.status_code == 404
    assert title in response.get_data(as_text=True)


@pytest.fixture(scope="module")
def broken_app(database_url):
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("broken", __name__)

    @bp.route("/boom")
    def boom():
        raise ZeroDivisionError

    @bp.route("/bad")
    def bad():
        abort(400)

    @bp.route("/api/v1/boom")
    def api_boom():
        raise ZeroDivisionError

    app.register_blueprint(bp, url_prefix="/<lang:lang_code>")
    app.register_blueprint(bp, url_prefix="", name="broken_api")
    yield app
    app.extensions["db"].engine.dispose()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("path", "code"), [("/boom", 500), ("/bad", 400)])
def test_error_pages_in_each_language(broken_app, lang, path, code):
    response = broken_app.test_client().get(f"/{lang}{path}")
    body = response.get_data(as_text=True)
    assert response.status_code == code
    assert f'<html lang="{lang}">' in body
    assert "Traceback" not in body


def test_api_errors_are_json(broken_app):
    response = broken_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert (
        response.get_json()["error"]["code"] == "server_error"
    )  # the partner API's own code names


@pytest.mark.parametrize("lang", LANGS)
def test_405_page(client, lang):
    response = client.put(f"/{lang}/sign-in")
    assert response.status_code == 405
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", LANGS)
def test_403_page(login_as, client, lang):
    login_as(Role.RETURNEE)
    response = client.get(f"/{lang}/triage/")
    assert response.status_code == 403
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_dates_and_numbers_follow_the_locale(app):
    from datetime import date

    from flask_babel import force_locale, format_date, format_decimal

    with app.test_request_context("/"):
        with force_locale("az"):
            assert format_date(date(2025, 3, 8), "long") == "8 mart 2025"
            assert format_decimal(1234.5) == "1.234,5"
        with force_locale("ru"):
            assert format_date(date(2025, 3, 8), "long") == "8 марта 2025\u202fг."
        with force_locale("en"):
            assert format_date(date(2025, 3, 8), "long") == "March 8, 2025"


def test_security_headers(client):
    response = client.get("/en/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_are_versioned_and_cached(client):
    body = client.get("/en/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/portal.css\?v=[0-9a-f]+)"', body).group(1)
    response = client.get(css)
    response.close()
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"]


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_reports_a_database_that_does_not_answer(app_factory, tmp_path):
    app = app_factory(f"sqlite:///{tmp_path}/missing-dir/nothing.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_public_pages_are_rendered_once_per_language_for_visitors_only(app, client, login_as):
    """Visitors who are not signed in all see the same public page in a language, so it is
    kept once rendered; a signed-in person and a waiting message still get their own page."""
    first = client.get("/en/privacy").get_data(as_text=True)
    assert client.get("/en/privacy").get_data(as_text=True) == first
    assert '<html lang="az">' in client.get("/az/privacy").get_data(as_text=True)
    kept = app.extensions["page_cache"]["public"]
    assert {("public/privacy.html", "en"), ("public/privacy.html", "az")} <= {k[:2] for k in kept}
    user = login_as(Role.RETURNEE)
    mine = client.get("/en/privacy").get_data(as_text=True)
    assert user.full_name in mine and user.full_name not in first
    page = client.get("/en/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/en/sign-out", data={"csrf_token": token}, follow_redirects=True)
    assert "You have signed out." in response.get_data(as_text=True)
    after = client.get("/en/").get_data(as_text=True)
    assert "You have signed out." not in after and user.full_name not in after
    assert all("You have signed out." not in html for html in kept.values())
