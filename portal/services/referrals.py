"""What partner organisations do with the referrals sent to them.

Pages and the partner API call these same functions. Each takes the acting user explicitly (for
the API, a transient partner user made from the token), goes through workflow.apply_transition
for any status change, writes Events, flushes and never commits.
"""

from __future__ import annotations

import enum
import math
import os
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from portal.db import utcnow
from portal.inputs import bad_character
from portal.models import (
    AssistanceKind,
    AssistanceRecord,
    AssistanceRequest,
    ContactPreference,
    DeclineReason,
    Message,
    MessageVisibility,
    PartnerOrganisation,
    Referral,
    ReferralStatus,
    ReferralUpdate,
    RequestStatus,
    User,
)
from portal.services import notify
from portal.services.errors import PermissionDenied, ServiceError, TransitionNotAllowed
from portal.services.workflow import apply_transition, check_version, record_event

S = RequestStatus

# Limits shared by the forms, the services and the OpenAPI document.
NOTE_MAX = 1000
UPDATE_MAX = 2000
DESCRIPTION_MAX = 2000
MAX_AMOUNT_AZN = Decimal("1000000")
MAX_UNITS = 1_000_000


class InvalidInput(ServiceError):
    """Input the operation refuses; `field` names the input it is about (for forms and API)."""

    code = "invalid"

    def __init__(self, message, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- access ------------------------------------------------------------------------------------


class PartnerAccess(enum.StrEnum):
    """What a partner organisation sees of the person behind a referral (issue 10, item 8).

    offered: the referral awaits the partner's answer. Only what it needs to decide: the kind of
    help, the region, the urgency the person stated, and the social worker's note; no name,
    contact, answers, free text or messages.
    active: the partner accepted and the request is open: what it needs to help (the name, the
    way to reach the person, their answers and own words, the messages).
    ended: the referral was declined, cancelled or completed, or the request closed: only the
    partner's own work (updates and assistance records) with the kind of help and region; the
    name goes too.
    """

    OFFERED = "offered"
    ACTIVE = "active"
    ENDED = "ended"


def partner_access(referral: Referral) -> PartnerAccess:
    """The one rule of what the partner sees; pages and API both ask it."""
    if not referral.request.status.is_open:
        return PartnerAccess.ENDED
    if referral.status == ReferralStatus.PENDING:
        return PartnerAccess.OFFERED
    if referral.status == ReferralStatus.ACCEPTED:
        return PartnerAccess.ACTIVE
    return PartnerAccess.ENDED


def access_is_live(referral: Referral) -> bool:
    """The partner works with the person now: name, contact details and messages are shown."""
    return partner_access(referral) == PartnerAccess.ACTIVE


def partner_can_view(referral: Referral | None, user: Any) -> bool:
    """Only staff of the organisation the referral was sent to (any status: their own work)."""
    return (
        referral is not None
        and user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_partner
        and user.partner_id is not None
        and referral.partner_id == user.partner_id
    )


def contact_for_partner(referral: Referral) -> dict[str, Any] | None:
    """How to reach the returnee, as they chose; None once access has ended.

    The preferred way and the one detail it needs (the phone, or the email when they chose
    email), and the language they speak best.
    """
    if not access_is_live(referral):
        return None
    owner = referral.request.owner
    profile = owner.profile
    preference = profile.contact_preference if profile else None
    by_email = preference == ContactPreference.EMAIL and bool(owner.email)
    return {
        "preference": preference,
        "phone": None if by_email else owner.phone,
        "email": owner.email if by_email else None,
        "language": owner.preferred_locale,
    }


def messages_for_partner(session: Session, referral: Referral) -> list[Message]:
    """Shared messages, and the internal notes marked for the partner; none once access ended."""
    if not access_is_live(referral):
        return []
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.request_id == referral.request_id,
                (Message.visibility == MessageVisibility.SHARED) | Message.for_partner.is_(True),
            )
            .order_by(Message.created_at, Message.id)
        )
    )


def updates_of(session: Session, referral: Referral) -> list[ReferralUpdate]:
    return list(
        session.scalars(
            select(ReferralUpdate)
            .where(ReferralUpdate.referral_id == referral.id)
            .order_by(ReferralUpdate.created_at, ReferralUpdate.id)
        )
    )


def assistance_of(session: Session, referral: Referral) -> list[AssistanceRecord]:
    return list(
        session.scalars(
            select(AssistanceRecord)
            .where(AssistanceRecord.referral_id == referral.id)
            .order_by(AssistanceRecord.given_on, AssistanceRecord.id)
        )
    )


# --- input checks shared by pages and API -------------------------------------------------------


def local_today() -> date:
    """Today in the portal's time zone (a date typed by a person is a local date)."""
    tz = "Asia/Baku"
    if has_app_context():
        tz = current_app.config.get("BABEL_DEFAULT_TIMEZONE", tz)
    else:
        tz = os.environ.get("PORTAL_TIMEZONE", tz)
    return utcnow().astimezone(ZoneInfo(tz)).date()


def local_date(moment: datetime) -> date:
    tz = "Asia/Baku"
    if has_app_context():
        tz = current_app.config.get("BABEL_DEFAULT_TIMEZONE", tz)
    return moment.astimezone(ZoneInfo(tz)).date()


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored (control characters, broken Unicode), or None."""
    if bad_character(value, multiline=True):
        return str(_l("The text contains characters that cannot be saved. Remove them."))
    return None


def clean_text(
    value: Any, *, field: str, max_length: int, required: bool, missing_message
) -> str | None:
    """Stripped text, or None when empty and optional; InvalidInput otherwise."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(_l("Enter text."), field)
    value = value.strip()
    if not value:
        if required:
            raise InvalidInput(missing_message, field)
        return None
    if len(value) > max_length:
        raise InvalidInput(_l("Use at most %(max)d characters.", max=max_length), field)
    problem = text_problem(value)
    if problem:
        raise InvalidInput(problem, field)
    return value


def clean_amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput(_l("Enter the amount as a number, like 150 or 150.50."), "amount_azn")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _l("Enter the amount as a number, like 150 or 150.50."), "amount_azn"
        ) from None
    if not amount.is_finite() or (isinstance(value, float) and not math.isfinite(value)):
        raise InvalidInput(_l("Enter the amount as a number, like 150 or 150.50."), "amount_azn")
    if amount < 0:
        raise InvalidInput(_l("The amount cannot be below zero."), "amount_azn")
    if amount > MAX_AMOUNT_AZN:
        raise InvalidInput(
            _l("The amount cannot be over %(max)s AZN.", max="1 000 000"), "amount_azn"
        )
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(_l("Use at most two decimals, like 150.50."), "amount_azn")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_amount(text: str | None) -> Decimal | None:
    """An amount as a person types it: a comma or a point as the decimal mark, spaces allowed.

    Both marks at once ("1,250.50") are refused rather than guessed: in az and ru the point
    groups thousands, in en the comma does."""
    text = (text or "").replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if not text:
        return None
    if "," in text and "." in text or text.count(",") > 1 or text.count(".") > 1:
        raise InvalidInput(
            _l("Write the amount without thousands separators, like 1250.50 or 1250,50."),
            "amount_azn",
        )
    return clean_amount(text.replace(",", "."))


def clean_units(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_l("Enter the number of units as a whole number."), "units")
    if value < 1:
        raise InvalidInput(_l("The number of units must be at least 1."), "units")
    if value > MAX_UNITS:
        raise InvalidInput(_l("The number of units is too large."), "units")
    return value


def check_given_on(given_on: Any, referral: Referral) -> date:
    if not isinstance(given_on, date) or isinstance(given_on, datetime):
        raise InvalidInput(_l("Enter the date the assistance was given."), "given_on")
    if given_on > local_today():
        raise InvalidInput(_l("The date cannot be in the future."), "given_on")
    if given_on < local_date(referral.created_at):
        raise InvalidInput(_l("The date cannot be before the referral was received."), "given_on")
    return given_on


# --- operations ---------------------------------------------------------------------------------


def _actor_data(actor: User, referral: Referral, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"partner_id": referral.partner_id}
    token_id = getattr(actor, "api_token_id", None)
    if token_id is not None:
        data["api_token_id"] = token_id
    data.update(extra)
    return data


def session_partner(request: AssistanceRequest, partner_id: int) -> PartnerOrganisation | None:
    session = object_session(request)
    return session.get(PartnerOrganisation, partner_id) if session is not None else None


def _partner_referral(
    request: AssistanceRequest, actor: User, referral: Referral | None = None
) -> Referral:
    """The open referral of the request held by the actor's organisation.

    With `referral` given (the one a page or the API is about), a referral of the actor's
    organisation that is no longer open is a state conflict, not a permission problem.
    """
    if not actor.is_partner or actor.partner_id is None:
        raise PermissionDenied(_l("This referral is not open for your organisation."))
    partner = session_partner(request, actor.partner_id)
    if partner is None or not partner.is_active:
        raise PermissionDenied(_l("Your organisation is no longer active in the portal."))
    if referral is not None:
        if referral.partner_id != actor.partner_id or referral.request_id != request.id:
            raise PermissionDenied(_l("This referral is not open for your organisation."))
        if not referral.status.is_open or request.open_referral is not referral:
            raise TransitionNotAllowed(_l("This referral is no longer open."))
        return referral
    open_referral = request.open_referral
    if open_referral is None or open_referral.partner_id != actor.partner_id:
        raise PermissionDenied(_l("This referral is not open for your organisation."))
    return open_referral


def accept_referral(
    session: Session,
    request: AssistanceRequest,
    actor: User,
    *,
    expected_version=None,
    referral: Referral | None = None,
) -> Referral:
    """Partner staff accept the pending referral of their organisation (request: referred)."""
    check_version(request, expected_version)
    referral = _partner_referral(request, actor, referral)
    if referral.status != ReferralStatus.PENDING:
        raise TransitionNotAllowed(_l("This referral has already been answered."))
    apply_transition(
        request,
        S.IN_PROGRESS,
        actor,
        referral_id=referral.id,
        data=_actor_data(actor, referral),
    )
    referral.status = ReferralStatus.ACCEPTED
    referral.responded_at = utcnow()
    referral.updated_at = utcnow()
    notify.tell_returnee(session, "request_accepted", request, actor, referral=referral)
    session.flush()
    return referral


def decline_referral(
    session: Session,
    request: AssistanceRequest,
    actor: User,
    reason: DeclineReason,
    note: str | None = None,
    *,
    expected_version=None,
    referral: Referral | None = None,
) -> Referral:
    """Partner staff decline (pending) or give back (accepted); the request returns to triage."""
    check_version(request, expected_version)
    referral = _partner_referral(request, actor, referral)
    try:
        reason = DeclineReason(reason)
    except ValueError:
        raise InvalidInput(_l("Choose a reason."), "reason") from None
    note = clean_text(
        note,
        field="note",
        max_length=NOTE_MAX,
        required=reason == DeclineReason.OTHER,
        missing_message=_l("Say why you decline this referral."),
    )
    apply_transition(
        request,
        S.IN_REVIEW,
        actor,
        referral_id=referral.id,
        data=_actor_data(actor, referral, reason=reason.value),
    )
    referral.status = ReferralStatus.DECLINED
    referral.decline_reason = reason
    referral.decline_note = note
    referral.responded_at = utcnow()
    referral.updated_at = utcnow()
    request.times_declined += 1
    notify.tell_returnee(session, "request_returned", request, actor, referral=referral)
    notify.tell_worker(session, "worker_referral_declined", request, actor, referral)
    session.flush()
    return referral


def add_referral_update(
    session: Session, referral: Referral, actor: User, body: str
) -> ReferralUpdate:
    """Partner staff note their progress on an accepted referral of their organisation."""
    request = referral.request
    referral = _partner_referral(request, actor, referral)
    if referral.status != ReferralStatus.ACCEPTED:
        raise TransitionNotAllowed(_l("Accept the referral before adding updates."))
    text = clean_text(
        body,
        field="body",
        max_length=UPDATE_MAX,
        required=True,
        missing_message=_l("Write what has been done."),
    )
    now = utcnow()
    update = ReferralUpdate(referral_id=referral.id, author_id=actor.id, body=text, created_at=now)
    session.add(update)
    session.flush()
    referral.updated_at = now
    record_event(
        session,
        "referral_update",
        actor,
        request,
        subject_type="referral_update",
        subject_id=update.id,
        referral_id=referral.id,
        public=True,
        data=_actor_data(actor, referral),
    )
    notify.tell_returnee(session, "request_message", request, actor, referral=referral)
    session.flush()
    return update


def _check_kind(request: AssistanceRequest, kind: Any) -> AssistanceKind:
    allowed = AssistanceKind.for_category(request.category)
    if kind is None:
        kind = AssistanceKind.OTHER
    try:
        kind = AssistanceKind(kind)
    except ValueError:
        kind = None
    if kind not in allowed:
        raise InvalidInput(_l("Choose what was given from the list."), "kind")
    return kind


def record_assistance(
    session: Session,
    request: AssistanceRequest,
    actor: User,
    outcome: str | None = None,
    *,
    kind: Any = None,
    given_on: date | None = None,
    description: str | None = None,
    amount_azn: Any = None,
    units: Any = None,
    expected_version=None,
    referral: Referral | None = None,
    complete: bool = False,
) -> AssistanceRecord:
    """Partner staff record one item of assistance given on an accepted referral; they may
    record several over time. With `complete`, the referral is completed in the same step
    (see complete_referral).

    `outcome` is the description (older callers pass only that); kind defaults to "other"
    and the date to today.
    """
    check_version(request, expected_version)
    referral = _partner_referral(request, actor, referral)
    if referral.status != ReferralStatus.ACCEPTED:
        raise TransitionNotAllowed(_l("Accept the referral before recording assistance."))
    kind = _check_kind(request, kind)
    given_on = check_given_on(local_today() if given_on is None else given_on, referral)
    text = clean_text(
        description if description is not None else outcome,
        field="description",
        max_length=DESCRIPTION_MAX,
        required=True,
        missing_message=_l("Describe the assistance given."),
    )
    amount = clean_amount(amount_azn)
    unit_count = clean_units(units)
    now = utcnow()
    record = AssistanceRecord(
        referral_id=referral.id,
        request_id=request.id,
        kind=kind.value,
        given_on=given_on,
        description=text,
        amount_azn=amount,
        units=unit_count,
        recorded_by_id=actor.id,
        created_at=now,
    )
    session.add(record)
    session.flush()
    referral.updated_at = now
    record_event(
        session,
        "assistance_recorded",
        actor,
        request,
        subject_type="assistance_record",
        subject_id=record.id,
        referral_id=referral.id,
        public=True,
        data=_actor_data(actor, referral, kind=kind.value, given_on=given_on.isoformat()),
    )
    request.updated_at = now
    session.flush()  # bumps the request's version: the worker's page shows it is newer
    if complete:
        complete_referral(session, request, actor, referral=referral)
    return record


def complete_referral(
    session: Session,
    request: AssistanceRequest,
    actor: User,
    outcome: str | None = None,
    *,
    expected_version=None,
    referral: Referral | None = None,
) -> Referral:
    """Partner staff mark their accepted referral complete once they have recorded at least
    one item of assistance; the request moves to assistance_provided for the social worker."""
    check_version(request, expected_version)
    referral = _partner_referral(request, actor, referral)
    if referral.status != ReferralStatus.ACCEPTED:
        raise TransitionNotAllowed(_l("Accept the referral before completing it."))
    records = assistance_of(session, referral)
    if not records:
        raise TransitionNotAllowed(_l("Record the assistance given before completing."))
    text = clean_text(
        outcome,
        field="outcome",
        max_length=DESCRIPTION_MAX,
        required=False,
        missing_message=_l("Describe the assistance given."),
    )
    apply_transition(
        request,
        S.ASSISTANCE_PROVIDED,
        actor,
        referral_id=referral.id,
        data=_actor_data(
            actor,
            referral,
            records=len(records),
            given_on=records[-1].given_on.isoformat(),
            kind=records[-1].kind,
        ),
    )
    now = utcnow()
    referral.status = ReferralStatus.COMPLETED
    referral.outcome = text or records[-1].description
    referral.completed_at = now
    referral.updated_at = now
    notify.tell_returnee(session, "request_assistance_recorded", request, actor, referral=referral)
    notify.tell_worker(session, "worker_assistance_recorded", request, actor, referral)
    session.flush()
    return referral
