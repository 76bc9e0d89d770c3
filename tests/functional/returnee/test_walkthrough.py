"""What the phone walk-through found: dates, country list, role label, status words."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from portal.models import AssistanceRequest, RequestStatus

S = RequestStatus


@pytest.mark.parametrize(
    ("lang", "date_text", "moment_text"),
    [
        ("az", "25.11.2026", "25.11.2026 16:32"),
        ("ru", "25.11.2026", "25.11.2026 16:32"),
        ("en", "25/11/2026", "25/11/2026 16:32"),
    ],
)
def test_one_date_format_per_locale(me, factory, db, lang, date_text, moment_text):
    req = factory.request(me.user, S.SUBMITTED)
    moment = datetime(2026, 11, 25, 12, 32, tzinfo=UTC)  # 16:32 in Baku
    db.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id == req.id)
        .values(created_at=moment, updated_at=moment)
    )
    from portal.models import Event

    db.execute(update(Event).where(Event.request_id == req.id).values(created_at=moment))
    db.commit()
    me.lang = lang
    page = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert moment_text in page
    assert date_text in page
    assert not re.search(r"\b\d{1,2}[./]\d{1,2}[./]\d{2}\b(?!\d)", page)  # no 2-digit years
    # a 12-hour clock ("4:32 PM"); a reference such as "AMV8-MFCV" is not one
    assert not re.search(r"\d:\d\d\s?[AP]M\b", page)
    home = me.get("").get_data(as_text=True)
    assert date_text in home


def _country_options(body: str) -> list[tuple[str, str]]:
    select = body[body.index('name="country_returned_from"') :]
    select = select[: select.index("</select>")]
    return re.findall(r'<option[^>]*value="([A-Z]{2})"[^>]*>([^<]+)</option>', select)


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_country_list_is_iso_countries_with_readmission_countries_first(me, lang):
    me.lang = lang
    body = me.get("profile").get_data(as_text=True)
    options = _country_options(body)
    codes = [c for c, _ in options]
    assert len(codes) == len(set(codes))
    assert "CQ" not in codes and "EA" not in codes and "XK" not in codes and "AZ" not in codes
    assert 200 < len(codes) < 250
    first = set(codes[:35])
    assert {"DE", "FR", "NO", "CH", "GB", "RU", "TR", "UA"} <= first
    assert "US" not in first
    assert "optgroup" in body
    for _, name in options:
        assert name[:1] == name[:1].upper(), name
        assert "dialekt" not in name and "диалект" not in name


def test_russian_island_names_are_filed_under_their_name(me):
    me.lang = "ru"
    names = [n for _, n in _country_options(me.get("profile").get_data(as_text=True))]
    others = names[35:]
    assert not others[0].startswith("о-в")
    cook = next(n for n in others if "Кука" in n)
    # "о-ва Кука" sits among the К, not at the end among the О.
    assert others.index(cook) < others.index(next(n for n in others if n.startswith("Л")))


def test_header_has_no_role_label_for_returnees(me):
    body = me.get("").get_data(as_text=True)
    header = body[: body.index('<main id="main"')]
    assert "(Returnee)" not in header
    assert me.user.full_name in header


def test_status_label_with_plain_words_below(me, factory):
    req = factory.request(me.user, S.SUBMITTED)
    body = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert ">Submitted</p>" in body
    assert 'class="status-words"' in body


def test_pages_with_errors_are_compressed(me):
    response = me.client.post(
        "/en/my/profile",
        data={"csrf_token": me.csrf, "household_size": "x"},
        headers={"Accept-Encoding": "gzip"},
    )
    assert response.status_code == 400
    assert response.headers.get("Content-Encoding") == "gzip"
    missing = me.client.get("/en/my/no-such-page", headers={"Accept-Encoding": "gzip"})
    assert missing.status_code == 404
    assert missing.headers.get("Content-Encoding") == "gzip"


def test_back_after_submitting_says_already_sent(me):
    me.fill("documentation")
    me.submit()
    (req,) = me.requests()
    back = me.get("ask/check")
    assert back.status_code == 200
    body = back.get_data(as_text=True)
    assert 'id="already-sent"' in body
    assert f'href="/en/my/requests/{req.reference}"' in body


def test_first_profile_continues_to_asking_for_help(client, factory, db):
    from portal.models import Role
    from tests.conftest import sign_in
    from tests.functional.returnee.conftest import Returnee

    user = factory.user(Role.RETURNEE)
    assert sign_in(client, user.login).status_code == 302
    r = Returnee(client, db, user)
    response = r.post(
        "profile",
        {
            "region_code": "shaki",
            "return_date-day": "2",
            "return_date-month": "10",
            "return_date-year": "2025",
            "country_returned_from": "NO",
            "household_size": "5",
            "contact_preference": "phone_call",
            "preferred_locale": "en",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == "/en/my/ask/"
