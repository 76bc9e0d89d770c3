"""Actions on a request: each one changes the request through a service and writes an Event;
bad input and stale forms are refused with a clear message and change nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    DeclineReason,
    Event,
    Message,
    MessageVisibility,
    PartnerCoverage,
    Priority,
    Referral,
    ReferralStatus,
    RequestStatus,
    Role,
)
from portal.services import requests as svc
from tests.conftest import sign_in
from tests.functional.triage.conftest import page_version

S = RequestStatus
STALE = "This request changed since you opened it"


def fresh(db, req) -> AssistanceRequest:
    db.expire_all()
    return db.get(AssistanceRequest, req.id)


def events(db, req, kind: str) -> list[Event]:
    return list(db.scalars(select(Event).where(Event.request_id == req.id, Event.kind == kind)))


def event_count(db, req) -> int:
    db.expire_all()
    return db.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.request_id == req.id, Event.kind.not_like("viewed_%"))  # changes only
    )


def test_assign_to_me_starts_the_review(login_as, factory, db, act):
    me = login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    response = act(req, "assign", assignee_id=me.id)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/en/triage/requests/{req.id}")
    req = fresh(db, req)
    assert req.assignee_id == me.id and req.status == S.IN_REVIEW
    (assigned,) = events(db, req, "assigned")
    assert assigned.actor_id == me.id and assigned.data == {"from": None, "to": me.id}
    assert events(db, req, "review_started")[0].actor_id == me.id


def test_assign_to_another_social_worker(login_as, client, factory, db, act):
    me = login_as(Role.SOCIAL_WORKER)
    other = factory.user(Role.SOCIAL_WORKER, full_name="Olga Other")
    req = factory.request(status=S.IN_REVIEW, worker=me)
    assert act(req, "assign", assignee_id=other.id).status_code == 302
    assert fresh(db, req).assignee_id == other.id
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "The request is assigned." in body
    assert "assigned the request to Olga Other." in body


@pytest.mark.parametrize("who", ["returnee", "partner", "admin", "nobody", "text"])
def test_assign_only_to_a_social_worker(login_as, factory, db, act, who):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    assignee = {
        "returnee": lambda: factory.user(Role.RETURNEE).id,
        "partner": lambda: factory.user(Role.PARTNER).id,
        "admin": lambda: factory.user(Role.ADMIN).id,
        "nobody": lambda: 987654,
        "text": lambda: "x",
    }[who]()
    before = event_count(db, req)
    response = act(req, "assign", assignee_id=assignee)
    assert response.status_code == 400
    assert "Choose a social worker from the list." in response.get_data(as_text=True)
    req = fresh(db, req)
    assert req.assignee_id is None and req.status == S.SUBMITTED
    assert event_count(db, req) == before


def test_set_priority(login_as, factory, db, act):
    me = login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    assert act(req, "priority", priority="urgent").status_code == 302
    req = fresh(db, req)
    assert req.priority == Priority.URGENT and req.priority_rank == 3
    (event,) = events(db, req, "priority_set")
    assert event.actor_id == me.id and event.data == {"from": "normal", "to": "urgent"}


def test_unknown_priority_is_refused(login_as, factory, db, act):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    response = act(req, "priority", priority="whenever")
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert fresh(db, req).priority == Priority.NORMAL


def test_ask_for_more_information(login_as, client, factory, db, act):
    me = login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    assert act(req, "ask", question="Which documents do you have?").status_code == 302
    req = fresh(db, req)
    assert req.status == S.NEEDS_INFO
    message = db.scalar(select(Message).where(Message.request_id == req.id))
    assert message.visibility == MessageVisibility.SHARED and message.author_id == me.id
    assert events(db, req, "info_requested")[0].actor_id == me.id
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "Your question was sent to the returnee." in body


def test_an_empty_question_is_refused_and_nothing_changes(login_as, factory, db, act):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    before = event_count(db, req)
    response = act(req, "ask", question="   ")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Write your question to the returnee." in body
    assert fresh(db, req).status == S.SUBMITTED
    assert event_count(db, req) == before


def test_resume_review_after_an_answer_by_phone(login_as, factory, db, act):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request(status=S.NEEDS_INFO)
    assert act(req, "resume").status_code == 302
    assert fresh(db, req).status == S.IN_REVIEW


def _partner_for(factory, db, category=Category.DOCUMENTATION, region="*", **kw):
    partner = factory.partner(**kw)
    db.add(PartnerCoverage(partner_id=partner.id, category=category, region_code=region))
    db.commit()
    return partner


def test_refer_to_a_suggested_partner_with_a_note(login_as, factory, db, act):
    me = login_as(Role.SOCIAL_WORKER)
    partner = _partner_for(factory, db)
    req = factory.request(status=S.IN_REVIEW, worker=me)
    response = act(req, "refer", partner_id=partner.id, partner_note="Call her first.")
    assert response.status_code == 302
    req = fresh(db, req)
    assert req.status == S.REFERRED
    referral = db.scalar(select(Referral).where(Referral.request_id == req.id))
    assert referral.partner_id == partner.id and referral.note == "Call her first."
    assert referral.status == ReferralStatus.PENDING and referral.sent_by_id == me.id
    (event,) = events(db, req, "referred")
    assert event.actor_id == me.id and event.data == {"partner_id": partner.id}


@pytest.mark.parametrize("partner_id", ["999999", "", "abc", "inactive"])
def test_refer_to_an_unknown_or_inactive_partner_is_refused(login_as, factory, db, act, partner_id):
    login_as(Role.SOCIAL_WORKER)
    if partner_id == "inactive":
        partner_id = str(_partner_for(factory, db, is_active=False).id)
    req = factory.request(status=S.IN_REVIEW)
    before = event_count(db, req)
    response = act(req, "refer", partner_id=partner_id)
    assert response.status_code == 400
    assert "Choose an active partner organisation from the list." in response.get_data(as_text=True)
    assert fresh(db, req).status == S.IN_REVIEW
    assert event_count(db, req) == before
    assert db.scalar(select(func.count()).select_from(Referral)) == 0


def test_cancel_a_referral_brings_the_request_back(login_as, factory, db, act):
    me = login_as(Role.SOCIAL_WORKER)
    req = factory.request(status=S.REFERRED)
    assert act(req, "cancel-referral", reason="No answer for a week").status_code == 302
    req = fresh(db, req)
    assert req.status == S.IN_REVIEW
    referral = db.scalar(select(Referral).where(Referral.request_id == req.id))
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.decline_note == "No answer for a week"
    (event,) = events(db, req, "referral_returned")
    assert event.actor_id == me.id and event.data["cancelled"] is True


def test_close_with_an_outcome_and_a_note(login_as, factory, db, act):
    me = login_as(Role.SOCIAL_WORKER)
    req = factory.request(status=S.IN_REVIEW)
    response = act(req, "close", outcome="duplicate", close_note="Same as 7K3M-Q9TX")
    assert response.status_code == 302
    req = fresh(db, req)
    assert req.status == S.CLOSED and req.close_outcome == CloseOutcome.DUPLICATE
    note = db.scalar(select(Message).where(Message.request_id == req.id))
    assert note.visibility == MessageVisibility.INTERNAL and note.body == "Same as 7K3M-Q9TX"
    (event,) = events(db, req, "closed")
    assert event.actor_id == me.id and event.data == {"outcome": "duplicate"}


def test_add_an_internal_note_shown_to_the_partner(login_as, factory, db, act):
    me = login_as(Role.SOCIAL_WORKER)
    req = factory.request(status=S.REFERRED)
    assert act(req, "note", body="Has a small child.", for_partner="y").status_code == 302
    note = db.scalar(select(Message).where(Message.request_id == req.id))
    assert note.visibility == MessageVisibility.INTERNAL and note.for_partner is True
    (event,) = events(db, req, "note_added")
    assert event.actor_id == me.id and event.data == {"for_partner": True}
    assert act(req, "note", body="Only for us.").status_code == 302
    notes = db.scalars(select(Message).where(Message.request_id == req.id)).all()
    assert sorted(n.for_partner for n in notes) == [False, True]


def test_notes_can_be_added_to_a_closed_request(login_as, factory, db, act):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request(status=S.CLOSED)
    assert act(req, "note", body="She called to say thanks.").status_code == 302


def test_an_empty_note_is_refused(login_as, factory, db, act):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    before = event_count(db, req)
    response = act(req, "note", body=" \n ")
    assert response.status_code == 400
    assert "Write a note first." in response.get_data(as_text=True)
    assert event_count(db, req) == before
    assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_a_change_the_status_no_longer_allows_is_refused(login_as, factory, db, act):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request(status=S.REFERRED)
    before = event_count(db, req)
    response = act(req, "ask", question="Anything else?")
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "cannot become" in body
    assert 'value="Anything else?"' not in body  # a textarea keeps the text as content
    assert "Anything else?" in body  # what was typed is kept
    assert fresh(db, req).status == S.REFERRED
    assert event_count(db, req) == before


def test_closing_twice_is_refused(login_as, factory, db, act):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request(status=S.IN_REVIEW)
    assert act(req, "close", outcome="not_eligible").status_code == 302
    before = event_count(db, req)
    response = act(req, "close", outcome="duplicate")
    assert response.status_code == 409
    assert fresh(db, req).close_outcome == CloseOutcome.NOT_ELIGIBLE
    assert event_count(db, req) == before


def test_a_form_for_another_request_is_refused(login_as, factory, db, act):
    login_as(Role.SOCIAL_WORKER)
    target = factory.request()
    other = factory.request()
    before = event_count(db, target)
    response = act(target, "priority", priority="urgent", request_id=other.id)
    assert response.status_code == 400
    assert "This form does not belong to this request" in response.get_data(as_text=True)
    assert fresh(db, target).priority == Priority.NORMAL
    assert fresh(db, other).priority == Priority.NORMAL
    assert event_count(db, target) == before


@pytest.mark.parametrize("version", ["", "abc"])
def test_a_form_without_a_version_is_refused(login_as, factory, db, act, version):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    response = act(req, "priority", priority="urgent", version=version)
    assert response.status_code == 400
    assert "This form does not belong to this request" in response.get_data(as_text=True)
    assert fresh(db, req).priority == Priority.NORMAL


def test_a_form_without_csrf_token_is_refused(login_as, client, factory, db):
    login_as(Role.SOCIAL_WORKER)
    req = factory.request()
    response = client.post(
        f"/en/triage/requests/{req.id}/priority",
        data={"request_id": req.id, "version": req.version, "priority": "urgent"},
    )
    assert response.status_code == 400
    assert fresh(db, req).priority == Priority.NORMAL


def test_an_action_on_an_unknown_request_is_404(login_as, client, factory):
    login_as(Role.SOCIAL_WORKER)
    assert client.post("/en/triage/requests/999999/priority", data={}).status_code == 404


def test_two_workers_the_second_action_is_refused(app, factory, db):
    """Optimistic locking: both open the page; the first acts; the second sees the refusal and
    the request as it is now, and nothing of theirs is written."""
    first, second = app.test_client(), app.test_client()
    worker_1 = factory.user(Role.SOCIAL_WORKER, full_name="First Worker")
    worker_2 = factory.user(Role.SOCIAL_WORKER, full_name="Second Worker")
    assert sign_in(first, worker_1.login).status_code == 302
    assert sign_in(second, worker_2.login).status_code == 302
    partner = _partner_for(factory, db)
    req = factory.request()
    url = f"/en/triage/requests/{req.id}"
    seen_1 = page_version(first, req.id)
    seen_2 = page_version(second, req.id)
    token_1 = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', first.get(url).text)
    token_2 = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', second.get(url).text)
    response = first.post(
        f"{url}/refer",
        data={
            "csrf_token": token_1.group(1),
            "request_id": req.id,
            "version": seen_1,
            "partner_id": partner.id,
        },
    )
    assert response.status_code == 302
    before = event_count(db, req)
    response = second.post(
        f"{url}/close",
        data={
            "csrf_token": token_2.group(1),
            "request_id": req.id,
            "version": seen_2,
            "outcome": "duplicate",
            "close_note": "I think it is a duplicate",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert STALE in body
    assert "Referred to a partner" in body  # the page shows the current state
    assert "I think it is a duplicate" in body  # and keeps what was typed
    req = fresh(db, req)
    assert req.status == S.REFERRED and req.close_outcome is None
    assert event_count(db, req) == before
    # with the version of the page as it is now, the same action goes through
    assert page_version(second, req.id) == req.version


def test_a_concurrent_write_between_check_and_flush_is_refused(app_factory, factory, db):
    """The version check in SQL (UPDATE … WHERE version = …) catches what the in-memory check
    cannot: a change committed after the page loaded the request."""
    app = app_factory()
    worker = factory.user(Role.SOCIAL_WORKER)
    req = factory.request()
    with app.test_request_context("/en/"):
        from portal.db import db as request_db

        mine = request_db.get(AssistanceRequest, req.id)
        with factory.app.app_context():
            svc.set_priority(db, db.get(AssistanceRequest, req.id), Priority.HIGH, worker)
            db.commit()
        from sqlalchemy.orm.exc import StaleDataError

        with pytest.raises(StaleDataError):
            svc.set_priority(request_db, mine, Priority.LOW, worker)
        request_db.rollback()
    assert fresh(db, req).priority == Priority.HIGH


def test_the_whole_loop(login_as, client, factory, db, act):
    """Find a new request, assign it, ask for information, refer it to a suggested partner, see
    the declined referral come back, refer again, and close it."""
    me = login_as(Role.SOCIAL_WORKER)
    first_partner = _partner_for(factory, db, Category.HOUSING, "ganja", name_en="Ganja Homes")
    second_partner = _partner_for(factory, db, Category.HOUSING, "*", name_en="Homes Everywhere")
    partner_staff = factory.user(Role.PARTNER, partner_id=first_partner.id)
    other_staff = factory.user(Role.PARTNER, partner_id=second_partner.id)
    owner = factory.user(Role.RETURNEE, full_name="Aysel Nəsirova")
    req = factory.request(owner=owner, category=Category.HOUSING, region_code="ganja")

    assert req.reference in client.get("/en/triage/?status=submitted").text
    assert act(req, "assign", assignee_id=me.id).status_code == 302
    assert act(req, "ask", question="Where do you stay now?").status_code == 302
    with factory.app.app_context():
        svc.give_info(db, fresh(db, req), owner, "With my aunt.")
        db.commit()
    page = client.get(f"/en/triage/requests/{req.id}").text
    assert "Covers Housing in Ganja" in page
    assert act(req, "refer", partner_id=first_partner.id).status_code == 302
    with factory.app.app_context():
        svc.decline_referral(db, fresh(db, req), partner_staff, DeclineReason.NO_CAPACITY, "Full")
        db.commit()
    queue = client.get("/en/triage/").text
    row = next(r for r in queue.split("<tr") if req.reference in r)
    assert "Returned by a partner" in row
    page = client.get(f"/en/triage/requests/{req.id}").text
    assert "Ganja Homes declined the referral: No capacity" in page
    assert act(req, "refer", partner_id=second_partner.id).status_code == 302
    with factory.app.app_context():
        current = fresh(db, req)
        svc.accept_referral(db, current, other_staff)
        svc.record_assistance(db, current, other_staff, "Three months of rent paid.", complete=True)
        db.commit()
    assert act(req, "close", outcome="help_given").status_code == 302
    req = fresh(db, req)
    assert req.status == S.CLOSED and req.close_outcome == CloseOutcome.HELP_GIVEN
    changes = ~Event.kind.startswith("viewed_")  # page views are audit events too (issue 10)
    timeline = select(Event).where(Event.request_id == req.id, changes).order_by(Event.id)
    kinds = [e.kind for e in db.scalars(timeline)]
    assert kinds == [
        "submitted",
        "assigned",
        "review_started",
        "info_requested",
        "message_added",
        "info_given",
        "message_added",
        "referred",
        "referral_returned",
        "referred",
        "referral_accepted",
        "assistance_recorded",
        "assistance_provided",
        "closed",
    ]
