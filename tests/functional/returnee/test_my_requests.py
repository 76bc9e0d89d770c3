"""My requests and one request: only one's own, the timeline for the returnee, messages,
giving the information asked for, and withdrawing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.models import (
    AssistanceRequest,
    Category,
    Event,
    Message,
    MessageVisibility,
    Priority,
    RequestStatus,
    Role,
)
from portal.services import requests as svc

S = RequestStatus


def test_empty_state_invites_to_ask_for_help(me):
    body = me.get("").get_data(as_text=True)
    assert "You have not asked for help yet." in body
    assert 'href="/en/my/ask/"' in body


def test_list_is_newest_first_with_plain_status_and_date(me, factory, db):
    old = factory.request(me.user, S.REFERRED, category=Category.HOUSING)
    new = factory.request(me.user, S.SUBMITTED, category=Category.EMPLOYMENT)
    db.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id == old.id)
        .values(created_at=old.created_at - timedelta(days=3))
    )
    db.commit()
    body = me.get("").get_data(as_text=True)
    assert body.index(new.reference) < body.index(old.reference)
    assert "Received — a social worker will look at it soon" in body
    partner = old.referrals[0].partner
    assert f"Sent to {partner.name_en}" in body
    assert "Last change:" in body
    assert "referred" not in body and "submitted" not in body  # no internal codes


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (S.SUBMITTED, "Received — a social worker will look at it soon"),
        (S.IN_REVIEW, "A social worker is looking at it"),
        (S.NEEDS_INFO, "We need more information from you"),
        (S.REFERRED, "Sent to Partner"),
        (S.IN_PROGRESS, "is working on it"),
        (S.ASSISTANCE_PROVIDED, "Help given"),
        (S.CLOSED, "Closed — we cannot help with this request"),
        (S.WITHDRAWN, "You withdrew this request"),
    ],
)
def test_status_in_plain_words(me, factory, status, text):
    req = factory.request(me.user, status)
    body = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert text in body


def test_another_returnees_request_is_not_found(me, other, factory):
    mine = factory.request(me.user)
    theirs = factory.request(other.user, S.NEEDS_INFO)
    assert me.get(f"requests/{mine.reference}").status_code == 200
    for path in [
        f"requests/{theirs.reference}",
        f"requests/{theirs.reference}/sent",
        f"requests/{theirs.reference}/withdraw",
        f"requests/{theirs.reference.lower().replace('-', '')}",
        "requests/NOPE-NOPE",
    ]:
        assert me.get(path).status_code == 404, path
    for path, data in [
        (f"requests/{theirs.reference}/message", {"body": "hi"}),
        (f"requests/{theirs.reference}/give-info", {"body": "hi"}),
        (f"requests/{theirs.reference}/withdraw", {}),
    ]:
        assert me.post(path, data).status_code == 404
    assert theirs.reference not in me.get("").get_data(as_text=True)
    other.db.expire_all()
    assert other.db.get(AssistanceRequest, theirs.id).status == S.NEEDS_INFO
    assert other.db.scalar(select(Message).where(Message.body == "hi")) is None


def test_a_typed_reference_in_lower_case_finds_the_request(me, factory):
    req = factory.request(me.user)
    assert me.get(f"requests/{req.reference.lower()}").status_code == 200


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.ADMIN, Role.PARTNER])
@pytest.mark.parametrize(
    "path",
    ["", "profile", "ask/", "ask/kind", "ask/check", "requests/{ref}", "requests/{ref}/withdraw"],
)
def test_staff_cannot_use_the_returnee_pages(client, factory, role, path):
    from tests.conftest import sign_in

    req = factory.request()
    staff = factory.user(role)
    sign_in(client, staff.login)
    assert client.get(f"/en/my/{path.format(ref=req.reference)}").status_code == 403


def test_staff_cannot_post_on_returnee_pages(client, factory):
    from tests.conftest import csrf_token, sign_in

    req = factory.request()
    staff = factory.user(Role.SOCIAL_WORKER)
    sign_in(client, staff.login)
    token = csrf_token(client, "/en/account")
    response = client.post(f"/en/my/requests/{req.reference}/withdraw", data={"csrf_token": token})
    assert response.status_code == 403


def test_timeline_shows_only_events_for_the_returnee(me, factory, db, app):
    req = factory.request(me.user, S.IN_PROGRESS)
    worker = factory.user(Role.SOCIAL_WORKER)
    with app.app_context():
        svc.add_message(
            db, req, worker, "SECRET NOTE: check criminal record", MessageVisibility.INTERNAL
        )
        svc.set_priority(db, req, Priority.URGENT, worker)
        svc.add_message(
            db, req, worker, "We found an organisation for you.", MessageVisibility.SHARED
        )
    db.commit()
    body = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert "SECRET NOTE" not in body
    assert "We found an organisation for you." in body
    assert "Urgent" not in body
    public = db.scalars(
        select(Event).where(Event.request_id == req.id, Event.public.is_(True))
    ).all()
    hidden = db.scalars(
        select(Event).where(Event.request_id == req.id, Event.public.is_(False))
    ).all()
    assert hidden  # assignments, priority and the note are on the audit trail only
    timeline = body.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    assert timeline.count("<li>") == len(public)
    partner = req.referrals[0].partner.name_en
    for text in [
        "You asked for help",
        "A social worker started to look at your request",
        f"Sent to {partner}",
        f"{partner} agreed to help you",
    ]:
        assert text in timeline
    # The answers are shown in words.
    assert "Passport" in body and "It was lost or taken" in body


def test_reply_to_the_social_worker(me, factory, db):
    req = factory.request(me.user, S.IN_REVIEW)
    response = me.post(f"requests/{req.reference}/message", {"body": "I moved to Ganja."})
    assert response.status_code == 302
    body = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your message has been sent." in body
    assert "I moved to Ganja." in body
    msg = db.scalar(select(Message).where(Message.request_id == req.id))
    assert msg.visibility == MessageVisibility.SHARED and msg.author_id == me.user.id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your message"),
        ("   ", "Write your message"),
        ("m" * 2001, "Use at most 2000 characters."),
    ],
)
def test_a_bad_reply_is_explained_and_kept(me, factory, db, text, message):
    req = factory.request(me.user, S.IN_REVIEW)
    response = me.post(f"requests/{req.reference}/message", {"body": text})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'<p class="error" id="body-error">{message}</p>' in body
    assert 'class="error-summary"' in body
    if text.strip():
        assert text in body
    assert db.scalar(select(Message).where(Message.author_id == me.user.id)) is None


def test_give_the_information_asked_for(me, factory, db):
    req = factory.request(me.user, S.NEEDS_INFO)
    page = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert "Give the information asked for" in page
    assert "Which document do you still have?" in page  # the question is shown
    response = me.post(
        f"requests/{req.reference}/give-info",
        {"body": "Only my birth certificate.", "version": str(req.version)},
    )
    assert response.status_code == 302
    db.expire_all()
    req = db.get(AssistanceRequest, req.id)
    assert req.status == S.IN_REVIEW
    page = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert "Only my birth certificate." in page
    assert "You gave more information" in page
    assert "Give the information asked for" not in page


def test_give_info_needs_an_answer_and_keeps_the_status(me, factory, db):
    req = factory.request(me.user, S.NEEDS_INFO)
    response = me.post(f"requests/{req.reference}/give-info", {"body": "", "version": "x"})
    assert response.status_code == 400
    assert "Write your answer" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).status == S.NEEDS_INFO


def test_give_info_on_a_request_that_changed_meanwhile(me, factory, db):
    req = factory.request(me.user, S.NEEDS_INFO)
    response = me.post(
        f"requests/{req.reference}/give-info",
        {"body": "Here it is.", "version": str(req.version - 1)},
    )
    assert response.status_code == 302
    page = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This request changed since you opened it" in page
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).status == S.NEEDS_INFO


def test_give_info_when_none_is_asked(me, factory, db):
    req = factory.request(me.user, S.IN_REVIEW)
    response = me.post(f"requests/{req.reference}/give-info", {"body": "x"})
    assert response.status_code == 302
    assert db.scalar(select(Message).where(Message.author_id == me.user.id)) is None


def test_withdraw_with_a_confirmation_step(me, factory, db):
    req = factory.request(me.user, S.REFERRED)
    page = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert f'href="/en/my/requests/{req.reference}/withdraw"' in page
    confirm = me.get(f"requests/{req.reference}/withdraw")
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Withdraw your request?" in body
    assert "No, keep my request" in body
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).status == S.REFERRED  # nothing happened yet
    response = me.post(f"requests/{req.reference}/withdraw", {"version": str(req.version)})
    assert response.status_code == 302
    db.expire_all()
    req = db.get(AssistanceRequest, req.id)
    assert req.status == S.WITHDRAWN
    assert req.referrals[0].status.value == "cancelled"
    page = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You withdrew this request" in page
    assert "/withdraw" not in page


@pytest.mark.parametrize("status", [S.IN_PROGRESS, S.ASSISTANCE_PROVIDED, S.CLOSED, S.WITHDRAWN])
def test_withdraw_is_refused_once_work_has_started(me, factory, db, status):
    req = factory.request(me.user, status)
    assert "/withdraw" not in me.get(f"requests/{req.reference}").get_data(as_text=True)
    response = me.get(f"requests/{req.reference}/withdraw")
    assert response.status_code == 302
    response = me.post(f"requests/{req.reference}/withdraw", {"version": str(req.version)})
    assert response.status_code == 302
    page = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This request can no longer be withdrawn" in page
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).status == status


def test_no_reply_form_on_a_closed_request(me, factory, db):
    req = factory.request(me.user, S.WITHDRAWN)
    page = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert "/message" not in page
    response = me.post(f"requests/{req.reference}/message", {"body": "hello"})
    assert response.status_code == 302
    assert db.scalar(select(Message)) is None


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_request_pages_in_each_language(client, db, returnee_user, factory, lang):
    from tests.conftest import sign_in
    from tests.functional.returnee.conftest import Returnee

    req = factory.request(returnee_user, S.NEEDS_INFO)
    sign_in(client, returnee_user.login, lang=lang)
    r = Returnee(client, db, returnee_user, lang=lang)
    for path in ["", f"requests/{req.reference}", f"requests/{req.reference}/withdraw"]:
        response = r.get(path)
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_home_page_for_visitors(client, app_factory):
    body = client.get("/en/").get_data(as_text=True)
    for text in [
        "Help after your return to Azerbaijan",
        "Who this is for",
        "What help you can ask for",
        "Housing",
        "Employment",
        "Documents",
        "How it works",
        'href="/en/register"',
        'href="/en/sign-in"',
        "+994 12 000 00 00",
    ]:
        assert text in body
    assert body.count("<li>", body.index('class="steps"')) >= 3
    other = app_factory(HOTLINE_PHONE="+994 12 555 55 55").test_client()
    assert 'href="tel:+994125555555"' in other.get("/en/").get_data(as_text=True)


def test_privacy_notice_shows_its_version(client, app_factory):
    body = client.get("/en/privacy").get_data(as_text=True)
    assert "Version 2026-12" in body
    for text in ["What data we collect", "Who sees it", "How long we keep it", "Your rights"]:
        assert text in body
    other = app_factory(PRIVACY_NOTICE_VERSION="2027-01").test_client()
    assert "Version 2027-01" in other.get("/en/privacy").get_data(as_text=True)
