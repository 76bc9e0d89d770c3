"""Bad input on every page: a clear message at the field and in the error summary, in the
page's language, nothing typed is lost, never a 500."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.models import RequestDraft, ReturneeProfile
from tests.functional.returnee.conftest import ANSWERS

LONG = "x" * 2001


def today_local():
    return datetime.now(ZoneInfo("Asia/Baku")).date()


def _error_everywhere(body: str, field_id: str, message: str) -> None:
    """The message is next to the field and in the summary, which links to the field."""
    assert 'class="error-summary"' in body
    summary = body.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert message in summary
    assert f'href="#{field_id}"' in summary
    assert f'<p class="error" id="{field_id}-error">{message}</p>' in body


def _reach(me, slug: str) -> None:
    """Answer the pages before `slug` (of the kind of help it belongs to)."""
    if slug == "kind":
        return
    for category, steps in ANSWERS.items():
        slugs = [s for s, _ in steps] + ["details"]
        if slug in [s for s, _ in steps] or (slug == "details" and category == "housing"):
            me.step("kind", {"category": category})
            for s in slugs:
                if s == slug:
                    return
                me.step(s, dict(steps)[s])


STEP_CASES = [
    ("kind", {}, "category", "Choose the kind of help you need", None),
    ("kind", {"category": "money"}, "category", "Choose one of the options shown", None),
    ("housing", {}, "situation", "Choose where you stay now", None),
    (
        "household",
        {"household": "", "special_needs": "A baby"},
        "household",
        "Enter how many people live with you, including you",
        "A baby",
    ),
    (
        "household",
        {"household": "0", "special_needs": "A baby"},
        "household",
        "Enter a number from 1 to 30",
        'value="0"',
    ),
    ("household", {"household": "99"}, "household", "Enter a number from 1 to 30", 'value="99"'),
    (
        "household",
        {"household": "three"},
        "household",
        "Enter a number from 1 to 30",
        'value="three"',
    ),
    (
        "household",
        {"household": "2", "special_needs": "y" * 1001},
        "special_needs",
        "Use at most 1000 characters.",
        None,
    ),
    (
        "work",
        {"profession": "", "experience": "Ten years"},
        "profession",
        "Write what work you can do",
        "Ten years",
    ),
    ("work", {"profession": "p" * 201}, "profession", "Use at most 200 characters.", None),
    ("education", {"languages": ["ru"]}, "education", "Choose how much schooling you have", None),
    ("education", {"education": "higher"}, "languages", "Choose at least one language", None),
    (
        "education",
        {"education": "higher", "languages": ["ru", "xx"]},
        "languages",
        "Choose one of the options shown",
        None,
    ),
    ("training", {"work_area": "Baku"}, "training", "Choose one answer", 'value="Baku"'),
    (
        "training",
        {"training": "none", "work_area": ""},
        "work_area",
        "Write where you can work",
        None,
    ),
    ("document", {}, "document", "Choose the document you need", None),
    ("document-problem", {}, "what_happened", "Choose what happened to the document", None),
    (
        "identity",
        {"holds_identity_document": "maybe"},
        "holds_identity_document",
        "Choose one of the options shown",
        None,
    ),
    ("details", {"description": "Help me"}, "urgency", "Choose how soon you need help", "Help me"),
    (
        "details",
        {"description": LONG, "urgency": "today"},
        "description",
        "Use at most 2000 characters.",
        None,
    ),
]


@pytest.mark.parametrize(("slug", "data", "field_id", "message", "kept"), STEP_CASES)
def test_bad_answers_on_each_page(me, db, slug, data, field_id, message, kept):
    _reach(me, slug)
    db.expire_all()
    before = db.scalar(select(RequestDraft))
    before_answers = dict(before.answers) if before else None
    response = me.step(slug, data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    _error_everywhere(body, field_id, message)
    assert "<title>Error:" in body
    if kept:
        assert kept in body
    db.expire_all()
    after = db.scalar(select(RequestDraft))
    assert (dict(after.answers) if after else None) == before_answers  # nothing half-saved


def test_a_too_long_text_is_shown_again_as_typed(me):
    _reach(me, "details")
    body = me.step("details", {"description": LONG, "urgency": "today"}).get_data(as_text=True)
    assert LONG in body
    from tests.functional.returnee.test_ask_for_help import _checked

    assert _checked(body, "today")


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("az", 'lang="az"'),
        ("ru", 'lang="ru"'),
    ],
)
def test_errors_come_in_the_page_language(client, db, returnee_user, lang, message):
    from tests.conftest import sign_in
    from tests.functional.returnee.conftest import Returnee

    sign_in(client, returnee_user.login, lang=lang)
    r = Returnee(client, db, returnee_user, lang=lang)
    response = r.step("kind", {})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"<html {message}>" in body
    assert 'class="error-summary"' in body


# --- profile -----------------------------------------------------------------------------------

GOOD_PROFILE = {
    "region_code": "shaki",
    "return_date-day": "2",
    "return_date-month": "10",
    "return_date-year": "2025",
    "country_returned_from": "NO",
    "household_size": "5",
    "vulnerabilities": ["single_parent", "chronic_illness"],
    "contact_preference": "phone_call",
    "preferred_locale": "en",
}


def _future():
    d = today_local() + timedelta(days=2)
    return {
        "return_date-day": str(d.day),
        "return_date-month": str(d.month),
        "return_date-year": str(d.year),
    }


PROFILE_CASES = [
    ({"region_code": ""}, "region_code", "Choose the city or district where you live"),
    ({"region_code": "atlantis"}, "region_code", "Choose one of the options shown"),
    (
        {"return_date-day": "", "return_date-month": "", "return_date-year": ""},
        "return_date",
        "Enter the date you came back to Azerbaijan",
    ),
    ({"return_date-month": ""}, "return_date", "The date must have a day, a month and a year"),
    (
        {"return_date-day": "31", "return_date-month": "2"},
        "return_date",
        "Enter a real date, for example 15 3 2025",
    ),
    ({"return_date-day": "aa"}, "return_date", "Enter a real date, for example 15 3 2025"),
    ({"return_date-year": "25"}, "return_date", "Enter the year with 4 digits, for example 2025"),
    ("future", "return_date", "The date cannot be in the future"),
    (
        {"country_returned_from": ""},
        "country_returned_from",
        "Choose the country you came back from",
    ),
    ({"country_returned_from": "AZ"}, "country_returned_from", "Choose one of the options shown"),
    (
        {"household_size": ""},
        "household_size",
        "Enter how many people live with you, including you",
    ),
    ({"household_size": "0"}, "household_size", "Enter a number from 1 to 30"),
    ({"household_size": "99"}, "household_size", "Enter a number from 1 to 30"),
    ({"household_size": "-1"}, "household_size", "Enter a number from 1 to 30"),
    (
        {"vulnerabilities": ["prefer_not_to_say", "disability"]},
        "vulnerabilities",
        "Choose “I prefer not to say” alone, or remove it",
    ),
    ({"vulnerabilities": ["rich"]}, "vulnerabilities", "Choose one of the options shown"),
    ({"contact_preference": ""}, "contact_preference", "Choose how you want us to contact you"),
    ({"contact_preference": "email"}, "contact_preference", "Choose one of the options shown"),
    ({"preferred_locale": "de"}, "preferred_locale", "Choose one of the options shown"),
]


@pytest.mark.parametrize(("change", "field_id", "message"), PROFILE_CASES)
def test_bad_profile_input_is_explained_and_kept(me, db, change, field_id, message):
    data = {**GOOD_PROFILE, **(_future() if change == "future" else change)}
    response = me.post("profile", data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    _error_everywhere(body, field_id, message)
    # What was typed is still there.
    if field_id != "household_size":
        assert 'value="5"' in body
    if field_id != "return_date":
        assert 'value="2025"' in body
    if field_id != "region_code":
        assert re.search(r'<option (selected )?value="shaki"( selected)?>', body).group(1, 2) != (
            None,
            None,
        )
    db.expire_all()
    profile = db.scalar(select(ReturneeProfile).where(ReturneeProfile.user_id == me.user.id))
    assert profile.region_code == "ganja"  # unchanged


def test_a_return_today_is_not_in_the_future(me, db):
    d = today_local()
    data = {
        **GOOD_PROFILE,
        "return_date-day": str(d.day),
        "return_date-month": str(d.month),
        "return_date-year": str(d.year),
    }
    assert me.post("profile", data).status_code == 302


def test_profile_errors_in_russian(client, db, returnee_user):
    from tests.conftest import sign_in
    from tests.functional.returnee.conftest import Returnee

    sign_in(client, returnee_user.login, lang="ru")
    r = Returnee(client, db, returnee_user, lang="ru")
    response = r.post("profile", {**GOOD_PROFILE, "household_size": "99"})
    assert response.status_code == 400
    assert '<html lang="ru">' in response.get_data(as_text=True)


def test_a_bad_csrf_token_keeps_the_answers(me):
    _reach(me, "details")
    response = me.client.post(
        "/en/my/ask/details", data={"csrf_token": "forged", "description": "Keep me"}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This form could not be checked" in body
    assert "Keep me" in body
