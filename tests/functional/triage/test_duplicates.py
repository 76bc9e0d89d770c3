"""Issue 12, item 6: possible duplicates of a returnee, flagged to the social workers.

The same person across az / ru / en spellings with the same date of birth, the same phone in
different formats, and the worker's link and dismiss through the request page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.models import (
    DuplicateFlag,
    DuplicateReason,
    DuplicateStatus,
    Event,
    RequestStatus,
    ReturneeProfile,
    Role,
    User,
)
from portal.services import duplicates
from portal.services.audit import VIEW_DUPLICATE
from tests.conftest import PASSWORD, csrf_token, sign_in
from tests.functional.triage.conftest import count_queries

BORN = date(1988, 2, 3)
S = RequestStatus

# One person, two spellings: Azerbaijani Latin, Russian Cyrillic, a foreign passport, typed
# without the Azerbaijani letters, the parts in another order, with or without a patronymic.
SAME_PERSON = [
    ("Fuad Kərimov", "Фуад Керимов"),
    ("Fuad Kərimov", "Fuad Karimov"),
    ("Kərimov Fuad", "Fuad Kerimov"),
    ("Elvin Məmmədov", "Эльвин Мамедов"),
    ("Elvin Məmmədov", "Elvin Mammadov"),
    ("Günel Əliyeva", "Гюнель Алиева"),
    ("Günel Əliyeva", "Gunel Aliyeva"),
    ("Orxan Hüseynov", "Орхан Гусейнов"),
    ("Orxan Hüseynov", "Orkhan Huseynov"),
    ("Orxan Hüseynov", "Orkhan Husseinov"),
    ("Xədicə Cəfərova", "Khadija Jafarova"),
    ("Xədicə Cəfərova", "Хадиджа Джафарова"),
    ("Rəşid Şahbazov", "Rashid Shahbazov"),
    ("Rəşid Şahbazov", "Рашид Шахбазов"),
    ("Aytən Ağayeva", "Айтен Агаева"),
    ("Aytən Ağayeva", "Aiten Agaeva"),
    ("Yusif Qasımov", "Юсиф Гасымов"),
    ("Yusif Qasımov", "Yusuf Gasimov"),
    ("İlham Rzayev", "Ильхам Рзаев"),
    ("Ülviyyə Məlikova", "Ульвия Меликова"),
    ("Ülviyyə Məlikova", "Ulviyya Malikova"),
    ("Nərmin Vəliyeva", "Нармин Велиева"),
    ("Zaur Bağırov", "Zaur Bagirov"),
    ("Könül Həsənli", "Kenul Hasanli"),
    ("Tofiq Əhmədov", "Тофик Ахмедов"),
    ("Tofiq Əhmədov", "Tofig Akhmedov"),
    ("Fuad Əli oğlu Kərimov", "Fuad Kerimov"),
    ("Kərimov Fuad Əli oğlu", "Керимов Фуад Али оглы"),
    ("Ceyhun Abbasov", "Джейхун Аббасов"),
    ("Şəhla Qurbanova", "Shahla Gurbanova"),
    ("Çingiz Sadıqov", "Chingiz Sadykhov"),
    ("Çingiz Sadıqov", "Чингиз Садыхов"),
    ("Məhəmməd Quliyev", "Magomed Kuliev"),
    ("Fərid Şükürov", "Farid Shukurov"),
]

# Different people born the same day: another first name, another surname, the other gender
# of the surname, the parts of one name turned into another, a first name alone.
DIFFERENT_PEOPLE = [
    ("Fuad Kərimov", "Fərid Kərimov"),
    ("Elvin Məmmədov", "Elnur Məmmədov"),
    ("Günel Əliyeva", "Gülnar Əliyeva"),
    ("Orxan Hüseynov", "Orxan Həsənov"),
    ("Aytən Ağayeva", "Aysel Ağayeva"),
    ("Tural Əliyev", "Tural Əliyeva"),
    ("Fuad Kərimov", "Kərim Fuadov"),
    ("Nigar Məmmədova", "Nigar Əhmədova"),
    ("Murad Abbasov", "Murad Abbasli"),
    ("Anar Quliyev", "Anar Vəliyev"),
    ("Kamran Aliyev", "Kənan Aliyev"),
    ("Fuad", "Fuad Kərimov"),
    ("Эльдар Керимов", "Эльмир Керимов"),
]

# One vowel apart: a typing slip or two names. With the same birthday a worker should look, so
# these are flagged as similar (not as the same name), for the worker to decide.
ONE_LETTER_APART = [
    ("Rəşid Şahbazov", "Rəşad Şahbazov"),
    ("Samir Qasımov", "Səmər Qasımov"),
]


def _returnee(factory, db, name: str, born: date | None = BORN, **kw) -> User:
    user = factory.user(Role.RETURNEE, full_name=name, **kw)
    user.profile.birth_date = born
    db.commit()
    return user


def _check(app, db, user: User) -> list[duplicates.Finding]:
    with app.app_context():
        found = duplicates.check_returnee(db, user)
        db.commit()
    return found


def _flags(db) -> list[DuplicateFlag]:
    db.expire_all()
    return list(db.scalars(select(DuplicateFlag).order_by(DuplicateFlag.id)))


@pytest.mark.parametrize(("first", "second"), SAME_PERSON)
def test_one_person_spelled_two_ways_is_flagged(app, db, factory, first, second):
    a = _returnee(factory, db, first)
    b = _returnee(factory, db, second)
    found = _check(app, db, b)
    assert [(f.other_id, f.reason) for f in found] == [(a.id, found[0].reason)], (
        f"{first} / {second}"
    )
    assert found[0].reason in (
        DuplicateReason.SAME_NAME_BIRTH_DATE,
        DuplicateReason.SIMILAR_NAME_BIRTH_DATE,
    )
    (flag,) = _flags(db)
    assert (flag.first_user_id, flag.second_user_id) == (a.id, b.id)
    assert flag.status == DuplicateStatus.OPEN and 0 < flag.score <= 100


def test_the_same_name_in_three_alphabets_is_the_same_name(app, db, factory):
    a = _returnee(factory, db, "Xədicə Cəfərova")
    b = _returnee(factory, db, "Хадиджа Джафарова")
    c = _returnee(factory, db, "Khadija Jafarova")
    found = _check(app, db, c)
    assert {(f.other_id, f.reason, f.score) for f in found} == {
        (a.id, DuplicateReason.SAME_NAME_BIRTH_DATE, 100),
        (b.id, DuplicateReason.SAME_NAME_BIRTH_DATE, 100),
    }


@pytest.mark.parametrize(("first", "second"), DIFFERENT_PEOPLE)
def test_different_people_born_the_same_day_are_not_flagged(app, db, factory, first, second):
    _returnee(factory, db, first)
    b = _returnee(factory, db, second)
    assert _check(app, db, b) == [], f"{first} / {second}"
    assert _flags(db) == []


@pytest.mark.parametrize(("first", "second"), ONE_LETTER_APART)
def test_names_one_letter_apart_are_left_to_the_worker(app, db, factory, first, second):
    _returnee(factory, db, first)
    b = _returnee(factory, db, second)
    (found,) = _check(app, db, b)
    assert found.reason == DuplicateReason.SIMILAR_NAME_BIRTH_DATE and found.score < 100


@pytest.mark.parametrize(("first", "second"), SAME_PERSON[:6])
def test_the_same_name_with_another_birth_date_is_not_flagged(app, db, factory, first, second):
    _returnee(factory, db, first, born=date(1990, 5, 6))
    b = _returnee(factory, db, second)
    assert _check(app, db, b) == []


def test_without_a_birth_date_a_name_alone_flags_nobody(app, db, factory):
    _returnee(factory, db, "Fuad Kərimov", born=None)
    b = _returnee(factory, db, "Fuad Kərimov", born=None)
    assert _check(app, db, b) == []


# --- phones -------------------------------------------------------------------------------------


def _legacy_returnee(db, name: str, phone: str) -> User:
    """An account stored before phones were normalised (or imported): the digits as typed."""
    user = User(
        role=Role.RETURNEE, full_name=name, phone=phone, password_hash="x", preferred_locale="az"
    )
    db.add(user)
    db.flush()
    db.add(ReturneeProfile(user_id=user.id, vulnerabilities=[]))
    db.commit()
    return user


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("0501234567", "+994 50 123 45 67"),
        ("994501234567", "050 123 45 67"),
        ("(050) 123-45-67", "00994501234567"),
        ("0151 23456789", "+49 151 23456789"),
    ],
)
def test_the_same_phone_in_another_format_is_flagged(app, db, factory, stored, typed):
    old = _legacy_returnee(db, "Rauf Hüseynov", stored)
    new = factory.user(Role.RETURNEE, full_name="Rauf Huseynov", phone=typed)
    # Made through the accounts service: the check ran as the account was made.
    (flag,) = _flags(db)
    assert {flag.first_user_id, flag.second_user_id} == {old.id, new.id}
    assert flag.reason == DuplicateReason.SAME_PHONE
    db.refresh(new.profile)
    assert new.profile.duplicates_checked_at is not None and new.profile.has_duplicate_flags


def test_a_family_sharing_a_phone_is_flagged_with_names_unalike(app, db, factory):
    _legacy_returnee(db, "Səbinə Nəsirova", "0551234567")
    factory.user(Role.RETURNEE, full_name="Tofiq Əhmədov", phone="+994551234567")
    (flag,) = _flags(db)
    assert flag.reason == DuplicateReason.SAME_PHONE and flag.score < 50


def test_other_phones_are_not_flagged(app, db, factory):
    _legacy_returnee(db, "Rauf Hüseynov", "0501234568")
    _legacy_returnee(db, "Rauf Hüseynov", "0771234567")
    factory.user(Role.RETURNEE, full_name="Rauf Hüseynov", phone="+994501234567")
    assert _flags(db) == []


def test_registration_through_the_form_flags_a_known_phone(client, db, app):
    old = _legacy_returnee(db, "Elvin Məmmədov", "0501234567")
    data = {
        "phone": "+994 50 123 45 67",
        "full_name": "Elvin Mammadov",
        "email": "",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "preferred_locale": "az",
        "consent": "y",
        "csrf_token": csrf_token(client, "/en/register"),
    }
    assert client.post("/en/register", data=data).status_code == 302
    (flag,) = _flags(db)
    assert flag.first_user_id == old.id and flag.reason == DuplicateReason.SAME_PHONE


def test_a_claimed_invitation_brings_the_birth_date_that_finds_the_first_account(app, db, factory):
    from portal.services import readmissions

    first = _returnee(factory, db, "Фуад Керимов")
    case = {
        "case_number": "RCMS-2026-0777",
        "requesting_state": "DE",
        "full_name": "Fuad Karimov",
        "birth_date": BORN.isoformat(),
        "phone": "+994551112299",
        "returned_on": "2026-11-01",
        "region_code": "baku",
        "locale": "az",
    }
    worker = factory.user(Role.SOCIAL_WORKER)
    with app.app_context():
        made, _new = readmissions.upsert_case(db, case, worker, source="csv")
        code = readmissions.issue_invitation(db, made, worker)
        _case, second = readmissions.claim_invitation(
            db, code=code, phone="+994551112299", password=PASSWORD, consent_version="x"
        )
        db.commit()
    (flag,) = _flags(db)
    assert (flag.first_user_id, flag.second_user_id) == (first.id, second.id)
    assert flag.reason == DuplicateReason.SAME_NAME_BIRTH_DATE


def test_a_pair_is_flagged_once_whoever_is_checked(app, db, factory):
    a = _returnee(factory, db, "Fuad Kərimov")
    b = _returnee(factory, db, "Фуад Керимов")
    _check(app, db, b)
    _check(app, db, a)
    _check(app, db, b)
    assert len(_flags(db)) == 1


def test_a_deleted_account_is_no_candidate(app, db, factory):
    from portal.db import utcnow

    a = _returnee(factory, db, "Fuad Kərimov")
    a.deleted_at = utcnow()
    db.commit()
    b = _returnee(factory, db, "Фуад Керимов")
    assert _check(app, db, b) == []


# --- the request page ---------------------------------------------------------------------------


def _pair(app, db, factory):
    """Two accounts of one person, flagged: (owner of the request, other, request, flag)."""
    other = _returnee(factory, db, "Fuad Kərimov", phone="+994501112201")
    earlier = factory.request(owner=other, status=S.CLOSED)
    owner = _returnee(factory, db, "Фуад Керимов", phone="+994501112202")
    req = factory.request(owner=owner)
    _check(app, db, owner)
    (flag,) = _flags(db)
    return owner, other, req, earlier, flag


def _decide(client, req, flag, action: str, **fields):
    url = f"/en/triage/requests/{req.id}"
    data = {"csrf_token": csrf_token(client, url), "flag_id": flag.id, "version": flag.version}
    data.update(fields)
    return client.post(f"{url}/duplicates/{flag.id}/{action}", data=data)


def test_the_request_page_shows_the_flag_and_records_the_view(login_as, client, app, db, factory):
    worker = login_as(Role.SOCIAL_WORKER)
    owner, other, req, earlier, flag = _pair(app, db, factory)
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "Possible duplicates" in body
    assert "Maybe the same person: Fuad Kərimov" in body
    assert "The same name and date of birth" in body
    assert "+994 50 111 22 01" in body and "03/02/1988" in body
    assert f'href="/en/triage/requests/{earlier.id}"' in body  # their requests
    assert f"/duplicates/{flag.id}/link" in body and f"/duplicates/{flag.id}/dismiss" in body
    views = db.scalars(
        select(Event).where(Event.kind == VIEW_DUPLICATE, Event.actor_id == worker.id)
    ).all()
    assert [(v.returnee_id, v.data["from_request_id"]) for v in views] == [(other.id, req.id)]


def test_a_worker_opening_an_unchecked_returnee_finds_the_duplicate_once(
    login_as, client, app, db, factory
):
    login_as(Role.SOCIAL_WORKER)
    other = _returnee(factory, db, "Orkhan Huseynov")
    owner = _returnee(factory, db, "Orxan Hüseynov")
    req = factory.request(owner=owner)
    owner.profile.duplicates_checked_at = None  # an account from before the check existed
    db.commit()
    with count_queries(app) as first:
        body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "Maybe the same person: Orkhan Huseynov" in body
    (flag,) = _flags(db)
    assert flag.involves(other.id)
    db.refresh(owner.profile)
    assert owner.profile.duplicates_checked_at is not None
    with count_queries(app) as second:
        client.get(f"/en/triage/requests/{req.id}")
    # The candidates were looked up the first time only (the query on the birth date index).
    assert sum("birth_date =" in s for s in first) == 1
    assert not any("birth_date =" in s for s in second)


def test_link_shows_the_other_accounts_requests_on_both_pages(login_as, client, app, db, factory):
    worker = login_as(Role.SOCIAL_WORKER, full_name="Nigar Worker")
    owner, other, req, earlier, flag = _pair(app, db, factory)
    response = _decide(client, req, flag, "link")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/en/triage/requests/{req.id}#duplicates")
    db.refresh(flag)
    assert flag.status == DuplicateStatus.LINKED
    assert flag.decided_by_id == worker.id and flag.decided_at is not None
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "Marked as the same person." in body  # the confirmation
    assert "Also this person: Fuad Kərimov" in body
    assert f'href="/en/triage/requests/{earlier.id}"' in body
    assert "Linked by Nigar Worker" in body
    assert "Nigar Worker: Marked as the same person." in body  # the timeline
    assert f"/duplicates/{flag.id}/link" not in body  # decided: no more actions
    event = db.scalar(select(Event).where(Event.kind == "duplicate_linked"))
    assert event.actor_id == worker.id and event.request_id == req.id
    assert event.subject_type == "duplicate_flag" and event.subject_id == flag.id
    assert event.data["other_id"] == other.id
    # and from the other account's request
    body = client.get(f"/en/triage/requests/{earlier.id}").get_data(as_text=True)
    assert "Also this person: Фуад Керимов" in body
    assert f'href="/en/triage/requests/{req.id}"' in body


@pytest.mark.parametrize(
    ("lang", "done", "label"),
    [
        (
            "az",
            "Fərqli şəxslər kimi qeyd edildi. Bu cüt bir daha göstərilməyəcək.",
            "1 ehtimal olunan dublikat fərqli şəxslər kimi qeyd edildi.",
        ),
        (
            "ru",
            "Отмечено: это разные люди. Эта пара больше не будет отмечаться.",
            "1 возможный дубликат отмечен как разные люди.",
        ),
    ],
)
def test_dismiss_in_each_language(login_as, client, app, db, factory, lang, done, label):
    login_as(Role.SOCIAL_WORKER)
    owner, other, req, earlier, flag = _pair(app, db, factory)
    url = f"/{lang}/triage/requests/{req.id}"
    response = client.post(
        f"{url}/duplicates/{flag.id}/dismiss",
        data={"csrf_token": csrf_token(client, url), "flag_id": flag.id, "version": 1},
    )
    assert response.status_code == 302
    db.refresh(flag)
    assert flag.status == DuplicateStatus.DISMISSED
    body = client.get(url).get_data(as_text=True)
    assert done in body and label in body
    assert "Fuad Kərimov" not in body  # a dismissed pair shows only as a count
    assert db.scalar(select(Event.kind).where(Event.kind == "duplicate_dismissed"))


def test_returnees_and_partners_never_see_or_decide_flags(app, db, factory):
    owner, other, req, earlier, flag = _pair(app, db, factory)
    staff = factory.user(Role.PARTNER)
    for login in (owner.login, staff.login):
        client = app.test_client()
        sign_in(client, login)
        assert client.get(f"/en/triage/requests/{req.id}").status_code == 403
        for action in ("link", "dismiss"):
            response = client.post(
                f"/en/triage/requests/{req.id}/duplicates/{flag.id}/{action}",
                data={"flag_id": flag.id, "version": 1},
            )
            assert response.status_code == 403
    client = app.test_client()
    sign_in(client, owner.login)
    body = client.get(f"/en/my/requests/{req.reference}").get_data(as_text=True)
    assert "Возможные" not in body and "Fuad Kərimov" not in body
    assert "Possible duplicates" not in body
    db.refresh(flag)
    assert flag.status == DuplicateStatus.OPEN


def test_unknown_and_foreign_flags_are_404(login_as, client, app, db, factory):
    login_as(Role.SOCIAL_WORKER)
    owner, other, req, earlier, flag = _pair(app, db, factory)
    stranger_req = factory.request()
    assert _decide(client, req, flag, "link", flag_id=999999).status_code == 400
    url = f"/en/triage/requests/{req.id}"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/duplicates/999999/link", data={"csrf_token": token, "flag_id": 999999}
    )
    assert response.status_code == 404
    # a real flag, posted through a request of someone it is not about
    response = _decide(client, stranger_req, flag, "link")
    assert response.status_code == 404
    assert client.post(f"/en/triage/requests/999999/duplicates/{flag.id}/link").status_code == 404
    db.refresh(flag)
    assert flag.status == DuplicateStatus.OPEN


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"flag_id": ""}, "This form does not belong to this possible duplicate."),
        ({"version": "abc"}, "This form does not belong to this possible duplicate."),
        ({"version": "²"}, "This form does not belong to this possible duplicate."),
        ({"flag_id": "99999999999999999999"}, "This form does not belong"),
        ({"csrf_token": ""}, "This form could not be checked. Please send it again."),
    ],
)
def test_bad_forms_are_400_with_a_message(login_as, client, app, db, factory, fields, message):
    login_as(Role.SOCIAL_WORKER)
    owner, other, req, earlier, flag = _pair(app, db, factory)
    response = _decide(client, req, flag, "link", **fields)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and "Maybe the same person" in body
    db.refresh(flag)
    assert flag.status == DuplicateStatus.OPEN


def test_a_stale_form_after_a_colleague_decided_is_409_with_a_message(
    login_as, client, app, db, factory
):
    login_as(Role.SOCIAL_WORKER)
    owner, other, req, earlier, flag = _pair(app, db, factory)
    assert _decide(client, req, flag, "dismiss").status_code == 302
    response = _decide(client, req, flag, "link", version=1)  # the page seen before
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone has already decided about this pair." in body
    db.refresh(flag)
    assert flag.status == DuplicateStatus.DISMISSED
    # A version that never was: the same answer, nothing changes.
    assert _decide(client, req, flag, "link", version=7).status_code == 409


def test_a_flagged_page_needs_one_more_select_and_still_one_insert(
    login_as, client, app, db, factory
):
    login_as(Role.SOCIAL_WORKER)
    owner = factory.user(Role.RETURNEE, full_name="Rauf Hüseynov", phone="+994501234567")
    req = factory.request(owner=owner)
    client.get(f"/en/triage/requests/{req.id}")
    with count_queries(app) as before:
        client.get(f"/en/triage/requests/{req.id}")
    # Another account with the same number, stored the old way: flagged by the phone (no date
    # of birth here, so the page's readmission case query stays out of the count).
    other = _legacy_returnee(db, "Rauf Huseynov", "0501234567")
    for _ in range(2):
        factory.request(owner=other, status=S.CLOSED)
    _check(app, db, owner)
    assert len(_flags(db)) == 1
    client.get(f"/en/triage/requests/{req.id}")
    with count_queries(app) as statements:
        response = client.get(f"/en/triage/requests/{req.id}")
    assert response.status_code == 200
    assert "Maybe the same person: Rauf Huseynov" in response.get_data(as_text=True)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The page's six (test_request_page.py) and the flags with the other person and their
    # requests: one SELECT, made only for someone ever flagged (profile.has_duplicate_flags).
    assert len(reads) == len([s for s in before if s.lstrip().upper().startswith("SELECT")]) + 1
    assert len(reads) <= 7, "\n\n".join(reads)
    # The views of both people's data go in the one INSERT of the page.
    assert [s.split()[:3] for s in statements if s not in reads] == [["INSERT", "INTO", "events"]]
    db.expire_all()
    kinds = db.scalars(select(Event.kind).where(Event.kind.like("viewed_%"))).all()
    assert kinds.count(VIEW_DUPLICATE) == 2


# --- undoing a decision -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "undo_label"), [("link", "Undo the link"), ("dismiss", "Undo the dismissal")]
)
def test_a_worker_undoes_a_link_or_a_dismissal(
    login_as, client, app, db, factory, first, undo_label
):
    worker = login_as(Role.SOCIAL_WORKER, full_name="Nigar Worker")
    owner, other, req, earlier, flag = _pair(app, db, factory)
    assert _decide(client, req, flag, first).status_code == 302
    db.refresh(flag)
    decided = flag.status
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert undo_label in body and f"/duplicates/{flag.id}/undo" in body
    if first == "dismiss":  # who decided and when, still not the other person
        assert "marked as different people by Nigar Worker on" in body
        assert "Fuad Kərimov" not in body
    response = _decide(client, req, flag, "undo")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/en/triage/requests/{req.id}#duplicates")
    db.refresh(flag)
    assert flag.status == DuplicateStatus.OPEN
    assert flag.decided_by_id is None and flag.decided_at is None
    assert flag.version == 3
    event = db.scalar(select(Event).where(Event.kind == "duplicate_reopened"))
    assert event.actor_id == worker.id and event.request_id == req.id
    assert event.subject_type == "duplicate_flag" and event.subject_id == flag.id
    assert event.data == {
        "other_id": other.id,
        "reason": flag.reason.value,
        "from": decided.value,
        "to": "open",
        "decided_by": worker.id,
    }
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "The decision was undone. The pair is open again: decide once more." in body
    assert "Nigar Worker: Decision about a possible duplicate undone." in body  # the timeline
    # open again: both decisions offered once more, and no undo
    assert "Maybe the same person: Fuad Kərimov" in body
    assert f"/duplicates/{flag.id}/link" in body and f"/duplicates/{flag.id}/dismiss" in body
    assert f"/duplicates/{flag.id}/undo" not in body
    # and it can be decided the other way now
    other_way = "dismiss" if first == "link" else "link"
    assert _decide(client, req, flag, other_way, version=3).status_code == 302


def test_a_colleague_undoes_from_the_other_accounts_request(login_as, client, app, db, factory):
    login_as(Role.SOCIAL_WORKER)
    owner, other, req, earlier, flag = _pair(app, db, factory)
    colleague = factory.user(Role.ADMIN)
    assert _decide(client, req, flag, "link").status_code == 302
    second = app.test_client()
    sign_in(second, colleague.login)
    assert _decide(second, earlier, flag, "undo", version=2).status_code == 302
    db.refresh(flag)
    assert flag.status == DuplicateStatus.OPEN
    event = db.scalar(select(Event).where(Event.kind == "duplicate_reopened"))
    assert event.actor_id == colleague.id and event.request_id == earlier.id
    assert event.data["other_id"] == owner.id


def test_undo_of_an_open_or_changed_flag_is_409(login_as, client, app, db, factory):
    login_as(Role.SOCIAL_WORKER)
    owner, other, req, earlier, flag = _pair(app, db, factory)
    response = _decide(client, req, flag, "undo")  # nothing decided yet
    assert response.status_code == 409
    assert "Someone has already decided about this pair." in response.get_data(as_text=True)
    assert _decide(client, req, flag, "dismiss").status_code == 302
    # the page from before the dismissal (version 1), or one from the future
    assert _decide(client, req, flag, "undo", version=1).status_code == 409
    assert _decide(client, req, flag, "undo", version=9).status_code == 409
    # a colleague undid and decided again since this page was shown (version 2)
    assert _decide(client, req, flag, "undo", version=2).status_code == 302
    assert _decide(client, req, flag, "link", version=3).status_code == 302
    assert _decide(client, req, flag, "undo", version=2).status_code == 409
    db.refresh(flag)
    assert flag.status == DuplicateStatus.LINKED and flag.version == 4
    kinds = db.scalars(select(Event.kind).where(Event.kind.like("duplicate_%"))).all()
    assert sorted(kinds) == ["duplicate_dismissed", "duplicate_linked", "duplicate_reopened"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"csrf_token": ""}, "This form could not be checked. Please send it again."),
        ({"flag_id": ""}, "This form does not belong to this possible duplicate."),
        ({"flag_id": "999999"}, "This form does not belong to this possible duplicate."),
        ({"version": "x"}, "This form does not belong to this possible duplicate."),
    ],
)
def test_bad_undo_forms_are_400(login_as, client, app, db, factory, fields, message):
    login_as(Role.SOCIAL_WORKER)
    owner, other, req, earlier, flag = _pair(app, db, factory)
    assert _decide(client, req, flag, "dismiss").status_code == 302
    response = _decide(client, req, flag, "undo", **{"version": 2, **fields})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.refresh(flag)
    assert flag.status == DuplicateStatus.DISMISSED


def test_undo_is_for_staff_and_for_this_returnees_flags_only(login_as, app, db, factory):
    owner, other, req, earlier, flag = _pair(app, db, factory)
    worker = factory.user(Role.SOCIAL_WORKER)
    client = app.test_client()
    sign_in(client, worker.login)
    assert _decide(client, req, flag, "link").status_code == 302
    for login in (owner.login, factory.user(Role.PARTNER).login):
        outsider = app.test_client()
        sign_in(outsider, login)
        response = outsider.post(
            f"/en/triage/requests/{req.id}/duplicates/{flag.id}/undo",
            data={"flag_id": flag.id, "version": 2},
        )
        assert response.status_code == 403
    stranger = factory.request()
    assert _decide(client, stranger, flag, "undo", version=2).status_code == 404
    url = f"/en/triage/requests/{req.id}"
    token = csrf_token(client, url)
    response = client.post(
        f"{url}/duplicates/999999/undo", data={"csrf_token": token, "flag_id": 999999}
    )
    assert response.status_code == 404
    db.refresh(flag)
    assert flag.status == DuplicateStatus.LINKED


# --- the queue's tag ------------------------------------------------------------------------------


def test_the_queue_tags_requests_of_returnees_with_an_open_flag(login_as, client, app, db, factory):
    login_as(Role.SOCIAL_WORKER)
    owner, other, req, earlier, flag = _pair(app, db, factory)
    reopened = factory.request(owner=other)  # the other account asks again: open, flagged too
    plain = factory.request()

    def tagged():
        body = client.get("/en/triage/?status=all").get_data(as_text=True)
        rows = re.findall(r"<tr[^>]*>\s*<th scope=\"row\">(.*?)</tr>", body, re.S)
        found = {}
        for row in rows:
            ref = re.search(r'class="code" href="/en/triage/requests/\d+">([0-9A-Z-]{9})<', row)
            found[ref.group(1)] = "Possible duplicate" in row
        return found

    shown = tagged()
    assert shown[req.reference] and shown[earlier.reference] and shown[reopened.reference]
    assert not shown[plain.reference]
    assert f'href="/en/triage/requests/{req.id}#duplicates"' in client.get("/en/triage/").get_data(
        as_text=True
    )
    assert _decide(client, req, flag, "dismiss").status_code == 302
    assert not any(tagged().values())
    assert _decide(client, req, flag, "undo", version=2).status_code == 302
    assert tagged()[req.reference]


def test_the_tag_costs_no_query(login_as, client, app, db, factory):
    login_as(Role.SOCIAL_WORKER)
    for _ in range(3):
        factory.request()
    with count_queries(app) as before:
        client.get("/en/triage/")
    owner, other, req, earlier, flag = _pair(app, db, factory)
    for _ in range(3):
        factory.request(owner=other)
    with count_queries(app) as statements:
        body = client.get("/en/triage/").get_data(as_text=True)
    assert body.count(">Possible duplicate</a>") == 4
    # no query more (one fewer: the urgent list, unchanged, is not read again)
    assert len(statements) <= len(before)
