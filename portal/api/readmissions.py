"""The readmission API: the case management system sends cases and reads how each one went.

Only a readmission token (kind "readmission") reaches these routes; it reaches nothing else.
"""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from portal.api import bp
from portal.api.routes import ApiError, _check_fields, _json_object
from portal.db import db
from portal.services import readmissions as svc


def _case_body(case) -> dict:
    return {"id": case.id, "status": case.status.value}


@bp.route("/readmissions", methods=["POST"])
def create_readmission():
    """201 with {id, status} for a new case, 200 for a known case number (updated)."""
    body = _json_object()
    _check_fields(body, set(svc.FIELDS), set(svc.REQUIRED))
    with force_locale("en"):
        try:
            clean = svc.validate_case(body)
        except svc.InvalidCase as exc:
            code = "unknown_field" if exc.field not in svc.FIELDS else "invalid_value"
            raise ApiError(422, code, str(exc.message), exc.field) from None
        try:
            case, created = svc.upsert_case(
                db, body, None, source="api", clean=clean, api_token_id=g.api_token.id
            )
            db.commit()
        except IntegrityError:
            # The same new case number sent twice at once: the other call made it; update it.
            db.rollback()
            case, created = svc.upsert_case(
                db, body, None, source="api", clean=clean, api_token_id=g.api_token.id
            )
            db.commit()
    return jsonify(_case_body(case)), 201 if created else 200


@bp.route("/readmissions/<path:case_number>")
def get_readmission(case_number: str):
    """How the case went: status, claimed, asked for help. Never the person's requests."""
    if len(case_number) > svc.CASE_NUMBER_MAX or not svc.is_case_number(case_number):
        raise ApiError(404, "not_found", "No such readmission case.")
    svc.expire_invitations(db)
    db.commit()
    case = svc.find_case(db, case_number)
    if case is None:
        raise ApiError(404, "not_found", "No such readmission case.")
    return jsonify(
        {
            **_case_body(case),
            "case_number": case.case_number,
            "invited": case.invited_at is not None,
            "claimed": case.claimed_at is not None,
            "asked_for_help": svc.has_asked_for_help(db, case),
        }
    )
