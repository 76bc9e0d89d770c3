"""One-time codes by SMS (phone verification, password reset), codes read out by a social
worker (assisted reset) and single-use reset links by email (staff).

Rules: a random code, stored only as a keyed hash; a code lives 10 minutes (assisted codes and
links 30); 5 wrong tries and it is dead; a new code at most once a minute and 5 an hour per
phone (or email) and per client address. Issuing a new code kills the earlier ones for the same
target and purpose.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.i18n import ngettext
from portal.models import CodePurpose, NotificationChannel, User, VerificationCode
from portal.services import notify
from portal.services.errors import ServiceError

CODE_TTL = timedelta(minutes=10)
ASSISTED_TTL = timedelta(minutes=30)
LINK_TTL = timedelta(minutes=30)
MAX_ATTEMPTS = 5
PER_MINUTE = 1
PER_HOUR = 5
# After a correct code, the person has this long to choose the new password.
GRANT_TTL = timedelta(minutes=10)

# Purposes whose codes go out by SMS or email and so count against the per-target limits.
SENT = (CodePurpose.REGISTER, CodePurpose.PHONE_CHANGE, CodePurpose.RESET, CodePurpose.RESET_LINK)


class CodeError(ServiceError):
    code = "code"


class TooManyCodes(ServiceError):
    code = "too_many"


def sms_enabled() -> bool:
    """Phone verification and SMS codes exist only with a configured SMS gateway."""
    return bool(current_app.config.get("SMS_GATEWAY_URL"))


def email_enabled() -> bool:
    """Emails reach people only with a configured mail server (without one they are logged)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def code_hash(secret: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def _new_code(digits: int) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def check_rate(session: Session, target: str | None, client_address: str | None) -> None:
    """Refuse a new code when the target or the client address had too many lately."""
    now = utcnow()
    for column, value in (
        (VerificationCode.target, target),
        (VerificationCode.client_address, client_address),
    ):
        if not value:
            continue
        recent = select(func.count(VerificationCode.id)).where(
            column == value,
            VerificationCode.purpose.in_(SENT),
            VerificationCode.created_at > now - timedelta(hours=1),
        )
        last_minute = session.scalar(
            recent.where(VerificationCode.created_at > now - timedelta(minutes=1))
        )
        if last_minute >= PER_MINUTE:
            raise TooManyCodes(_l("A code was sent less than a minute ago. Wait a minute."))
        if session.scalar(recent) >= PER_HOUR:
            raise TooManyCodes(
                _l(
                    "Too many codes were asked for. Wait an hour and try again, "
                    "or call the hotline."
                )
            )


def _kill_earlier(session: Session, purpose: CodePurpose, target: str | None, user_id) -> None:
    now = utcnow()
    where = [VerificationCode.purpose == purpose, VerificationCode.used_at.is_(None)]
    if target is not None:
        where.append(VerificationCode.target == target)
    elif user_id is not None:
        where.append(VerificationCode.user_id == user_id)
    else:
        return
    session.execute(
        update(VerificationCode)
        .where(*where, VerificationCode.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


def issue_code(
    session: Session,
    purpose: CodePurpose,
    *,
    target: str | None,
    user: User | None = None,
    client_address: str | None = None,
    payload: dict | None = None,
    send: bool = True,
    locale: str | None = None,
    issued_by: User | None = None,
) -> tuple[VerificationCode, str]:
    """A new code (returned in clear once) for `target`; sent by SMS when `send`.

    With `send` False the code is made by the same rules but goes nowhere: it stands in for a
    phone without an account, so the person sees exactly what everyone else sees.
    """
    if purpose != CodePurpose.ASSISTED_RESET:
        check_rate(session, target, client_address)
    _kill_earlier(session, purpose, target, user.id if user is not None else None)
    now = utcnow()
    if purpose == CodePurpose.RESET_LINK:
        secret, ttl = secrets.token_urlsafe(32), LINK_TTL
    elif purpose == CodePurpose.ASSISTED_RESET:
        secret, ttl = _new_code(8), ASSISTED_TTL
    else:
        secret, ttl = _new_code(6), CODE_TTL
    row = VerificationCode(
        purpose=purpose,
        user_id=user.id if user is not None else None,
        target=target,
        client_address=client_address,
        code_hash=code_hash(_hash_input(purpose, target, secret)),
        attempts=0,
        payload=payload,
        issued_by_id=issued_by.id if issued_by is not None else None,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    if send and purpose in (CodePurpose.REGISTER, CodePurpose.PHONE_CHANGE, CodePurpose.RESET):
        notify.enqueue(
            session,
            "verification_code",
            user=user,
            to_phone=target,
            locale=locale or (user.preferred_locale if user is not None else None),
            context={"code": secret, "minutes": int(CODE_TTL.total_seconds() // 60)},
            channels=[NotificationChannel.SMS],
            urgent=True,
        )
    return row, secret


def is_live(row: VerificationCode | None) -> bool:
    return (
        row is not None
        and row.used_at is None
        and row.expires_at > utcnow()
        and row.attempts < MAX_ATTEMPTS
    )


def use_code(session: Session, row: VerificationCode | None, typed: str) -> VerificationCode:
    """Check a typed code against `row` and spend it; a wrong code costs one of the 5 tries.

    Raises CodeError with a message for the person. The caller commits either way, so that a
    wrong try is counted.
    """
    if row is None or row.used_at is not None:
        raise CodeError(_l("This code was already used or replaced. Ask for a new code."))
    if row.attempts >= MAX_ATTEMPTS:
        raise CodeError(_l("Too many wrong tries: this code no longer works. Ask for a new code."))
    if row.expires_at <= utcnow():
        raise CodeError(_l("This code has expired. Ask for a new code."))
    typed = "".join(ch for ch in (typed or "") if not ch.isspace() and ch != "-")
    expected = code_hash(_hash_input(row.purpose, row.target, typed))
    if not hmac.compare_digest(expected, row.code_hash):
        row.attempts += 1
        session.flush()
        left = MAX_ATTEMPTS - row.attempts
        if left <= 0:
            raise CodeError(
                _l("Too many wrong tries: this code no longer works. Ask for a new code.")
            )
        raise CodeError(
            ngettext(
                "The code is wrong. You can try %(num)d more time.",
                "The code is wrong. You can try %(num)d more times.",
                left,
            )
        )
    row.used_at = utcnow()
    session.flush()
    return row


def _hash_input(purpose: CodePurpose, target: str | None, secret: str) -> str:
    # A link is found by its token alone; a short code only together with its target.
    if purpose == CodePurpose.RESET_LINK:
        target = ""
    return f"{purpose.value}:{target}:{secret}"


def find_link(session: Session, token: str) -> VerificationCode | None:
    """The reset link row for this token (live or not), or None."""
    if not token or len(token) > 100:
        return None
    return session.scalar(
        select(VerificationCode).where(
            VerificationCode.purpose == CodePurpose.RESET_LINK,
            VerificationCode.code_hash
            == code_hash(_hash_input(CodePurpose.RESET_LINK, None, token)),
        )
    )
