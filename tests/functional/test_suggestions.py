"""Suggest a better translation: staff send one from any page, administrators list and export."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from portal.models import Event, Role, TranslationSuggestion
from tests.conftest import csrf_token

LINK = "Daha yaxşı tərcümə təklif edin"


def _send(client, lang="az", **data):
    token = csrf_token(client, f"/{lang}/suggestions/new?path=/{lang}/account")
    form = {
        "csrf_token": token,
        "path": f"/{lang}/account",
        "locale": lang,
        "shown_text": "Hesab",
        "proposed_text": "Hesabım",
    }
    form.update(data)
    return client.post(f"/{lang}/suggestions/new", data=form)


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.SOCIAL_WORKER, "/az/triage/"),
        (Role.ADMIN, "/az/admin/partners/"),
    ],
)
def test_staff_see_the_link_on_their_pages(client, login_as, role, home):
    login_as(role)
    html = client.get(home).get_data(as_text=True)
    assert LINK in html
    assert "/az/suggestions/new?path=" in html


def test_returnees_and_visitors_see_no_link_and_get_403(client, login_as):
    assert LINK not in client.get("/az/").get_data(as_text=True)
    assert client.get("/az/suggestions/new").status_code == 403
    login_as(Role.RETURNEE)
    assert LINK not in client.get("/az/my/").get_data(as_text=True)
    assert client.get("/az/suggestions/new").status_code == 403
    assert client.post("/az/suggestions/new", data={"shown_text": "x"}).status_code == 403


def test_partner_staff_see_no_link_and_get_403(client, login_as, db):
    login_as(Role.PARTNER)
    assert LINK not in client.get("/az/partner/").get_data(as_text=True)
    assert client.get("/ru/suggestions/new?path=/ru/partner/").status_code == 403
    assert _send(client, "ru", path="/ru/partner/").status_code == 403
    assert db.scalars(select(TranslationSuggestion)).all() == []


def test_a_social_worker_records_a_suggestion(client, login_as, db):
    user = login_as(Role.SOCIAL_WORKER)
    form = client.get("/ru/suggestions/new?path=/ru/triage/").get_data(as_text=True)
    assert 'value="/ru/triage/"' in form and "Предложить перевод лучше" in form
    response = _send(
        client, "ru", path="/ru/triage/", shown_text=" Черновик ", proposed_text="Набросок"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/ru/triage/"
    saved = db.scalars(select(TranslationSuggestion)).one()
    assert (saved.author_id, saved.path, saved.locale) == (user.id, "/ru/triage/", "ru")
    assert (saved.shown_text, saved.proposed_text) == ("Черновик", "Набросок")
    event = db.scalars(select(Event).where(Event.kind == "translation_suggested")).one()
    assert (event.actor_id, event.subject_id) == (user.id, saved.id)
    assert "Спасибо. Ваше предложение сохранено." in client.get("/ru/triage/").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"shown_text": ""}, "Введите текст так, как он показан"),
        ({"proposed_text": "   "}, "Введите Ваш вариант перевода"),
        ({"proposed_text": "я" * 1001}, "Введите не более 1000 символов"),
        ({"shown_text": "я" * 1001}, "Введите не более 1000 символов"),
        ({"locale": "de"}, "Выберите один из вариантов списка."),
    ],
)
def test_bad_input_gets_a_message_in_the_page_s_language(client, login_as, db, data, message):
    login_as(Role.SOCIAL_WORKER)
    response = _send(client, "ru", **data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "В форме есть ошибки" in html
    assert message in html
    assert db.scalars(select(TranslationSuggestion)).all() == []


def test_an_off_site_page_is_not_followed(client, login_as, db):
    login_as(Role.ADMIN)
    response = _send(client, path="//evil.example/phish")
    assert response.headers["Location"] == "/"
    assert db.scalars(select(TranslationSuggestion.path)).one() == "/"


def _suggestions(db, author, n, lang="az", shown="Hesab"):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(n):
        db.add(
            TranslationSuggestion(
                author_id=author.id,
                path=f"/{lang}/page/{i}",
                locale=lang,
                shown_text=shown,
                proposed_text=f"proposal {i}",
                created_at=start + timedelta(hours=i),
            )
        )
    db.commit()


def test_administrators_see_the_list_newest_first_a_page_at_a_time(client, login_as, db, app):
    admin = login_as(Role.ADMIN)
    size = app.config["PAGE_SIZE"]
    _suggestions(db, admin, size + 1)
    first = client.get("/en/suggestions/").get_data(as_text=True)
    assert f"proposal {size}" in first and "proposal 1<" in first
    assert first.index(f"proposal {size}") < first.index("proposal 1<")
    assert "proposal 0<" not in first and "Next page" in first
    second = client.get("/en/suggestions/?page=2").get_data(as_text=True)
    assert "proposal 0<" in second and f"proposal {size}<" not in second
    assert client.get("/en/suggestions/?page=x").status_code == 200


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.PARTNER, Role.RETURNEE])
def test_only_administrators_list_and_export(client, login_as, role):
    login_as(role)
    assert client.get("/en/suggestions/").status_code == 403
    assert client.get("/en/suggestions/export/az.po").status_code == 403


def test_the_export_is_a_po_fragment_keyed_by_the_catalogue_s_msgid(client, login_as, db):
    admin = login_as(Role.ADMIN)
    _suggestions(db, admin, 1, shown="Müraciətlərim")  # az for "My requests"
    _suggestions(db, admin, 1, shown="Göndərilib")  # a status label, with a msgctxt
    _suggestions(db, admin, 1, shown="Sizin müraciətiniz: 7K3M-Q9TX")  # not in the catalogue
    _suggestions(db, admin, 1, lang="ru", shown="Мои обращения")
    response = client.get("/en/suggestions/export/az.po")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    catalog = read_po(io.BytesIO(text.encode()), locale="az")
    entries = {(m.context, m.id): m.string for m in catalog if m.id}
    assert entries == {
        (None, "My requests"): "proposal 0",
        ("request status", "Submitted"): "proposal 0",
    }
    assert "# Not matched to a catalogue entry: /az/page/0" in text
    assert "# shown: Sizin müraciətiniz: 7K3M-Q9TX" in text
    assert "Мои обращения" not in text
