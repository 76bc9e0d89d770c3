"""The partner API: token auth, the same rules as the pages, exact JSON errors, the document."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.api.openapi import openapi_document
from portal.models import (
    ApiToken,
    AssistanceRecord,
    CloseOutcome,
    Event,
    MessageVisibility,
    ReferralStatus,
    ReferralUpdate,
    RequestStatus,
)
from portal.services import requests as svc
from portal.services.api_tokens import create_api_token, revoke_api_token
from portal.services.referrals import local_today

jsonschema_rs = pytest.importorskip("jsonschema_rs")  # comes with schemathesis
S = RequestStatus
TODAY = local_today()
DOC = openapi_document()


def conforms(payload, schema_name: str) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": DOC["components"]}
    jsonschema_rs.Draft202012Validator(schema, validate_formats=True).validate(payload)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api(client, method, path, token, **kw):
    response = getattr(client, method)(f"/api/v1{path}", headers=auth(token), **kw)
    assert response.content_type == "application/json"
    if response.status_code >= 400:
        conforms(response.get_json(), "Error")
    return response


# --- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", [None, "Bearer", "Bearer rsp_wrong", "Basic dXNlcjpwYXNz", "rsp_x"]
)
def test_401_without_a_valid_token(client, scenario, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/referrals", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_no_longer_works(client, app, db, scenario, token):
    assert api(client, "get", "/referrals", token).status_code == 200
    row = db.scalar(select(ApiToken))
    with app.app_context():
        revoke_api_token(db, row, scenario.staff)
        db.commit()
    assert api(client, "get", "/referrals", token).status_code == 401


def test_use_is_recorded(client, db, scenario, token):
    assert db.scalar(select(ApiToken.last_used_at)) is None
    api(client, "get", "/referrals", token)
    db.expire_all()
    assert db.scalar(select(ApiToken.last_used_at)) is not None


def test_a_session_cookie_is_not_enough(client, scenario, as_staff_cookie):
    assert client.get("/api/v1/referrals").status_code == 401


@pytest.fixture
def as_staff_cookie(client, scenario):
    from tests.conftest import sign_in

    assert sign_in(client, scenario.staff.login).status_code == 302


# --- reading -------------------------------------------------------------------------------------


def test_list_shows_only_the_organisations_referrals(client, scenario, token):
    mine, _ = scenario.referral(S.REFERRED)
    theirs, _ = scenario.referral(S.REFERRED, staff=scenario.other_staff)
    response = api(client, "get", "/referrals", token)
    assert response.status_code == 200
    payload = response.get_json()
    conforms(payload, "ReferralList")
    refs = [r["request"]["reference"] for r in payload["data"]]
    assert refs == [mine.reference] and theirs.reference not in refs


def test_list_filters_and_pages_with_a_cursor(client, db, scenario, token):
    made = [scenario.referral(S.REFERRED)[1] for _ in range(3)]
    accepted = scenario.referral(S.IN_PROGRESS)[1]
    seen = []
    cursor = None
    for _ in range(5):
        query = {"limit": 2, "status": "pending"} | ({"cursor": cursor} if cursor else {})
        payload = api(client, "get", "/referrals", token, query_string=query).get_json()
        seen += [r["id"] for r in payload["data"]]
        cursor = payload["next_cursor"]
        if not cursor:
            break
    assert seen == [r.id for r in made]
    later = (accepted.updated_at + timedelta(microseconds=1)).isoformat()
    payload = api(
        client, "get", "/referrals", token, query_string={"updated_since": later}
    ).get_json()
    assert payload["data"] == []
    since = accepted.updated_at.isoformat()
    payload = api(
        client, "get", "/referrals", token, query_string={"updated_since": since}
    ).get_json()
    assert [r["id"] for r in payload["data"]] == [accepted.id]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "nonsense"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "ten"},
        {"cursor": "%%%"},
        {"cursor": "bm90LWEtY3Vyc29y"},
        {"updated_since": "yesterday"},
    ],
)
def test_bad_list_parameters_are_400(client, scenario, token, query):
    response = api(client, "get", "/referrals", token, query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"


def test_read_one_with_what_the_partner_needs(client, scenario, token):
    req, referral = scenario.referral(S.IN_PROGRESS)
    scenario.message(req, "Shared hello")
    scenario.message(req, "Secret SMS note", MessageVisibility.INTERNAL)
    scenario.message(req, "For you", MessageVisibility.INTERNAL, for_partner=True)
    payload = api(client, "get", f"/referrals/{referral.id}", token).get_json()
    conforms(payload, "ReferralDetail")
    conforms(payload, "ReferralActive")
    assert payload["access"] == "active"
    assert payload["returnee"]["name"] == req.owner.full_name
    assert payload["returnee"]["contact"] == {
        "preference": "phone_call",
        "phone": req.owner.phone,
        "email": None,
        "language": "az",
    }
    assert payload["note"] == "Please help"
    assert payload["answers"] == req.answers
    assert [m["body"] for m in payload["messages"]] == ["Shared hello", "For you"]
    assert "document_fees" in payload["assistance_kinds"]


def test_a_pending_referral_gives_nothing_that_identifies_the_person(client, scenario, token):
    """Issue 10, item 8: until accepted, the kind of help, region, urgency and note only."""
    req, referral = scenario.referral(S.REFERRED)
    scenario.message(req, "Shared hello")
    scenario.message(req, "For you", MessageVisibility.INTERNAL, for_partner=True)
    payload = api(client, "get", f"/referrals/{referral.id}", token).get_json()
    conforms(payload, "ReferralOffered")
    assert payload["access"] == "offered"
    assert payload["returnee"] is None and payload["answers"] is None
    assert payload["description"] is None and payload["messages"] == []
    assert payload["note"] == "Please help"
    assert payload["request"]["category"] == "documentation"
    assert payload["request"]["region_code"] == "ganja"
    assert payload["request"]["urgency"] == "this_week"
    text = str(payload)
    assert req.owner.full_name not in text and req.owner.phone not in text
    listed = api(client, "get", "/referrals", token).get_json()["data"]
    assert [r["access"] for r in listed] == ["offered"]
    # Accepting opens what the partner needs to help.
    accepted = api(client, "post", f"/referrals/{referral.id}/accept", token).get_json()
    conforms(accepted, "ReferralActive")
    assert accepted["returnee"]["name"] == req.owner.full_name


def test_the_document_says_which_fields_appear_in_which_state():
    detail = DOC["components"]["schemas"]["ReferralDetail"]
    assert len(detail["oneOf"]) == 3
    schemas = DOC["components"]["schemas"]
    for name in ("ReferralOffered", "ReferralEnded"):
        props = schemas[name]["properties"]
        assert props["returnee"] == {"type": "null", "description": "Not given in this state."}
        assert props["answers"]["type"] == "null" and props["messages"]["maxItems"] == 0
    active = schemas["ReferralActive"]["properties"]
    assert active["returnee"]["type"] == "object" and active["access"]["const"] == "active"


@pytest.mark.usefixtures("pinned_day")  # TODAY stays today past midnight
def test_another_organisations_referral_is_404_on_every_route(client, db, scenario, token):
    _req, referral = scenario.referral(S.IN_PROGRESS, staff=scenario.other_staff)
    rid = referral.id
    calls = [
        ("get", f"/referrals/{rid}", None),
        ("post", f"/referrals/{rid}/accept", {}),
        ("post", f"/referrals/{rid}/decline", {"reason": "no_capacity"}),
        ("post", f"/referrals/{rid}/updates", {"body": "x"}),
        (
            "post",
            f"/referrals/{rid}/assistance",
            {"kind": "other", "given_on": TODAY.isoformat(), "description": "x"},
        ),
    ]
    for method, path, body in calls:
        kw = {"json": body} if body is not None else {}
        response = api(client, method, path, token, **kw)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    db.expire_all()
    assert referral.status == ReferralStatus.ACCEPTED
    for path in ("/referrals/0", "/referrals/99999999999", "/referrals/123456"):
        assert api(client, "get", path, token).status_code == 404


# --- actions -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("pinned_day")  # TODAY stays today past midnight
def test_accept_update_and_record_assistance_through_the_api(client, db, scenario, token):
    req, referral = scenario.referral(S.REFERRED)
    response = api(client, "post", f"/referrals/{referral.id}/accept", token)
    assert response.status_code == 200
    conforms(response.get_json(), "ReferralDetail")
    assert response.get_json()["status"] == "accepted"
    assert api(client, "post", f"/referrals/{referral.id}/accept", token).status_code == 409

    response = api(
        client, "post", f"/referrals/{referral.id}/updates", token, json={"body": "Visited"}
    )
    assert response.status_code == 201
    assert [u["body"] for u in response.get_json()["updates"]] == ["Visited"]

    response = api(
        client,
        "post",
        f"/referrals/{referral.id}/assistance",
        token,
        json={
            "kind": "legal_advice",
            "given_on": TODAY.isoformat(),
            "description": "Two sessions with a lawyer",
            "amount_azn": 120.5,
            "units": 2,
        },
    )
    assert response.status_code == 201
    payload = response.get_json()
    conforms(payload, "ReferralDetail")
    assert payload["status"] == "completed"
    assert payload["request"]["status"] == "assistance_provided"
    assert payload["assistance"][0]["amount_azn"] == "120.50"
    db.expire_all()
    assert req.status == S.ASSISTANCE_PROVIDED
    events = {e.kind: e for e in db.scalars(select(Event).where(Event.request_id == req.id))}
    token_id = db.scalar(select(ApiToken.id))
    for kind in ("referral_accepted", "referral_update", "assistance_provided"):
        assert events[kind].data["partner_id"] == scenario.partner.id
        assert events[kind].data["api_token_id"] == token_id
    assert events["assistance_provided"].data["given_on"] == TODAY.isoformat()
    update = db.scalar(select(ReferralUpdate))
    assert update.author_id is None and update.body == "Visited"


def test_decline_through_the_api(client, db, scenario, token):
    req, referral = scenario.referral(S.REFERRED)
    response = api(
        client,
        "post",
        f"/referrals/{referral.id}/decline",
        token,
        json={"reason": "other", "note": "We closed the office"},
    )
    assert response.status_code == 200
    payload = response.get_json()
    assert payload["decline"] == {"reason": "other", "note": "We closed the office"}
    assert payload["access"] == "ended" and payload["returnee"] is None
    assert payload["answers"] is None and payload["messages"] == []
    conforms(payload, "ReferralEnded")
    db.expire_all()
    assert req.status == S.IN_REVIEW
    again = api(
        client, "post", f"/referrals/{referral.id}/decline", token, json={"reason": "other"}
    )
    assert again.status_code == 409


def test_access_ends_when_the_request_is_closed(client, app, db, scenario, token):
    req, referral = scenario.referral(S.IN_PROGRESS)
    with app.app_context():
        svc.close_request(db, req, scenario.worker, CloseOutcome.UNREACHABLE)
        db.commit()
    scenario.message(req, "After closing")
    payload = api(client, "get", f"/referrals/{referral.id}", token).get_json()
    assert payload["status"] == "cancelled" and payload["access"] == "ended"
    assert payload["returnee"] is None and payload["messages"] == []
    conforms(payload, "ReferralDetail")
    response = api(client, "post", f"/referrals/{referral.id}/updates", token, json={"body": "x"})
    assert response.status_code == 409


GOOD_ASSISTANCE = {"kind": "legal_advice", "given_on": TODAY.isoformat(), "description": "Done"}


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("assistance", {**GOOD_ASSISTANCE, "amount_azn": -1}, 422, "amount_azn"),
        ("assistance", {**GOOD_ASSISTANCE, "amount_azn": "12"}, 422, "amount_azn"),
        ("assistance", {**GOOD_ASSISTANCE, "amount_azn": 1e300}, 422, "amount_azn"),
        ("assistance", {**GOOD_ASSISTANCE, "amount_azn": True}, 422, "amount_azn"),
        ("assistance", {**GOOD_ASSISTANCE, "units": 0}, 422, "units"),
        ("assistance", {**GOOD_ASSISTANCE, "units": 1.5}, 422, "units"),
        (
            "assistance",
            {**GOOD_ASSISTANCE, "given_on": (TODAY + timedelta(days=1)).isoformat()},
            422,
            "given_on",
        ),
        ("assistance", {**GOOD_ASSISTANCE, "given_on": "12.03.2026"}, 422, "given_on"),
        ("assistance", {**GOOD_ASSISTANCE, "given_on": "2026-02-30"}, 422, "given_on"),
        ("assistance", {**GOOD_ASSISTANCE, "kind": "job_placement"}, 422, "kind"),
        ("assistance", {**GOOD_ASSISTANCE, "kind": 3}, 422, "kind"),
        ("assistance", {**GOOD_ASSISTANCE, "description": "x" * 2001}, 422, "description"),
        ("assistance", {**GOOD_ASSISTANCE, "description": "  "}, 422, "description"),
        ("assistance", {**GOOD_ASSISTANCE, "description": "a\x00b"}, 422, "description"),
        ("assistance", {**GOOD_ASSISTANCE, "extra": 1}, 422, "extra"),
        ("assistance", {"kind": "legal_advice"}, 422, "description"),
        ("updates", {"body": "x" * 2001}, 422, "body"),
        ("updates", {"body": ["list"]}, 422, "body"),
        ("updates", {}, 422, "body"),
        ("decline", {"reason": "bored"}, 422, "reason"),
        ("decline", {"reason": "other"}, 422, "note"),
        ("decline", {"reason": "other", "note": "n" * 1001}, 422, "note"),
        ("accept", {"please": True}, 422, "please"),
    ],
)
@pytest.mark.usefixtures("pinned_day")  # TODAY stays today past midnight
def test_bad_input_is_refused_and_changes_nothing(
    client, db, scenario, token, path, body, status, field
):
    req, referral = scenario.referral(S.IN_PROGRESS if path != "accept" else S.REFERRED)
    before = (referral.status, req.status, req.version)
    response = api(client, "post", f"/referrals/{referral.id}/{path}", token, json=body)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["field"] == field
    db.expire_all()
    assert (referral.status, req.status, req.version) == before
    assert db.scalar(select(AssistanceRecord)) is None
    assert db.scalar(select(ReferralUpdate)) is None


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"text"', "application/json"),
        (b'{"body": NaN}', "application/json"),
        (b"", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"body=x", "application/x-www-form-urlencoded"),
        (b"[" * 5000 + b"]" * 5000, "application/json"),
    ],
)
def test_malformed_bodies_are_400(client, db, scenario, token, data, content_type):
    _req, referral = scenario.referral(S.IN_PROGRESS)
    response = api(
        client,
        "post",
        f"/referrals/{referral.id}/updates",
        token,
        data=data,
        content_type=content_type,
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert db.scalar(select(ReferralUpdate)) is None


def test_no_csrf_token_is_needed(client, scenario, token):
    _req, referral = scenario.referral(S.REFERRED)
    response = client.post(f"/api/v1/referrals/{referral.id}/accept", headers=auth(token))
    assert response.status_code == 200


def test_rate_limited(app_factory, db, scenario):
    app = app_factory(RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute")
    with app.app_context():
        _row, raw = create_api_token(db, scenario.partner, scenario.staff, "Busy system")
        db.commit()
    client = app.test_client()
    codes = [client.get("/api/v1/referrals", headers=auth(raw)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = client.get("/api/v1/referrals", headers=auth(raw))
    assert response.get_json()["error"]["code"] == "rate_limited"
    conforms(response.get_json(), "Error")
    # Only the API is limited: the limiter looks at the API's requests, first of their
    # checks, and not at the portal's pages (extensions._check_only_in).
    (limiter,) = app.extensions["limiter"]
    check = limiter._check_request_limit
    assert check not in app.before_request_funcs.get(None, [])
    assert app.before_request_funcs["api"][0] == check
    assert [client.get("/en/privacy").status_code for _ in range(4)] == [200] * 4


def test_inactive_organisation_tokens_stop_working(client, db, scenario, token):
    scenario.partner.is_active = False
    db.commit()
    assert api(client, "get", "/referrals", token).status_code == 401


# --- the OpenAPI document -----------------------------------------------------------------------


def _doc_operations(doc) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _app_operations(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = rule.rule
        for arg in rule.arguments:
            for conv in ("int:", "path:", ""):
                path = path.replace(f"<{conv}{arg}>", f"{{{arg}}}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((path, method))
    return out


def test_the_document_describes_every_route_and_nothing_else(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert _doc_operations(doc) == _app_operations(app)
    # path parameters in the document are those of the rule
    for path, item in doc["paths"].items():
        names = {p["name"] for op in item.values() for p in op.get("parameters", [])}
        for segment in path.split("/"):
            if segment.startswith("{"):
                assert segment.strip("{}") in names, path


def test_the_document_is_valid_openapi_31():
    for schema in DOC["components"]["schemas"].values():
        jsonschema_rs.Draft202012Validator({**schema, "components": DOC["components"]})
    for item in DOC["paths"].values():
        for operation in item.values():
            for code in operation["responses"]:
                assert code.isdigit()
