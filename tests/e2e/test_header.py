"""The signed-in header on a phone: at most a quarter of a 320x640 first screen, with the
navigation folded into a <details> menu that opens without JavaScript (issue 13, item 5)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD

DEMO_RETURNEE = "+994501110001"
MAX_HEADER = 640 * 0.25


def _signed_in(browser, live_server, lang: str, javascript: bool):
    context = browser.new_context(
        viewport={"width": 320, "height": 640}, java_script_enabled=javascript
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server}/{lang}/sign-in")
    page.fill("input[name=login]", DEMO_RETURNEE)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form[action$='/sign-in'] button[type=submit]").click()
    page.wait_for_url(f"**/{lang}/my/")
    return context, page


@pytest.mark.parametrize(("lang", "javascript"), [("az", True), ("ru", False), ("en", True)])
def test_signed_in_header_is_at_most_a_quarter_of_the_screen(
    browser, live_server, lang, javascript
):
    context, page = _signed_in(browser, live_server, lang, javascript)
    try:
        height = page.evaluate(
            "document.querySelector('header.site-header').getBoundingClientRect().height"
        )
        print(f"header height {lang}: {height:.0f} px of 640 ({height / 6.4:.0f}%)")
        assert height <= MAX_HEADER, f"{lang}: header {height} px > {MAX_HEADER} px"
        # The first question of the page starts in the top half of the screen.
        top = page.evaluate("document.querySelector('main h1').getBoundingClientRect().top")
        assert top < 320
        # The menu opens without JavaScript and holds the navigation and sign-out.
        menu = page.locator("header details.menu")
        assert menu.is_visible()
        assert not page.locator("header details.menu nav a").first.is_visible()
        menu.locator("summary").click()
        links = page.locator("header details.menu nav a")
        assert links.count() == 3 and links.first.is_visible()
        assert page.locator("header details.menu button[type=submit]").is_visible()
        # The language switch stays in view.
        assert page.locator("header nav.langs").is_visible()
    finally:
        context.close()


def test_wide_screen_keeps_the_full_navigation(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/en/sign-in")
        page.fill("input[name=login]", DEMO_RETURNEE)
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form[action$='/sign-in'] button[type=submit]").click()
        page.wait_for_url("**/en/my/")
        assert page.locator("header nav.main-nav a").first.is_visible()
        assert not page.locator("header details.menu").is_visible()
    finally:
        context.close()
