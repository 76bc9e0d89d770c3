"""The staff readmissions view: who may see it, filters, views recorded, re-invite, counts."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.db import utcnow
from portal.models import (
    ApiToken,
    CloseOutcome,
    Event,
    Notification,
    Priority,
    ReadmissionCase,
    ReadmissionStatus,
    RequestStatus,
    Role,
)
from portal.services import readmissions as svc
from portal.services import requests as req_svc
from tests.conftest import csrf_token, sign_in
from tests.functional.readmission.conftest import case_data

S = ReadmissionStatus


def make_case(app, db, **kw) -> ReadmissionCase:
    with app.app_context():
        case, _ = svc.upsert_case(db, case_data(**kw), None)
        db.commit()
    return case


def claimed_by(app, db, factory, case) -> object:
    user = factory.user(Role.RETURNEE, phone=case.phone)
    with app.app_context():
        svc.link_case(db, db.get(ReadmissionCase, case.id), user)
        db.commit()
    return user


@pytest.mark.parametrize("role", [Role.RETURNEE, Role.PARTNER])
def test_only_staff_see_cases(app, db, client, login_as, role):
    case = make_case(app, db)
    login_as(role)
    assert client.get("/en/readmissions/").status_code == 403
    assert client.get(f"/en/readmissions/{case.id}").status_code == 403


def test_signed_out_is_sent_to_sign_in(app, db, client):
    case = make_case(app, db)
    response = client.get(f"/en/readmissions/{case.id}")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_every_view_of_a_case_is_recorded(app, db, client, login_as):
    case = make_case(app, db, vulnerabilities=["minor", "disability"])
    worker = login_as(Role.SOCIAL_WORKER)
    for _ in range(2):
        page = client.get(f"/en/readmissions/{case.id}")
        assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert case.full_name in text and "Minor" in text and "Disability" in text
    views = list(
        db.scalars(
            select(Event).where(Event.kind == "readmission_viewed", Event.subject_id == case.id)
        )
    )
    assert [(e.actor_id, e.subject_type) for e in views] == [(worker.id, "readmission_case")] * 2
    assert client.get("/en/readmissions/999999").status_code == 404


def test_list_filters(app, db, client, login_as):
    de = make_case(app, db, requesting_state="DE", region_code="baku", returned_on="2026-03-04")
    no = make_case(app, db, requesting_state="NO", region_code="ganja", returned_on="2026-04-10")
    nophone = make_case(app, db, requesting_state="CH", phone=None, returned_on="2026-04-11")
    login_as(Role.ADMIN)

    def shown(**args):
        text = client.get("/en/readmissions/", query_string=args).get_data(as_text=True)
        return {c.case_number for c in (de, no, nophone) if c.case_number in text}

    assert shown() == {de.case_number, no.case_number, nophone.case_number}
    assert shown(requesting_state="NO") == {no.case_number}
    assert shown(region_code="baku") == {de.case_number}
    assert shown(month="2026-04") == {no.case_number, nophone.case_number}
    assert shown(status="received") == {nophone.case_number}
    assert shown(no_phone="1") == {nophone.case_number}
    # Nonsense filters are ignored, never a 500.
    assert shown(month="2026-13", status="x", region_code="<b>", page="-1") == shown()
    text = client.get("/en/readmissions/").get_data(as_text=True)
    assert "1 case has no phone number" in text
    seen = db.scalars(select(Event).where(Event.kind == "readmission_list_viewed")).all()
    assert sorted(seen[-1].data["case_ids"]) == sorted([de.id, no.id, nophone.id])


def test_a_worker_sends_a_new_code_for_an_expired_invitation(app, db, client, login_as):
    case = make_case(app, db)
    row = db.get(ReadmissionCase, case.id)
    row.invitation_expires_at = utcnow() - timedelta(days=1)
    db.commit()
    login_as(Role.SOCIAL_WORKER)
    page = client.get(f"/en/readmissions/{case.id}").get_data(as_text=True)
    assert "Invitation expired" in page and "Send a new code" in page
    token = csrf_token(client, f"/en/readmissions/{case.id}")
    response = client.post(f"/en/readmissions/{case.id}/invite", data={"csrf_token": token})
    assert response.status_code == 302
    db.expire_all()
    row = db.get(ReadmissionCase, case.id)
    assert row.status == S.INVITED
    assert row.invitation_expires_at > utcnow() + timedelta(days=29)
    assert db.scalar(select(func.count(Notification.id))) == 2  # first code and the new one


def test_a_worker_withdraws_a_case_and_its_code_stops_working(app, db, client, login_as):
    case = make_case(app, db)
    login_as(Role.SOCIAL_WORKER)
    token = csrf_token(client, f"/en/readmissions/{case.id}")
    assert (
        client.post(f"/en/readmissions/{case.id}/withdraw", data={"csrf_token": token}).status_code
        == 302
    )
    db.expire_all()
    row = db.get(ReadmissionCase, case.id)
    assert (row.status, row.invitation_code_hash) == (S.WITHDRAWN, None)


def test_a_claimed_case_links_to_its_returnee_and_path(app, db, client, factory, login_as):
    case = make_case(app, db)
    user = claimed_by(app, db, factory, case)
    req = factory.request(owner=user)
    login_as(Role.SOCIAL_WORKER)
    text = client.get(f"/en/readmissions/{case.id}").get_data(as_text=True)
    assert user.full_name in text
    assert f"/en/triage/requests/{req.id}" in text
    listing = client.get("/en/readmissions/").get_data(as_text=True)
    assert f'/en/readmissions/{case.id}#path"' in listing


def test_a_claimed_case_opened_by_staff_is_in_the_persons_list_of_who_saw_their_data(
    app, db, client, factory, login_as
):
    unclaimed = make_case(app, db)
    case = make_case(app, db)
    user = claimed_by(app, db, factory, case)
    worker = login_as(Role.SOCIAL_WORKER)
    assert client.get(f"/en/readmissions/{unclaimed.id}").status_code == 200
    assert client.get(f"/en/readmissions/{case.id}").status_code == 200
    views = list(db.scalars(select(Event).where(Event.kind == "viewed_readmission_case")))
    assert [(e.actor_id, e.returnee_id, e.data["case_id"]) for e in views] == [
        (worker.id, user.id, case.id)
    ]
    own = app.test_client()
    assert sign_in(own, user.login).status_code == 302
    section = own.get("/en/my/data").get_data(as_text=True)
    section = section[section.index('id="seen-by"') :]
    assert "State Migration Service</strong>" in section and "a social worker" in section
    assert worker.full_name not in section


# --- vulnerabilities reach triage ----------------------------------------------------------------


def test_vulnerabilities_show_in_queue_and_request_page_never_to_partners(
    app, db, client, factory, login_as
):
    case = make_case(app, db, vulnerabilities=["trafficking_victim"])
    user = claimed_by(app, db, factory, case)
    partner_staff = factory.user(Role.PARTNER)
    req = factory.request(owner=user, status=RequestStatus.REFERRED, partner_staff=partner_staff)
    plain = factory.request()
    login_as(Role.SOCIAL_WORKER)
    queue = client.get("/en/triage/", query_string={"status": "all"}).get_data(as_text=True)
    assert queue.count(">Vulnerable</span>") == 1
    assert 'title="Victim of trafficking"' in queue
    page = client.get(f"/en/triage/requests/{req.id}").get_data(as_text=True)
    assert "Victim of trafficking" in page and case.case_number in page
    assert "Victim of trafficking" not in client.get(f"/en/triage/requests/{plain.id}").get_data(
        as_text=True
    )
    # The partner's pages never show the list.
    partner_client = app.test_client()
    from tests.conftest import sign_in

    assert sign_in(partner_client, partner_staff.login).status_code == 302
    referral = req.referrals[0]
    inbox = partner_client.get("/en/partner/").get_data(as_text=True)
    assert "Victim of trafficking" not in inbox and case.case_number not in inbox
    detail = partner_client.get(f"/en/partner/referrals/{referral.id}")
    assert detail.status_code == 200
    assert req.reference in detail.get_data(as_text=True)
    assert "Victim of trafficking" not in detail.get_data(as_text=True)


@pytest.mark.parametrize(
    ("vulnerabilities", "expected"),
    [
        (["minor"], Priority.HIGH),
        (["family_with_children", "disability"], Priority.HIGH),
        (["disability"], Priority.NORMAL),
        ([], Priority.NORMAL),
    ],
)
def test_a_minor_or_a_family_with_children_raises_priority(
    app, db, factory, vulnerabilities, expected
):
    case = make_case(app, db, vulnerabilities=vulnerabilities)
    user = claimed_by(app, db, factory, case)
    req = factory.request(owner=user)
    db.refresh(req)
    assert req.priority == expected


def test_claiming_raises_the_priority_of_open_requests(app, db, factory):
    case = make_case(app, db, vulnerabilities=["minor"])
    user = factory.user(Role.RETURNEE, phone=case.phone)
    req = factory.request(owner=user)
    assert req.priority == Priority.NORMAL
    with app.app_context():
        svc.link_case(db, db.get(ReadmissionCase, case.id), user)
        db.commit()
    db.refresh(req)
    assert req.priority == Priority.HIGH


# --- counts --------------------------------------------------------------------------------------


def test_the_counts_from_known_data(app, db, factory):
    """12 cases: DE 2026-01 x3, DE 2026-02 x2, NO 2026-02 x4, CH 2026-03 x2, 1 withdrawn."""
    made = []
    for state, month, n in [("DE", 1, 3), ("DE", 2, 2), ("NO", 2, 4), ("CH", 3, 2)]:
        for i in range(n):
            extra = {"phone": None} if (state == "CH" and i == 0) else {}
            made.append(
                make_case(
                    app, db, requesting_state=state, returned_on=f"2026-0{month}-1{i}", **extra
                )
            )
    withdrawn = make_case(app, db, requesting_state="DE", returned_on="2026-01-20")
    with app.app_context():
        admin = factory.user(Role.ADMIN)
        svc.withdraw_case(db, db.get(ReadmissionCase, withdrawn.id), admin)
        db.commit()
    # 5 claimed; 3 of them asked for help; 2 were helped (one assistance provided, one closed
    # with help given); a third asked and was closed as not eligible.
    users = [claimed_by(app, db, factory, c) for c in made[:5]]
    factory.request(owner=users[0], status=RequestStatus.ASSISTANCE_PROVIDED)
    closed = factory.request(owner=users[1], status=RequestStatus.IN_REVIEW)
    with app.app_context():
        worker = factory.user(Role.SOCIAL_WORKER)
        req_svc.close_request(db, closed, worker, CloseOutcome.HELP_GIVEN)
        db.commit()
    factory.request(owner=users[2], status=RequestStatus.CLOSED)  # not eligible
    factory.request(owner=users[2])  # a second request of the same person counts once
    with app.app_context():
        funnel = svc.funnel(db)
    assert (funnel.readmitted, funnel.invited, funnel.claimed, funnel.asked, funnel.helped) == (
        11,
        10,
        5,
        3,
        2,
    )
    stages = {name: (n, share) for name, n, share in funnel.stages()}
    assert stages["readmitted"] == (11, None)
    assert stages["invited"][1] == pytest.approx(10 / 11)
    assert stages["claimed"][1] == pytest.approx(0.5)
    assert stages["asked"][1] == pytest.approx(0.6)
    assert stages["helped"][1] == pytest.approx(2 / 3)
    assert funnel.by_month == [
        ("2026-01", "DE", 3),
        ("2026-02", "DE", 2),
        ("2026-02", "NO", 4),
        ("2026-03", "CH", 2),
    ]
    with app.app_context():
        only_no = svc.funnel(db, {"requesting_state": "NO"})
    assert (only_no.readmitted, only_no.claimed, only_no.by_month) == (4, 0, [("2026-02", "NO", 4)])


def test_the_counts_page_shows_stages(app, db, client, login_as):
    make_case(app, db, requesting_state="ME", returned_on=date.today().isoformat())
    login_as(Role.SOCIAL_WORKER)
    text = client.get("/en/readmissions/").get_data(as_text=True)
    assert "From readmission to help" in text
    assert "Montenegro" in text
    assert 'class="stage-invited"' in text


# --- tokens in the admin area --------------------------------------------------------------------


def test_an_admin_revokes_a_readmission_token(app, db, client, login_as, readmission_token):
    login_as(Role.ADMIN)
    token = db.scalar(select(ApiToken).where(ApiToken.kind == "readmission"))
    page = client.get("/en/admin/readmission-tokens").get_data(as_text=True)
    assert token.prefix in page and readmission_token not in page
    csrf = csrf_token(client, "/en/admin/readmission-tokens")
    response = client.post(
        f"/en/admin/readmission-tokens/{token.id}/revoke", data={"csrf_token": csrf}
    )
    assert response.status_code == 302
    api = client.get(
        "/api/v1/readmissions/X", headers={"Authorization": f"Bearer {readmission_token}"}
    )
    assert api.status_code == 401


def test_workers_cannot_manage_tokens(client, login_as, readmission_token):
    login_as(Role.SOCIAL_WORKER)
    assert client.get("/en/admin/readmission-tokens").status_code == 403


def test_the_cli_makes_a_token_printed_once_stored_as_hash(app, db):
    result = app.test_cli_runner().invoke(
        args=["readmissions", "token", "create", "--name", "RCMS production"]
    )
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    token = db.scalar(select(ApiToken).where(ApiToken.name == "RCMS production"))
    assert token.kind == "readmission" and token.partner_id is None
    assert token.token_hash != raw and raw.startswith(token.prefix)


@pytest.mark.parametrize("lang", ["az", "ru"])
def test_staff_pages_are_translated(app, db, client, login_as, lang):
    case = make_case(app, db, vulnerabilities=["minor"])
    login_as(Role.ADMIN)
    expected = {"az": ("Readmissiyalar", "Azyaşlı"), "ru": ("Реадмиссии", "Несовершеннолетний")}
    listing = client.get(f"/{lang}/readmissions/").get_data(as_text=True)
    assert expected[lang][0] in listing
    page = client.get(f"/{lang}/readmissions/{case.id}").get_data(as_text=True)
    assert expected[lang][1] in page
    for url in ("/admin/readmissions/upload", "/admin/readmission-tokens"):
        assert client.get(f"/{lang}{url}").status_code == 200


def test_the_page_shows_the_counts_per_month_and_state_and_the_conversions(
    app, db, client, factory, login_as
):
    """Known data: DE 2026-01 x3, DE 2026-02 x1, NO 2026-02 x2 (one without a phone), one
    withdrawn; 2 claimed, 1 of them asked for help and was helped."""
    made = [
        make_case(app, db, requesting_state=state, returned_on=day, **extra)
        for state, day, extra in (
            ("DE", "2026-01-05", {}),
            ("DE", "2026-01-06", {}),
            ("DE", "2026-01-07", {}),
            ("DE", "2026-02-01", {}),
            ("NO", "2026-02-02", {}),
            ("NO", "2026-02-03", {"phone": None}),
        )
    ]
    withdrawn = make_case(app, db, requesting_state="NO", returned_on="2026-02-04")
    with app.app_context():
        svc.withdraw_case(db, db.get(ReadmissionCase, withdrawn.id), factory.user(Role.ADMIN))
        db.commit()
    helped = claimed_by(app, db, factory, made[0])
    claimed_by(app, db, factory, made[4])
    factory.request(owner=helped, status=RequestStatus.ASSISTANCE_PROVIDED)
    login_as(Role.SOCIAL_WORKER)

    def figures(**args):
        html = client.get("/en/readmissions/", query_string=args).get_data(as_text=True)
        stages = {
            name: (count, share.strip())
            for name, count, share in re.findall(
                r'<tr class="stage-(\w+)"><th scope="row">[^<]+</th><td class="num">(\d+)</td>'
                r'\s*<td class="num">([^<]+)</td>',
                html,
            )
        }
        by_month = re.findall(
            r"<tr><td>(\d{4}-\d{2})</td><td>[^<]+ \((\w\w)\)</td><td class=\"num\">(\d+)</td>",
            html,
        )
        return stages, by_month

    stages, by_month = figures()
    assert stages == {
        "readmitted": ("6", "—"),
        "invited": ("5", "83 %"),
        "claimed": ("2", "40 %"),
        "asked": ("1", "50 %"),
        "helped": ("1", "100 %"),
    }
    assert by_month == [("2026-01", "DE", "3"), ("2026-02", "DE", "1"), ("2026-02", "NO", "2")]
    stages, by_month = figures(requesting_state="NO")
    assert (stages["readmitted"], stages["claimed"]) == (("2", "—"), ("1", "100 %"))
    assert by_month == [("2026-02", "NO", "2")]
    stages, by_month = figures(month="2026-01")
    assert stages["readmitted"][0] == "3" and by_month == [("2026-01", "DE", "3")]


def test_a_never_claimed_invitation_is_listed_and_a_new_code_replaces_the_old(
    app, db, client, login_as
):
    case = make_case(app, db)
    first = db.scalars(select(Notification).order_by(Notification.id.desc())).first()
    old_code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", first.body).group(0)
    login_as(Role.SOCIAL_WORKER)
    listing = client.get("/en/readmissions/", query_string={"status": "invited"})
    assert case.case_number in listing.get_data(as_text=True)
    page = client.get(f"/en/readmissions/{case.id}").get_data(as_text=True)
    assert "Send a new code" in page
    token = csrf_token(client, f"/en/readmissions/{case.id}")
    assert (
        client.post(f"/en/readmissions/{case.id}/invite", data={"csrf_token": token}).status_code
        == 302
    )
    sms = db.scalars(select(Notification).order_by(Notification.id.desc())).first()
    assert sms.id != first.id and sms.to_address == case.phone
    new_code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", sms.body).group(0)
    with app.app_context():
        assert svc.check_invitation(db, new_code, case.phone).id == case.id
        with pytest.raises(svc.InvitationRefused):
            svc.check_invitation(db, old_code, case.phone)
    kinds = db.scalars(
        select(Event.kind).where(Event.subject_id == case.id, Event.kind == "readmission_invited")
    ).all()
    assert len(kinds) == 2


@pytest.mark.parametrize("role", [Role.RETURNEE, Role.PARTNER])
def test_only_staff_send_codes_or_withdraw(app, db, client, login_as, role):
    case = make_case(app, db)
    login_as(role)
    for action in ("invite", "withdraw"):
        assert client.post(f"/en/readmissions/{case.id}/{action}", data={}).status_code == 403
    db.expire_all()
    assert db.get(ReadmissionCase, case.id).status == S.INVITED
    assert db.scalar(select(func.count(Notification.id))) == 1


# --- a case without a phone: invited by a call or at the border point ----------------------------


def _send_phone(client, case_id, phone, lang="en"):
    token = csrf_token(client, f"/{lang}/readmissions/{case_id}")
    return client.post(
        f"/{lang}/readmissions/{case_id}/phone", data={"csrf_token": token, "phone": phone}
    )


def test_a_worker_invites_a_case_without_a_phone_at_the_number_the_person_gave(
    app, db, client, login_as, readmission_token
):
    case = make_case(app, db, phone=None, locale="az")
    worker = login_as(Role.SOCIAL_WORKER)
    page = client.get(f"/en/readmissions/{case.id}").get_data(as_text=True)
    assert "The person's mobile number" in page and 'inputmode="tel"' in page
    response = _send_phone(client, case.id, "050 777 12 34")
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    code = re.search(r"Its code is ([0-9A-Z]{4}-[0-9A-Z]{4})", shown).group(1)
    db.expire_all()
    row = db.get(ReadmissionCase, case.id)
    assert (row.phone, row.status) == ("+994507771234", S.INVITED)
    sms = db.scalar(select(Notification))
    assert sms.to_address == "+994507771234" and code in sms.body and "/az/invitation" in sms.body
    with app.app_context():
        assert svc.check_invitation(db, code, "+994507771234").id == case.id
    events = db.scalars(
        select(Event)
        .where(Event.subject_id == case.id, Event.kind != "readmission_viewed")
        .order_by(Event.id.desc())
    ).all()
    assert [e.kind for e in events[:2]] == ["readmission_invited", "readmission_updated"]
    assert events[1].actor_id == worker.id and events[1].data["fields"] == ["phone"]
    # The case system sends the case again without a phone: the number given is kept.
    again = client.post(
        "/api/v1/readmissions",
        json={**case_data(phone=None), "case_number": case.case_number, "locale": "az"},
        headers={"Authorization": f"Bearer {readmission_token}"},
    )
    assert again.status_code == 200
    db.expire_all()
    assert db.get(ReadmissionCase, case.id).phone == "+994507771234"
    # The form is gone once the case has a phone; sending again is refused with a message.
    page = client.get(f"/en/readmissions/{case.id}").get_data(as_text=True)
    assert "The person's mobile number" not in page
    refused = _send_phone(client, case.id, "+994507770000")
    assert refused.status_code == 302
    assert "already has a phone number" in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "Enter the mobile number."),
        ("12345", "Enter a phone number in the correct format"),
        ("+994 12 404 12 34", "This is a landline number"),
        ("+99450\x00", "invisible control characters"),
    ],
)
def test_a_wrong_number_for_a_case_without_a_phone_is_shown_next_to_the_field(
    app, db, client, login_as, phone, message
):
    case = make_case(app, db, phone=None)
    login_as(Role.SOCIAL_WORKER)
    response = _send_phone(client, case.id, phone)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    db.expire_all()
    assert db.get(ReadmissionCase, case.id).phone is None
    assert db.scalar(select(func.count(Notification.id))) == 0


@pytest.mark.parametrize("role", [Role.RETURNEE, Role.PARTNER])
def test_only_staff_add_a_phone(app, db, client, login_as, role):
    case = make_case(app, db, phone=None)
    login_as(role)
    assert (
        client.post(
            f"/en/readmissions/{case.id}/phone", data={"phone": "+994507771234"}
        ).status_code
        == 403
    )
    db.expire_all()
    assert db.get(ReadmissionCase, case.id).phone is None
