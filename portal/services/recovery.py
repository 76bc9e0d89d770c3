"""Proving a phone and getting back into an account: registration and phone change codes,
password reset by SMS code, by emailed link (staff) and by a code a social worker reads out."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import CodePurpose, NotificationChannel, Role, User, VerificationCode
from portal.passwords import hash_password
from portal.phones import normalise_phone
from portal.services import duplicates, notify
from portal.services.accounts import (
    DuplicateAccount,
    change_password,
    create_user,
    find_by_login,
)
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.returnees import record_consent
from portal.services.verification import (
    CodeError,
    issue_code,
    use_code,
)
from portal.services.workflow import record_event

C = NotificationChannel


def _phone_or_error(phone: str) -> str:
    normalised = normalise_phone(phone)
    if normalised is None:
        raise ServiceError(_l("Enter a phone number in the correct format, like +994 50 123 45 67"))
    return normalised


def start_registration(
    session: Session,
    *,
    phone: str,
    full_name: str,
    password: str,
    preferred_locale: str,
    consent_version: str,
    email: str | None,
    client_address: str | None,
) -> VerificationCode:
    """Registration with SMS: send a code to the phone; the account is made once it is typed.

    A phone that already has an account gets a code that is never sent (so the next page and
    every limit are the same) and its owner an SMS telling them someone tried.
    """
    phone, email, owner = _registering(session, phone, email)
    if owner is not None:
        row, _code = issue_code(
            session,
            CodePurpose.REGISTER,
            target=phone,
            client_address=client_address,
            send=False,
        )
        notify.enqueue(session, "register_attempt", user=owner, channels=[C.SMS])
        return row
    payload = {
        "full_name": full_name.strip(),
        "email": email or None,
        "password_hash": hash_password(password),
        "preferred_locale": preferred_locale,
        "consent_version": consent_version,
    }
    row, _code = issue_code(
        session,
        CodePurpose.REGISTER,
        target=phone,
        client_address=client_address,
        payload=payload,
        locale=preferred_locale,
    )
    return row


def _registering(session: Session, phone: str, email: str | None):
    """Both registrations start alike: the normalised phone, the email to keep (None when
    another account has it; its owner is told), and the account that has the phone, if any."""
    phone = _phone_or_error(phone)
    email = _unclaimed_email(session, email)
    return phone, email, session.scalar(select(User).where(User.phone == phone))


def _unclaimed_email(session: Session, email: str | None) -> str | None:
    """The email to keep on a new account, or None when another account has it.

    Registration never says that an address is taken: the account is made without it, and
    the address's owner is told by email that someone tried.
    """
    if not email:
        return None
    email = email.strip().lower()
    owner = session.scalar(select(User).where(User.email == email))
    if owner is None:
        return email
    notify.enqueue(session, "register_attempt_email", user=owner, channels=[C.EMAIL])
    return None


def register_unproven(
    session: Session,
    *,
    phone: str,
    full_name: str,
    password: str,
    preferred_locale: str,
    consent_version: str,
    email: str | None,
) -> User | None:
    """Registration when no SMS can prove the phone: the same outcome whoever asks.

    A new phone gets an account, which the person then signs in to; a phone that has an account
    gets nothing new, and its owner is told (by SMS once a gateway exists, and in the portal).
    The caller shows the same "sign in to finish" page either way; the password is hashed in
    both cases, so the time taken does not tell them apart either.
    """
    phone, email, owner = _registering(session, phone, email)
    if owner is not None:
        hash_password(password)
        notify.enqueue(session, "register_attempt", user=owner, channels=[C.SMS, C.PORTAL])
        return None
    try:
        user = create_user(
            session,
            role=Role.RETURNEE,
            full_name=full_name,
            password=password,
            phone=phone,
            email=email,
            preferred_locale=preferred_locale,
        )
    except DuplicateAccount:
        return None  # a parallel registration of the same phone won the race
    record_consent(session, user, consent_version)
    return user


def resend_code(session: Session, row: VerificationCode, client_address: str | None):
    """A new code for the same pending registration or phone change (same rules)."""
    user = session.get(User, row.user_id) if row.user_id else None
    if row.purpose == CodePurpose.REGISTER:
        real = row.payload is not None
        locale = row.payload["preferred_locale"] if real else None
    else:
        real = row.payload is not None and not row.payload.get("taken")
        locale = user.preferred_locale if user is not None else None
    new, _code = issue_code(
        session,
        row.purpose,
        target=row.target,
        user=user,
        client_address=client_address,
        payload=row.payload,
        send=real,
        locale=locale,
    )
    row.payload = None
    return new


def confirm_registration(session: Session, row: VerificationCode, typed: str) -> User:
    """The account of a registration whose code was typed right."""
    use_code(session, row, typed)
    payload = row.payload
    if payload is None:  # a stand-in code: it was never sent, so it cannot be known
        raise CodeError(_l("This code has expired. Ask for a new code."))
    try:
        user = create_user(
            session,
            role=Role.RETURNEE,
            full_name=payload["full_name"],
            password="",
            password_hash=payload["password_hash"],
            phone=row.target,
            email=payload.get("email"),
            preferred_locale=payload["preferred_locale"],
        )
    except DuplicateAccount:
        # Someone registered the same phone or email in the meantime.
        raise CodeError(_l("This code has expired. Ask for a new code.")) from None
    record_consent(session, user, payload["consent_version"])
    record_event(session, "phone_verified", user, subject_type="user", subject_id=user.id)
    row.payload = None
    row.user_id = user.id
    session.flush()
    return user


def start_phone_change(
    session: Session, user: User, new_phone: str, client_address: str | None
) -> VerificationCode:
    """A returnee's new phone gets a code; the number changes when it is typed."""
    phone = _phone_or_error(new_phone)
    if phone == user.phone:
        raise ServiceError(_l("This is already your phone number."))
    taken = session.scalar(select(User.id).where(User.phone == phone)) is not None
    row, _code = issue_code(
        session,
        CodePurpose.PHONE_CHANGE,
        target=phone,
        user=user,
        client_address=client_address,
        payload={"taken": True} if taken else {"taken": False},
        send=not taken,
    )
    return row


def change_phone(session: Session, user: User, phone: str) -> None:
    """Set the returnee's phone (after proof, or straight away without an SMS gateway)."""
    phone = _phone_or_error(phone)
    if session.scalar(select(User.id).where(User.phone == phone, User.id != user.id)):
        raise ServiceError(
            _l("This phone number cannot be used. If it is yours, call the hotline.")
        )
    old = user.phone
    user.phone = phone
    if old:
        notify.enqueue(session, "phone_changed", user=user, to_phone=old, channels=[C.SMS])
    record_event(session, "phone_changed", user, subject_type="user", subject_id=user.id)
    session.flush()
    duplicates.check_returnee(session, user)  # the new number may be someone else's account


def confirm_phone_change(session: Session, user: User, row: VerificationCode, typed: str) -> None:
    if row.user_id != user.id or row.purpose != CodePurpose.PHONE_CHANGE:
        raise CodeError(_l("This code was already used or replaced. Ask for a new code."))
    use_code(session, row, typed)
    if not row.payload or row.payload.get("taken"):
        raise CodeError(_l("This code has expired. Ask for a new code."))
    row.payload = None
    change_phone(session, user, row.target)


def start_phone_reset(
    session: Session, phone: str, client_address: str | None, locale: str
) -> VerificationCode:
    """Forgot password by phone: a code to an account's phone; a stand-in for any other."""
    phone = _phone_or_error(phone)
    user = session.scalar(select(User).where(User.phone == phone))
    real = user is not None and user.is_active
    row, _code = issue_code(
        session,
        CodePurpose.RESET,
        target=phone,
        user=user if real else None,
        client_address=client_address,
        send=real,
        locale=user.preferred_locale if real else locale,
    )
    return row


def start_email_reset(
    session: Session, email: str, client_address: str | None, actor: User | None = None
) -> VerificationCode:
    """Forgot password by email (staff): a single-use link valid 30 minutes, by email.

    An administrator or partner lead may start it for someone (`actor`): it is then an Event.
    """
    email = (email or "").strip().lower()[:254]
    user = find_by_login(session, email) if "@" in email else None
    real = user is not None and user.is_active and user.email is not None
    row, token = issue_code(
        session,
        CodePurpose.RESET_LINK,
        target=email,
        user=user if real else None,
        client_address=client_address,
        send=False,
    )
    if real:
        notify.enqueue(
            session,
            "password_reset_link",
            user=user,
            channels=[C.EMAIL],
            context={"token": token, "minutes": 30},
            urgent=True,
        )
        if actor is not None:
            record_event(
                session,
                "password_reset_started",
                actor,
                subject_type="user",
                subject_id=user.id,
            )
    return row


def issue_shown_reset_link(session: Session, actor: User, user: User) -> str:
    """A staff member's single-use reset link (30 minutes) made for `actor` to pass on, when no
    email can carry it: the token is returned once, in clear, and stored only as a keyed hash."""
    return _handed_code(
        session,
        CodePurpose.RESET_LINK,
        target=user.email,
        user=user,
        issued_by=actor,
        event="password_reset_started",
        data={"delivery": "shown"},
    )


def issue_assisted_code(session: Session, worker: User, returnee: User) -> str:
    """A social worker, after checking identity on a call, gets a code to read out (30 min)."""
    if worker.role not in (Role.SOCIAL_WORKER, Role.ADMIN):
        raise PermissionDenied(_l("You are not allowed to do this."))
    if returnee.role != Role.RETURNEE or not returnee.phone:
        raise ServiceError(_l("Only returnees can get a reset code."))
    if not returnee.is_active:
        raise ServiceError(_l("This account is switched off. Switch it on first."))
    return _handed_code(
        session,
        CodePurpose.ASSISTED_RESET,
        target=returnee.phone,
        user=returnee,
        issued_by=worker,
        event="assisted_reset_code_issued",
        data={"worker_id": worker.id},
    )


def _handed_code(
    session: Session,
    purpose: CodePurpose,
    *,
    target: str,
    user: User,
    issued_by: User,
    event: str,
    data: dict,
) -> str:
    """A code (or link token) made for a member of staff to pass on, not sent: issued and
    recorded as an event about `user`. Returned once, in clear."""
    _row, code = issue_code(
        session, purpose, target=target, user=user, send=False, issued_by=issued_by
    )
    record_event(session, event, issued_by, subject_type="user", subject_id=user.id, data=data)
    return code


def latest_code(session: Session, purpose: CodePurpose, target: str) -> VerificationCode | None:
    """The newest code of this purpose for this phone or email (the one that counts)."""
    return session.scalar(
        select(VerificationCode)
        .where(VerificationCode.purpose == purpose, VerificationCode.target == target)
        .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
        .limit(1)
    )


def reset_password(session: Session, row: VerificationCode, new_password: str) -> tuple[User, str]:
    """Set the new password of the account `row` proved; every session ends, a notice goes out.

    Returns the user and the token of a fresh session for this browser.
    """
    user = session.get(User, row.user_id) if row.user_id else None
    if user is None or not user.is_active:
        raise CodeError(_l("This code has expired. Ask for a new code."))
    if row.purpose == CodePurpose.RESET_LINK:
        row.used_at = utcnow()
    token = change_password(session, user, new_password)
    record_event(
        session,
        "password_reset",
        user,
        subject_type="user",
        subject_id=user.id,
        data={"via": row.purpose.value, "issued_by": row.issued_by_id},
    )
    channel = C.SMS if user.role == Role.RETURNEE and user.phone else C.EMAIL
    notify.enqueue(session, "password_changed", user=user, channels=[channel], urgent=True)
    session.flush()
    return user, token
