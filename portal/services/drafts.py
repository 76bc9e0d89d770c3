"""The ask-for-help draft: answers kept on the server between the pages of the flow.

One draft per returnee. Its submission_key goes into the submit form, so submitting twice
(double tap, resubmit after a timeout, back and submit again) gives one request.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import AssistanceRequest, Category, RequestDraft, Urgency, User
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.requests import submit_request

# The answers that belong to each kind of help (kept in AssistanceRequest.answers).
CATEGORY_KEYS: dict[Category, tuple[str, ...]] = {
    Category.HOUSING: ("situation", "household", "special_needs"),
    Category.EMPLOYMENT: (
        "profession",
        "education",
        "experience",
        "languages",
        "training",
        "work_area",
    ),
    Category.DOCUMENTATION: ("document", "what_happened", "holds_identity_document"),
}
# The answer that is also the request's subtype (what triage filters and partners look at).
SUBTYPE_KEY: dict[Category, str] = {
    Category.HOUSING: "situation",
    Category.DOCUMENTATION: "document",
}
COMMON_KEYS = ("description", "urgency")


class DraftOutdated(ServiceError):
    """The submit form belongs to a draft that no longer exists."""

    code = "draft_outdated"


def _require_returnee(owner: User) -> None:
    if not owner.is_returnee:
        raise PermissionDenied(_l("Only returnees can ask for help here."))


def get_draft(session: Session, owner: User) -> RequestDraft | None:
    return session.scalar(select(RequestDraft).where(RequestDraft.owner_id == owner.id))


def start_draft(session: Session, owner: User) -> RequestDraft:
    """The returnee's draft, made when they start asking for help (one per returnee)."""
    _require_returnee(owner)
    draft = get_draft(session, owner)
    if draft is not None:
        return draft
    now = utcnow()
    draft = RequestDraft(
        owner_id=owner.id,
        answers={},
        submission_key=secrets.token_urlsafe(32),
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(draft)
            session.flush()
    except IntegrityError:
        # The same person started in another tab at the same moment: use that draft.
        existing = get_draft(session, owner)
        if existing is None:
            raise
        return existing
    return draft


def choose_category(session: Session, draft: RequestDraft, category: Category) -> None:
    """Set the kind of help; changing it drops the answers about the other kind."""
    if draft.category != category:
        kept = {k: v for k, v in (draft.answers or {}).items() if k in COMMON_KEYS}
        draft.category = category
        draft.answers = kept
    draft.updated_at = utcnow()
    session.flush()


def save_answers(session: Session, draft: RequestDraft, values: dict[str, Any]) -> None:
    """Keep the answers of one page (a new dict, so the JSON column sees the change)."""
    allowed = set(COMMON_KEYS)
    if draft.category is not None:
        allowed |= set(CATEGORY_KEYS[draft.category])
    answers = dict(draft.answers or {})
    answers.update({k: v for k, v in values.items() if k in allowed})
    draft.answers = answers
    draft.updated_at = utcnow()
    session.flush()


def discard_draft(session: Session, owner: User) -> None:
    session.execute(delete(RequestDraft).where(RequestDraft.owner_id == owner.id))


def find_submitted(session: Session, owner: User, submission_key: str) -> AssistanceRequest | None:
    if not submission_key:
        return None
    return session.scalar(
        select(AssistanceRequest).where(
            AssistanceRequest.owner_id == owner.id,
            AssistanceRequest.submission_key == submission_key,
        )
    )


def submit_draft(
    session: Session, owner: User, submission_key: str, *, region_code: str
) -> AssistanceRequest:
    """The owner submits their draft. The same key again gives the same request."""
    _require_returnee(owner)
    existing = find_submitted(session, owner, submission_key)
    if existing is not None:
        return existing
    draft = get_draft(session, owner)
    if draft is None or not submission_key or draft.submission_key != submission_key:
        raise DraftOutdated(_l("This form is out of date. Check your answers and send again."))
    if draft.category is None or not draft.answers.get("urgency"):
        raise ServiceError(_l("Some answers are missing."))
    category = draft.category
    answers = {k: draft.answers[k] for k in CATEGORY_KEYS[category] if k in draft.answers}
    subtype_key = SUBTYPE_KEY.get(category)
    request = submit_request(
        session,
        owner,
        category=category,
        answers=answers,
        urgency=Urgency(draft.answers["urgency"]),
        region_code=region_code,
        description=(draft.answers.get("description") or "").strip() or None,
        subtype=answers.get(subtype_key) if subtype_key else None,
        submission_key=submission_key,
    )
    # Bulk delete: a parallel submit may already have removed it.
    session.execute(
        delete(RequestDraft).where(
            RequestDraft.owner_id == owner.id, RequestDraft.submission_key == submission_key
        )
    )
    session.flush()
    return request
