"""Template filters of the staff pages (registered app-wide by the triage blueprint)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_percent, format_timedelta, get_locale

from portal.db import utcnow
from portal.i18n import LANGUAGES
from portal.models import Vulnerability
from portal.triage import bp


@bp.app_template_filter("age")
def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in words of the current language ("3 days")."""
    if moment is None:
        return ""
    return format_timedelta((now or utcnow()) - moment, granularity="hour", threshold=1.5)


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    return format_percent(value) if value is not None else ""


@bp.app_template_filter("country")
def country(code: str | None) -> str:
    """A country's name in the current language from its ISO code."""
    if not code:
        return ""
    locale = get_locale()
    return (locale.territories.get(code.upper()) if locale else None) or code


@bp.app_template_filter("language_name")
def language_name(code: str | None) -> str:
    return LANGUAGES.get(code or "", code or "")


@bp.app_template_global()
def vulnerability_label(value: str) -> str:
    try:
        return Vulnerability(value).label
    except ValueError:
        return value


@bp.app_template_global()
def answer_rows(category, answers) -> list[tuple[str, str]]:
    from portal.answers import answer_rows as rows

    return rows(category, answers)
