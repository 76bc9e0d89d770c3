"""Languages, locale selection and the URL language prefix."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel import Locale
from flask import Flask, g, request
from flask.globals import _cv_app  # the application context's variable: see current_locale
from flask_babel import Babel, get_locale, get_translations
from flask_babel import lazy_gettext as _l  # noqa: F401 - re-exported
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup, escape
from werkzeug.routing import BaseConverter

# Endonyms: each language is named in itself.
LANGUAGES: dict[str, str] = {"az": "Azərbaycanca", "ru": "Русский", "en": "English"}
DEFAULT_LOCALE = "az"
LANG_COOKIE = "lang"


class LangConverter(BaseConverter):
    """Matches only the supported language codes, so /xx/... is a plain 404."""

    regex = "(?:" + "|".join(LANGUAGES) + ")"


def negotiated_locale() -> str:
    """The user's setting, then the cookie, then Accept-Language, then az."""
    try:
        pref = current_user.preferred_locale if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 - the database may be down: an error page still speaks
        pref = None
    if pref in LANGUAGES:
        return pref
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LOCALE


def select_locale() -> str:
    lang = g.get("lang_code")
    if lang in LANGUAGES:
        return lang
    if not request:
        return DEFAULT_LOCALE
    # Pages that matched no route (404, 405) still speak the language of their prefix.
    prefix = request.path.split("/", 2)[1] if request.path.count("/") >= 2 else ""
    if prefix in LANGUAGES:
        return prefix
    return negotiated_locale()


babel = Babel()

# The compiled catalogue of each language, by locale. flask-babel keeps them too, but finding
# them again costs several context-local lookups and a locale name per call, and a staff page
# makes a hundred calls. The catalogues are compiled before the portal starts and never
# reloaded while it runs.
_CATALOGUES: dict[tuple, Any] = {}


def current_locale() -> Locale | None:
    """The locale in force: the request's, or the one `force_locale` set (a notice in the
    returnee's language while the page is in the worker's). None outside a request.

    Read from the application context itself: through the `g` proxy each read costs eight
    times as much, and a staff page reads the locale a few hundred times (every translated
    string and label)."""
    try:
        locale = _cv_app.get().g._flask_babel.babel_locale
    except (AttributeError, LookupError):  # not chosen yet, or no app context
        locale = None
    return locale if locale is not None else get_locale()


def locale_key(locale: Locale) -> tuple:
    return (locale.language, locale.territory, locale.script, locale.variant)


# The last locale object seen and its catalogue (one tuple, replaced whole: threads read it
# safely): the same locale object serves a whole request.
_last: tuple = (None, None)


def catalogue():
    """The translations of the locale in force (what flask-babel's get_translations gives)."""
    locale = current_locale()
    if locale is None:
        return get_translations()
    global _last  # noqa: PLW0603 - a one-entry cache
    last = _last
    if last[0] is locale:
        return last[1]
    key = locale_key(locale)
    found = _CATALOGUES.get(key)
    if found is None:
        found = _CATALOGUES[key] = get_translations()
    _last = (locale, found)
    return found


# flask-babel's gettext, ngettext and pgettext (the same texts and formatting) reading the
# catalogue the quick way: see catalogue.
def gettext(string: str, **variables) -> str:
    s = catalogue().ugettext(string)
    return s if not variables else s % variables


_ = gettext


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    s = catalogue().ungettext(singular, plural, num)
    return s if not variables else s % variables


def pgettext(context: str, string: str, **variables) -> str:
    s = catalogue().upgettext(context, string)
    return s if not variables else s % variables


def _gettext(s):
    return catalogue().ugettext(s)


def _ngettext(s, p, n):
    return catalogue().ungettext(s, p, n)


def _pgettext(c, s):
    return catalogue().upgettext(c, s)


def _npgettext(c, s, p, n):
    return catalogue().unpgettext(c, s, p, n)


def _formatted(eval_ctx, text: str, variables: dict):
    """Jinja's newstyle rule: the translation is always a format string, and is markup (its
    values escaped) where the template escapes. The values are escaped here, each once (what
    Markup's % does, through a Python helper object per value); numbers stay numbers for
    %d."""
    if not variables and "%" not in text:
        # what formatting with nothing would give
        return Markup(text) if eval_ctx.autoescape else text  # noqa: S704 - our catalogue
    if not eval_ctx.autoescape:
        return text % variables
    escaped = {
        name: value if isinstance(value, int | float | Decimal) else escape(value)
        for name, value in variables.items()
    }
    return Markup(text % escaped)  # noqa: S704 - our catalogue's text, its values escaped


# Jinja's newstyle gettext functions take the whole template context, and a call made where a
# block has set variables ({% set %} in a block, loop variables) first copies that context: a
# staff page makes about a hundred such calls. These take only the evaluation context (for
# autoescape), which Jinja hands over as it is, and give the same text.
@pass_eval_context
def _jinja_gettext(eval_ctx, string, /, **variables):
    return _formatted(eval_ctx, _gettext(string), variables)


@pass_eval_context
def _jinja_ngettext(eval_ctx, singular, plural, num, /, **variables):
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _ngettext(singular, plural, num), variables)


@pass_eval_context
def _jinja_pgettext(eval_ctx, context, string, /, **variables):
    variables.setdefault("context", context)
    return _formatted(eval_ctx, _pgettext(context, string), variables)


@pass_eval_context
def _jinja_npgettext(eval_ctx, context, singular, plural, num, /, **variables):
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _npgettext(context, singular, plural, num), variables)


_JINJA_GETTEXT = {
    "_": _jinja_gettext,
    "gettext": _jinja_gettext,
    "ngettext": _jinja_ngettext,
    "pgettext": _jinja_pgettext,
    "npgettext": _jinja_npgettext,
}


def init_app(app: Flask) -> None:
    app.url_map.converters["lang"] = LangConverter
    babel.init_app(app, locale_selector=select_locale)
    # The callables of Jinja's i18n extension in its "newstyle" (what flask-babel installs),
    # installed first so that the extension compiles {% trans %} for them, then replaced by the
    # same functions reading the catalogue the quick way (_JINJA_GETTEXT).
    app.jinja_env.install_gettext_callables(
        gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext,
        newstyle=True,
    )  # fmt: skip
    app.jinja_env.globals.update(_JINJA_GETTEXT)

    @app.url_value_preprocessor
    def _pull_lang(endpoint, values):  # noqa: ARG001
        if values and "lang_code" in values:
            g.lang_code = values.pop("lang_code")

    expects_lang: dict[str, bool] = {}  # per endpoint: werkzeug walks its rules every time

    @app.url_defaults
    def _add_lang(endpoint, values):
        if "lang_code" in values:
            return
        expects = expects_lang.get(endpoint)
        if expects is None:
            expects = expects_lang[endpoint] = app.url_map.is_endpoint_expecting(
                endpoint, "lang_code"
            )
        if expects:
            values["lang_code"] = g.get("lang_code") or DEFAULT_LOCALE

    @app.after_request
    def _remember_lang(response):
        lang = g.get("lang_code")
        if lang and request.cookies.get(LANG_COOKIE) != lang:
            response.set_cookie(
                LANG_COOKIE,
                lang,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                httponly=True,
                secure=app.config["SESSION_COOKIE_SECURE"],
            )
        return response


def upper_first(text: str, locale: str | None = None) -> str:
    """The text with its first letter in upper case, the way the language writes it.

    `str.capitalize()` lowers the rest and turns the Azerbaijani (and Turkish) dotted i into a
    dotless I ("ingilis" -> "Ingilis"); here only the first letter changes ("İngilis").
    """
    if not text:
        return text
    if locale is None:
        current = get_locale()
        locale = current.language if current else DEFAULT_LOCALE
    first = text[0]
    if first == "i" and str(locale).split("_")[0] in ("az", "tr"):
        return "İ" + text[1:]
    return first.upper() + text[1:]
