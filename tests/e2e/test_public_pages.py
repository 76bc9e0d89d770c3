"""Public pages in a phone browser, in each language: axe, 320 px fit, weight, other hosts."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LANGS, check_returnee_page

PAGES = {
    "home": "/{lang}/",
    "privacy": "/{lang}/privacy",
    "sign-in": "/{lang}/sign-in",
    "register": "/{lang}/register",
    "forgot-password": "/{lang}/forgot-password",
    "reset-assisted": "/{lang}/reset/assisted",
}


@pytest.mark.parametrize("lang", LANGS)
def test_public_pages(live_server, phone, lang):
    context = phone(lang)
    page = context.new_page()
    for name, path in PAGES.items():
        page.goto(live_server + path.format(lang=lang))
        assert page.locator("html").get_attribute("lang") == lang
        check_returnee_page(context, page, f"{lang}-public-{name}")


@pytest.mark.parametrize("lang", LANGS)
def test_registration_errors_are_accessible(live_server, phone, lang):
    context = phone(lang)
    page = context.new_page()
    page.goto(f"{live_server}/{lang}/register")
    page.get_by_role("button").last.click()
    assert page.locator(".error-summary").count() == 1
    check_returnee_page(context, page, f"{lang}-public-register-errors")
