"""The person confirms the help: once a partner records it, the returnee says yes, partly or no.

"Yes" leaves the request with the worker to close. "Partly" or "no" sends it back to review
through the one transition function, so the worker talks to the person again. Without an answer
for CONFIRMATION_WAIT, the worker may close it as "help given, not confirmed".
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import AssistanceRequest, HelpConfirmation, RequestStatus, User
from portal.services import notify
from portal.services.errors import PermissionDenied, ServiceError, TransitionNotAllowed
from portal.services.workflow import apply_transition, check_version, record_event

CONFIRMATION_WAIT = timedelta(days=14)


def confirm_help(
    session: Session,
    request: AssistanceRequest,
    owner: User,
    answer: HelpConfirmation,
    comment: str | None = None,
    *,
    expected_version: int | None = None,
) -> None:
    """The owner answers "did you receive the help?"; only while help is recorded and unanswered."""
    if not owner.is_returnee or request.owner_id != owner.id:
        raise PermissionDenied(_l("You may not make this change to this request."))
    check_version(request, expected_version)
    if not request.awaits_confirmation:
        raise TransitionNotAllowed(_l("This request does not wait for your answer now."))
    # PostgreSQL refuses NUL characters in text: drop them rather than fail.
    comment = (comment or "").replace("\x00", "").strip() or None
    if comment is not None and len(comment) > 2000:
        raise ServiceError(_l("Write at most %(max)d characters.", max=2000))
    now = utcnow()
    request.help_confirmation = answer
    request.help_confirmation_comment = comment
    request.help_confirmed_at = now
    # The comment is the person's own words: it stays on the request, never in the event.
    record_event(
        session, "help_confirmation", owner, request, public=True, data={"answer": answer.value}
    )
    if answer == HelpConfirmation.YES:
        session.flush()
    else:
        apply_transition(
            request, RequestStatus.IN_REVIEW, owner, data={"confirmation": answer.value}
        )
    if request.assignee is not None:
        notify.enqueue(
            session,
            "help_confirmation",
            user=request.assignee,
            request=request,
            context={"answer": answer},
        )
    session.flush()


def may_close_unconfirmed(request: AssistanceRequest, now=None) -> bool:
    """Help recorded, no answer from the person, and CONFIRMATION_WAIT has passed."""
    now = now or utcnow()
    return request.awaits_confirmation and request.status_changed_at <= now - CONFIRMATION_WAIT
