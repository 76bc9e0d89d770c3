"""The quick date and age formats of the staff pages write what Babel writes."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale, format_date, format_datetime, format_timedelta

from portal.i18n import LANGUAGES
from portal.templating import DATE_PATTERNS, format_day, format_moment, id_url
from portal.triage.filters import AGE_THRESHOLD, age

NOW = datetime(2026, 11, 30, 21, 7, 3, 250_000, tzinfo=UTC)


def _deltas():
    rng = random.Random(7)
    edges = [0, 1, 59, 60, 3599, 3600, 5399, 5400, 5401, 86_399, 129_600, 604_800]
    for unit in (3600, 86_400, 604_800, 2_592_000, 31_536_000):  # around every change of unit
        edges += [int(unit * k) + d for k in (1, 1.5, 2, 6.5, 10.5, 18.25) for d in (-1, 0, 1)]
    return edges + [rng.randrange(0, 6 * 31_536_000) for _ in range(400)]


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_age_is_babels_format_timedelta(app, lang):
    with app.test_request_context(f"/{lang}/"):
        for seconds in _deltas():
            moment = NOW - timedelta(seconds=seconds, microseconds=seconds % 7)
            expected = format_timedelta(NOW - moment, granularity="hour", threshold=AGE_THRESHOLD)
            assert age(moment, NOW) == expected, seconds
        with force_locale("ru" if lang != "ru" else "en"):  # a notice in another language
            other = format_timedelta(timedelta(days=3), granularity="hour", threshold=1.5)
            assert age(NOW - timedelta(days=3), NOW) == other


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_dates_and_moments_are_babels_patterns(app, lang):
    rng = random.Random(lang)
    with app.test_request_context(f"/{lang}/"):
        for _ in range(300):
            moment = datetime(1990, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**9))
            pattern = DATE_PATTERNS[lang]
            assert format_moment(moment) == format_datetime(moment, f"{pattern} HH:mm")
            assert format_day(moment) == format_datetime(moment, pattern)
            assert format_moment(moment.replace(tzinfo=None)) == format_moment(moment)
            day = moment.date()
            assert format_day(day) == format_date(day, pattern)
        assert format_day(date(2026, 3, 1).isoformat()) == format_date(date(2026, 3, 1), pattern)
        assert format_day(None) == format_moment(None) == ""


def test_id_url_builds_what_url_for_builds(app):
    from flask import url_for

    with app.test_request_context("/az/"):
        link = id_url("triage.show_request", "request_id")
        for request_id in (1, 42, 987654321, 2**31 - 1):
            assert link(request_id) == url_for("triage.show_request", request_id=request_id)
