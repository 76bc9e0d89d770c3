"""Readmission cases: what the case management system sends, the invitation, the claim, counts.

Cases arrive by the API or a CSV upload; both call `upsert_case`, which validates every field
and is idempotent on the case number. A case with a phone gets an SMS invitation with a short
code (stored as a hash, valid 30 days, single-use); the person claims it and the case is linked
to their account, which is pre-filled from the case.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from babel import Locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.i18n import DEFAULT_LOCALE, LANGUAGES
from portal.models import (
    AssistanceRequest,
    CloseOutcome,
    NotificationChannel,
    Priority,
    ReadmissionCase,
    ReadmissionStatus,
    ReadmissionVulnerability,
    RequestStatus,
    ReturneeProfile,
    Sex,
    User,
)
from portal.phones import normalise_phone
from portal.regions import get_region
from portal.services import accounts, audit, duplicates, notify
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.referrals import local_today
from portal.services.workflow import record_event

S = ReadmissionStatus

FIELDS = (
    "case_number",
    "requesting_state",
    "full_name",
    "full_name_cyrillic",
    "birth_date",
    "sex",
    "phone",
    "returned_on",
    "border_point",
    "region_code",
    "locale",
    "vulnerabilities",
)
_FIELD_SET = frozenset(FIELDS)
REQUIRED = ("case_number", "requesting_state", "full_name", "birth_date", "returned_on")
CASE_NUMBER_MAX = 64
NAME_MAX = 120
BORDER_POINT_MAX = 120
FUTURE_RETURN_DAYS = 30
INVITATION_DAYS = 30
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 8
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CASE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.:-]*$")
# Not countries, or not a state that can request readmission of someone to Azerbaijan.
_NOT_STATES = {"AZ", "EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "AQ", "BV", "HM", "TF", "UM"}


class InvalidCase(ServiceError):
    """One or more fields of a case are not valid: `errors` maps each field to its message."""

    code = "invalid"

    def __init__(self, errors: dict[str, Any]) -> None:
        first_field = next(iter(errors))
        super().__init__(errors[first_field])
        self.errors = errors
        self.field = first_field


class InvitationRefused(ServiceError):
    """A wrong, expired or reused invitation code, or a phone that does not match."""

    code = "invitation"

    def __init__(self, message, field: str = "code") -> None:
        super().__init__(message)
        self.field = field


@cache
def state_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (from CLDR) of states that may request a readmission."""
    return frozenset(
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_STATES
    )


def state_name(code: str | None, locale: str | None = None) -> str:
    """The requesting state's name in the page's language."""
    from flask_babel import get_locale

    loc = Locale.parse(locale) if locale else (get_locale() or Locale("az"))
    return loc.territories.get(code or "", code or "")


# --- validation ---------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError
    value = value.strip()
    return value or None


def _clean_name(value: Any, errors: dict, name: str, required: bool) -> str | None:
    text = _text(value)
    if text is None:
        if required:
            errors[name] = _l("Enter the full name.")
        return None
    if len(text) > NAME_MAX:
        errors[name] = _l("The name is longer than %(max)s characters.", max=NAME_MAX)
    elif _CONTROL.search(text):
        errors[name] = _l("The name contains characters that are not allowed.")
    return text


def _clean_date(value: Any, errors: dict, name: str) -> date | None:
    text = _text(value)
    if text is None:
        errors[name] = _l("Enter the date.")
        return None
    if _DATE_RE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    errors[name] = _l("Enter a real date written like 2026-03-15.")
    return None


# Looked up once, not per row: a 50,000-row upload validates every row.
_SEXES = {s.value: s for s in Sex}
_VULNERABILITY_ORDER = {v.value: i for i, v in enumerate(ReadmissionVulnerability)}
_VULNERABILITY_SPLIT = re.compile(r"[;|,]")


def _vulnerability_values(value: Any, from_text: bool) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) and from_text:
        return [v.strip() for v in _VULNERABILITY_SPLIT.split(value) if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    raise TypeError


def validate_case(
    data: dict[str, Any], today: date | None = None, *, from_text: bool = False
) -> dict[str, Any]:
    """The clean values of a case, or InvalidCase naming every field that is wrong.

    Strings for every field; vulnerabilities a list of strings (from_text, as in a CSV file:
    one string separated by ;). A caller checking many cases passes `today` once.
    """
    errors: dict[str, Any] = {}
    for name in data:
        if name not in _FIELD_SET:
            errors[str(name)[:50]] = _l("Unknown field: %(name)s.", name=str(name)[:50])
    if errors:
        raise InvalidCase(errors)
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if value is not None and name != "vulnerabilities" and not isinstance(value, str):
            errors[name] = _l("This value must be text.")
    if errors:
        raise InvalidCase({name: errors[name] for name in FIELDS if name in errors})

    number = _text(data.get("case_number"))
    if number is None:
        errors["case_number"] = _l("Enter the case number.")
    elif len(number) > CASE_NUMBER_MAX:
        errors["case_number"] = _l(
            "The case number is longer than %(max)s characters.", max=CASE_NUMBER_MAX
        )
    elif not _CASE_NUMBER_RE.match(number):
        errors["case_number"] = _l(
            "The case number may only have Latin letters, digits and - / _ . :"
        )
    clean["case_number"] = number

    state = (_text(data.get("requesting_state")) or "").upper()
    if not state:
        errors["requesting_state"] = _l("Enter the requesting state.")
    elif state not in state_codes():
        errors["requesting_state"] = _l(
            "The requesting state must be a two-letter country code (ISO 3166-1), like DE."
        )
    clean["requesting_state"] = state

    clean["full_name"] = _clean_name(data.get("full_name"), errors, "full_name", True)
    clean["full_name_cyrillic"] = _clean_name(
        data.get("full_name_cyrillic"), errors, "full_name_cyrillic", False
    )
    today = today or local_today()  # the portal's (Baku) date
    birth = _clean_date(data.get("birth_date"), errors, "birth_date")
    if birth is not None and (birth > today or birth.year < 1900):
        errors["birth_date"] = _l("The date of birth is not possible.")
    returned = _clean_date(data.get("returned_on"), errors, "returned_on")
    if returned is not None:
        if returned > today + timedelta(days=FUTURE_RETURN_DAYS):
            errors["returned_on"] = _l(
                "The date of return is more than %(days)s days ahead.", days=FUTURE_RETURN_DAYS
            )
        elif birth is not None and returned < birth:
            errors["returned_on"] = _l("The date of return is before the date of birth.")
        elif returned.year < 1990:
            errors["returned_on"] = _l("The date of return is not possible.")
    clean["birth_date"] = birth
    clean["returned_on"] = returned

    sex = _text(data.get("sex"))
    clean["sex"] = None
    if sex is not None:
        clean["sex"] = _SEXES.get(sex.lower())
        if clean["sex"] is None:
            errors["sex"] = _l(
                "Sex must be one of: %(values)s.", values=", ".join(s.value for s in Sex)
            )

    phone_text = _text(data.get("phone"))
    clean["phone"] = None
    if phone_text is not None:
        # The invitation goes by SMS, and the person signs in with this number: a mobile one.
        phone = normalise_phone(phone_text, mobile=True) if phone_text.startswith("+") else None
        if phone is None and phone_text.startswith("+") and normalise_phone(phone_text):
            errors["phone"] = _l(
                "This is a landline number: the invitation is sent by SMS, so give a mobile "
                "number, or none."
            )
        elif phone is None:
            errors["phone"] = _l(
                "The phone number is not valid: give it in international form, like +994501234567."
            )
        clean["phone"] = phone

    border = _text(data.get("border_point"))
    if border is not None and (len(border) > BORDER_POINT_MAX or _CONTROL.search(border)):
        errors["border_point"] = _l(
            "The border crossing point is longer than %(max)s characters or has characters "
            "that are not allowed.",
            max=BORDER_POINT_MAX,
        )
    clean["border_point"] = border

    region = _text(data.get("region_code"))
    if region is not None and get_region(region) is None:
        errors["region_code"] = _l("Unknown region code: use a code of the region list.")
    clean["region_code"] = region

    locale = (_text(data.get("locale")) or DEFAULT_LOCALE).lower()
    if locale not in LANGUAGES:
        errors["locale"] = _l("The language must be az, ru or en.")
    clean["locale"] = locale

    try:
        values = _vulnerability_values(data.get("vulnerabilities"), from_text)
    except TypeError:
        errors["vulnerabilities"] = _l("Vulnerabilities must be a list of values.")
        values = []
    wrong = [v for v in values if v not in _VULNERABILITY_ORDER]
    if wrong:
        errors["vulnerabilities"] = _l(
            "Unknown vulnerability: %(value)s. Use: %(values)s.",
            value=wrong[0][:40],
            values=", ".join(v.value for v in ReadmissionVulnerability),
        )
    clean["vulnerabilities"] = sorted(
        {v for v in values if v in _VULNERABILITY_ORDER}, key=_VULNERABILITY_ORDER.__getitem__
    )
    if errors:
        raise InvalidCase(errors)
    return clean


# --- permissions --------------------------------------------------------------------------------


def can_manage_cases(user) -> bool:
    """Administrators and social workers see, upload and re-invite cases."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
    )


# --- arriving cases -----------------------------------------------------------------------------


def is_case_number(text: str) -> bool:
    return bool(_CASE_NUMBER_RE.match(text))


def find_case(session: Session, case_number: str) -> ReadmissionCase | None:
    return session.scalar(select(ReadmissionCase).where(ReadmissionCase.case_number == case_number))


def _actor_data(api_token_id: int | None) -> dict[str, Any]:
    return {"api_token_id": api_token_id} if api_token_id else {}


def upsert_case(
    session: Session,
    data: dict[str, Any],
    actor: User | None,
    *,
    source: str = "api",
    clean: dict[str, Any] | None = None,
    api_token_id: int | None = None,
) -> tuple[ReadmissionCase, bool]:
    """Create or update the case with this case number; returns (case, created).

    Called by the readmission API token or staff uploading a CSV. A new case with a phone (or a
    phone added to one not invited yet) gets an invitation; a claimed or withdrawn case keeps
    its status.
    """
    if clean is None:
        clean = validate_case(data)
    case = find_case(session, clean["case_number"])
    applied = _apply(session, case, clean, source)
    session.flush()
    _after_apply(session, applied, actor, source, api_token_id)
    session.flush()
    return applied[0], applied[1]


def _apply(session: Session, case: ReadmissionCase | None, clean: dict[str, Any], source: str):
    """Set the clean values on the case (a new one when None); no flush, no events yet."""
    created = case is None
    now = utcnow()
    if case is None:
        case = ReadmissionCase(
            case_number=clean["case_number"],
            status=S.RECEIVED,
            source=source,
            created_at=now,
            updated_at=now,
        )
        session.add(case)
        changed = list(FIELDS)
    else:
        if clean["phone"] is None and case.phone:
            # Sent without a phone: the one known stays (a worker may have added it).
            clean = {**clean, "phone": case.phone}
        changed = [name for name in FIELDS[1:] if getattr(case, name) != clean[name]]
    old_phone = case.phone
    for name in FIELDS[1:]:
        setattr(case, name, clean[name])
    if changed:
        case.updated_at = now
    return case, created, changed, old_phone


def _after_apply(session, applied, actor, source: str, api_token_id: int | None) -> None:
    """The event of an applied case and, when it is due, its invitation (the case has an id)."""
    case, created, changed, old_phone = applied
    record_event(
        session,
        "readmission_received" if created else "readmission_updated",
        actor,
        subject_type="readmission_case",
        subject_id=case.id,
        data={"source": source, "fields": sorted(changed), **_actor_data(api_token_id)},
    )
    if case.phone and (
        case.status == S.RECEIVED or (case.status == S.INVITED and case.phone != old_phone)
    ):
        issue_invitation(session, case, actor, api_token_id=api_token_id, flush=False)


# --- invitations --------------------------------------------------------------------------------


def normalise_code(text: str | None) -> str:
    """What a person typed, as the code is stored: upper case, no spaces or dashes."""
    cleaned = re.sub(r"[\s\-]", "", (text or "")[:40]).upper()
    return cleaned.replace("O", "0").replace("I", "1").replace("L", "1")


def new_code() -> str:
    """A random invitation code (8 of the 32 letters: 5 bits from each random byte)."""
    return "".join(CODE_ALPHABET[b & 31] for b in secrets.token_bytes(CODE_LENGTH))


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


@cache
def _invitation_link(base_url: str, locale: str) -> str:
    return notify.portal_link("auth.invitation", lang_code=locale)


def _invitation_url(locale: str) -> str:
    """The invitation page on the portal's public address (worked out once per language)."""
    from flask import current_app

    return _invitation_link(current_app.config["PORTAL_BASE_URL"], locale)


def issue_invitation(
    session: Session,
    case: ReadmissionCase,
    actor: User | None,
    *,
    api_token_id: int | None = None,
    flush: bool = True,
) -> str:
    """A new invitation code for an unclaimed case with a phone, sent by SMS in its language.

    Any earlier code of the case stops working. Returns the code (shown only to the caller).
    """
    if case.status in (S.CLAIMED, S.WITHDRAWN):
        raise ServiceError(_l("This case can no longer be invited."))
    if not case.phone:
        raise ServiceError(_l("This case has no phone number to send an invitation to."))
    code = new_code()
    now = utcnow()
    previous = case.status
    case.invitation_code_hash = hash_code(code)
    case.invited_at = now
    case.invitation_expires_at = now + timedelta(days=INVITATION_DAYS)
    case.status = S.INVITED
    notify.enqueue(
        session,
        "readmission_invitation",
        to_phone=case.phone,
        locale=case.locale,
        channels=[NotificationChannel.SMS],
        context={"code": display_code(code), "invite_url": _invitation_url(case.locale)},
        urgent=True,
    )
    record_event(
        session,
        "readmission_invited",
        actor,
        subject_type="readmission_case",
        subject_id=case.id,
        from_status=previous.value,
        to_status=S.INVITED.value,
        data=_actor_data(api_token_id),
    )
    if flush:
        session.flush()
    return code


def reinvite(session: Session, case: ReadmissionCase, actor: User) -> str:
    """Staff send a new code for an expired or never claimed invitation."""
    if not can_manage_cases(actor):
        raise PermissionDenied(_l("Only social workers and administrators may do this."))
    return issue_invitation(session, case, actor)


def invite_with_phone(session: Session, case: ReadmissionCase, actor: User, phone: str) -> str:
    """Staff invite a case that came without a phone: the mobile number the person gave by a
    call or at the border point is kept on the case, and the SMS code goes to it."""
    if not can_manage_cases(actor):
        raise PermissionDenied(_l("Only social workers and administrators may do this."))
    if case.phone:
        raise ServiceError(_l("This case already has a phone number."))
    number = normalise_phone(phone, mobile=True)
    if number is None:
        raise InvalidCase({"phone": _l("Enter a mobile number, like +994 50 123 45 67.")})
    if case.status in (S.CLAIMED, S.WITHDRAWN):
        raise ServiceError(_l("This case can no longer be invited."))
    case.phone = number
    case.updated_at = utcnow()
    record_event(
        session,
        "readmission_updated",
        actor,
        subject_type="readmission_case",
        subject_id=case.id,
        data={"source": "worker", "fields": ["phone"]},
    )
    return issue_invitation(session, case, actor)


def withdraw_case(session: Session, case: ReadmissionCase, actor: User) -> None:
    """Staff withdraw a case that will not happen (an unclaimed one): its code stops working."""
    if not can_manage_cases(actor):
        raise PermissionDenied(_l("Only social workers and administrators may do this."))
    if case.status in (S.CLAIMED, S.WITHDRAWN):
        raise ServiceError(_l("A claimed or withdrawn case cannot be withdrawn."))
    previous = case.status
    case.status = S.WITHDRAWN
    case.invitation_code_hash = None
    record_event(
        session,
        "readmission_withdrawn",
        actor,
        subject_type="readmission_case",
        subject_id=case.id,
        from_status=previous.value,
        to_status=S.WITHDRAWN.value,
    )
    session.flush()


def expire_invitations(session: Session) -> int:
    """Mark invitations past their 30 days as expired; returns how many."""
    now = utcnow()
    due = list(
        session.scalars(
            select(ReadmissionCase).where(
                ReadmissionCase.status == S.INVITED,
                ReadmissionCase.invitation_expires_at < now,
            )
        )
    )
    for case in due:
        case.status = S.EXPIRED
        record_event(
            session,
            "readmission_expired",
            None,
            subject_type="readmission_case",
            subject_id=case.id,
            from_status=S.INVITED.value,
            to_status=S.EXPIRED.value,
        )
    session.flush()
    return len(due)


def check_invitation(session: Session, code: str, phone: str | None) -> ReadmissionCase:
    """The case a code and phone number open, or InvitationRefused saying what is wrong."""
    normalised = normalise_code(code)
    if len(normalised) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in normalised):
        raise InvitationRefused(_l("This invitation code is not right. Check the SMS."))
    case = session.scalar(
        select(ReadmissionCase).where(ReadmissionCase.invitation_code_hash == hash_code(code))
    )
    if case is None:
        raise InvitationRefused(_l("This invitation code is not right. Check the SMS."))
    if case.status == S.CLAIMED:
        raise InvitationRefused(
            _l("This invitation has already been used. Sign in with your phone number.")
        )
    if case.status == S.WITHDRAWN:
        raise InvitationRefused(_l("This invitation is no longer valid."))
    if case.status == S.EXPIRED or (
        case.invitation_expires_at is not None and case.invitation_expires_at < utcnow()
    ):
        raise InvitationRefused(
            _l("This invitation has expired. Ask a social worker to send you a new code.")
        )
    if normalise_phone(phone or "") != case.phone:
        raise InvitationRefused(
            _l("This phone number is not the one the invitation was sent to."), field="phone"
        )
    return case


def link_case(session: Session, case: ReadmissionCase, user: User) -> None:
    """Link a claimed case to the returnee and pre-fill what their profile does not say yet."""
    if not user.is_returnee or user.phone != case.phone:
        raise PermissionDenied(_l("This invitation is for another phone number."))
    previous = case.status
    now = utcnow()
    case.user_id = user.id
    case.status = S.CLAIMED
    case.claimed_at = now
    profile = user.profile
    if profile is None:
        profile = ReturneeProfile(user_id=user.id, vulnerabilities=[])
        session.add(profile)
    if profile.region_code is None and case.region_code:
        profile.region_code = case.region_code
    if profile.return_date is None:
        profile.return_date = case.returned_on
    if profile.country_returned_from is None:
        profile.country_returned_from = case.requesting_state
    birth_date_given = profile.birth_date is None and case.birth_date is not None
    if profile.birth_date is None:
        profile.birth_date = case.birth_date
    record_event(
        session,
        "readmission_claimed",
        user,
        subject_type="readmission_case",
        subject_id=case.id,
        from_status=previous.value,
        to_status=S.CLAIMED.value,
        data={"user_id": user.id},
    )
    if case.raises_priority:
        for request in session.scalars(
            select(AssistanceRequest).where(
                AssistanceRequest.owner_id == user.id,
                AssistanceRequest.status.in_(RequestStatus.open_statuses()),
            )
        ):
            raise_priority(session, request)
    session.flush()
    if birth_date_given:  # now the name and birth date can find a second account
        duplicates.check_returnee(session, user)


def claim_invitation(
    session: Session,
    *,
    code: str,
    phone: str,
    password: str,
    consent_version: str,
    preferred_locale: str | None = None,
) -> tuple[ReadmissionCase, User]:
    """A person without an account claims their invitation: a returnee account linked to it."""
    case = check_invitation(session, code, phone)
    if session.scalar(select(User.id).where(User.phone == case.phone)) is not None:
        raise accounts.DuplicateAccount(
            _l("An account with this phone number already exists. Sign in, then enter the code.")
        )
    user = accounts.register_returnee(
        session,
        phone=case.phone,
        full_name=case.full_name,
        password=password,
        preferred_locale=preferred_locale or case.locale,
        consent_version=consent_version,
    )
    link_case(session, case, user)
    return case, user


def claim_for_user(session: Session, user: User, code: str) -> ReadmissionCase:
    """A returnee who already has an account (the invited phone) links the case after sign-in."""
    case = check_invitation(session, code, user.phone)
    link_case(session, case, user)
    return case


# --- triage -------------------------------------------------------------------------------------


def case_of(session: Session, user_id: int) -> ReadmissionCase | None:
    return session.scalar(
        select(ReadmissionCase)
        .where(ReadmissionCase.user_id == user_id)
        .order_by(ReadmissionCase.claimed_at.desc(), ReadmissionCase.id.desc())
        .limit(1)
    )


def raise_priority(session: Session, request: AssistanceRequest) -> None:
    """A minor or a family with children: at least high priority (never lowers it)."""
    if request.priority.rank >= Priority.HIGH.rank:
        return
    previous = request.priority
    request.priority = Priority.HIGH
    request.priority_rank = Priority.HIGH.rank
    record_event(
        session,
        "priority_set",
        None,
        request,
        data={"from": previous.value, "to": Priority.HIGH.value, "reason": "readmission_case"},
    )


def on_request_submitted(session: Session, request: AssistanceRequest) -> None:
    """Called when a request is submitted: the case's vulnerabilities may raise its priority."""
    case = case_of(session, request.owner_id)
    if case is not None and case.raises_priority:
        raise_priority(session, request)


# --- counting -----------------------------------------------------------------------------------


def _month(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


@dataclass
class Funnel:
    readmitted: int = 0
    invited: int = 0
    claimed: int = 0
    asked: int = 0
    helped: int = 0
    by_month: list[tuple[str, str, int]] = field(default_factory=list)

    def stages(self) -> list[tuple[str, int, float | None]]:
        """(stage, count, share of the stage before) in order."""
        pairs = [
            ("readmitted", self.readmitted),
            ("invited", self.invited),
            ("claimed", self.claimed),
            ("asked", self.asked),
            ("helped", self.helped),
        ]
        out: list[tuple[str, int, float | None]] = []
        for i, (name, count) in enumerate(pairs):
            before = pairs[i - 1][1] if i else None
            out.append((name, count, (count / before) if before else None))
        return out


def _filtered(query, filters: dict[str, Any] | None):
    filters = filters or {}
    if filters.get("requesting_state"):
        query = query.where(ReadmissionCase.requesting_state == filters["requesting_state"])
    if filters.get("region_code"):
        query = query.where(ReadmissionCase.region_code == filters["region_code"])
    if filters.get("status"):
        query = query.where(ReadmissionCase.status == filters["status"])
    # Returned within [returned_from, returned_until] (the reports' period).
    if filters.get("returned_from"):
        query = query.where(ReadmissionCase.returned_on >= filters["returned_from"])
    if filters.get("returned_until"):
        query = query.where(ReadmissionCase.returned_on <= filters["returned_until"])
    if filters.get("month"):
        first: date = filters["month"]
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        query = query.where(ReadmissionCase.returned_on >= first, ReadmissionCase.returned_on < nxt)
    return query


def funnel(session: Session, filters: dict[str, Any] | None = None) -> Funnel:
    """Readmitted (not withdrawn) → invited → claimed → asked for help → helped."""
    base = _filtered(select(func.count(ReadmissionCase.id)), filters).where(
        ReadmissionCase.status != S.WITHDRAWN
    )
    asked = exists().where(AssistanceRequest.owner_id == ReadmissionCase.user_id)
    helped = exists().where(
        AssistanceRequest.owner_id == ReadmissionCase.user_id,
        (AssistanceRequest.status == RequestStatus.ASSISTANCE_PROVIDED)
        | (
            (AssistanceRequest.status == RequestStatus.CLOSED)
            & (AssistanceRequest.close_outcome == CloseOutcome.HELP_GIVEN)
        ),
    )
    claimed = base.where(ReadmissionCase.user_id.is_not(None))
    month = _month(session, ReadmissionCase.returned_on)
    by_month = session.execute(
        _filtered(
            select(month, ReadmissionCase.requesting_state, func.count(ReadmissionCase.id)),
            filters,
        )
        .where(ReadmissionCase.status != S.WITHDRAWN)
        .group_by(month, ReadmissionCase.requesting_state)
        .order_by(month, ReadmissionCase.requesting_state)
    ).all()
    return Funnel(
        readmitted=session.scalar(base) or 0,
        invited=session.scalar(base.where(ReadmissionCase.invited_at.is_not(None))) or 0,
        claimed=session.scalar(claimed) or 0,
        asked=session.scalar(claimed.where(asked)) or 0,
        helped=session.scalar(claimed.where(helped)) or 0,
        by_month=[(m, s, n) for m, s, n in by_month],
    )


def filtered_cases(filters: dict[str, Any] | None = None):
    """The select() of cases for the staff list (newest return first)."""
    return _filtered(select(ReadmissionCase), filters).order_by(
        ReadmissionCase.returned_on.desc(), ReadmissionCase.id.desc()
    )


def record_view(session: Session, case: ReadmissionCase, viewer: User) -> None:
    """A staff member saw the case: personal data, so the view is recorded. Once the person
    has claimed it, it is their account's data too: the view also goes into their list of
    who saw their data (services/audit.py)."""
    record_event(
        session,
        "readmission_viewed",
        viewer,
        subject_type="readmission_case",
        subject_id=case.id,
    )
    if case.user_id is not None:
        audit.record_view(
            session, viewer, kind=audit.VIEW_CASE, returnee=case.user_id, data={"case_id": case.id}
        )
    session.flush()


def record_list_view(session: Session, cases: list[ReadmissionCase], viewer: User) -> None:
    """A staff member saw a page of cases (names and dates): one event naming them."""
    if not cases:
        return
    record_event(
        session,
        "readmission_list_viewed",
        viewer,
        subject_type="readmission_case",
        subject_id=0,
        data={"case_ids": [c.id for c in cases]},
    )
    session.flush()


def has_asked_for_help(session: Session, case: ReadmissionCase) -> bool:
    if case.user_id is None:
        return False
    return (
        session.scalar(
            select(AssistanceRequest.id).where(AssistanceRequest.owner_id == case.user_id).limit(1)
        )
        is not None
    )


def month_value(text: str | None) -> date | None:
    """'2026-03' → date(2026, 3, 1), or None when it is not a month."""
    if not text or not re.match(r"^\d{4}-\d{2}$", text):
        return None
    try:
        return datetime.strptime(text, "%Y-%m").date()  # noqa: DTZ007 - a calendar month
    except ValueError:
        return None
