"""The templates' gettext functions (portal/i18n.py) format a translation as Jinja's own
newstyle functions do: the values escaped where the template escapes, numbers kept for %d."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import lazy_gettext
from jinja2.nodes import EvalContext
from markupsafe import Markup

from portal import create_app
from portal.i18n import _formatted

VALUES = {
    "text": 'Ann & "Bob" <b>O\'Neil</b>',
    "markup": Markup("<em>kept</em>"),
    "n": 3,
    "share": 0.256,
    "amount": Decimal("1250.50"),
    "none": None,
    "flag": True,
}
FORMATS = [
    "%(text)s said %(markup)s",
    "%(n)d requests, %(share).1f of them, %(amount)s AZN",
    "%(amount).2f and %(n)s and %(none)s and %(flag)s",
    "100%% done: %(text)s",
]


@pytest.fixture(scope="module")
def app():
    return create_app({"CONFIG_NAME": "testing", "DATABASE_URL": "sqlite://"})


@pytest.mark.parametrize("text", FORMATS)
@pytest.mark.parametrize("autoescape", [True, False])
def test_formatted_as_markup_percent_gives(app, text, autoescape):
    ctx = EvalContext(app.jinja_env)
    ctx.autoescape = autoescape
    got = _formatted(ctx, text, dict(VALUES))
    expected = Markup(text) % VALUES if autoescape else text % VALUES  # noqa: S704
    assert got == expected
    assert isinstance(got, Markup) == autoescape


def test_a_lazy_string_value_is_escaped_as_before(app):
    ctx = EvalContext(app.jinja_env)
    ctx.autoescape = True
    with app.test_request_context("/en/"):
        lazy = lazy_gettext("Requests")
        assert _formatted(ctx, "<%(x)s>", {"x": lazy}) == Markup("<%(x)s>") % {"x": lazy}


def test_no_values(app):
    ctx = EvalContext(app.jinja_env)
    ctx.autoescape = True
    assert _formatted(ctx, "Plain <b>text</b>", {}) == Markup("Plain <b>text</b>")
