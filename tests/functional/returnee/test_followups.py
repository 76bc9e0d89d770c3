"""Follow-ups at 3, 6 and 12 months after a request closed with help given."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.db import utcnow
from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    FollowUp,
    Notification,
    RequestDraft,
    RequestStatus,
    Role,
)
from portal.services import requests as svc
from portal.services.followups import create_due_followups
from tests.conftest import sign_in

S = RequestStatus
ANSWERS = {
    "income": "partly",
    "housing": "yes",
    "documents": "yes",
    "services": "no",
    "safe": "yes",
    "settled": "partly",
    "help_again": "no",
}


def _closed_with_help(factory, db, app, owner, days_ago: int, outcome=CloseOutcome.HELP_GIVEN):
    worker = factory.user(Role.SOCIAL_WORKER)
    req = factory.request(owner, S.ASSISTANCE_PROVIDED, worker=worker)
    with app.test_request_context("/en/"):
        req = db.get(AssistanceRequest, req.id)
        svc.close_request(db, req, worker, outcome)
        db.commit()
    db.execute(
        update(AssistanceRequest)
        .where(AssistanceRequest.id == req.id)
        .values(closed_at=utcnow() - timedelta(days=days_ago))
    )
    db.commit()
    return req, worker


def _make_due(app, db):
    with app.test_request_context("/en/"):
        made = create_due_followups(db)
        db.commit()
    return made


@pytest.mark.parametrize(("days", "months"), [(80, None), (100, 3), (200, 6), (400, 12)])
def test_the_latest_milestone_is_created_once(me, factory, db, app, days, months):
    _closed_with_help(factory, db, app, me.user, days)
    made = _make_due(app, db)
    assert [f.months for f in made] == ([months] if months else [])
    assert _make_due(app, db) == []


def test_only_requests_closed_with_help(me, factory, db, app):
    _closed_with_help(factory, db, app, me.user, 100, outcome=CloseOutcome.NOT_ELIGIBLE)
    assert _make_due(app, db) == []


def test_invitation_by_notification_and_on_the_home_page(me, factory, db, app):
    req, _ = _closed_with_help(factory, db, app, me.user, 100)
    (fu,) = _make_due(app, db)
    notices = db.scalars(
        select(Notification).where(Notification.template == "followup_invitation")
    ).all()
    assert {n.user_id for n in notices} == {me.user.id}
    home = me.get("").get_data(as_text=True)
    assert f'href="/en/my/follow-ups/{fu.id}"' in home


def test_the_command_creates_due_follow_ups(me, factory, db, app):
    _closed_with_help(factory, db, app, me.user, 100)
    result = app.test_cli_runner().invoke(args=["followups", "due"])
    assert result.exit_code == 0, result.output
    assert "1 follow-up" in result.output


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_questions_in_each_language(me, factory, db, app, lang):
    _closed_with_help(factory, db, app, me.user, 100)
    (fu,) = _make_due(app, db)
    me.lang = lang
    body = me.get(f"follow-ups/{fu.id}").get_data(as_text=True)
    assert body.count('type="radio"') == 6 * 3 + 4
    if lang != "en":
        assert "Do you have work or a regular income?" not in body


def test_answers_are_kept_and_the_worker_sees_them(me, factory, db, app):
    req, worker = _closed_with_help(factory, db, app, me.user, 100)
    (fu,) = _make_due(app, db)
    response = me.post(f"follow-ups/{fu.id}", ANSWERS)
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/my/"
    db.expire_all()
    fu = db.get(FollowUp, fu.id)
    assert fu.answers == ANSWERS and fu.answered_at is not None
    staff = app.test_client()
    assert sign_in(staff, worker.login).status_code == 302
    page = staff.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert 'data-followup="3"' in page
    assert "Do you have a stable place to live?" in page


def test_answering_twice_is_refused(me, factory, db, app):
    _closed_with_help(factory, db, app, me.user, 100)
    (fu,) = _make_due(app, db)
    assert me.post(f"follow-ups/{fu.id}", ANSWERS).status_code == 302
    again = me.post(f"follow-ups/{fu.id}", {**ANSWERS, "income": "no"})
    assert again.status_code == 302
    page = me.client.get(again.headers["Location"]).get_data(as_text=True)
    assert "You already answered this check" in page
    db.expire_all()
    assert db.get(FollowUp, fu.id).answers["income"] == "partly"


def test_missing_or_unknown_answers_are_messages(me, factory, db, app):
    _closed_with_help(factory, db, app, me.user, 100)
    (fu,) = _make_due(app, db)
    response = me.post(f"follow-ups/{fu.id}", {**ANSWERS, "income": "", "safe": "maybe\x00"})
    assert response.status_code == 400
    assert "Choose an answer" in response.get_data(as_text=True)


def test_someone_elses_follow_up_is_404(me, other, factory, db, app):
    _closed_with_help(factory, db, app, other.user, 100)
    (fu,) = _make_due(app, db)
    assert me.get(f"follow-ups/{fu.id}").status_code == 404
    assert me.post(f"follow-ups/{fu.id}", ANSWERS).status_code == 404
    assert me.get("follow-ups/99999").status_code == 404


def test_help_again_opens_a_prefilled_draft_to_confirm(me, factory, db, app):
    _closed_with_help(factory, db, app, me.user, 100)
    (fu,) = _make_due(app, db)
    response = me.post(f"follow-ups/{fu.id}", {**ANSWERS, "help_again": "employment"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/my/ask/"
    db.expire_all()
    draft = db.scalar(select(RequestDraft).where(RequestDraft.owner_id == me.user.id))
    assert draft.category == Category.EMPLOYMENT
    # The flow goes on from the first unanswered page of that kind; nothing is sent yet.
    assert me.get("ask/").headers["Location"] == "/en/my/ask/work"
    assert len(me.requests()) == 1
