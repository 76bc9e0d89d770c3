"""Staff suggestions of better wording for the interface, kept for the next catalogue update."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import TranslationSuggestion, User
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.workflow import record_event

MAX_TEXT = 1000
MAX_PATH = 500
LOCALES = ("az", "ru", "en")


def suggest_translation(
    session: Session, user: User, *, path: str, locale: str, shown_text: str, proposed_text: str
) -> TranslationSuggestion:
    """Staff (social workers, partner staff, administrators) record a better wording."""
    if not TranslationSuggestion.can_suggest(user):
        raise PermissionDenied(_l("Only staff can suggest translations."))
    shown, proposed = shown_text.strip(), proposed_text.strip()
    if locale not in LOCALES or not shown or not proposed:
        raise ServiceError(_l("Enter the text as shown and your better translation."))
    if len(shown) > MAX_TEXT or len(proposed) > MAX_TEXT:
        raise ServiceError(_l("Use at most %(max)d characters.", max=MAX_TEXT))
    if not path.startswith("/") or path.startswith("//"):
        path = "/"
    suggestion = TranslationSuggestion(
        author_id=user.id,
        path=path[:MAX_PATH],
        locale=locale,
        shown_text=shown,
        proposed_text=proposed,
    )
    session.add(suggestion)
    session.flush()
    record_event(
        session,
        "translation_suggested",
        user,
        subject_type="translation_suggestion",
        subject_id=suggestion.id,
        data={"locale": locale},
    )
    session.flush()
    return suggestion


def suggestion_page(
    session: Session, *, page: int, page_size: int, locale: str | None = None
) -> tuple[list[TranslationSuggestion], int]:
    """One page of suggestions, newest first, and the number of pages."""
    where = [TranslationSuggestion.locale == locale] if locale else []
    total = session.scalar(select(func.count(TranslationSuggestion.id)).where(*where)) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        select(TranslationSuggestion)
        .where(*where)
        .order_by(TranslationSuggestion.created_at.desc(), TranslationSuggestion.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return list(rows), pages
