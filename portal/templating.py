"""Template globals and filters, static file versioning, and security headers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, url_for
from flask_babel import format_currency, format_decimal
from flask_login import current_user
from markupsafe import Markup, escape

from portal import pagecache
from portal.i18n import LANGUAGES, current_locale
from portal.phones import display_phone
from portal.regions import region_name

# One date and one date-and-time format per language: 4-digit year, 24-hour clock; English in
# the day-month order of en_GB (the order used in Azerbaijan), not the US one.
DATE_PATTERNS = {"az": "dd.MM.yyyy", "ru": "dd.MM.yyyy", "en": "dd/MM/yyyy"}
# The same patterns for strftime. They hold only zero-padded numbers, which Babel writes with
# the same digits in all three languages, so a staff page that shows a hundred dates skips
# Babel's pattern machinery (tests/unit/test_formats.py compares the two).
_STRFTIME = {"az": "%d.%m.%Y", "ru": "%d.%m.%Y", "en": "%d/%m/%Y"}


def _strftime_pattern() -> str:
    locale = current_locale()
    return _STRFTIME.get(locale.language if locale else "az", _STRFTIME["az"])


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(moment: datetime) -> datetime:
    """The moment in the portal's time zone (a naive one is taken as UTC, as Babel does)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def format_day(value, fmt: str | None = None) -> str:  # noqa: ARG001 - one format per locale
    """A date (or the date of a datetime) in the page's language, e.g. 30.11.2026."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = _local(value)
    return value.strftime(_strftime_pattern())


def format_moment(value, fmt: str | None = None) -> str:  # noqa: ARG001 - one format per locale
    """A moment in the portal's time zone, e.g. 30.11.2026 17:36."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return format_day(value)
    return _local(value).strftime(_strftime_pattern() + " %H:%M")


def described_by(field) -> str:
    """The ids a form field's aria-describedby names: its hint and its error, when shown."""
    ids = []
    if field.description:
        ids.append(f"{field.id}-hint")
    if field.errors:
        ids.append(f"{field.id}-error")
    return " ".join(ids)


def id_url(endpoint: str, name: str) -> Callable[[int], str]:
    """url_for(endpoint, **{name: id}) for many ids at the cost of one: a queue page links
    every row to its request, and building each link through the URL map costs more than
    the row's other cells together."""
    marker = 987654321
    head, tail = url_for(endpoint, **{name: marker}).split(str(marker), 1)
    return lambda value: f"{head}{int(value)}{tail}"


@cache
def _file_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def format_azn(amount) -> str:
    """An amount in manats as the page's locale writes money, always with two decimals."""
    if amount is None:
        return ""
    return format_currency(amount, "AZN", currency_digits=True)


def switch_language_url(lang: str) -> str:
    """The current page in another language: its own endpoint and view arguments only.

    Never the query string: its names could collide with url_for's own parameters
    (?endpoint=1, ?_external=1) or carry anything a visitor put there.
    """
    endpoint = request.endpoint
    rule = request.url_rule
    if not endpoint or rule is None or "lang_code" not in rule.arguments:
        return url_for("public.home", lang_code=lang)
    args = {k: v for k, v in (request.view_args or {}).items() if k in rule.arguments}
    args["lang_code"] = lang
    try:
        return url_for(endpoint, **args)
    except Exception:  # noqa: BLE001 - a link in the page header must never break the page
        return url_for("public.home", lang_code=lang)


def _logout_form():
    """The header's sign-out form (twice in the page: narrow and wide screens), made once."""
    if "logout_form" not in g:
        from portal.auth.forms import LogoutForm

        g.logout_form = LogoutForm()
    return g.logout_form


def csrf_field(with_id: bool = True) -> Markup:
    """The page's CSRF token as a hidden field, written as WTForms writes a form's
    csrf_token field (the header's sign-out forms: two on every signed-in page)."""
    id_attr = 'id="csrf_token" ' if with_id else ""
    token = escape(page_csrf_token())
    return Markup(f'<input {id_attr}name="csrf_token" type="hidden" value="{token}">')  # noqa: S704


def fixed_url(endpoint: str) -> str:
    """url_for(endpoint) for a page whose address has nothing but the language in it (the
    header's and footer's links, a dozen on every page): built once per language."""
    from portal.i18n import DEFAULT_LOCALE

    key = (endpoint, g.get("lang_code") or DEFAULT_LOCALE, request.script_root)
    urls = current_app.extensions.setdefault("fixed_urls", {})
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint)
    return url


def page_csrf_token() -> str:
    """The CSRF token of the page (the sign-out form's): every form of ours takes the same
    session-keyed token, so a page's other forms can carry it without being made."""
    return _logout_form().csrf_token.current_token


def hotline_link(phone: str) -> Markup:
    """The hotline number as a tap-to-call link, to pass as %(phone)s into translated text."""
    return Markup('<a href="tel:{}">{}</a>').format(phone.replace(" ", ""), phone)


def _contact_label(value: str | None) -> str:
    from portal.models import ContactPreference

    try:
        return ContactPreference(value).label if value else ""
    except ValueError:
        return value or ""


def init_app(app: Flask) -> None:
    fixed = {  # the same for every page
        "LANGUAGES": LANGUAGES,
        "switch_language_url": switch_language_url,
        "hotline": app.config["HOTLINE_PHONE"],
        "logout_form": _logout_form,
        "contact_label": _contact_label,
        "hotline_link": hotline_link(app.config["HOTLINE_PHONE"]),
        "hotline_tel": "tel:" + app.config["HOTLINE_PHONE"].replace(" ", ""),
    }

    @app.context_processor
    def _globals():
        locale = current_locale()
        return {**fixed, "current_lang": str(locale) if locale is not None else "az"}

    app.jinja_env.globals["described_by"] = described_by
    app.jinja_env.globals["kept_fragment"] = pagecache.kept_fragment
    app.jinja_env.filters["date"] = format_day
    app.jinja_env.filters["datetime"] = format_moment
    app.jinja_env.filters["isodate"] = format_day
    app.jinja_env.filters["isodatetime"] = format_moment
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["phone"] = display_phone
    app.jinja_env.filters["azn"] = format_azn
    app.jinja_env.filters["region"] = lambda code: region_name(code)
    app.jinja_env.globals["fixed_url"] = fixed_url
    app.jinja_env.globals["csrf_field"] = csrf_field
    static_urls: dict[tuple[str, str], str] = {}

    def static_url(filename: str) -> str:
        """The file's address with its content's hash (kept as long as the process runs:
        static files change only with a new release)."""
        key = (filename, request.script_root)
        url = static_urls.get(key)
        if url is None:
            url = static_urls[key] = url_for(
                "static", filename=filename, v=_file_hash(str(Path(app.static_folder) / filename))
            )
        return url

    app.jinja_env.globals["static_url"] = static_url
    # Jinja's i18n extension and its gettext functions are installed by i18n.init_app.
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.after_request
    def _compress_errors(response):
        """Flask-Compress skips non-2xx responses; a form with errors (400) or an error page
        costs a returnee the same prepaid data, so compress those too."""
        if 400 <= response.status_code < 600 and "Content-Encoding" not in response.headers:
            from portal.extensions import compress

            status = response.status_code
            response.status_code = 200
            try:
                response = compress.after_request(response)
            finally:
                response.status_code = status
        return response

    @app.after_request
    def _headers(response):
        return security_headers(response)


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


_SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


def security_headers(response):
    """The headers every page carries (error pages too: errors.render_error sets them itself)."""
    h = response.headers
    present = {name.lower() for name, _value in h.items()}  # one pass, not one per header
    for name, value in _SECURITY_HEADERS:
        if name.lower() not in present:
            h.add(name, value)
    if request.endpoint == "static":
        if request.args.get("v"):
            h["Cache-Control"] = "public, max-age=31536000, immutable"
    elif _signed_in() or g.get("no_store"):
        # Personal data must not stay in the cache of a shared phone.
        h["Cache-Control"] = "no-store"
    return response


def _signed_in() -> bool:
    try:
        return bool(getattr(current_user, "is_authenticated", False))
    except Exception:  # noqa: BLE001 - the database may be what failed; assume personal data
        return True
