"""What the staff walk-through found (issue 12): a referral that learns, the partner's work in
full on the worker's page, translated event labels, money in AZN, and phone numbers."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.models import (
    AssistanceRequest,
    Category,
    DeclineReason,
    Event,
    Notification,
    PartnerCoverage,
    PartnerOrganisation,
    RequestStatus,
    Role,
    User,
)
from portal.models.enums import EventKind
from portal.services import referrals as partner_svc
from portal.services import requests as svc
from portal.services.referrals import local_today

S = RequestStatus


def _partner(factory, db, category=Category.HOUSING, region="baku", **kw):
    partner = factory.partner(**kw)
    db.add(PartnerCoverage(partner_id=partner.id, category=category, region_code=region))
    db.commit()
    return partner


def _checked_partner(body: str) -> int | None:
    match = re.search(r'<input type="radio" name="partner_id" value="(\d+)"[^>]*checked', body)
    return int(match.group(1)) if match else None


def _declined_by(factory, db, partner, worker, staff, req, note="No beds this month"):
    with factory.app.app_context():
        svc.refer_request(db, req, partner, worker)
        partner_svc.decline_referral(db, req, staff, DeclineReason.NO_CAPACITY, note)
        db.commit()


def test_the_partner_that_declined_is_marked_and_never_preselected(login_as, client, factory, db):
    worker = login_as(Role.SOCIAL_WORKER)
    # The least loaded partner, so it would be suggested first.
    declined = _partner(factory, db, name_en="Baku Shelter", capacity=50)
    other = _partner(factory, db, name_en="Home Again", capacity=5)
    staff = factory.user(Role.PARTNER, partner_id=declined.id)
    req = factory.request(category=Category.HOUSING, region_code="baku", status=S.IN_REVIEW)
    _declined_by(factory, db, declined, worker, staff, req)
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert _checked_partner(body) == other.id
    today = local_today()
    assert "Declined this request on" in body and "No capacity" in body
    assert "No beds this month" in body
    assert str(today.year) in body
    assert "Suggested first: Home Again." in body

    # The only fitting partner declined: nothing is preselected, and the page says so.
    db.delete(db.get(PartnerCoverage, other.coverage[0].id))
    db.commit()
    body = client.get(f"/az/triage/requests/{req.id}").get_data(as_text=True)
    assert _checked_partner(body) is None


def test_referring_outside_coverage_asks_why_and_records_it(login_as, client, factory, db, act):
    login_as(Role.SOCIAL_WORKER)
    outside = _partner(factory, db, Category.EMPLOYMENT, "ganja", name_en="Jobs Ganja")
    req = factory.request(category=Category.HOUSING, region_code="baku", status=S.IN_REVIEW)
    response = act(req, "refer", partner_id=outside.id, partner_note="Please call")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "does not cover this kind of help in this region" in body
    assert "Please call" in body  # what was typed is kept
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).status == S.IN_REVIEW
    response = act(
        req,
        "refer",
        partner_id=outside.id,
        outside_reason="They also run a hostel",
        partner_note="",
    )
    assert response.status_code == 302
    event = db.scalar(select(Event).where(Event.request_id == req.id, Event.kind == "referred"))
    assert event.data["outside_coverage"] == "They also run a hostel"
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "outside its coverage: They also run a hostel" in body


@pytest.mark.parametrize(
    ("lang", "amount", "label"),
    [
        ("az", "1.250,50\xa0₼", "Kirayə"),
        ("ru", "1\xa0250,50\xa0AZN", "аренд"),
        ("en", "AZN1,250.50", "Help with rent"),
    ],
)
def test_the_worker_sees_every_update_and_record_in_full(
    login_as, client, factory, db, lang, amount, label
):
    login_as(Role.SOCIAL_WORKER)
    partner = _partner(factory, db, name_en="Baku Shelter")
    staff = factory.user(Role.PARTNER, partner_id=partner.id, full_name="Elnur Babayev")
    req = factory.request(
        category=Category.HOUSING, region_code="baku", status=S.IN_PROGRESS, partner_staff=staff
    )
    with factory.app.app_context():
        referral = req.open_referral
        partner_svc.add_referral_update(db, referral, staff, "Visited the flat on Monday")
        partner_svc.record_assistance(
            db,
            req,
            staff,
            kind="rent_support",
            given_on=local_today() - timedelta(days=0),
            description="Rent for March",
            amount_azn=Decimal("1250.5"),
            units=3,
        )
        partner_svc.record_assistance(
            db, req, staff, kind="household_items", description="A bed", amount_azn="600"
        )
        db.commit()
    body = client.get(f"/{lang}/triage/requests/{req.id}").get_data(as_text=True)
    assert "Visited the flat on Monday" in body
    assert "Rent for March" in body and "A bed" in body
    assert amount in body
    assert label.lower() in body.lower()
    assert "600,00" in body or "600.00" in body
    assert "referral update" not in body and "referral_update" not in body
    assert "assistance_recorded" not in body


def test_every_event_kind_has_a_label_and_every_recorded_kind_is_known():
    import ast
    from pathlib import Path

    from portal.services.workflow import TRANSITIONS

    recorded = {t.event for t in TRANSITIONS}
    for path in (Path(__file__).resolve().parents[3] / "portal").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "record_event"
                and len(node.args) >= 2
            ):
                arg = node.args[1]
                values = [arg] if isinstance(arg, ast.Constant) else []
                if isinstance(arg, ast.IfExp):
                    values = [arg.body, arg.orelse]
                recorded |= {v.value for v in values if isinstance(v, ast.Constant)}
    assert recorded <= {k.value for k in EventKind}
    from portal import create_app

    app = create_app({"CONFIG_NAME": "testing", "DATABASE_URL": "sqlite://"})
    with app.test_request_context("/ru/"):
        from flask_babel import force_locale

        for lang in ("az", "ru"):
            with force_locale(lang):
                for kind in EventKind:
                    assert kind.label and kind.label != kind.value


def test_returnee_phones_stay_mobile_and_partners_accept_landlines(client, db):
    from portal.phones import normalise_phone
    from tests.functional.test_auth import register

    assert normalise_phone("+994 22 256 12 34") == "+994222561234"  # Ganja
    assert normalise_phone("+994 25 222 33 44") == "+994252223344"  # Lankaran
    assert normalise_phone("012 498 76 54") == "+994124987654"  # Baku
    assert normalise_phone("+994 22 256 12 34", mobile=True) is None
    assert normalise_phone("050 123 45 67", mobile=True) == "+994501234567"
    assert normalise_phone("+49 151 23456789", mobile=True) == "+4915123456789"
    response = register(client, phone="+994 22 256 12 34")
    assert response.status_code == 400
    assert "This is a landline number. Enter a mobile number" in response.get_data(as_text=True)
    response = register(client, lang="az", phone="+994 22 256 12 34")
    assert "+994 50 123 45 67" in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize("phone", ["+994 22 256 12 34", "025 222 33 44", "+994 50 123 45 67"])
def test_admin_saves_a_partner_outside_baku_with_a_landline(login_as, client, factory, db, phone):
    from tests.functional.triage.test_partners_admin import post_partner

    login_as(Role.ADMIN)
    partner = _partner(factory, db, name_en="Lankaran Aid")
    response = post_partner(
        client, f"/en/admin/partners/{partner.id}/edit", coverage=["housing:*"], phone=phone
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.expire_all()
    assert db.get(PartnerOrganisation, partner.id).phone.startswith("+994")


def _client_of(app, user):
    from tests.conftest import sign_in

    client = app.test_client()
    assert sign_in(client, user.login).status_code == 302
    return client


def _post(client, req, action, seen_from=None, **fields):
    """Post an action with the version and last event of a page loaded earlier (seen_from)."""
    from tests.conftest import CSRF_RE

    url = f"/en/triage/requests/{req.id}"
    body = seen_from or client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": CSRF_RE.search(client.get(url).get_data(as_text=True)).group(1),
        "request_id": req.id,
        "version": re.search(r'name="version" type="hidden" value="(\d+)"', body).group(1),
        "seen": re.search(r'name="seen" type="hidden" value="(\d+)"', body).group(1),
        **fields,
    }
    return client.post(f"{url}/{action}", data=data)


def test_taking_over_a_colleagues_request_needs_a_confirmation(app, factory, db):
    holder = factory.user(Role.SOCIAL_WORKER, full_name="Nigar Holder")
    me = factory.user(Role.SOCIAL_WORKER, full_name="Rauf Taker")
    req = factory.request(status=S.IN_REVIEW, worker=holder)
    client = _client_of(app, me)
    body = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "Nigar Holder holds this request." in body
    before = db.scalar(select(func.count()).select_from(Notification))
    response = _post(client, req, "assign", assignee_id=me.id)
    assert response.status_code == 400
    assert "Confirm that you take it over" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).assignee_id == holder.id
    assert db.scalar(select(func.count()).select_from(Notification)) == before
    response = _post(client, req, "assign", assignee_id=me.id, confirm_takeover="y")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).assignee_id == me.id
    # The colleague is told, in their language, by email and in the portal.
    told = db.scalars(
        select(Notification).where(Notification.template == "request_taken_over")
    ).all()
    assert {n.channel.value for n in told} == {"email", "portal"}
    assert all(n.user_id == holder.id for n in told)
    assert "Rauf Taker" in told[0].body and req.reference in told[0].body
    # Their own request, or a free one, needs no confirmation.
    free = factory.request()
    assert _post(client, free, "assign", assignee_id=me.id).status_code == 302


def test_a_change_that_does_not_overlap_is_merged(app, factory, db):
    first = factory.user(Role.SOCIAL_WORKER, full_name="First Worker")
    second = factory.user(Role.SOCIAL_WORKER, full_name="Second Worker")
    req = factory.request(status=S.IN_REVIEW, worker=first)
    client_1, client_2 = _client_of(app, first), _client_of(app, second)
    url = f"/en/triage/requests/{req.id}"
    page_2 = client_2.get(url).get_data(as_text=True)  # the second worker opens the page
    assert _post(client_1, req, "note", body="Called her, no answer").status_code == 302
    # A priority change does not touch a note: it goes through on the current version.
    response = _post(client_2, req, "priority", seen_from=page_2, priority="high")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).priority.value == "high"


def test_a_change_to_the_same_field_is_refused_and_says_what_changed(app, factory, db):
    first = factory.user(Role.SOCIAL_WORKER, full_name="First Worker")
    second = factory.user(Role.SOCIAL_WORKER, full_name="Second Worker")
    req = factory.request(status=S.IN_REVIEW, worker=first)
    client_1, client_2 = _client_of(app, first), _client_of(app, second)
    page_2 = client_2.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert _post(client_1, req, "priority", priority="urgent").status_code == 302
    response = _post(client_2, req, "priority", seen_from=page_2, priority="low")
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "What changed since you opened this request" in body
    assert "First Worker changed the priority from Normal to Urgent." in body
    db.expire_all()
    assert db.get(AssistanceRequest, req.id).priority.value == "urgent"
