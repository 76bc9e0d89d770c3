"""Template filters of the staff pages (registered app-wide by the triage blueprint)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from babel.dates import TIMEDELTA_UNITS
from flask_babel import format_percent, format_timedelta, get_locale

from portal.db import utcnow
from portal.i18n import LANGUAGES, current_locale, locale_key
from portal.models import Vulnerability
from portal.triage import bp


@bp.app_template_filter("age")
def age(moment: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in words of the current language ("3 days")."""
    if moment is None:
        return ""
    seconds = abs(((now or utcnow()) - moment).total_seconds())
    # Babel's choice of unit and count (format_timedelta, threshold 1.5, hours at least),
    # so that the words are built once per language, unit and count rather than per row.
    for unit, unit_seconds in TIMEDELTA_UNITS:
        value = seconds / unit_seconds
        if value >= AGE_THRESHOLD or unit == "hour":
            if unit == "hour" and value > 0:
                value = max(1, value)
            count = int(round(value))
            locale = current_locale()
            return _age_words(locale_key(locale) if locale else None, unit, unit_seconds, count)
    return ""  # not reached: hours end the loop


AGE_THRESHOLD = 1.5


@lru_cache(maxsize=1024)
def _age_words(_locale: tuple | None, unit: str, unit_seconds: int, count: int) -> str:
    """The words for `count` units in the current language (the locale is the cache key):
    Babel's own words, held to that unit by an unreachable threshold."""
    return format_timedelta(
        timedelta(seconds=unit_seconds * count), granularity=unit, threshold=float("inf")
    )


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    """A share as the page's language writes a percentage ("83 %", "83%")."""
    if value is None:
        return ""
    locale = current_locale()
    return _percent(locale_key(locale) if locale else None, value)


@lru_cache(maxsize=4096)
def _percent(_locale: tuple | None, value: float) -> str:
    """Babel's words for the share, once per language and value (the locale is the key):
    the routing suggestions show a share per partner on every request page."""
    return format_percent(value)


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
