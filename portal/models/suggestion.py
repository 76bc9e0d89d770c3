from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime
from portal.models.enums import Role

if TYPE_CHECKING:
    from portal.models.user import User

# Fluent staff of every kind may suggest; returnees are never asked to proofread the portal.
# The State Migration Service's own staff (issue 15): partner organisations' staff do not.
SUGGESTING_ROLES = (Role.SOCIAL_WORKER, Role.ADMIN)


class TranslationSuggestion(Base):
    """A staff member's better wording for a text of the interface, on the page it was seen."""

    __tablename__ = "translation_suggestions"
    __table_args__ = (Index("ix_translation_suggestions_created", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    path: Mapped[str] = mapped_column(String(500))
    locale: Mapped[str] = mapped_column(String(5))
    shown_text: Mapped[str] = mapped_column(Text)
    proposed_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<TranslationSuggestion {self.id} {self.locale}>"

    @staticmethod
    def can_suggest(user) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.role in SUGGESTING_ROLES

    @staticmethod
    def can_review(user) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.role == Role.ADMIN
