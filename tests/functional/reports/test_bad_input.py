"""The issue's bad input, in each language: a message from the catalogue next to the field
it is about, status 400, never a 500 (the report page, a figure's CSV, the case export and the
monthly print)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select

from portal.models import Event, Role
from tests.conftest import csrf_token

LANGS = ("az", "ru", "en")

# (query, field the message stands next to, the message's msgid)
BAD = [
    ("period=custom&start=2026-02-01&end=2026-01-01", "end",
     "The last day cannot be before the first day."),
    ("period=custom&start=1999-12-31&end=2026-01-01", "start",
     "Choose a date between 2000 and 2100."),
    ("period=custom&start=2026-01-01&end=2101-01-01", "end",
     "Choose a date between 2000 and 2100."),
    ("period=custom&start=2020-01-01&end=2026-01-01", "end",
     "Choose a period of at most three years."),
    ("period=custom&start=31.01.2026&end=2026-02-01", "start", "Enter a date like 2026-01-31."),
    ("period=custom&end=2026-02-01", "start", "Enter the first day of the period."),
    ("period=custom&start=2026-01-01", "end", "Enter the last day of the period."),
    ("period=decade", "period", "Choose a value from the list."),
    ("kind=pets", "kind", "Choose a value from the list."),
    ("region=atlantis", "region", "Choose a value from the list."),
    ("partner=999999", "partner", "Choose a value from the list."),
    ("partner=abc", "partner", "Choose a value from the list."),
]  # fmt: skip


def _in(app, lang: str, msgid: str) -> str:
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        return _(msgid)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("query", "field", "msgid"), BAD)
def test_bad_period_or_filter_is_explained_next_to_its_field(
    app, client, login_as, lang, query, field, msgid
):
    login_as(Role.SOCIAL_WORKER)
    expected = _in(app, lang, msgid)
    if lang != "en":
        assert expected != msgid, f"{msgid!r} has no {lang} translation"
    next_to_field = f'<p class="error" id="{field}-error">{escape(expected)}</p>'
    for url in (f"/{lang}/reports/?{query}", f"/{lang}/reports/cases?{query}"):
        page = client.get(url)
        assert page.status_code == 400, url
        assert next_to_field in page.get_data(as_text=True), url
    # A figure's CSV answers in plain text, in the language, naming the field.
    csv = client.get(f"/{lang}/reports/figures/outcomes.csv?{query}")
    assert csv.status_code == 400
    assert csv.mimetype == "text/plain"
    assert expected in csv.get_data(as_text=True)


@pytest.mark.parametrize("lang", LANGS)
def test_the_case_export_refuses_a_bad_period_and_records_nothing(app, client, login_as, db, lang):
    login_as(Role.SOCIAL_WORKER)
    token = csrf_token(client, f"/{lang}/reports/cases")
    data = {"csrf_token": token, "period": "custom", "start": "2026-03-01",
            "end": "2026-02-01", "personal": "0"}  # fmt: skip
    response = client.post(f"/{lang}/reports/cases", data=data)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    expected = _in(app, lang, "The last day cannot be before the first day.")
    assert f'<p class="error" id="end-error">{escape(expected)}</p>' in response.get_data(
        as_text=True
    )
    assert db.scalars(select(Event).where(Event.kind == "cases_exported")).all() == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_a_personal_export_without_a_usable_reason_is_refused_next_to_the_field(
    app, client, login_as, factory, db, lang, reason
):
    factory.request()
    login_as(Role.ADMIN)
    token = csrf_token(client, f"/{lang}/reports/cases")
    data = {"csrf_token": token, "period": "year", "personal": "1", "reason": reason}
    response = client.post(f"/{lang}/reports/cases", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    if len(reason) > 300:
        # The form's own length check (in the language) stands next to the field.
        assert '<p class="error" id="reason-error">' in html
    else:
        expected = _in(app, lang, "Say why you need names and phone numbers.")
        assert f'<p class="error" id="reason-error">{escape(expected)}</p>' in html
    assert reason.strip() == "" or reason in html  # what was typed is kept
    assert db.scalars(select(Event).where(Event.kind == "cases_exported")).all() == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("month", "msgid"),
    [
        ("2025-13", "Enter a month like 2026-01."),
        ("March", "Enter a month like 2026-01."),
        ("1999-12", "Choose a date between 2000 and 2100."),
        ("2101-01", "Choose a date between 2000 and 2100."),
    ],
)
def test_the_monthly_report_explains_a_bad_month(app, client, login_as, lang, month, msgid):
    login_as(Role.SOCIAL_WORKER)
    page = client.get(f"/{lang}/reports/monthly?month={month}")
    assert page.status_code == 400
    assert escape(_in(app, lang, msgid)) in page.get_data(as_text=True)
