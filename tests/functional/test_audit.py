"""Issue 10, item 3: every view of a returnee's personal data is an append-only Event; the
administrators' audit page answers who saw whose data; the returnee sees organisations and
roles, never staff names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.models import Event, RequestStatus, Role
from portal.models.enums import EventKind
from portal.models.event import AppendOnlyError
from portal.services import audit
from portal.services.api_tokens import create_api_token
from tests.conftest import csrf_token, sign_in
from tests.functional.accounts.helpers import post_form
from tests.functional.partner.helpers import Scenario


@pytest.fixture
def scenario(app, db, factory):
    return Scenario(app, db, factory)


def _views(db, **where):
    db.expire_all()
    query = select(Event).where(Event.kind.in_(audit.VIEW_KINDS)).order_by(Event.id)
    for name, value in where.items():
        query = query.where(getattr(Event, name) == value)
    return list(db.scalars(query))


def _three_views(app, client, db, scenario):
    """A social worker, partner staff and the partner's system each look at one referral."""
    req, referral = scenario.referral(RequestStatus.IN_PROGRESS)
    worker_client = app.test_client()
    sign_in(worker_client, scenario.worker.login)
    assert worker_client.get(f"/en/triage/requests/{req.id}").status_code == 200
    staff_client = app.test_client()
    sign_in(staff_client, scenario.staff.login)
    assert staff_client.get(f"/en/partner/referrals/{referral.id}").status_code == 200
    with app.app_context():
        _row, raw = create_api_token(db, scenario.partner, scenario.staff, "Case system")
        db.commit()
    response = client.get(
        f"/api/v1/referrals/{referral.id}", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 200
    return req, referral


def test_every_view_of_personal_data_is_recorded(app, client, db, scenario):
    req, referral = _three_views(app, client, db, scenario)
    views = _views(db, returnee_id=req.owner_id)
    assert [v.kind for v in views] == [
        audit.VIEW_REQUEST,
        audit.VIEW_REFERRAL,
        audit.VIEW_API_REFERRAL,
    ]
    worker_view, staff_view, api_view = views
    assert worker_view.actor_id == scenario.worker.id and worker_view.request_id == req.id
    assert worker_view.data == {"role": "social_worker"}
    assert staff_view.actor_id == scenario.staff.id and staff_view.referral_id == referral.id
    assert staff_view.data["partner_id"] == scenario.partner.id
    assert staff_view.data["access"] == "active"
    assert api_view.actor_id is None and api_view.data["api_token_id"]
    assert all(v.public is False for v in views)  # never on the returnee's timeline
    # Append-only, like every event.
    worker_view.data = {}
    with pytest.raises(AppendOnlyError):
        db.commit()
    db.rollback()


def test_the_page_shown_again_and_the_api_list_are_views_too(app, client, db, scenario):
    req, referral = scenario.referral(RequestStatus.IN_PROGRESS)
    worker_client = app.test_client()
    sign_in(worker_client, scenario.worker.login)
    token = csrf_token(worker_client, f"/en/triage/requests/{req.id}")
    # A note with nothing in it: the page comes back with the error, and the data on it.
    response = worker_client.post(
        f"/en/triage/requests/{req.id}/note",
        data={"csrf_token": token, "request_id": req.id, "version": req.version, "body": ""},
    )
    assert response.status_code == 400
    with app.app_context():
        _row, raw = create_api_token(db, scenario.partner, scenario.staff, "Case system")
        db.commit()
    listing = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {raw}"})
    assert listing.status_code == 200
    assert [item["id"] for item in listing.get_json()["data"]] == [referral.id]
    views = _views(db, returnee_id=req.owner_id)
    assert [v.kind for v in views] == [
        audit.VIEW_REQUEST,  # the page opened for the token
        audit.VIEW_REQUEST,  # shown again after the failed note
        audit.VIEW_API_REFERRAL,
    ]
    assert views[-1].referral_id == referral.id and views[-1].data["list"] is True
    # A system polling the list is recorded once an hour per referral, not at every call;
    # reading the referral itself always is.
    for _ in range(3):
        assert client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {raw}"})
    assert len(_views(db, returnee_id=req.owner_id)) == 3
    client.get(f"/api/v1/referrals/{referral.id}", headers={"Authorization": f"Bearer {raw}"})
    assert len(_views(db, returnee_id=req.owner_id)) == 4
    # Another token of the organisation is another viewer.
    with app.app_context():
        _row, other = create_api_token(db, scenario.partner, scenario.staff, "Second system")
        db.commit()
    client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {other}"})
    assert len(_views(db, returnee_id=req.owner_id, kind=audit.VIEW_API_REFERRAL)) == 3


def test_record_view_is_for_views_only(app, db, scenario):
    req, _referral = scenario.referral()
    with app.app_context(), pytest.raises(ValueError):
        audit.record_view(db, scenario.worker, req, kind="closed")


def test_the_audit_page_answers_who_saw_a_returnees_data(app, client, db, scenario, login_as):
    req, _referral = _three_views(app, client, db, scenario)
    other_req, _ = scenario.referral(RequestStatus.REFERRED)
    worker_client = app.test_client()
    sign_in(worker_client, scenario.worker.login)
    worker_client.get(f"/en/triage/requests/{other_req.id}")

    login_as(Role.ADMIN)
    body = client.get("/en/admin/audit", query_string={"returnee": req.owner.phone}).get_data(
        as_text=True
    )
    assert "Request page opened" in body and "Referral opened by partner staff" in body
    assert "Referral read by a partner" in body
    assert scenario.worker.full_name in body and scenario.staff.full_name in body
    assert req.reference in body and other_req.reference not in body

    by_actor = client.get(
        "/en/admin/audit", query_string={"actor": scenario.staff.email, "kind": "views"}
    ).get_data(as_text=True)
    assert "Referral opened by partner staff</strong>" in by_actor
    assert "Request page opened</strong>" not in by_actor

    by_request = client.get(
        "/en/admin/audit", query_string={"reference": other_req.reference.lower()}
    ).get_data(as_text=True)
    assert other_req.reference in by_request and req.reference not in by_request

    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    later = client.get("/en/admin/audit", query_string={"since": tomorrow}).get_data(as_text=True)
    assert "No events match these filters." in later
    nobody = client.get("/en/admin/audit", query_string={"returnee": "+994559999999"})
    assert "No events match these filters." in nobody.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        {"since": "9999-12-31"},
        {"until": "0001-01-01"},
        {"since": "31.12.2026"},
        {"actor": "x\x00"},
        {"returnee": "9" * 40},
        {"after": "99999999999999999999.1"},
        {"after": "1.99999999999"},
        {"kind": "nonsense"},
    ],
)
def test_bad_audit_filters_are_explained_not_errors(client, login_as, query):
    login_as(Role.ADMIN)
    response = client.get("/en/admin/audit", query_string=query)
    assert response.status_code in (200, 400)


def test_the_audit_page_pages_with_a_keyset_cursor(app, client, db, scenario, login_as):
    req, _referral = scenario.referral()
    with app.app_context():
        for _ in range(55):
            audit.record_view(db, scenario.worker, req)
        db.commit()
    login_as(Role.ADMIN)
    first = client.get("/en/admin/audit", query_string={"kind": "views"}).get_data(as_text=True)
    assert first.count("Request page opened</strong>") == 50
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert second.count("Request page opened</strong>") == 5
    assert 'rel="next"' not in second and "Newest events" in second


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.PARTNER, Role.RETURNEE])
def test_only_administrators_see_the_audit_page(client, login_as, role):
    login_as(role)
    assert client.get("/en/admin/audit").status_code == 403


def test_the_returnee_sees_organisations_and_roles_never_names(app, client, db, scenario):
    req, _referral = _three_views(app, client, db, scenario)
    sign_in(client, req.owner.login)
    body = client.get(f"/en/my/requests/{req.reference}").get_data(as_text=True)
    section = body[body.index('id="seen-by"') :]
    assert "State Migration Service</strong>" in section and "a social worker" in section
    assert scenario.partner.name_en in section and "a member of staff" in section
    assert "their case system" in section
    assert scenario.worker.full_name not in section
    assert scenario.staff.full_name not in section
    # The returnee's own visits are not views by others.
    assert len(_views(db, returnee_id=req.owner_id)) == 3
    ru = client.get(f"/ru/my/requests/{req.reference}").get_data(as_text=True)
    assert "Кто видел Ваши данные" in ru


def test_a_search_that_found_a_returnee_is_recorded(app, client, db, scenario, factory):
    owner = factory.user(Role.RETURNEE, full_name="Nərgiz Hüseynova")
    req = factory.request(owner)
    factory.request()  # someone else, not found
    sign_in(client, scenario.worker.login)
    body = client.get("/en/triage/", query_string={"q": "Hüseynova"}).get_data(as_text=True)
    assert req.reference in body
    views = _views(db, kind=audit.VIEW_SEARCH)
    assert [(v.returnee_id, v.actor_id) for v in views] == [(owner.id, scenario.worker.id)]
    (view,) = views
    assert (view.subject_type, view.subject_id, view.request_id) == ("request", req.id, req.id)
    assert (view.referral_id, view.public) == (None, False)
    assert view.data == {"role": "social_worker"}
    assert view.created_at is not None
    client.get("/en/triage/")  # no search, nothing recorded
    assert len(_views(db, kind=audit.VIEW_SEARCH)) == 1


def test_account_pages_and_searches_that_show_a_returnee_are_views(
    app, client, db, factory, login_as
):
    person = factory.user(Role.RETURNEE, full_name="Səbinə Rzayeva", phone="+994557001122")
    colleague = factory.user(Role.SOCIAL_WORKER, full_name="Rzayeva Colleague")
    admin = login_as(Role.ADMIN)
    # A search of the accounts that finds the returnee (and a member of staff): one view, hers.
    body = client.get("/en/admin/accounts/", query_string={"q": "rzayeva"}).get_data(as_text=True)
    assert person.full_name in body and colleague.full_name in body
    views = _views(db)
    assert [(v.kind, v.returnee_id, v.actor_id) for v in views] == [
        (audit.VIEW_SEARCH, person.id, admin.id)
    ]
    assert (views[0].subject_type, views[0].request_id) == ("user", None)
    # The list without a search is not a search; a staff account page is nobody's data.
    assert client.get("/en/admin/accounts/").status_code == 200
    assert client.get(f"/en/admin/accounts/{colleague.id}").status_code == 200
    assert len(_views(db)) == 1
    # The returnee's own account page is.
    assert client.get(f"/en/admin/accounts/{person.id}").status_code == 200
    assert [v.kind for v in _views(db, returnee_id=person.id)][-1] == audit.VIEW_ACCOUNT
    # Password help that finds the number shows who has it.
    response = post_form(client, "/en/admin/password-help", action="find", phone="055 700 11 22")
    assert response.status_code == 200 and person.full_name in response.get_data(as_text=True)
    last = _views(db, returnee_id=person.id)[-1]
    assert (last.kind, last.data) == (
        audit.VIEW_SEARCH,
        {"role": "admin", "search": "password_help"},
    )
    missing = post_form(client, "/en/admin/password-help", action="find", phone="0557009999")
    assert missing.status_code == 404
    assert len(_views(db)) == 3
    # The audit page names each kind; the person sees the Migration Service's administrators.
    page = client.get("/en/admin/audit", query_string={"returnee": person.id}).get_data(
        as_text=True
    )
    assert "Account page opened</strong>" in page and page.count("Found by a search</strong>") == 2
    own = app.test_client()
    assert sign_in(own, person.login).status_code == 302
    req = factory.request(owner=person)
    mine = own.get(f"/en/my/requests/{req.reference}").get_data(as_text=True)
    section = mine[mine.index('id="seen-by"') :]
    assert "an administrator" in section and admin.full_name not in section


def test_the_audit_page_names_changes_in_the_page_language(app, client, db, factory, login_as):
    req = factory.request()
    factory.user(Role.SOCIAL_WORKER)
    login_as(Role.ADMIN)
    kinds = set(db.scalars(select(Event.kind).where(Event.request_id == req.id)))
    assert kinds, "the factory's request has events"
    body = client.get("/ru/admin/audit", query_string={"reference": req.reference})
    text = body.get_data(as_text=True)
    with app.test_request_context("/ru/"), force_locale("ru"):
        labels = {EventKind.label_of(kind) for kind in kinds}
    for label in labels:
        assert str(label) in text
    for kind in kinds:
        assert f">{kind.replace('_', ' ')}" not in text  # no stored English names


def test_the_partner_inbox_records_each_returnee_it_lists(app, client, db, scenario, login_as):
    offered, offered_ref = scenario.referral(RequestStatus.REFERRED)
    active, active_ref = scenario.referral(RequestStatus.IN_PROGRESS)
    elsewhere, _ = scenario.referral(RequestStatus.REFERRED, staff=scenario.other_staff)
    staff_client = app.test_client()
    sign_in(staff_client, scenario.staff.login)
    body = staff_client.get("/en/partner/").get_data(as_text=True)
    assert offered.reference in body and active.reference in body
    views = _views(db)
    assert sorted((v.returnee_id, v.referral_id) for v in views) == sorted(
        [(offered.owner_id, offered_ref.id), (active.owner_id, active_ref.id)]
    )
    assert {v.kind for v in views} == {audit.VIEW_REFERRAL}
    assert all(v.actor_id == scenario.staff.id for v in views)
    assert all(
        v.data["list"] is True and v.data["partner_id"] == scenario.partner.id for v in views
    )
    assert not _views(db, returnee_id=elsewhere.owner_id)
    # Reloaded within the hour: nothing new; a colleague's own look is theirs.
    assert staff_client.get("/en/partner/").status_code == 200
    assert len(_views(db)) == 2
    colleague = scenario.factory.user(Role.PARTNER, partner_id=scenario.partner.id)
    colleague_client = app.test_client()
    sign_in(colleague_client, colleague.login)
    assert colleague_client.get("/en/partner/").status_code == 200
    assert sorted(v.actor_id for v in _views(db)) == sorted(
        [scenario.staff.id] * 2 + [colleague.id] * 2
    )
    login_as(Role.ADMIN)
    page = client.get("/en/admin/audit", query_string={"returnee": offered.owner_id})
    assert 'Referral opened by partner staff</strong> <span class="muted">(in a list)</span>' in (
        page.get_data(as_text=True)
    )


def test_a_returnee_without_requests_sees_who_saw_their_data_on_their_data_page(
    app, client, db, factory, login_as
):
    person = factory.user(Role.RETURNEE, full_name="Aynur Qasımova")
    own = app.test_client()
    assert sign_in(own, person.login).status_code == 302
    before = own.get("/en/my/data").get_data(as_text=True)
    assert "No one else has seen your information yet." in before[before.index('id="seen-by"') :]
    admin = login_as(Role.ADMIN)
    assert client.get(f"/en/admin/accounts/{person.id}").status_code == 200
    after = own.get("/en/my/data").get_data(as_text=True)
    section = after[after.index('id="seen-by"') :]
    assert "State Migration Service</strong>" in section and "an administrator" in section
    assert admin.full_name not in section
    assert "Кто видел Ваши данные" in own.get("/ru/my/data").get_data(as_text=True)


def test_partner_pages_shown_again_and_api_answers_to_actions_are_views(app, client, db, scenario):
    req, referral = scenario.referral(RequestStatus.REFERRED)
    staff_client = app.test_client()
    sign_in(staff_client, scenario.staff.login)
    token = csrf_token(staff_client, f"/en/partner/referrals/{referral.id}")
    # A decline without a reason: the page comes back with the error and the offer's data.
    refused = staff_client.post(
        f"/en/partner/referrals/{referral.id}/decline",
        data={"csrf_token": token, "version": req.version, "decline_note": "Busy"},
    )
    assert refused.status_code == 400
    views = _views(db, returnee_id=req.owner_id)
    assert [(v.kind, v.data["access"]) for v in views] == [
        (audit.VIEW_REFERRAL, "offered"),  # opened, for the token
        (audit.VIEW_REFERRAL, "offered"),  # shown again after the refused decline
    ]
    # The partner's system accepts: the answer names the person, so it is a view too.
    with app.app_context():
        _row, raw = create_api_token(db, scenario.partner, scenario.staff, "Case system")
        db.commit()
    accepted = client.post(
        f"/api/v1/referrals/{referral.id}/accept", headers={"Authorization": f"Bearer {raw}"}
    )
    assert accepted.status_code == 200 and accepted.get_json()["returnee"]["name"]
    last = _views(db, returnee_id=req.owner_id)[-1]
    assert (last.kind, last.referral_id, last.data["access"]) == (
        audit.VIEW_API_REFERRAL,
        referral.id,
        "active",
    )
    assert last.data["api_token_id"] and last.actor_id is None
