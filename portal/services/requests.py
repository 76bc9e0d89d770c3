"""Operations on assistance requests, referrals and messages.

Each takes the acting user explicitly, goes through workflow.apply_transition for any status
change, writes Events, flushes and never commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    Message,
    MessageVisibility,
    PartnerOrganisation,
    Priority,
    Referral,
    ReferralStatus,
    RequestStatus,
    Role,
    Urgency,
    User,
)
from portal.models.request import new_reference
from portal.services import notify, readmissions, report_tallies
from portal.services.errors import PermissionDenied, ServiceError, TransitionNotAllowed
from portal.services.workflow import apply_transition, check_version, record_event

S = RequestStatus


class TakeoverNeedsConfirmation(ServiceError):
    """Taking a colleague's request needs the worker's confirmation."""

    code = "takeover"
    field = "confirm_takeover"


class OutsideCoverage(ServiceError):
    """A referral outside the partner's coverage needs the worker's reason."""

    code = "outside_coverage"
    field = "outside_reason"


def _require_staff(user: User) -> None:
    if not user.is_staff:
        raise PermissionDenied(_l("Only social workers may do this."))


def is_urgent(answers: dict[str, Any] | None, urgency: Urgency | str | None) -> bool:
    """Nowhere to sleep tonight, or help needed today: the request is urgent."""
    answers = answers or {}
    return answers.get("situation") == "no_place_tonight" or str(urgency or "") == Urgency.TODAY


def submit_request(
    session: Session,
    owner: User,
    *,
    category: Category,
    answers: dict[str, Any],
    urgency: Urgency,
    region_code: str,
    description: str | None = None,
    subtype: str | None = None,
    submission_key: str | None = None,
) -> AssistanceRequest:
    """A returnee submits a request. The same submission_key twice gives the same request."""
    if not owner.is_returnee:
        raise PermissionDenied(_l("Only returnees can ask for help here."))
    if submission_key:
        existing = session.scalar(
            select(AssistanceRequest).where(
                AssistanceRequest.owner_id == owner.id,
                AssistanceRequest.submission_key == submission_key,
            )
        )
        if existing is not None:
            return existing
    now = utcnow()
    priority = Priority.URGENT if is_urgent(answers, urgency) else Priority.NORMAL
    request = AssistanceRequest(
        reference=new_reference(),
        owner_id=owner.id,
        category=category,
        subtype=subtype,
        answers=answers,
        description=description or None,
        urgency=urgency,
        priority=priority,
        priority_rank=priority.rank,
        region_code=region_code,
        status=S.SUBMITTED,
        submission_key=submission_key,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    try:
        with session.begin_nested():
            session.add(request)
            session.flush()
    except IntegrityError:
        # A parallel submit with the same key won the race: return its request.
        existing = session.scalar(
            select(AssistanceRequest).where(
                AssistanceRequest.owner_id == owner.id,
                AssistanceRequest.submission_key == submission_key,
            )
        )
        if existing is None:
            raise
        return existing
    record_event(
        session,
        "submitted",
        owner,
        request,
        to_status=S.SUBMITTED.value,
        public=True,
        data={"priority": priority.value} if priority == Priority.URGENT else None,
    )
    readmissions.on_request_submitted(session, request)
    report_tallies.on_submitted(session, request)
    notify.enqueue(session, "request_received", user=owner, request=request)
    session.flush()
    return request


def assign_request(
    session: Session,
    request: AssistanceRequest,
    assignee: User | None,
    actor: User,
    *,
    confirm_takeover: bool | None = None,
    expected_version: int | None = None,
) -> None:
    """Staff assign a request to a social worker (or unassign); a new request goes into review.

    Taking a request away from the colleague who holds it needs `confirm_takeover` when the
    caller asks for it (the pages pass True or False; scripts pass nothing)."""
    _require_staff(actor)
    check_version(request, expected_version)
    if assignee is not None and assignee.role != Role.SOCIAL_WORKER:
        raise ServiceError(_l("Requests can only be assigned to social workers."))
    if not request.status.is_open:
        raise TransitionNotAllowed(_l("This request is closed."))
    previous = request.assignee_id
    new = assignee.id if assignee else None
    takeover = previous is not None and previous != actor.id and new != previous
    if takeover and confirm_takeover is False:
        raise TakeoverNeedsConfirmation(
            _l("A colleague holds this request. Confirm that you take it over from them.")
        )
    request.assignee_id = assignee.id if assignee else None
    record_event(
        session,
        "assigned",
        actor,
        request,
        data={"from": previous, "to": request.assignee_id},
    )
    if takeover:
        colleague = session.get(User, previous)
        if colleague is not None:
            notify.enqueue(
                session,
                "request_taken_over",
                user=colleague,
                request=request,
                context={"taker": actor.full_name},
            )
    if request.status == S.SUBMITTED:
        apply_transition(request, S.IN_REVIEW, actor)
    else:
        session.flush()


def set_priority(
    session: Session,
    request: AssistanceRequest,
    priority: Priority,
    actor: User,
    *,
    expected_version: int | None = None,
) -> None:
    """Staff set the triage priority of an open request."""
    _require_staff(actor)
    check_version(request, expected_version)
    if not request.status.is_open:
        raise TransitionNotAllowed(_l("This request is closed."))
    previous = request.priority
    request.priority = priority
    request.priority_rank = priority.rank
    record_event(
        session,
        "priority_set",
        actor,
        request,
        data={"from": previous.value, "to": priority.value},
    )
    session.flush()


def add_message(
    session: Session,
    request: AssistanceRequest,
    author: User,
    body: str,
    visibility: MessageVisibility,
    *,
    notify_others: bool = True,
) -> Message:
    """Owner or staff write a shared message; only staff write internal notes.

    A shared message tells the other side: the owner of the request when staff write it (and the
    partner holding an open referral), the assigned social worker when the owner writes it.
    """
    body = (body or "").strip()
    if not body:
        raise ServiceError(_l("Write a message first."))
    if visibility == MessageVisibility.INTERNAL and not author.is_staff:
        raise PermissionDenied(_l("Only social workers may write internal notes."))
    if author.is_returnee and request.owner_id != author.id:
        raise PermissionDenied(_l("You may not write on this request."))
    if author.is_partner:
        raise PermissionDenied(_l("Partners record their work as updates on the referral."))
    message = Message(
        request_id=request.id,
        author_id=author.id,
        body=body,
        visibility=visibility,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    record_event(
        session,
        "message_added" if visibility == MessageVisibility.SHARED else "note_added",
        author,
        request,
        subject_type="message",
        subject_id=message.id,
    )
    request.updated_at = utcnow()
    if notify_others and visibility == MessageVisibility.SHARED:
        if author.is_returnee:
            notify.tell_worker(session, "worker_message", request, author)
        else:
            notify.tell_returnee(session, "request_message", request, author)
            referral = request.open_referral
            if referral is not None:
                notify.tell_partner(session, "referral_message", referral, author)
    session.flush()
    return message


def request_info(
    session: Session,
    request: AssistanceRequest,
    actor: User,
    question: str,
    *,
    expected_version: int | None = None,
) -> Message:
    """Staff ask the returnee for more information (a shared message; status needs_info)."""
    check_version(request, expected_version)
    apply_transition(request, S.NEEDS_INFO, actor)
    message = add_message(
        session, request, actor, question, MessageVisibility.SHARED, notify_others=False
    )
    notify.tell_returnee(session, "request_needs_info", request, actor)
    session.flush()
    return message


def give_info(
    session: Session,
    request: AssistanceRequest,
    owner: User,
    answer: str,
    *,
    expected_version: int | None = None,
) -> Message:
    """The owner answers a request for information; the request goes back to review."""
    check_version(request, expected_version)
    if not (answer or "").strip():
        raise ServiceError(_l("Write a message first."))
    apply_transition(request, S.IN_REVIEW, owner)
    message = add_message(
        session, request, owner, answer, MessageVisibility.SHARED, notify_others=False
    )
    notify.tell_worker(session, "worker_info_given", request, owner)
    session.flush()
    return message


def refer_request(
    session: Session,
    request: AssistanceRequest,
    partner: PartnerOrganisation,
    actor: User,
    *,
    note: str | None = None,
    outside_coverage_reason: str | None = None,
    confirm_outside_coverage: bool = False,
    expected_version: int | None = None,
) -> Referral:
    """Staff refer the request to an active partner organisation (submitted or in review).

    A partner whose coverage does not fit the request's kind and region is marked in the
    Event, with the worker's reason; with `confirm_outside_coverage` (the pages) the referral
    is refused until a reason is given. Scripts and fixtures may leave it off."""
    _require_staff(actor)
    check_version(request, expected_version)
    if not partner.is_active:
        raise ServiceError(_l("This partner organisation is not active."))
    if request.open_referral is not None:
        raise TransitionNotAllowed(_l("This request is already referred to a partner."))
    data: dict[str, Any] = {"partner_id": partner.id}
    if not partner.covers(request.category, request.region_code):
        reason = (outside_coverage_reason or "").strip()
        if not reason and confirm_outside_coverage:
            raise OutsideCoverage(
                _l(
                    "This partner does not cover this kind of help in this region. "
                    "Say why you refer it there anyway."
                )
            )
        data["outside_coverage"] = reason[:500] or True
    now = utcnow()
    referral = Referral(
        request_id=request.id,
        partner_id=partner.id,
        status=ReferralStatus.PENDING,
        sent_by_id=actor.id,
        note=(note or "").strip() or None,
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    request.referrals.append(referral)
    apply_transition(
        request,
        S.REFERRED,
        actor,
        referral_id=referral.id,
        data=data,
    )
    notify.tell_returnee(session, "request_referred", request, actor, referral=referral)
    notify.tell_partner(session, "referral_new", referral, actor)
    session.flush()
    return referral


# The partner-side operations live in services/referrals.py (pages and the partner API share
# them); they are re-exported here under their old names.
from portal.services.referrals import (  # noqa: E402
    _partner_referral,  # noqa: F401
    accept_referral,  # noqa: F401
    decline_referral,  # noqa: F401
    record_assistance,  # noqa: F401
)


def close_request(
    session: Session,
    request: AssistanceRequest,
    actor: User,
    outcome: CloseOutcome,
    note: str | None = None,
    *,
    expected_version=None,
) -> None:
    """Staff close the request with an outcome; an open referral is cancelled."""
    _require_staff(actor)
    check_version(request, expected_version)
    if outcome == CloseOutcome.NOT_CONFIRMED:
        from portal.services.confirmations import may_close_unconfirmed

        if not may_close_unconfirmed(request):
            raise TransitionNotAllowed(
                _l(
                    "Close as “not confirmed” only when help was recorded 14 days ago or more "
                    "and the person has not answered."
                )
            )
    referral = request.open_referral
    apply_transition(
        request,
        S.CLOSED,
        actor,
        data={"outcome": outcome.value},
    )
    request.close_outcome = outcome
    if referral is not None:
        referral.status = ReferralStatus.CANCELLED
        referral.updated_at = utcnow()
        notify.tell_partner(session, "referral_cancelled", referral, actor)
    if note and note.strip():
        add_message(session, request, actor, note, MessageVisibility.INTERNAL)
    notify.tell_returnee(session, "request_closed", request, actor)
    session.flush()


def withdraw_request(
    session: Session, request: AssistanceRequest, owner: User, *, expected_version=None
) -> None:
    """The owner withdraws a request that is not yet in progress."""
    check_version(request, expected_version)
    referral = request.open_referral
    apply_transition(request, S.WITHDRAWN, owner)
    request.close_outcome = CloseOutcome.WITHDRAWN
    if referral is not None:
        referral.status = ReferralStatus.CANCELLED
        notify.tell_partner(session, "referral_cancelled", referral, owner)
    # A confirmation of what they did: a shared phone's other user may have done it.
    notify.enqueue(session, "request_withdrawn", user=request.owner, request=request)
    session.flush()
