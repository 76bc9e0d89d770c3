"""The browser checks catch regressions (issue 6, "Done when").

Each defect is injected into a loaded returnee page (nothing in templates/ changes): an input
without a label, an image without alt text, a script from another host, a too-wide element and a
too-heavy page. The check that must catch it has to raise AssertionError; the clean page passes.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import (
    MAX_PAGE_BYTES,
    PASSWORD,
    WEIGHTS,
    check_accessible,
    check_fits_320,
    check_weight,
)

DEMO_RETURNEE = "+994501110001"
CDN_SCRIPT = "https://cdn.example.com/x.js"


@pytest.fixture
def returnee_page(live_server, phone):
    """(context, page) of a signed-in demo returnee on their 'my requests' page."""
    context = phone("az")
    page = context.new_page()
    page.goto(f"{live_server}/az/sign-in")
    page.fill("input[name=login]", DEMO_RETURNEE)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action$='/sign-in'] button[type=submit]").click()
    page.wait_for_url("**/az/my/")
    return context, page


def inject(page, html: str) -> None:
    page.evaluate(
        "html => document.querySelector('main').insertAdjacentHTML('beforeend', html)", html
    )


def test_clean_page_passes(returnee_page):
    context, page = returnee_page
    check_accessible(page, "guard-clean")
    check_fits_320(page, "guard-clean")
    check_weight(context, page, "guard-clean")
    WEIGHTS.pop("guard-clean", None)  # not a page of the product's journey


@pytest.mark.parametrize(
    ("defect", "rule"),
    [
        ('<input type="text" name="unlabelled">', "label"),
        ('<img src="/static/img/favicon.svg">', "image-alt"),
    ],
    ids=["unlabelled-input", "image-without-alt"],
)
def test_axe_catches(returnee_page, defect, rule):
    _context, page = returnee_page
    inject(page, defect)
    with pytest.raises(AssertionError) as caught:
        check_accessible(page, "guard")
    assert re.search(rf"[\"']{rule}: ", str(caught.value)), caught.value


def test_width_check_catches_a_too_wide_element(returnee_page):
    _context, page = returnee_page
    inject(page, '<div id="too-wide">wide</div>')
    # Through the CSSOM: the portal's CSP refuses inline style attributes.
    page.evaluate("document.getElementById('too-wide').style.width = '600px'")
    with pytest.raises(AssertionError, match="wide at 320px"):
        check_fits_320(page, "guard")


def _serve_on_own_origin(context, page, html: str) -> str:
    """Serve `html` from a URL on the live server's own origin; returns that URL."""
    url = f"{page.url.split('/az/')[0]}/az/e2e-guard"
    context.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    return url


def test_host_check_catches_an_external_script(returnee_page):
    context, page = returnee_page
    html = page.content().replace("</head>", f'<script src="{CDN_SCRIPT}"></script></head>', 1)
    assert CDN_SCRIPT in html
    # Answer the other host here so nothing leaves the machine; the request is still made.
    context.route(
        "https://cdn.example.com/**",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body="1;"),
    )
    page.goto(_serve_on_own_origin(context, page, html))
    with pytest.raises(AssertionError, match="requests other hosts") as caught:
        check_weight(context, page, "guard-external")
    assert CDN_SCRIPT in str(caught.value)
    assert urlsplit(CDN_SCRIPT).netloc != urlsplit(page.url).netloc
    assert "guard-external" not in WEIGHTS


def test_weight_check_catches_a_heavy_page(returnee_page):
    context, page = returnee_page
    filler = os.urandom(MAX_PAGE_BYTES).hex()  # random: does not compress below the limit
    html = page.content().replace("</main>", f"<p hidden>{filler}</p></main>", 1)
    page.goto(_serve_on_own_origin(context, page, html))
    with pytest.raises(AssertionError, match="transfers"):
        check_weight(context, page, "guard-heavy")
    WEIGHTS.pop("guard-heavy", None)
