"""The OpenAPI 3.1 description of the partner API (served at /api/v1/openapi.json).

Hand-written so that it says exactly what the routes do; tests/functional/api checks every
route of the app against it and back, and CI runs schemathesis against it.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from portal.models import (
    AssistanceKind,
    Category,
    DeclineReason,
    Priority,
    ReadmissionStatus,
    ReadmissionVulnerability,
    ReferralStatus,
    RequestStatus,
    Sex,
    Urgency,
)
from portal.regions import all_regions
from portal.services import readmissions
from portal.services.referrals import (
    DESCRIPTION_MAX,
    MAX_AMOUNT_AZN,
    MAX_UNITS,
    NOTE_MAX,
    UPDATE_MAX,
    PartnerAccess,
)

MAX_ID = 2**31 - 1


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


_TS = {"type": "string", "format": "date-time"}

ACCESS_DESCRIPTION = (
    "What the organisation sees of the person. offered: the referral awaits its answer "
    "(pending); only the kind of help, region, urgency and the social worker's note are given: "
    "returnee, answers and description are null and messages empty. active: accepted and the "
    "request open; the returnee's name and contact, the answers, description and messages are "
    "given. ended: declined, cancelled or completed, or the request closed; only the "
    "organisation's own work remains: returnee, answers and description are null and messages "
    "empty."
)

ERRORS = {
    "400": _error_response(
        "Malformed request: not JSON, a bad query parameter, or control characters in the address."
    ),
    "401": _error_response("No valid API token (Authorization: Bearer <token>)."),
    "404": _error_response("No such referral for this organisation."),
    "409": _error_response("The referral's state does not allow this (already answered, ended)."),
    "422": _error_response("Invalid input: unknown field, wrong type or value out of range."),
    "429": _error_response("Too many requests."),
    # Refused by the HTTP server itself (gunicorn's limit of 4094 bytes on the request line),
    # before the portal sees the request: no JSON body.
    "414": {"description": "The address (path and query) is too long."},
}


def _responses(ok_code: str, ok_description: str, ok_schema: str, *errors: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        ok_code: {
            "description": ok_description,
            "content": {"application/json": {"schema": _ref(ok_schema)}},
        }
    }
    for code in errors:
        out[code] = ERRORS[code]
    return out


_REFERRAL_ID = {
    "name": "referral_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}


def _action(operation_id: str, summary: str, body: str | None, ok_code: str, *, required=True):
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["referrals"],
        "parameters": [_REFERRAL_ID],
        "responses": _responses(
            ok_code,
            "The referral after the change.",
            "ReferralDetail",
            "400",
            "401",
            "404",
            "409",
            "422",
            "429",
        ),
    }
    if body:
        operation["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    return operation


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "description": "Machine-readable, e.g. conflict."},
                    "message": {"type": "string"},
                    "field": {"type": "string", "description": "The input the error is about."},
                },
            }
        },
    },
    "RequestSummary": {
        "type": "object",
        "additionalProperties": False,
        "required": ["reference", "category", "status", "priority", "urgency", "region_code"],
        "properties": {
            "reference": {"type": "string", "description": "Reference code, e.g. 7K3M-Q9TX."},
            "category": {"type": "string", "enum": [c.value for c in Category]},
            "status": {"type": "string", "enum": [s.value for s in RequestStatus]},
            "priority": {"type": "string", "enum": [p.value for p in Priority]},
            "urgency": {"type": "string", "enum": [u.value for u in Urgency]},
            "region_code": {"type": "string"},
        },
    },
    "ReferralSummary": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "status",
            "access",
            "created_at",
            "updated_at",
            "responded_at",
            "completed_at",
            "request",
        ],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": [s.value for s in ReferralStatus]},
            "access": {
                "type": "string",
                "enum": [a.value for a in PartnerAccess],
                "description": ACCESS_DESCRIPTION,
            },
            "created_at": _TS,
            "updated_at": _TS,
            "responded_at": _nullable(_TS),
            "completed_at": _nullable(_TS),
            "request": _ref("RequestSummary"),
        },
    },
    "Contact": {
        "type": "object",
        "additionalProperties": False,
        "required": ["preference", "phone", "email", "language"],
        "properties": {
            "preference": _nullable(
                {"type": "string", "enum": ["phone_call", "sms", "email", "portal"]}
            ),
            "phone": _nullable({"type": "string"}),
            "email": _nullable({"type": "string"}),
            "language": {"type": "string", "description": "az, ru or en"},
        },
    },
    "Message": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "kind", "body", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "enum": ["shared", "note_for_partner"]},
            "body": {"type": "string"},
            "created_at": _TS,
        },
    },
    "Update": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "body", "created_at"],
        "properties": {"id": {"type": "integer"}, "body": {"type": "string"}, "created_at": _TS},
    },
    "Assistance": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "kind", "given_on", "description", "amount_azn", "units", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "given_on": {"type": "string", "format": "date"},
            "description": {"type": "string"},
            "amount_azn": _nullable({"type": "string", "pattern": r"^\d+\.\d{2}$"}),
            "units": _nullable({"type": "integer"}),
            "created_at": _TS,
        },
    },
    "ReferralDetail": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "note",
            "decline",
            "returnee",
            "answers",
            "description",
            "assistance_kinds",
            "messages",
            "updates",
            "assistance",
        ],
        "properties": {
            "note": _nullable({"type": "string", "description": "The social worker's note."}),
            "decline": _nullable(
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["reason", "note"],
                    "properties": {
                        "reason": {"type": "string", "enum": [r.value for r in DeclineReason]},
                        "note": _nullable({"type": "string"}),
                    },
                }
            ),
            "returnee": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "contact"],
                "properties": {
                    "name": {"type": "string"},
                    "contact": _nullable(_ref("Contact")),
                },
            },
            "answers": _nullable({"type": "object"}),
            "description": _nullable({"type": "string"}),
            "assistance_kinds": {
                "type": "array",
                "items": {"type": "string", "enum": [k.value for k in AssistanceKind]},
                "description": "The kinds of assistance that fit this request.",
            },
            "messages": {"type": "array", "items": _ref("Message")},
            "updates": {"type": "array", "items": _ref("Update")},
            "assistance": {"type": "array", "items": _ref("Assistance")},
        },
    },
    "ReferralList": {
        "type": "object",
        "additionalProperties": False,
        "required": ["data", "next_cursor"],
        "properties": {
            "data": {"type": "array", "items": _ref("ReferralSummary")},
            "next_cursor": _nullable(
                {"type": "string", "description": "Pass as cursor for the next page."}
            ),
        },
    },
    "AcceptInput": {"type": "object", "additionalProperties": False, "properties": {}},
    "DeclineInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["reason"],
        "properties": {
            "reason": {"type": "string", "enum": [r.value for r in DeclineReason]},
            "note": {
                "type": "string",
                "maxLength": NOTE_MAX,
                "description": "Required when the reason is other.",
            },
        },
    },
    "UpdateInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["body"],
        "properties": {"body": {"type": "string", "minLength": 1, "maxLength": UPDATE_MAX}},
    },
    "AssistanceInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "given_on", "description"],
        "properties": {
            "kind": {
                "type": "string",
                "enum": [k.value for k in AssistanceKind],
                "description": "One of the referral's assistance_kinds.",
            },
            "given_on": {
                "type": "string",
                "format": "date",
                "description": "Not in the future, not before the referral.",
            },
            "description": {"type": "string", "minLength": 1, "maxLength": DESCRIPTION_MAX},
            "amount_azn": {"type": "number", "minimum": 0, "maximum": int(MAX_AMOUNT_AZN)},
            "units": {"type": "integer", "minimum": 1, "maximum": MAX_UNITS},
        },
    },
}

_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Reintegration Support Portal: partner API",
        "version": "1.0.0",
        "description": (
            "For the case systems of partner organisations: read the referrals sent to the "
            "organisation, accept or decline them, add progress updates and record the "
            "assistance given. Authenticate with an organisation's API token "
            "(Authorization: Bearer <token>), made on the organisation's API tokens page."
        ),
    },
    "security": [{"bearerAuth": []}],
    "paths": {
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document.",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "429": ERRORS["429"],
                },
            }
        },
        "/api/v1/referrals": {
            "get": {
                "operationId": "listReferrals",
                "summary": "The organisation's referrals, least recently updated first.",
                "tags": ["referrals"],
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": [s.value for s in ReferralStatus]},
                    },
                    {
                        "name": "updated_since",
                        "in": "query",
                        "description": "Only referrals updated at or after this time.",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                    },
                    {
                        "name": "cursor",
                        "in": "query",
                        "description": "next_cursor of the previous page.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": _responses(
                    "200", "A page of referrals.", "ReferralList", "400", "401", "414", "429"
                ),
            }
        },
        "/api/v1/referrals/{referral_id}": {
            "get": {
                "operationId": "getReferral",
                "summary": "One referral: what the organisation needs to help.",
                "tags": ["referrals"],
                "parameters": [_REFERRAL_ID],
                "responses": _responses(
                    "200", "The referral.", "ReferralDetail", "400", "401", "404", "429"
                ),
            }
        },
        "/api/v1/referrals/{referral_id}/accept": {
            "post": _action(
                "acceptReferral",
                "Accept a pending referral.",
                "AcceptInput",
                "200",
                required=False,
            )
        },
        "/api/v1/referrals/{referral_id}/decline": {
            "post": _action(
                "declineReferral",
                "Decline (or give back) the referral; the request returns to the social worker.",
                "DeclineInput",
                "200",
            )
        },
        "/api/v1/referrals/{referral_id}/updates": {
            "post": _action(
                "addReferralUpdate",
                "Add a progress update to an accepted referral.",
                "UpdateInput",
                "201",
            )
        },
        "/api/v1/referrals/{referral_id}/assistance": {
            "post": _action(
                "recordAssistance",
                "Record the assistance given; completes the referral.",
                "AssistanceInput",
                "201",
            )
        },
    },
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
    },
}


# --- readmissions: the case management system's token only ---------------------------------------

_READMISSION_ERRORS = {
    "400": _error_response("Malformed request: not JSON."),
    "401": _error_response("No valid readmission token (Authorization: Bearer <token>)."),
    "422": _error_response(
        "Invalid input: unknown field, wrong type, bad date, unknown state or region, "
        "a phone that is not a phone, or a case number over 64 characters."
    ),
    "429": ERRORS["429"],
}
_OPTIONAL_TEXT = _nullable({"type": "string", "maxLength": readmissions.NAME_MAX})
SCHEMAS.update(
    {
        "ReadmissionInput": {
            "type": "object",
            "additionalProperties": False,
            "required": list(readmissions.REQUIRED),
            "properties": {
                "case_number": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": readmissions.CASE_NUMBER_MAX,
                    "pattern": r"^[A-Za-z0-9][A-Za-z0-9/_.:-]*$",
                    "description": "The case number in the case management system (unique). "
                    "The same number again updates the case.",
                },
                "requesting_state": {
                    "type": "string",
                    "enum": sorted(readmissions.state_codes()),
                    "description": "ISO 3166-1 alpha-2 code of the requesting state.",
                },
                "full_name": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": readmissions.NAME_MAX,
                    "description": "In Latin letters.",
                },
                "full_name_cyrillic": _OPTIONAL_TEXT,
                "birth_date": {"type": "string", "format": "date"},
                "sex": _nullable({"type": "string", "enum": [s.value for s in Sex]}),
                "phone": _nullable(
                    {
                        "type": "string",
                        "pattern": r"^\+[1-9][0-9]{6,14}$",
                        "description": "E.164, e.g. +994501234567.",
                    }
                ),
                "returned_on": {
                    "type": "string",
                    "format": "date",
                    "description": "Not before birth, not more than 30 days ahead.",
                },
                "border_point": _nullable(
                    {"type": "string", "maxLength": readmissions.BORDER_POINT_MAX}
                ),
                "region_code": _nullable(
                    {
                        "type": "string",
                        "enum": sorted(all_regions()),
                        "description": "Intended region of residence (the region list).",
                    }
                ),
                "locale": _nullable(
                    {
                        "type": "string",
                        "enum": ["az", "ru", "en"],
                        "description": "Preferred language; az when not given.",
                    }
                ),
                "vulnerabilities": _nullable(
                    {
                        "type": "array",
                        "uniqueItems": True,
                        "items": {
                            "type": "string",
                            "enum": [v.value for v in ReadmissionVulnerability],
                        },
                    }
                ),
            },
        },
        "ReadmissionSaved": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "status"],
            "properties": {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": [s.value for s in ReadmissionStatus]},
            },
        },
        "ReadmissionState": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "id",
                "status",
                "case_number",
                "invited",
                "claimed",
                "asked_for_help",
            ],
            "properties": {
                "id": {"type": "integer"},
                "status": {"type": "string", "enum": [s.value for s in ReadmissionStatus]},
                "case_number": {"type": "string"},
                "invited": {"type": "boolean", "description": "An invitation was sent."},
                "claimed": {
                    "type": "boolean",
                    "description": "The person claimed the invitation (has an account).",
                },
                "asked_for_help": {
                    "type": "boolean",
                    "description": "The person asked for help at least once.",
                },
            },
        },
    }
)


def _saved(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("ReadmissionSaved")}},
    }


_DOCUMENT["paths"]["/api/v1/readmissions"] = {
    "post": {
        "operationId": "putReadmissionCase",
        "summary": "Send a readmission case (idempotent on the case number).",
        "description": "Only a readmission token (flask --app portal readmissions token "
        "create). A new case with a phone is sent an SMS invitation.",
        "tags": ["readmissions"],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref("ReadmissionInput")}},
        },
        "responses": {
            "200": _saved("A known case number: the case was updated."),
            "201": _saved("A new case."),
            **_READMISSION_ERRORS,
        },
    }
}
_DOCUMENT["paths"]["/api/v1/readmissions/{case_number}"] = {
    "get": {
        "operationId": "getReadmissionCase",
        "summary": "How a case went: status, claimed, asked for help (never the requests).",
        "tags": ["readmissions"],
        "parameters": [
            {
                "name": "case_number",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "minLength": 1},
            }
        ],
        "responses": {
            "200": {
                "description": "The case.",
                "content": {"application/json": {"schema": _ref("ReadmissionState")}},
            },
            "400": _error_response(
                "The address holds characters no case number has (control characters)."
            ),
            "401": _READMISSION_ERRORS["401"],
            "404": _error_response("No such readmission case."),
            "414": ERRORS["414"],
            "429": ERRORS["429"],
        },
    }
}
_DOCUMENT["info"]["description"] += (
    " The readmissions paths are for the readmission case management system and take its own "
    "token (flask --app portal readmissions token create), which opens nothing else."
)


# A referral in full is the summary and more (one flat object: additionalProperties stays exact).
_detail = SCHEMAS.pop("ReferralDetail")
_summary = SCHEMAS["ReferralSummary"]
_detail["required"] = [*_summary["required"], *_detail["required"]]
_detail["properties"] = {**deepcopy(_summary["properties"]), **_detail["properties"]}

_NOTHING_OF_THE_PERSON = {
    "returnee": {"type": "null", "description": "Not given in this state."},
    "answers": {"type": "null", "description": "Not given in this state."},
    "description": {"type": "null", "description": "Not given in this state."},
    "messages": {"type": "array", "maxItems": 0, "description": "Not given in this state."},
}


def _detail_when(access: PartnerAccess, description: str) -> dict[str, Any]:
    """The referral in one access state: exactly the fields given then (see PartnerAccess)."""
    schema = deepcopy(_detail)
    schema["description"] = description
    properties = schema["properties"]
    properties["access"] = {"type": "string", "const": access.value}
    if access == PartnerAccess.ACTIVE:
        returnee = properties["returnee"]
        returnee["properties"]["contact"] = _ref("Contact")
        properties["answers"] = {"type": "object", "description": "The person's answers."}
    else:
        properties.update(deepcopy(_NOTHING_OF_THE_PERSON))
    return schema


SCHEMAS["ReferralOffered"] = _detail_when(
    PartnerAccess.OFFERED,
    "A referral awaiting the organisation's answer: what it needs to decide, nothing that "
    "identifies the person.",
)
SCHEMAS["ReferralActive"] = _detail_when(
    PartnerAccess.ACTIVE,
    "An accepted referral of an open request: what the organisation needs to help.",
)
SCHEMAS["ReferralEnded"] = _detail_when(
    PartnerAccess.ENDED,
    "A declined, cancelled or completed referral, or one whose request is closed: the "
    "organisation's own work, without the person's name.",
)
SCHEMAS["ReferralDetail"] = {
    "description": ACCESS_DESCRIPTION,
    "oneOf": [_ref("ReferralOffered"), _ref("ReferralActive"), _ref("ReferralEnded")],
}


def openapi_document() -> dict[str, Any]:
    return deepcopy(_DOCUMENT)
