"""The partner API: a partner organisation's system reads and answers its referrals.

Bearer-token auth only (no cookies, so no CSRF); the same services as the partner pages;
errors as {"error": {"code": ..., "message": ...}} (and "field" for bad input).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app, g, jsonify, request
from sqlalchemy import and_, or_, select
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from portal.api import bp
from portal.api.openapi import openapi_document
from portal.db import db
from portal.inputs import json_problem, parse_datetime_strict
from portal.models import ApiToken, AssistanceRequest, DeclineReason, Referral, ReferralStatus
from portal.models.enums import AssistanceKind
from portal.services import api_tokens as tokens_svc
from portal.services import audit
from portal.services import referrals as svc
from portal.services.errors import ServiceError, StaleRequest, TransitionNotAllowed
from portal.services.referrals import InvalidInput

MAX_ID = 2**31 - 1
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
PUBLIC_ENDPOINTS = {"api.openapi"}
# Served to the readmission case management system's token only (portal/api/readmissions.py).
READMISSION_ENDPOINTS = {"api.create_readmission", "api.get_readmission"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def _error(status: int, code: str, message: str, field: str | None = None, headers=None):
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    db.rollback()
    headers = {"WWW-Authenticate": 'Bearer realm="partner-api"'} if exc.status == 401 else None
    return _error(exc.status, exc.code, exc.message, exc.field, headers)


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
_HTTP_MESSAGES = {
    404: "Not found.",
    429: "Too many requests. Slow down and try again in a minute.",
}


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    db.rollback()
    code = exc.code or 500
    if code >= 500:
        return _error(500, "server_error", "Something went wrong. Please try again later.")
    message = _HTTP_MESSAGES.get(code) or (exc.description or exc.name)
    response = _error(code, _HTTP_CODES.get(code, "error"), message)
    if code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


@bp.before_request
def _limit_body():
    # Smaller than the pages' limit: the largest valid body is a few kilobytes of JSON.
    limit = current_app.config["API_MAX_CONTENT_LENGTH"]
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()  # at once, before the token or the referral is looked up


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    token = None
    kind = (
        ApiToken.KIND_READMISSION
        if request.endpoint in READMISSION_ENDPOINTS
        else ApiToken.KIND_PARTNER
    )
    if scheme.lower() == "bearer" and raw.strip():
        token = tokens_svc.authenticate_api_token(db, raw.strip(), kind)
    if token is None:
        if scheme.lower() == "bearer" and tokens_svc.belongs_to_inactive_partner(db, raw.strip()):
            raise ApiError(
                401,
                "organisation_inactive",
                "Your organisation is no longer active in the portal: its tokens do not work.",
            )
        raise ApiError(401, "unauthorized", "Send a valid token: Authorization: Bearer <token>.")
    db.commit()  # last_used_at
    g.api_token = token
    if kind == ApiToken.KIND_PARTNER:
        g.api_actor = tokens_svc.api_actor(token)
    return None


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# --- input --------------------------------------------------------------------------------------


def _reject_constant(name: str):
    raise ValueError(name)


def _json_object(allow_empty: bool = False) -> dict[str, Any]:
    """The request body as a JSON object (400 when it is not one)."""
    data = request.get_data(cache=True)
    if not data.strip():
        if allow_empty:
            return {}
        raise ApiError(400, "invalid_json", "Send a JSON object as the request body.")
    if request.mimetype and request.mimetype != "application/json":
        raise ApiError(400, "invalid_json", "Send the body as application/json.")
    try:
        body = json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    field = json_problem(body)
    if field is not None:
        # The input gate: NUL and other control characters (tab and line breaks are fine in
        # text), or broken Unicode, which the database cannot store.
        raise ApiError(
            422,
            "invalid_value",
            "Text may not contain control characters (other than tab and line breaks) "
            "or broken Unicode.",
            field[:50],
        )
    return body


def _check_fields(body: dict[str, Any], allowed: set[str], required: set[str]) -> None:
    for name in body:
        if name not in allowed:
            raise ApiError(422, "unknown_field", f"Unknown field: {name[:50]}.", name[:50])
    for name in sorted(required):
        if body.get(name) is None:
            raise ApiError(422, "missing_field", f"The field {name} is required.", name)


def _string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(422, "wrong_type", f"The field {name} must be a string.", name)
    return value


def _id(value: int) -> int:
    if not 0 < value <= MAX_ID:
        raise ApiError(404, "not_found", "No such referral.")
    return value


def _load_referral(referral_id: int) -> Referral:
    """A referral sent to the token's organisation; 404 for anything else."""
    referral = db.get(Referral, _id(referral_id))
    if referral is None or referral.partner_id != g.api_token.partner_id:
        raise ApiError(404, "not_found", "No such referral.")
    return referral


def _refused(exc: ServiceError):
    db.rollback()
    message = str(exc.message)
    if isinstance(exc, InvalidInput):
        raise ApiError(422, "invalid_value", message, exc.field)
    if isinstance(exc, StaleRequest | TransitionNotAllowed):
        raise ApiError(409, "conflict", message)
    if exc.code == "forbidden":
        raise ApiError(409, "conflict", message)
    raise ApiError(422, "refused", message)


# --- output -------------------------------------------------------------------------------------


def _ts(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _summary(referral: Referral) -> dict[str, Any]:
    req: AssistanceRequest = referral.request
    return {
        "id": referral.id,
        "status": referral.status.value,
        "access": svc.partner_access(referral).value,
        "created_at": _ts(referral.created_at),
        "updated_at": _ts(referral.updated_at),
        "responded_at": _ts(referral.responded_at),
        "completed_at": _ts(referral.completed_at),
        "request": {
            "reference": req.reference,
            "category": req.category.value,
            "status": req.status.value,
            "priority": req.priority.value,
            "urgency": req.urgency.value,
            "region_code": req.region_code,
        },
    }


def _detail(referral: Referral) -> dict[str, Any]:
    req = referral.request
    live = svc.access_is_live(referral)
    contact = svc.contact_for_partner(referral)
    if contact is not None:
        preference = contact["preference"]
        contact = {**contact, "preference": preference.value if preference else None}
    out = _summary(referral)
    out.update(
        {
            "note": referral.note,
            "decline": (
                {"reason": referral.decline_reason.value, "note": referral.decline_note}
                if referral.decline_reason
                else None
            ),
            # Who the person is only while the partner works with them (see PartnerAccess).
            "returnee": {"name": req.owner.full_name, "contact": contact} if live else None,
            "answers": dict(req.answers or {}) if live else None,
            "description": req.description if live else None,
            "assistance_kinds": [k.value for k in AssistanceKind.for_category(req.category)],
            "messages": [
                {
                    "id": m.id,
                    "kind": "shared" if m.visibility.value == "shared" else "note_for_partner",
                    "body": m.body,
                    "created_at": _ts(m.created_at),
                }
                for m in svc.messages_for_partner(db, referral)
            ],
            "updates": [
                {"id": u.id, "body": u.body, "created_at": _ts(u.created_at)}
                for u in svc.updates_of(db, referral)
            ],
            "assistance": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "given_on": r.given_on.isoformat(),
                    "description": r.description,
                    "amount_azn": None if r.amount_azn is None else f"{r.amount_azn:.2f}",
                    "units": r.units,
                    "created_at": _ts(r.created_at),
                }
                for r in svc.assistance_of(db, referral)
            ],
        }
    )
    return out


# --- routes -------------------------------------------------------------------------------------


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


def _cursor_encode(referral: Referral) -> str:
    raw = f"{referral.updated_at.astimezone(UTC).isoformat()}|{referral.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_decode(text: str) -> tuple[datetime, int]:
    try:
        if len(text) > 200:
            raise ValueError
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        moment = parse_datetime_strict(stamp)
        if moment is None or not (ident.isascii() and ident.isdigit()) or len(ident) > 10:
            raise ValueError
        return moment, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "invalid_parameter", "The cursor is not valid.", "cursor") from None


def _since(text: str) -> datetime:
    """A date and time within sane years (strict ISO 8601); 400 for anything else."""
    moment = parse_datetime_strict(text)
    if moment is None:
        raise ApiError(
            400,
            "invalid_parameter",
            "updated_since must be a date and time like 2026-03-12T09:30:00Z (years 1900 to 2100).",
            "updated_since",
        )
    return moment


@bp.route("/referrals")
def list_referrals():
    args = request.args
    query = select(Referral).where(Referral.partner_id == g.api_token.partner_id)
    if args.get("status"):
        try:
            status = ReferralStatus(args["status"])
        except ValueError:
            raise ApiError(
                400,
                "invalid_parameter",
                "status must be one of: " + ", ".join(s.value for s in ReferralStatus) + ".",
                "status",
            ) from None
        query = query.where(Referral.status == status)
    if args.get("updated_since"):
        query = query.where(Referral.updated_at >= _since(args["updated_since"]))
    limit = DEFAULT_LIMIT
    if args.get("limit") is not None:
        text = args["limit"]
        digits = text.isascii() and text.isdigit() and len(text) <= 4
        if not digits or not 1 <= int(text) <= MAX_LIMIT:
            raise ApiError(
                400,
                "invalid_parameter",
                f"limit must be a whole number from 1 to {MAX_LIMIT}.",
                "limit",
            )
        limit = int(text)
    if args.get("cursor"):
        moment, last_id = _cursor_decode(args["cursor"])
        query = query.where(
            or_(
                Referral.updated_at > moment,
                and_(Referral.updated_at == moment, Referral.id > last_id),
            )
        )
    rows = list(db.scalars(query.order_by(Referral.updated_at, Referral.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    # Each item tells the partner about one returnee's request: a view, like reading it
    # (once an hour per token and referral: a system may poll the list every minute).
    audit.record_views(
        db,
        g.api_actor,
        referrals=rows,
        kind=audit.VIEW_API_REFERRAL,
        data={"list": True},
        once_per=audit.LIST_VIEW_ONCE_PER,
    )
    db.commit()
    return jsonify(
        {
            "data": [_summary(r) for r in rows],
            "next_cursor": _cursor_encode(rows[-1]) if more and rows else None,
        }
    )


def _answer(referral: Referral, status: int = 200):
    """The referral as the partner's system may see it now, recorded as a view: reading it, and
    the answer to every action on it, carry the returnee's data while the access is live."""
    payload = _detail(referral)
    audit.record_view(
        db,
        g.api_actor,
        referral=referral,
        kind=audit.VIEW_API_REFERRAL,
        data={"access": payload["access"]},
    )
    db.commit()
    return jsonify(payload), status


@bp.route("/referrals/<int:referral_id>")
def get_referral(referral_id: int):
    return _answer(_load_referral(referral_id))


@bp.route("/referrals/<int:referral_id>/accept", methods=["POST"])
def accept_referral(referral_id: int):
    referral = _load_referral(referral_id)
    body = _json_object(allow_empty=True)
    _check_fields(body, set(), set())
    try:
        svc.accept_referral(db, referral.request, g.api_actor, referral=referral)
    except ServiceError as exc:
        _refused(exc)
    db.commit()
    return _answer(referral)


@bp.route("/referrals/<int:referral_id>/decline", methods=["POST"])
def decline_referral(referral_id: int):
    referral = _load_referral(referral_id)
    body = _json_object()
    _check_fields(body, {"reason", "note"}, {"reason"})
    reason_text = _string(body, "reason")
    note = _string(body, "note")
    try:
        reason = DeclineReason(reason_text)
    except ValueError:
        raise ApiError(
            422,
            "invalid_value",
            "reason must be one of: " + ", ".join(r.value for r in DeclineReason) + ".",
            "reason",
        ) from None
    try:
        svc.decline_referral(db, referral.request, g.api_actor, reason, note, referral=referral)
    except ServiceError as exc:
        _refused(exc)
    db.commit()
    return _answer(referral)


@bp.route("/referrals/<int:referral_id>/updates", methods=["POST"])
def add_update(referral_id: int):
    referral = _load_referral(referral_id)
    body = _json_object()
    _check_fields(body, {"body"}, {"body"})
    text = _string(body, "body")
    try:
        svc.add_referral_update(db, referral, g.api_actor, text or "")
    except ServiceError as exc:
        _refused(exc)
    db.commit()
    return _answer(referral, 201)


@bp.route("/referrals/<int:referral_id>/assistance", methods=["POST"])
def record_assistance(referral_id: int):
    referral = _load_referral(referral_id)
    body = _json_object()
    allowed = {"kind", "given_on", "description", "amount_azn", "units"}
    _check_fields(body, allowed, {"kind", "given_on", "description"})
    kind = _string(body, "kind")
    description = _string(body, "description")
    given_text = _string(body, "given_on") or ""
    given_on: date | None = None
    if _DATE_RE.match(given_text):
        try:
            given_on = date.fromisoformat(given_text)
        except ValueError:
            given_on = None
    if given_on is None:
        raise ApiError(422, "invalid_value", "given_on must be a date like 2026-03-12.", "given_on")
    amount = body.get("amount_azn")
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int | float)):
        raise ApiError(422, "wrong_type", "amount_azn must be a number.", "amount_azn")
    units = body.get("units")
    if units is not None and (isinstance(units, bool) or not isinstance(units, int)):
        raise ApiError(422, "wrong_type", "units must be a whole number.", "units")
    if kind not in {k.value for k in AssistanceKind}:
        raise ApiError(
            422,
            "invalid_value",
            "kind must be one of the assistance_kinds of the referral.",
            "kind",
        )
    try:
        svc.record_assistance(
            db,
            referral.request,
            g.api_actor,
            kind=kind,
            given_on=given_on,
            description=description,
            amount_azn=amount,
            units=units,
            referral=referral,
            complete=True,  # the API's contract: one call records the help and completes
        )
    except ServiceError as exc:
        _refused(exc)
    db.commit()
    return _answer(referral, 201)
