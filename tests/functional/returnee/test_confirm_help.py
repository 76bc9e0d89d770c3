"""The person confirms the help: yes, partly or no once help is recorded; the worker sees it;
no/partly goes back to review with an event; after 14 days the worker may close unconfirmed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.models import (
    AssistanceRequest,
    CloseOutcome,
    Event,
    HelpConfirmation,
    Notification,
    RequestStatus,
    Role,
)
from portal.services import requests as svc
from portal.services.errors import TransitionNotAllowed
from tests.conftest import sign_in

S = RequestStatus


@pytest.fixture
def helped(me, factory):
    worker = factory.user(Role.SOCIAL_WORKER)
    req = factory.request(me.user, S.ASSISTANCE_PROVIDED, worker=worker)
    return req, worker


def _answer(me, req, answer, comment=""):
    return me.post(
        f"requests/{req.reference}/confirm-help",
        {"answer": answer, "comment": comment, "version": req.version},
    )


def test_request_page_asks_once_help_is_recorded(me, helped):
    req, _ = helped
    body = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert 'id="confirm-help"' in body
    for value in ("yes", "partly", "no"):
        assert f'value="{value}"' in body


def test_not_asked_before_help_is_recorded(me, factory):
    req = factory.request(me.user, S.IN_PROGRESS)
    body = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert 'action="/en/my/requests/' + req.reference + '/confirm-help"' not in body


def test_yes_keeps_it_for_the_worker_to_close(me, helped, db, app):
    req, worker = helped
    response = _answer(me, req, "yes", "Thank you, I have a flat now.")
    assert response.status_code == 302
    db.expire_all()
    req = db.get(AssistanceRequest, req.id)
    assert req.status == S.ASSISTANCE_PROVIDED
    assert req.help_confirmation == HelpConfirmation.YES
    assert req.help_confirmation_comment == "Thank you, I have a flat now."
    event = db.scalars(
        select(Event).where(Event.request_id == req.id).order_by(Event.id.desc())
    ).first()
    assert event.kind == "help_confirmation"
    assert event.data == {"answer": "yes"}  # never the person's words
    # The worker sees it before closing, and was told.
    staff = app.test_client()
    assert sign_in(staff, worker.login).status_code == 302
    page = staff.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert 'data-confirmation="yes"' in page
    assert "Thank you, I have a flat now." in page
    assert db.scalar(
        select(Notification).where(
            Notification.user_id == worker.id, Notification.template == "help_confirmation"
        )
    )
    # The question is not asked again.
    body = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert 'confirm-help" class="card"' not in body


@pytest.mark.parametrize("answer", ["no", "partly"])
def test_no_or_partly_goes_back_to_review(me, helped, db, answer):
    req, _ = helped
    assert _answer(me, req, answer, "Only half the rent").status_code == 302
    db.expire_all()
    req = db.get(AssistanceRequest, req.id)
    assert req.status == S.IN_REVIEW
    kinds = [
        (e.kind, e.to_status)
        for e in db.scalars(select(Event).where(Event.request_id == req.id).order_by(Event.id))
    ]
    assert kinds[-2:] == [("help_confirmation", None), ("reopened", "in_review")]


def test_answering_twice_is_refused_with_a_message(me, helped, db):
    req, _ = helped
    assert _answer(me, req, "yes").status_code == 302
    db.expire_all()
    req = db.get(AssistanceRequest, req.id)
    response = _answer(me, req, "no")
    assert response.status_code == 302
    page = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "does not wait for your answer" in page
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).help_confirmation == HelpConfirmation.YES


def test_no_choice_is_a_message_next_to_the_field(me, helped):
    req, _ = helped
    response = _answer(me, req, "")
    assert response.status_code == 400
    assert "Choose yes, partly or no" in response.get_data(as_text=True)


def test_unknown_choice_is_a_message_not_a_500(me, helped):
    req, _ = helped
    assert _answer(me, req, "maybe\x00").status_code == 400


def test_comment_with_a_nul_character_is_kept_without_it(me, helped, db):
    req, _ = helped
    assert _answer(me, req, "partly", "half\x00 of it").status_code == 302
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).help_confirmation_comment == "half of it"


def test_someone_elses_request_is_404(me, other, factory):
    req = factory.request(other.user, S.ASSISTANCE_PROVIDED)
    assert _answer(me, req, "yes").status_code == 404


def test_wrong_state_is_a_message(me, factory):
    req = factory.request(me.user, S.IN_PROGRESS)
    response = _answer(me, req, "no")
    assert response.status_code == 302
    page = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "does not wait for your answer" in page


def test_message_in_russian(me, factory):
    me.lang = "ru"
    req = factory.request(me.user, S.IN_PROGRESS)
    response = _answer(me, req, "no")
    page = me.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "does not wait for your answer" not in page


def test_close_not_confirmed_only_after_14_days(me, helped, db, app):
    req, worker = helped
    with app.test_request_context("/en/"):
        req = db.get(AssistanceRequest, req.id)
        with pytest.raises(TransitionNotAllowed):
            svc.close_request(db, req, worker, CloseOutcome.NOT_CONFIRMED)
        db.rollback()
    db.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id == req.id)
        .values(status_changed_at=req.status_changed_at - timedelta(days=15))
    )
    db.commit()
    staff = app.test_client()
    assert sign_in(staff, worker.login).status_code == 302
    page = staff.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "14 days have passed without an answer" in page
    with app.test_request_context("/en/"):
        db.expire_all()
        req = db.get(AssistanceRequest, req.id)
        svc.close_request(db, req, worker, CloseOutcome.NOT_CONFIRMED)
        db.commit()
    body = me.get(f"requests/{req.reference}").get_data(as_text=True)
    assert "we did not hear back from you" in body


def test_not_confirmed_refused_once_the_person_answered(me, helped, db, app):
    req, worker = helped
    assert _answer(me, req, "yes").status_code == 302
    db.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id == req.id)
        .values(status_changed_at=req.status_changed_at - timedelta(days=15))
    )
    db.commit()
    with app.test_request_context("/en/"):
        db.expire_all()
        req = db.get(AssistanceRequest, req.id)
        with pytest.raises(TransitionNotAllowed):
            svc.close_request(db, req, worker, CloseOutcome.NOT_CONFIRMED)
