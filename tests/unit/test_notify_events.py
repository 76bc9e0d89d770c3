"""Every step of the core loop tells whoever must know, in their own language, on their
channels; nobody is told of their own action; SMS carry only the reference and a link."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.models import (
    CloseOutcome,
    DeclineReason,
    MessageVisibility,
    Notification,
    NotificationChannel,
    PartnerOrganisation,
    RequestStatus,
    Role,
)
from portal.services import requests as svc
from portal.services import triage as triage_svc

C = NotificationChannel
S = RequestStatus


@pytest.fixture
def people(factory, db):
    """A Russian-speaking returnee, an English-speaking social worker, and two Azerbaijani-
    speaking staff members of one partner organisation."""
    owner = factory.user(Role.RETURNEE, preferred_locale="ru", full_name="Ivan Secretov")
    worker = factory.user(Role.SOCIAL_WORKER, preferred_locale="en")
    partner = factory.partner(name_az="Ümid Mərkəzi", name_ru="Центр Надежда", name_en="Hope")
    staff = [
        factory.user(Role.PARTNER, partner_id=partner.id, preferred_locale="az") for _ in range(2)
    ]
    return owner, worker, partner, staff


def _new(db, since: int):
    db.expire_all()
    return db.scalars(
        select(Notification).where(Notification.id > since).order_by(Notification.id)
    ).all()


def _last_id(db) -> int:
    return max(db.scalars(select(Notification.id)).all(), default=0)


def _by(rows, user):
    return {(n.template, n.channel) for n in rows if n.user_id == user.id}


def test_the_core_loop_tells_everyone(app, db, factory, people):
    owner, worker, partner, (staff1, staff2) = people
    req = factory.request(owner)
    with app.app_context():
        svc.assign_request(db, req, worker, worker)
        mark = _last_id(db)
        svc.request_info(db, req, worker, "Which document?")
        rows = _new(db, mark)
        assert _by(rows, owner) == {("request_needs_info", C.SMS), ("request_needs_info", C.PORTAL)}
        assert _by(rows, worker) == set()  # not told of their own action

        mark = _last_id(db)
        svc.give_info(db, req, owner, "My passport")
        rows = _new(db, mark)
        assert _by(rows, worker) == {("worker_info_given", C.PORTAL)}  # portal only
        assert _by(rows, owner) == set()

        mark = _last_id(db)
        svc.add_message(db, req, owner, "Thank you", MessageVisibility.SHARED)
        assert _by(_new(db, mark), worker) == {("worker_message", C.PORTAL)}

        mark = _last_id(db)
        db.commit()
        partner_row = db.get(PartnerOrganisation, partner.id)
        svc.refer_request(db, req, partner_row, worker)
        rows = _new(db, mark)
        assert _by(rows, owner) == {("request_referred", C.SMS), ("request_referred", C.PORTAL)}
        for member in (staff1, staff2):
            assert _by(rows, member) == {("referral_new", C.EMAIL), ("referral_new", C.PORTAL)}
        portal = next(n for n in rows if n.user_id == owner.id and n.channel == C.PORTAL)
        assert "Центр Надежда" in portal.body and portal.locale == "ru"  # their language
        sms = next(n for n in rows if n.user_id == owner.id and n.channel == C.SMS)
        assert "Центр Надежда" not in sms.body and "Надежда" not in sms.body
        email = next(n for n in rows if n.user_id == staff1.id and n.channel == C.EMAIL)
        assert email.locale == "az" and email.subject == f"Yeni yönləndirmə {req.reference}"

        mark = _last_id(db)
        triage_svc.add_note(db, req, worker, "Call first", for_partner=True)
        rows = _new(db, mark)
        assert _by(rows, staff1) == {("referral_message", C.EMAIL), ("referral_message", C.PORTAL)}
        assert _by(rows, owner) == set()  # an internal note never reaches the returnee

        mark = _last_id(db)
        svc.accept_referral(db, req, staff1)
        rows = _new(db, mark)
        assert _by(rows, owner) == {("request_accepted", C.SMS), ("request_accepted", C.PORTAL)}

        mark = _last_id(db)
        svc.add_message(db, req, worker, "They will call you", MessageVisibility.SHARED)
        rows = _new(db, mark)
        assert _by(rows, owner) == {("request_message", C.SMS), ("request_message", C.PORTAL)}
        assert ("referral_message", C.PORTAL) in _by(rows, staff2)

        mark = _last_id(db)
        svc.record_assistance(db, req, staff1, "Fee paid", complete=True)
        rows = _new(db, mark)
        assert ("request_assistance_recorded", C.SMS) in _by(rows, owner)
        assert _by(rows, worker) == {("worker_assistance_recorded", C.PORTAL)}
        assert _by(rows, staff1) == set()

        mark = _last_id(db)
        svc.close_request(db, req, worker, CloseOutcome.HELP_GIVEN)
        rows = _new(db, mark)
        assert ("request_closed", C.PORTAL) in _by(rows, owner)
        closed = next(n for n in rows if n.user_id == owner.id and n.channel == C.PORTAL)
        assert closed.body == f"Ваше обращение {req.reference} закрыто. Итог: Помощь оказана."
        db.commit()
    for n in db.scalars(select(Notification).where(Notification.channel == C.SMS)):
        assert "Ivan" not in n.body and "Secretov" not in n.body


def test_decline_tells_the_returnee_and_the_worker(app, db, factory, people):
    owner, worker, _partner, (staff1, _staff2) = people
    req = factory.request(owner, S.IN_PROGRESS, worker=worker, partner_staff=staff1)
    with app.app_context():
        mark = _last_id(db)
        svc.decline_referral(db, req, staff1, DeclineReason.NO_CAPACITY)
        rows = _new(db, mark)
    assert _by(rows, owner) == {("request_returned", C.SMS), ("request_returned", C.PORTAL)}
    assert _by(rows, worker) == {("worker_referral_declined", C.PORTAL)}
    declined = next(n for n in rows if n.user_id == worker.id)
    assert "Hope" in declined.body  # the partner's name in the worker's language (en)


def test_taking_a_referral_back_tells_the_partner(app, db, factory, people):
    owner, worker, _partner, (staff1, staff2) = people
    req = factory.request(owner, S.REFERRED, worker=worker, partner_staff=staff1)
    with app.app_context():
        mark = _last_id(db)
        triage_svc.cancel_referral(db, req, worker, reason="Wrong region")
        rows = _new(db, mark)
    for member in (staff1, staff2):
        assert ("referral_cancelled", C.PORTAL) in _by(rows, member)
    assert ("request_returned", C.PORTAL) in _by(rows, owner)


def test_withdrawing_confirms_to_the_owner_and_tells_the_partner(app, db, factory, people):
    owner, worker, _partner, (staff1, _s) = people
    req = factory.request(owner, S.REFERRED, worker=worker, partner_staff=staff1)
    with app.app_context():
        mark = _last_id(db)
        svc.withdraw_request(db, req, owner)
        rows = _new(db, mark)
    assert _by(rows, owner) == {("request_withdrawn", C.SMS), ("request_withdrawn", C.PORTAL)}
    assert ("referral_cancelled", C.PORTAL) in _by(rows, staff1)


def test_a_partner_update_is_news_for_the_returnee(app, db, factory, people):
    owner, worker, _partner, (staff1, _s) = people
    req = factory.request(owner, S.IN_PROGRESS, worker=worker, partner_staff=staff1)
    from portal.services.referrals import add_referral_update

    with app.app_context():
        mark = _last_id(db)
        add_referral_update(db, req.open_referral, staff1, "We booked a room")
        rows = _new(db, mark)
    assert _by(rows, owner) == {("request_message", C.SMS), ("request_message", C.PORTAL)}


def test_an_inactive_person_is_not_told(app, db, factory, people):
    owner, worker, _partner, _staff = people
    owner.is_active = False
    db.commit()
    factory.request(owner)
    assert [n for n in _new(db, 0) if n.user_id == owner.id] == []


def test_a_worker_who_turned_email_off_still_gets_portal_notices(app, db, factory, people):
    owner, worker, _partner, _staff = people
    worker.notification_channels = "portal"
    db.commit()
    req = factory.request(owner, S.NEEDS_INFO, worker=worker)
    with app.app_context():
        mark = _last_id(db)
        svc.give_info(db, req, owner, "Here")
        assert _by(_new(db, mark), worker) == {("worker_info_given", C.PORTAL)}
