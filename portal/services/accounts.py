"""Accounts and server-side sessions."""

from __future__ import annotations

import secrets
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, bindparam, delete, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import ReturneeProfile, Role, User, UserSession
from portal.models.user import hash_session_token
from portal.passwords import burn_verify, hash_password, needs_rehash, verify_password
from portal.phones import normalise_phone
from portal.services import duplicates
from portal.services.errors import ServiceError
from portal.services.returnees import record_consent
from portal.services.workflow import record_event


class DuplicateAccount(ServiceError):
    code = "duplicate"


def find_by_login(session: Session, login: str) -> User | None:
    """A returnee by phone (any format) or staff by email."""
    login = (login or "").strip()
    if "@" in login:
        return session.scalar(select(User).where(User.email == login.lower()))
    phone = normalise_phone(login)
    if phone is None:
        return None
    return session.scalar(select(User).where(User.phone == phone))


def create_user(
    session: Session,
    *,
    role: Role,
    full_name: str,
    password: str,
    phone: str | None = None,
    email: str | None = None,
    preferred_locale: str = "az",
    partner_id: int | None = None,
    is_partner_lead: bool = False,
    actor: User | None = None,
    password_hash: str | None = None,
) -> User:
    """Make an account of any role (the CLI, the admin pages and registration use this)."""
    if phone is not None:
        normalised = normalise_phone(phone, mobile=role == Role.RETURNEE)
        if normalised is None:
            raise ServiceError(
                _l("Enter a phone number in the correct format, like +994 50 123 45 67")
            )
        phone = normalised
        if session.scalar(select(User.id).where(User.phone == phone)) is not None:
            raise DuplicateAccount(_l("An account with this phone number already exists."))
    if email is not None:
        email = email.strip().lower()
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise DuplicateAccount(_l("An account with this email address already exists."))
    if phone is None and email is None:
        raise ServiceError(_l("An account needs a phone number or an email address."))
    if role == Role.PARTNER and partner_id is None:
        raise ServiceError(_l("Partner staff must belong to a partner organisation."))
    user = User(
        role=role,
        full_name=full_name.strip(),
        phone=phone,
        email=email,
        password_hash=password_hash or hash_password(password),
        preferred_locale=preferred_locale,
        partner_id=partner_id if role == Role.PARTNER else None,
        is_partner_lead=is_partner_lead and role == Role.PARTNER,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    if role == Role.RETURNEE:
        session.add(ReturneeProfile(user_id=user.id, user=user, vulnerabilities=[]))
    record_event(
        session,
        "user_created",
        actor or user,
        subject_type="user",
        subject_id=user.id,
        data={"role": role.value},
    )
    session.flush()
    if role == Role.RETURNEE:
        duplicates.check_returnee(session, user)  # a second account of someone known?
    return user


def register_returnee(
    session: Session,
    *,
    phone: str,
    full_name: str,
    password: str,
    preferred_locale: str,
    consent_version: str,
    email: str | None = None,
) -> User:
    """Public registration: a returnee who agreed to the privacy notice."""
    user = create_user(
        session,
        role=Role.RETURNEE,
        full_name=full_name,
        password=password,
        phone=phone,
        email=email or None,
        preferred_locale=preferred_locale,
    )
    record_consent(session, user, consent_version)
    return user


def check_credentials(session: Session, user: User | None, password: str) -> bool:
    """Whether `password` is this user's (the same time when there is no such user)."""
    if user is None:
        burn_verify(password)
        return False
    if not verify_password(user.password_hash, password):
        return False
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active user for these credentials, or None (same time either way)."""
    user = find_by_login(session, login)
    if not check_credentials(session, user, password) or not user.is_active:
        return None
    return user


def start_session(session: Session, user: User) -> str:
    """Create a server-side session and return its token (kept in the signed cookie)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            user_id=user.id, token_hash=hash_session_token(token), created_at=now, last_seen_at=now
        )
    )
    user.last_login_at = now
    user.current_session_token = token
    session.flush()
    return token


@cache
def _session_user(*also):
    """Every signed-in request runs it: built once (for each set of `also` columns), with the
    token's hash a bind parameter."""
    return (
        select(User, *also)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == bindparam("token_hash"))
    )


def load_session_user(session: Session, token: str, *also) -> Row | None:
    """The active user of a session token and, after it, the values of the `also` columns
    (correlated to User: read in the same query); None for an unknown token or an inactive
    user."""
    row = session.execute(_session_user(*also), {"token_hash": hash_session_token(token)}).first()
    if row is None or not row[0].is_active:
        return None
    row[0].current_session_token = token
    return row


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(
            delete(UserSession).where(UserSession.token_hash == hash_session_token(token))
        )


def end_all_sessions(session: Session, user: User) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def change_password(session: Session, user: User, new_password: str) -> str:
    """Set a new password, end every session of the user, and start a fresh one for this browser."""
    user.password_hash = hash_password(new_password)
    end_all_sessions(session, user)
    record_event(session, "password_changed", user, subject_type="user", subject_id=user.id)
    return start_session(session, user)
