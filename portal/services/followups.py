"""Follow-ups after closure: invite at 3, 6 and 12 months, take the answers once, and turn
"I need help again" into a pre-filled draft the returnee confirms."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.followups import HELP_AGAIN, MILESTONES, NO_HELP, QUESTIONS, SCALE
from portal.models import (
    AssistanceRequest,
    Category,
    CloseOutcome,
    FollowUp,
    RequestStatus,
    User,
)
from portal.services import drafts, notify
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.workflow import record_event

HELPED = (CloseOutcome.HELP_GIVEN, CloseOutcome.NOT_CONFIRMED)
MONTH = timedelta(days=30)


class AlreadyAnswered(ServiceError):
    code = "already_answered"


def due_milestone(closed_at: datetime, now: datetime) -> int | None:
    """The latest milestone (in months) reached since closure, or None before 3 months."""
    reached = [m for m in MILESTONES if closed_at + m * MONTH <= now]
    return reached[-1] if reached else None


def create_due_followups(session: Session, now: datetime | None = None) -> list[FollowUp]:
    """Make the follow-ups that are due and invite each person (the `followups due` command).

    Only the latest milestone reached is created, so a person is never sent three at once.
    Safe to run again: a milestone already made is skipped.
    """
    now = now or utcnow()
    earliest = now - MILESTONES[0] * MONTH
    rows = session.execute(
        select(AssistanceRequest, User)
        .join(User, User.id == AssistanceRequest.owner_id)
        .where(
            AssistanceRequest.status == RequestStatus.CLOSED,
            AssistanceRequest.close_outcome.in_(HELPED),
            AssistanceRequest.closed_at <= earliest,
            User.deleted_at.is_(None),
            User.is_active.is_(True),
        )
    ).all()
    made: list[FollowUp] = []
    for req, owner in rows:
        months = due_milestone(req.closed_at, now)
        if months is None:
            continue
        exists = session.scalar(
            select(FollowUp.id).where(FollowUp.request_id == req.id, FollowUp.months == months)
        )
        if exists is not None:
            continue
        followup = FollowUp(request_id=req.id, owner_id=owner.id, months=months, created_at=now)
        session.add(followup)
        session.flush()
        record_event(
            session,
            "followup_invited",
            None,
            req,
            subject_type="follow_up",
            subject_id=followup.id,
            data={"months": months},
        )
        notify.enqueue(
            session,
            "followup_invitation",
            user=owner,
            request=req,
            context={"followup": followup},
        )
        made.append(followup)
    session.flush()
    return made


def open_followups(session: Session, owner: User) -> list[FollowUp]:
    return list(
        session.scalars(
            select(FollowUp)
            .where(FollowUp.owner_id == owner.id, FollowUp.answered_at.is_(None))
            .order_by(FollowUp.created_at, FollowUp.id)
        )
    )


def clean_answers(values: dict[str, Any]) -> dict[str, str]:
    """Only known questions with values from their scale; anything else is refused."""
    answers: dict[str, str] = {}
    for q in QUESTIONS:
        value = values.get(q.key)
        if value not in SCALE:
            raise ServiceError(_l("Answer every question."))
        answers[q.key] = value
    again = values.get(HELP_AGAIN)
    if again != NO_HELP and again not in {c.value for c in Category}:
        raise ServiceError(_l("Answer every question."))
    answers[HELP_AGAIN] = again
    return answers


def answer_followup(
    session: Session, followup: FollowUp, owner: User, values: dict[str, Any]
) -> None:
    """The returnee answers their follow-up, once; "help again" starts a pre-filled draft."""
    if not owner.is_returnee or followup.owner_id != owner.id:
        raise PermissionDenied(_l("You may not answer this check."))
    if followup.answered_at is not None:
        raise AlreadyAnswered(_l("You already answered this check. Thank you."))
    answers = clean_answers(values)
    followup.answers = answers
    followup.answered_at = utcnow()
    record_event(
        session,
        "followup_answered",
        owner,
        followup.request,
        subject_type="follow_up",
        subject_id=followup.id,
        data={"months": followup.months, "help_again": answers[HELP_AGAIN] != NO_HELP},
    )
    if answers[HELP_AGAIN] != NO_HELP:
        draft = drafts.start_draft(session, owner)
        if draft.category is None or not draft.answers:
            drafts.choose_category(session, draft, Category(answers[HELP_AGAIN]))
    session.flush()
