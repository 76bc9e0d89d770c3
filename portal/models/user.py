from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Boolean, ForeignKey, Index, String, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models._types import UTCDateTime, enum_column
from portal.models.enums import NotificationChannel, Role
from portal.names import NAME_KEY_LENGTH

if TYPE_CHECKING:
    from portal.models.partner import PartnerOrganisation
    from portal.models.returnee import ReturneeProfile


class User(Base):
    """Every person who signs in: returnees by phone, staff by email."""

    __tablename__ = "users"
    __table_args__ = (
        # Substring search on the folded name: trigrams on PostgreSQL, a plain index elsewhere.
        Index(
            "ix_users_name_key_trgm",
            "name_key",
            postgresql_using="gin",
            postgresql_ops={"name_key": "gin_trgm_ops"},
        ),
        # The reversed digits of the phone: "ends with 4567" is a prefix range on this.
        Index("ix_users_phone_tail", "phone_tail"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, 20), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    preferred_locale: Mapped[str] = mapped_column(String(5), default="az")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_organisations.id"), index=True
    )
    is_partner_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    # Comma-separated NotificationChannel values the person chose; None: the role's default.
    notification_channels: Mapped[str | None] = mapped_column(String(40))
    # A social worker who balances the caseload of the others (administrators always may).
    is_team_lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when the person deleted their account: the row stays, emptied of personal data, so
    # that events and requests keep pointing at "someone" (see services/data_rights.py).
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Kept in step with full_name and phone by the listeners below (portal.names).
    name_key: Mapped[str | None] = mapped_column(String(NAME_KEY_LENGTH))
    phone_tail: Mapped[str | None] = mapped_column(String(20))

    partner: Mapped[PartnerOrganisation | None] = relationship(back_populates="staff")
    profile: Mapped[ReturneeProfile | None] = relationship(
        back_populates="user", uselist=False, foreign_keys="ReturneeProfile.user_id"
    )
    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Set per request by the user loader: the server-side session this request belongs to.
    current_session_token: ClassVar[str | None] = None

    def __repr__(self) -> str:  # no personal data in logs
        return f"<User {self.id} {self.role.value}>"

    # flask-login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.current_session_token

    @property
    def login(self) -> str:
        return self.phone if self.role == Role.RETURNEE and self.phone else (self.email or "")

    @property
    def channels(self) -> set[NotificationChannel]:
        """The channels this person is told on (returnees: SMS + portal; staff: email + portal)."""
        if self.notification_channels is not None:
            chosen = self.notification_channels.split(",")
            return {c for c in NotificationChannel if c.value in chosen}
        if self.role == Role.RETURNEE:
            return {NotificationChannel.SMS, NotificationChannel.PORTAL}
        return {NotificationChannel.EMAIL, NotificationChannel.PORTAL}

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff

    @property
    def is_returnee(self) -> bool:
        return self.role == Role.RETURNEE

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_balance_caseload(self) -> bool:
        """Administrators and team leads see every worker's caseload and reassign requests."""
        return self.is_active and (
            self.is_admin or (self.role == Role.SOCIAL_WORKER and self.is_team_lead)
        )

    @property
    def can_manage_accounts(self) -> bool:
        """Administrators (every account) and partner leads (their organisation's staff)."""
        return self.is_active and (
            self.role == Role.ADMIN or (self.role == Role.PARTNER and self.is_partner_lead)
        )

    def can_be_managed_by(self, actor) -> bool:
        """Whether `actor` may edit, switch off or sign out this account."""
        if actor is None or not getattr(actor, "can_manage_accounts", False):
            return False
        if actor.role == Role.ADMIN:
            return True
        return self.role == Role.PARTNER and self.partner_id == actor.partner_id


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(Base):
    """A signed-in browser. Deleting the row ends that session, even for a copied cookie."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="sessions")


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _search_keys(mapper, connection, target):  # noqa: ARG001
    from portal.names import phone_tail_key, stored_name_key

    target.name_key = stored_name_key(target.full_name)
    target.phone_tail = phone_tail_key(target.phone)
