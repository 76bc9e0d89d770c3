"""The partner workspace: inbox, one referral, accept / decline / update / assistance."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.models import (
    AssistanceRecord,
    CloseOutcome,
    ContactPreference,
    Event,
    MessageVisibility,
    Referral,
    ReferralStatus,
    ReferralUpdate,
    RequestStatus,
    Role,
)
from portal.services import requests as svc
from portal.services.referrals import local_today
from tests.conftest import sign_in
from tests.functional.partner.helpers import page_csrf

S = RequestStatus
TODAY = local_today()  # the portal's (Baku) date, not the machine's


def url(referral, action: str = "", lang: str = "en") -> str:
    base = f"/{lang}/partner/referrals/{referral.id}"
    return f"{base}/{action}" if action else base


def post(client, referral, action, **data):
    data.setdefault("csrf_token", page_csrf(client, url(referral)))
    return client.post(url(referral, action), data=data)


# --- inbox --------------------------------------------------------------------------------------


def test_inbox_lists_only_the_organisations_referrals_pending_first(client, scenario, as_staff):
    _accepted_req, accepted = scenario.referral(S.IN_PROGRESS)
    pending_req, pending = scenario.referral(S.REFERRED)
    other_req, _other = scenario.referral(S.REFERRED, staff=scenario.other_staff)
    body = client.get("/en/partner/").get_data(as_text=True)
    assert pending_req.reference in body
    assert _accepted_req.reference in body
    assert other_req.reference not in body
    assert body.index(pending_req.reference) < body.index(_accepted_req.reference)
    assert "Documents" in body and "Ganja" in body and "Priority: Normal" in body
    assert "Received today" in body


def test_inbox_filters_by_status(client, scenario, as_staff):
    pending_req, _ = scenario.referral(S.REFERRED)
    accepted_req, _ = scenario.referral(S.IN_PROGRESS)
    body = client.get("/en/partner/?status=accepted").get_data(as_text=True)
    assert accepted_req.reference in body and pending_req.reference not in body
    # an unknown status shows everything rather than failing
    body = client.get("/en/partner/?status=nonsense&page=x").get_data(as_text=True)
    assert accepted_req.reference in body and pending_req.reference in body


def test_inbox_pages(app_factory, scenario):
    app = app_factory(PAGE_SIZE=2)
    client = app.test_client()
    refs = [scenario.referral(S.REFERRED)[0].reference for _ in range(3)]
    assert sign_in(client, scenario.staff.login).status_code == 302
    first = client.get("/en/partner/").get_data(as_text=True)
    second = client.get("/en/partner/?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Next page" in first
    assert "Page 2 of 2" in second and "Previous page" in second
    shown = [r for r in refs if r in first] + [r for r in refs if r in second]
    assert sorted(shown) == sorted(refs)
    assert client.get("/en/partner/?page=999").status_code == 200


@pytest.mark.parametrize("lang", ["az", "ru", "en"])
def test_partner_pages_in_every_language(client, scenario, as_staff, lang):
    _req, referral = scenario.referral(S.REFERRED)
    for path in (
        f"/{lang}/partner/",
        url(referral, lang=lang),
        f"/{lang}/partner/organisations/{scenario.partner.id}/tokens",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_other_roles_cannot_open_the_workspace(client, scenario, login_as):
    _req, referral = scenario.referral(S.REFERRED)
    login_as(Role.RETURNEE)
    assert client.get("/en/partner/").status_code == 403
    assert client.get(url(referral)).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client, scenario):
    _req, referral = scenario.referral(S.REFERRED)
    response = client.get(url(referral))
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# --- one referral -------------------------------------------------------------------------------


def test_referral_page_shows_what_the_partner_needs_and_no_more(
    client, db, scenario, as_staff, app
):
    owner = scenario.factory.user(Role.RETURNEE, full_name="Elvin Məmmədov")
    req, referral = scenario.referral(
        S.IN_PROGRESS, owner=owner, answers={"document": "passport", "what_happened": "lost"}
    )
    scenario.message(req, "Shared hello")
    scenario.message(req, "Secret SMS note", MessageVisibility.INTERNAL)
    scenario.message(req, "Note for you", MessageVisibility.INTERNAL, for_partner=True)
    other_req, _ = scenario.referral(S.REFERRED, owner=owner)
    body = client.get(url(referral)).get_data(as_text=True)
    assert "Elvin Məmmədov" in body
    assert "+994 50" in body and f"tel:{owner.phone}" in body  # as they chose: a phone call
    assert "Phone call" in body
    assert "Ganja" in body
    assert "Please help" in body  # the social worker's referral note
    assert "Shared hello" in body and "Note for you" in body
    assert "Secret SMS note" not in body
    assert other_req.reference not in body  # not the returnee's other requests
    assert "Record the assistance" in body


def test_until_accepted_the_partner_sees_only_what_it_needs_to_decide(
    client, db, scenario, as_staff
):
    """Issue 10, item 8: kind of help, region, urgency and the worker's note; nothing else."""
    owner = scenario.factory.user(
        Role.RETURNEE, full_name="Elvin Məmmədov", email="elvin@example.com"
    )
    owner.profile.vulnerabilities = ["disability"]
    db.commit()
    req, referral = scenario.referral(
        S.REFERRED, owner=owner, answers={"document": "passport", "what_happened": "stolen"}
    )
    db.merge(req).description = "My own words about my situation"
    db.commit()
    scenario.message(req, "Shared hello")
    scenario.message(req, "Note for you", MessageVisibility.INTERNAL, for_partner=True)
    body = client.get(url(referral)).get_data(as_text=True)
    for hidden in (
        "Elvin Məmmədov",
        owner.phone,
        owner.phone[-4:],
        "elvin@example.com",
        "Disability",
        "My own words",
        "Shared hello",
        "Note for you",
        "Stolen",
    ):
        assert hidden not in body, hidden
    assert "Documents" in body and "Ganja" in body and "This week" in body
    assert "Please help" in body  # the social worker's note
    assert "Accept the referral" in body and "Decline the referral" in body


def test_email_preference_shows_the_email_not_the_phone(client, db, scenario, as_staff):
    owner = scenario.factory.user(Role.RETURNEE, email="elvin@example.com")
    _req, referral = scenario.referral(
        S.IN_PROGRESS, owner=owner, preference=ContactPreference.EMAIL
    )
    body = client.get(url(referral)).get_data(as_text=True)
    assert "mailto:elvin@example.com" in body
    assert owner.phone not in body


@pytest.mark.usefixtures("pinned_day")  # TODAY stays today past midnight
def test_accept_update_and_record_assistance_in_the_browser(client, db, scenario, as_staff):
    req, referral = scenario.referral(S.REFERRED)
    response = post(client, referral, "accept", version=str(req.version))
    assert response.status_code == 303
    assert "You accepted the referral" in client.get(url(referral)).get_data(as_text=True)
    db.expire_all()
    assert referral.status == ReferralStatus.ACCEPTED and req.status == S.IN_PROGRESS

    response = post(client, referral, "updates", update_body="Called, visit on Monday")
    assert response.status_code == 303
    update = db.scalar(select(ReferralUpdate).where(ReferralUpdate.referral_id == referral.id))
    assert update.body == "Called, visit on Monday" and update.author_id == scenario.staff.id

    given = TODAY
    response = post(
        client,
        referral,
        "assistance",
        version=str(req.version),
        kind="document_fees",
        given_on=given.strftime("%d.%m.%Y"),
        description="Paid the passport fee",
        amount_azn="60,50",
        units="",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    db.expire_all()
    record = db.scalar(select(AssistanceRecord).where(AssistanceRecord.referral_id == referral.id))
    assert record.kind == "document_fees" and str(record.amount_azn) == "60.50"
    assert record.given_on == given and record.units is None
    # Recording help does not complete the referral: more can be added.
    assert referral.status == ReferralStatus.ACCEPTED and req.status == S.IN_PROGRESS
    response = post(
        client,
        referral,
        "assistance",
        version=str(req.version),
        kind="accompaniment",
        given_on=given.strftime("%d.%m.%Y"),
        description="Went with him to the passport office",
        amount_azn="",
        units="2",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    db.expire_all()
    response = post(client, referral, "complete", version=str(req.version), outcome="")
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    db.expire_all()
    records = select(AssistanceRecord).where(AssistanceRecord.referral_id == referral.id)
    assert len(db.scalars(records).all()) == 2
    assert referral.status == ReferralStatus.COMPLETED and req.status == S.ASSISTANCE_PROVIDED
    events = {e.kind: e for e in db.scalars(select(Event).where(Event.request_id == req.id))}
    assert events["referral_accepted"].data["partner_id"] == scenario.partner.id
    assert events["referral_update"].data["partner_id"] == scenario.partner.id
    assert events["assistance_recorded"].data["given_on"] == given.isoformat()
    assert events["assistance_recorded"].public and events["assistance_provided"].public
    body = client.get(url(referral)).get_data(as_text=True)
    assert "Document fees paid" in body and "Paid the passport fee" in body
    assert "Called, visit on Monday" in body and "Went with him" in body


def test_completing_needs_a_record_first(client, db, scenario, as_staff):
    req, referral = scenario.referral(S.IN_PROGRESS)
    body = client.get(url(referral)).get_data(as_text=True)
    assert "Record the assistance given before completing." in body
    response = post(client, referral, "complete", version=str(req.version), outcome="")
    assert response.status_code == 409
    db.expire_all()
    assert referral.status == ReferralStatus.ACCEPTED and req.status == S.IN_PROGRESS


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "Use at most two decimals"),
        ("-5", "cannot be below zero"),
        ("1000000,01", "cannot be over"),
        ("1,250.50", "without thousands separators"),
        ("abc", "Enter the amount as a number"),
    ],
)
@pytest.mark.usefixtures("pinned_day")  # TODAY stays today past midnight
def test_bad_amounts_get_a_message_by_the_field(client, db, scenario, as_staff, typed, message):
    req, referral = scenario.referral(S.IN_PROGRESS)
    response = post(
        client,
        referral,
        "assistance",
        version=str(req.version),
        kind="document_fees",
        given_on=TODAY.strftime("%d.%m.%Y"),
        description="Paid",
        amount_azn=typed,
        units="",
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and f'value="{typed}"' in body


def test_decline_returns_the_request_to_triage(client, db, scenario, as_staff):
    req, referral = scenario.referral(S.REFERRED)
    response = post(client, referral, "decline", reason="no_capacity", decline_note="Full")
    assert response.status_code == 303
    db.expire_all()
    assert referral.status == ReferralStatus.DECLINED and req.status == S.IN_REVIEW
    assert referral.decline_note == "Full"
    event = db.scalar(select(Event).where(Event.kind == "referral_returned"))
    assert event.data == {"partner_id": scenario.partner.id, "reason": "no_capacity"}


def test_declining_for_another_reason_needs_a_note_and_keeps_the_input(
    client, db, scenario, as_staff
):
    req, referral = scenario.referral(S.REFERRED)
    response = post(client, referral, "decline", reason="other", decline_note="   ")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Say why you decline this referral." in body
    assert re.search(r'<input checked[^>]*value="other"', body)  # the choice is kept
    db.expire_all()
    assert referral.status == ReferralStatus.PENDING and req.status == S.REFERRED


def test_decline_without_a_reason(client, db, scenario, as_staff):
    _req, referral = scenario.referral(S.REFERRED)
    response = post(client, referral, "decline", decline_note="Busy")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Choose a reason." in body and "Busy</textarea>" in body


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": ""}, "Choose what was given from the list."),
        ({"kind": "job_placement"}, "Choose what was given from the list."),  # not documents
        ({"given_on": ""}, "Enter the date the assistance was given."),
        ({"given_on": "31.02.2026"}, "Enter a real date"),
        ({"given_on": (TODAY + timedelta(days=2)).isoformat()}, "cannot be in the future"),
        ({"given_on": "2001-01-01"}, "cannot be before the referral was received"),
        ({"description": ""}, "Describe the assistance given."),
        ({"description": "x" * 2001}, "Use at most 2000 characters."),
        ({"description": "bad\x00text"}, "characters that cannot be saved"),
        ({"amount_azn": "-5"}, "The amount cannot be below zero."),
        ({"amount_azn": "ten"}, "Enter the amount as a number"),
        ({"amount_azn": "1e400"}, "The amount cannot be over 1 000 000 AZN."),
        ({"units": "0"}, "The number of units must be at least 1."),
        ({"units": "2.5"}, "Enter the number of units as a whole number."),
    ],
)
@pytest.mark.usefixtures("pinned_day")  # TODAY stays today past midnight
def test_bad_assistance_input_is_explained_and_kept(
    client, db, scenario, as_staff, fields, message
):
    req, referral = scenario.referral(S.IN_PROGRESS)
    data = {
        "kind": "legal_advice",
        "given_on": TODAY.isoformat(),
        "description": "Went with him to the office",
        "amount_azn": "",
        "units": "3",
    }
    data.update(fields)
    response = post(client, referral, "assistance", **data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in body
    assert 'class="error-summary"' in body
    if "units" not in fields:
        assert 'value="3"' in body  # what was typed is kept
    db.expire_all()
    assert referral.status == ReferralStatus.ACCEPTED and req.status == S.IN_PROGRESS
    assert db.scalar(select(AssistanceRecord)) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write what has been done."), ("x" * 2001, "Use at most 2000 characters.")],
)
def test_bad_update_is_explained(client, db, scenario, as_staff, body, message):
    _req, referral = scenario.referral(S.IN_PROGRESS)
    response = post(client, referral, "updates", update_body=body)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.scalar(select(ReferralUpdate)) is None


def test_a_stale_page_does_not_overwrite_a_newer_state(client, db, scenario, as_staff):
    req, referral = scenario.referral(S.REFERRED)
    response = post(client, referral, "accept", version=str(req.version - 1))
    assert response.status_code == 409
    assert "changed since you opened it" in response.get_data(as_text=True)
    db.expire_all()
    assert referral.status == ReferralStatus.PENDING


def test_actions_on_an_answered_referral_are_a_conflict(client, db, scenario, as_staff):
    req, referral = scenario.referral(S.IN_PROGRESS)
    response = post(client, referral, "accept", version=str(req.version))
    assert response.status_code == 409
    assert "already been answered" in response.get_data(as_text=True)
    pending_req, pending = scenario.referral(S.REFERRED)
    response = post(client, pending, "updates", update_body="Early")
    assert response.status_code == 409
    assert "Accept the referral before adding updates." in response.get_data(as_text=True)


def test_wrong_csrf_token_changes_nothing(client, db, scenario, as_staff):
    _req, referral = scenario.referral(S.REFERRED)
    response = client.post(url(referral, "accept"), data={"csrf_token": "forged"})
    assert response.status_code == 400
    db.expire_all()
    assert referral.status == ReferralStatus.PENDING


# --- access ends with the referral --------------------------------------------------------------


def _assert_summary_only(client, referral, owner, hidden_texts):
    body = client.get(url(referral)).get_data(as_text=True)
    assert "This referral has ended" in body
    assert owner.phone not in body and f"tel:{owner.phone}" not in body
    assert owner.full_name not in body  # issue 10, item 8: the name goes too
    for text in hidden_texts:
        assert text not in body
    return body


def test_after_declining_the_partner_keeps_only_a_summary(client, db, scenario, as_staff):
    req, referral = scenario.referral(S.REFERRED)
    scenario.message(req, "Old shared message")
    assert post(client, referral, "decline", reason="outside_area").status_code == 303
    scenario.message(req, "New shared message")
    body = _assert_summary_only(
        client, referral, req.owner, ["Old shared message", "New shared message", "Accept"]
    )
    assert "Outside our area" in body  # their own work stays


def test_once_completed_contact_name_and_messages_are_gone(client, db, scenario, as_staff):
    req, referral = scenario.referral(S.IN_PROGRESS)
    body = client.get(url(referral)).get_data(as_text=True)
    assert req.owner.phone[-4:] in body.replace(" ", "")  # live while accepted
    _req, referral = scenario.referral(S.ASSISTANCE_PROVIDED, owner=req.owner)
    body = _assert_summary_only(client, referral, req.owner, [])
    assert "Fee paid" in body  # the assistance they recorded
    with scenario.app.app_context():
        svc.close_request(db, db.merge(referral.request), scenario.worker, CloseOutcome.HELP_GIVEN)
        db.commit()
    scenario.message(referral.request, "After closing")
    body = _assert_summary_only(client, referral, req.owner, ["After closing"])
    assert "Fee paid" in body


def test_a_cancelled_referral_is_summary_only(client, db, scenario, as_staff):
    req, referral = scenario.referral(S.IN_PROGRESS)
    with scenario.app.app_context():
        svc.close_request(db, req, scenario.worker, CloseOutcome.UNREACHABLE)
        db.commit()
    db.expire_all()
    assert referral.status == ReferralStatus.CANCELLED
    _assert_summary_only(client, referral, req.owner, ["Record the assistance"])
    assert post(client, referral, "updates", update_body="Late").status_code == 409


# --- organisation A never sees organisation B ---------------------------------------------------


@pytest.mark.usefixtures("pinned_day")  # TODAY stays today past midnight
def test_another_organisation_gets_404_everywhere(client, db, scenario):
    req, referral = scenario.referral(S.IN_PROGRESS)
    assert sign_in(client, scenario.other_staff.login).status_code == 302
    token = page_csrf(client, "/en/partner/")
    assert client.get(url(referral)).status_code == 404
    for action, data in [
        ("accept", {}),
        ("decline", {"reason": "no_capacity"}),
        ("updates", {"update_body": "x"}),
        ("assistance", {"kind": "other", "given_on": TODAY.isoformat(), "description": "x"}),
    ]:
        response = client.post(url(referral, action), data={"csrf_token": token, **data})
        assert response.status_code == 404, action
    assert client.get(f"/en/partner/organisations/{scenario.partner.id}/tokens").status_code == 404
    response = client.post(
        f"/en/partner/organisations/{scenario.partner.id}/tokens",
        data={"csrf_token": token, "name": "x"},
    )
    assert response.status_code == 404
    response = client.post(
        f"/en/partner/organisations/{scenario.partner.id}/tokens/1/revoke",
        data={"csrf_token": token},
    )
    assert response.status_code == 404
    assert req.reference not in client.get("/en/partner/").get_data(as_text=True)
    assert client.get("/en/partner/referrals/99999999999").status_code == 404
    db.expire_all()
    assert referral.status == ReferralStatus.ACCEPTED
    assert db.scalar(select(Referral.status).where(Referral.id == referral.id)) == (
        ReferralStatus.ACCEPTED
    )
