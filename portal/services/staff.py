"""Account management by administrators (every account) and partner leads (their own
organisation's staff): create, edit, switch off and on, sign out everywhere, start a reset."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Role, User
from portal.services import recovery
from portal.services.accounts import DuplicateAccount, create_user, end_all_sessions
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.verification import email_enabled
from portal.services.workflow import record_event

STAFF_ROLES = (Role.SOCIAL_WORKER, Role.ADMIN, Role.PARTNER)


def _check(actor: User, user: User) -> None:
    if not user.can_be_managed_by(actor):
        raise PermissionDenied(_l("You are not allowed to do this."))


def _event(session: Session, kind: str, actor: User, user: User, **data) -> None:
    record_event(session, kind, actor, subject_type="user", subject_id=user.id, data=data or None)


def create_staff(
    session: Session,
    actor: User,
    *,
    role: Role,
    full_name: str,
    email: str,
    password: str,
    preferred_locale: str,
    partner_id: int | None = None,
    is_partner_lead: bool = False,
    phone: str | None = None,
) -> User:
    """A new social worker, administrator or partner staff member (leads: their own staff only)."""
    if not actor.can_manage_accounts or role not in STAFF_ROLES:
        raise PermissionDenied(_l("You are not allowed to do this."))
    if actor.role == Role.PARTNER:
        if role != Role.PARTNER:
            raise PermissionDenied(_l("You are not allowed to do this."))
        partner_id = actor.partner_id
    return create_user(
        session,
        role=role,
        full_name=full_name,
        password=password,
        email=email,
        phone=phone or None,
        preferred_locale=preferred_locale,
        partner_id=partner_id,
        is_partner_lead=is_partner_lead,
        actor=actor,
    )


def update_account(
    session: Session,
    actor: User,
    user: User,
    *,
    full_name: str,
    email: str | None,
    preferred_locale: str,
    is_partner_lead: bool,
) -> list[str]:
    """Edit names, email, language and the partner lead flag; returns the fields changed."""
    _check(actor, user)
    email = (email or "").strip().lower() or None
    if email is None and user.role != Role.RETURNEE:
        raise ServiceError(_l("Staff sign in with their email: enter an email address."))
    if email and email != user.email:
        taken = session.scalar(select(User.id).where(User.email == email, User.id != user.id))
        if taken is not None:
            raise DuplicateAccount(_l("An account with this email address already exists."))
    changes = {
        "full_name": full_name.strip(),
        "email": email,
        "preferred_locale": preferred_locale,
        "is_partner_lead": bool(is_partner_lead) and user.role == Role.PARTNER,
    }
    if user.id == actor.id and not changes["is_partner_lead"] and actor.role == Role.PARTNER:
        raise ServiceError(_l("You cannot remove your own lead role."))
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, changes[name])
    if changed:
        _event(session, "account_updated", actor, user, fields=changed)
    session.flush()
    return changed


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Switch an account off (every session ends at once; nothing else is removed) or on."""
    _check(actor, user)
    if user.id == actor.id:
        raise ServiceError(_l("You cannot switch off your own account."))
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        end_all_sessions(session, user)
    _event(session, "account_reactivated" if active else "account_deactivated", actor, user)
    session.flush()


def sign_out_everywhere(session: Session, actor: User, user: User) -> None:
    _check(actor, user)
    end_all_sessions(session, user)
    _event(session, "signed_out_everywhere", actor, user)
    session.flush()


def start_reset(session: Session, actor: User, user: User) -> str | None:
    """Start a staff member's password reset: a single-use link (30 minutes), emailed when
    email can be delivered (returns None); otherwise returned to be shown once to `actor`, who
    passes it on in person or by phone (returnees get help by phone instead).

    Only the per-person limit applies: an administrator may reset several people in a row.
    """
    _check(actor, user)
    if user.role == Role.RETURNEE or not user.email:
        raise ServiceError(_l("Returnees get a one-time code through Password help."))
    if not user.is_active:
        raise ServiceError(_l("This account is switched off. Switch it on first."))
    if email_enabled():
        recovery.start_email_reset(session, user.email, None, actor=actor)
        return None
    return recovery.issue_shown_reset_link(session, actor, user)
