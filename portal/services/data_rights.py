"""A returnee's rights over their data: see and download it, delete the account, withdraw consent.

How erasure works (and why the append-only Event table is not touched):
- Events never hold personal data. They name people only by id (`actor_id`, `subject_id`) and
  carry statuses, enum values and ids in `data`; services must keep it so (a test checks the
  events of a deleted person).
- The person's `users` row stays as a tombstone: name, phone, email and password are wiped,
  `deleted_at` is set and the row is inactive. Events and requests keep pointing at that id, so
  the facts stay ("request X was withdrawn by its owner") and the person is gone.
- Everything the person told or wrote is erased: the profile (date of return, country,
  household, vulnerabilities), free text in requests (description, typed answers), every message
  and partner note on their requests, their draft, their notifications, their sessions.
- Requests stay as anonymous statistics: category, closed-list answers, region, dates, status.
- The phone (and email) are freed, so the same number can register afresh.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import (
    AssistanceRecord,
    AssistanceRequest,
    CloseOutcome,
    Event,
    FollowUp,
    Message,
    MessageVisibility,
    Notification,
    Referral,
    ReferralStatus,
    ReferralUpdate,
    RequestDraft,
    RequestStatus,
    ReturneeProfile,
    Role,
    User,
    UserSession,
)
from portal.regions import region_name
from portal.services import notify, report_tallies, versions
from portal.services.errors import PermissionDenied
from portal.services.workflow import apply_transition, record_event

# Answers the person typed in their own words (the other answers are closed lists). Kept in step
# with the free-text fields of the ask-for-help forms by tests/unit/test_data_rights.py.
FREE_TEXT_ANSWER_KEYS = frozenset({"special_needs", "profession", "experience", "work_area"})

ERASED_NAME = "—"
# Not an argon2 hash: verify_password refuses every password.
UNUSABLE_PASSWORD_HASH = "!"  # noqa: S105


class DeletionReason:
    DELETED = "account_deleted"
    CONSENT_WITHDRAWN = "consent_withdrawn"


def _require_returnee(user: User) -> None:
    if not user.is_returnee or user.deleted_at is not None:
        raise PermissionDenied(_l("Only returnees can do this."))


def _own_requests(session: Session, user: User) -> list[AssistanceRequest]:
    return list(
        session.scalars(
            select(AssistanceRequest)
            .where(AssistanceRequest.owner_id == user.id)
            .order_by(AssistanceRequest.created_at, AssistanceRequest.id)
        )
    )


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def export_data(session: Session, user: User) -> dict[str, Any]:
    """Everything held about this returnee, as plain data (the JSON download and the page)."""
    _require_returnee(user)
    profile = user.profile
    consents = [
        {"version": e.data.get("version"), "given_at": _iso(e.created_at)}
        for e in session.scalars(
            select(Event)
            .where(
                Event.subject_type == "user",
                Event.subject_id == user.id,
                Event.kind == "consent_given",
            )
            .order_by(Event.created_at, Event.id)
        )
    ]
    requests = []
    for req in _own_requests(session, user):
        messages = session.scalars(
            select(Message)
            .where(Message.request_id == req.id, Message.visibility == MessageVisibility.SHARED)
            .order_by(Message.created_at, Message.id)
        ).all()
        events = session.scalars(
            select(Event)
            .where(Event.request_id == req.id, Event.public.is_(True))
            .order_by(Event.created_at, Event.id)
        ).all()
        requests.append(
            {
                "reference": req.reference,
                "category": req.category.value,
                "category_label": req.category.label,
                "status": req.status.value,
                "status_label": req.status.label,
                "urgency": req.urgency.value,
                "region": req.region_code,
                "answers": dict(req.answers or {}),
                "description": req.description,
                "help_confirmation": req.help_confirmation.value if req.help_confirmation else None,
                "help_confirmation_comment": req.help_confirmation_comment,
                "created_at": _iso(req.created_at),
                "closed_at": _iso(req.closed_at),
                "messages": [
                    {
                        "from": "you" if m.author_id == user.id else "social_worker",
                        "body": m.body,
                        "at": _iso(m.created_at),
                    }
                    for m in messages
                ],
                "timeline": [
                    {
                        "event": e.kind,
                        "from_status": e.from_status,
                        "to_status": e.to_status,
                        "at": _iso(e.created_at),
                    }
                    for e in events
                ],
                "referred_to": [
                    {
                        "organisation": r.partner.name(),
                        "status": r.status.value,
                        "sent_at": _iso(r.created_at),
                        "completed_at": _iso(r.completed_at),
                    }
                    for r in req.referrals
                ],
            }
        )
    return {
        "exported_at": _iso(utcnow()),
        "account": {
            "name": user.full_name,
            "phone": user.phone,
            "email": user.email,
            "preferred_language": user.preferred_locale,
            "created_at": _iso(user.created_at),
            "last_sign_in_at": _iso(user.last_login_at),
        },
        "profile": {
            "region": profile.region_code if profile else None,
            "region_name": region_name(profile.region_code)
            if profile and profile.region_code
            else None,
            "return_date": _iso(profile.return_date) if profile else None,
            "country_returned_from": profile.country_returned_from if profile else None,
            "household_size": profile.household_size if profile else None,
            "vulnerabilities": list(profile.vulnerabilities or []) if profile else [],
            "contact_preference": profile.contact_preference.value
            if profile and profile.contact_preference
            else None,
        },
        "consents": consents,
        "current_consent": {
            "version": profile.consent_version if profile else None,
            "given_at": _iso(profile.consent_at) if profile else None,
        },
        "requests": requests,
        "follow_ups": [
            {
                "request": fu.request.reference,
                "months": fu.months,
                "sent_at": _iso(fu.created_at),
                "answered_at": _iso(fu.answered_at),
                "answers": fu.answers,
            }
            for fu in session.scalars(
                select(FollowUp).where(FollowUp.owner_id == user.id).order_by(FollowUp.id)
            )
        ],
    }


def _tell_who_works_on_it(session: Session, req: AssistanceRequest, referral) -> None:
    """The partner holding the referral and the assigned worker learn that the request ended."""
    people: list[User] = []
    if referral is not None:
        people += list(
            session.scalars(
                select(User).where(
                    User.partner_id == referral.partner_id,
                    User.role == Role.PARTNER,
                    User.is_active.is_(True),
                )
            )
        )
    if req.assignee is not None:
        people.append(req.assignee)
    notify.notify_users(session, "request_withdrawn_account_closed", people, request=req)


def delete_account(session: Session, user: User, *, reason: str = DeletionReason.DELETED) -> None:
    """The returnee deletes their own account (or withdraws consent, which does the same).

    Open requests are withdrawn (partners and the worker are told), then personal data is erased
    as the module docstring says. The caller has checked the password.
    """
    _require_returnee(user)
    now = utcnow()
    requests = _own_requests(session, user)
    withdrawn = 0
    for req in requests:
        if req.status.is_open:
            withdrawn += 1
            referral = req.open_referral
            # Rendered before the erasure, in each recipient's language; names no one.
            _tell_who_works_on_it(session, req, referral)
            apply_transition(
                req, RequestStatus.WITHDRAWN, user, data={"reason": reason}, leaving=True
            )
            req.close_outcome = CloseOutcome.WITHDRAWN
            if referral is not None:
                referral.status = ReferralStatus.CANCELLED
                referral.updated_at = now

    ids = [r.id for r in requests]
    if ids:
        for req in requests:
            answers = {
                k: v for k, v in (req.answers or {}).items() if k not in FREE_TEXT_ANSWER_KEYS
            }
            answers.pop("description", None)
            req.answers = answers
            req.description = None
            req.help_confirmation_comment = None
            req.submission_key = None
        session.execute(delete(Message).where(Message.request_id.in_(ids)))
        referral_ids = select(Referral.id).where(Referral.request_id.in_(ids))
        session.execute(
            update(ReferralUpdate)
            .where(ReferralUpdate.referral_id.in_(referral_ids))
            .values(body="")
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Referral)
            .where(Referral.request_id.in_(ids))
            .values(note=None, decline_note=None, outcome=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(AssistanceRecord)
            .where(AssistanceRecord.request_id.in_(ids))
            .values(description="")
            .execution_options(synchronize_session=False)
        )
    # Notices to the person, and any notice about their requests (they quote the reference
    # only, but the person's own copies carry their address).
    session.execute(
        delete(Notification).where(
            or_(Notification.user_id == user.id, Notification.to_address == user.phone)
        )
    )
    session.execute(delete(RequestDraft).where(RequestDraft.owner_id == user.id))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    # The reports' count of registrations drops the profile too (report_tallies).
    report_tallies.on_profiles_deleted(session, [ReturneeProfile.user_id == user.id])
    session.execute(delete(ReturneeProfile).where(ReturneeProfile.user_id == user.id))
    versions.bump(session)  # the queue shows the person's name and requests
    session.expire(user, ["profile", "sessions"])

    user.full_name = ERASED_NAME
    user.phone = None
    user.email = None
    user.password_hash = UNUSABLE_PASSWORD_HASH
    user.notification_channels = None
    user.is_active = False
    user.deleted_at = now
    record_event(
        session,
        reason,
        user,
        subject_type="user",
        subject_id=user.id,
        data={"requests_withdrawn": withdrawn},
    )
    session.flush()


def localised_export(session: Session, user: User, locale: str) -> dict[str, Any]:
    """export_data with labels in `locale` (the JSON file is in the language of the page)."""
    with force_locale(locale):
        return export_data(session, user)
