"""Code-side fixes of the translation reviews: locale-aware capitals, language names mid-list,
"Name" split by context, no role label after a returnee's own name, sentence-start capitals."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from portal.i18n import upper_first
from portal.models import Role
from portal.returnee.choices import SpokenLanguage, answer_label


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("ingilis", "az", "İngilis"),
        ("ingilis dili", "tr", "İngilis dili"),
        ("английский", "ru", "Английский"),
        ("iOS app", "en", "IOS app"),
        ("rus", "az", "Rus"),
        ("", "az", ""),
    ],
)
def test_upper_first_changes_only_the_first_letter_the_language_s_way(text, locale, expected):
    assert upper_first(text, locale) == expected


def test_language_options_start_with_a_capital_and_lists_continue_in_lowercase(app):
    with app.test_request_context("/az/"), force_locale("az"):
        assert SpokenLanguage.EN.label == "İngilis"
        assert answer_label("languages", ["az", "en"]) == "Azərbaycan, ingilis"
    with app.test_request_context("/ru/"), force_locale("ru"):
        assert SpokenLanguage.RU.label == "Русский"
        assert answer_label("languages", ["az", "ru"]) == "Азербайджанский, русский"
    with app.test_request_context("/en/"), force_locale("en"):
        assert answer_label("languages", ["az", "en"]) == "Azerbaijani, English"


def test_a_returnee_sees_no_role_label_after_their_name(client, login_as):
    login_as(Role.RETURNEE, full_name="Aygün Məmmədova")
    for path in ("/ru/my/", "/ru/account"):
        html = client.get(path).get_data(as_text=True)
        assert "Aygün Məmmədova" in html
        assert "Заявитель" not in html and "Вернувш" not in html, path


def test_staff_keep_their_role_label(client, login_as):
    login_as(Role.SOCIAL_WORKER, full_name="Leyla Əliyeva")
    html = client.get("/ru/account").get_data(as_text=True)
    assert "(Социальный работник)" in html


def test_name_is_a_person_s_name_or_an_organisation_s_name(client, login_as, factory):
    partner = factory.partner(name_ru="Фонд Помощь")
    factory.user(Role.PARTNER, partner_id=partner.id, full_name="Ирада Гасанова")
    login_as(Role.ADMIN)
    listing = client.get("/ru/admin/partners/").get_data(as_text=True)
    assert "Название" in listing and "Имя и фамилия" not in listing
    page = client.get(f"/ru/admin/partners/{partner.id}").get_data(as_text=True)
    assert "Имя и фамилия" in page


def test_an_unknown_partner_still_starts_the_sentence_with_a_capital(app):
    from portal.returnee.status_text import event_text

    class _Event:
        kind = "assistance_provided"
        data = {}
        to_status = None

    with app.test_request_context("/az/"), force_locale("az"):
        line = event_text(_Event(), {})
    assert line.startswith("Kömək edə biləcək təşkilat"), line
