"""API tokens of partner organisations: shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import ApiToken, PartnerOrganisation, Role, User
from portal.services.errors import PermissionDenied, ServiceError
from portal.services.referrals import InvalidInput, clean_text
from portal.services.workflow import record_event

TOKEN_PREFIX = "rsp_"  # noqa: S105 - a public marker, recognisable in logs and scanners
PREFIX_LENGTH = 12  # what is stored and shown to tell tokens apart
NAME_MAX = 100
# last_used_at is written at most this often, not on every call of a busy partner system.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def can_manage_tokens(user, partner_id: int) -> bool:
    """Administrators for any organisation; partner lead staff for their own."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    return bool(user.is_partner and user.is_partner_lead and user.partner_id == partner_id)


def create_api_token(
    session: Session, partner: PartnerOrganisation, actor: User, name: str
) -> tuple[ApiToken, str]:
    """An administrator or the partner's lead staff make a token; returns (row, the token).

    The token itself is returned only here: only its hash is stored.
    """
    if not can_manage_tokens(actor, partner.id):
        raise PermissionDenied(_l("You may not manage the API tokens of this organisation."))
    if not partner.is_active:
        raise ServiceError(_l("This partner organisation is not active."))
    clean_name = clean_text(
        name,
        field="name",
        max_length=NAME_MAX,
        required=True,
        missing_message=_l("Give the token a name, such as the system that will use it."),
    )
    return _mint(session, actor, clean_name, {"partner_id": partner.id}, {"partner_id": partner.id})


def _mint(
    session: Session, actor: User | None, name: str, columns: dict, event_data: dict
) -> tuple[ApiToken, str]:
    """Make a token row of either kind and its creation event; returns (row, the secret)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[:PREFIX_LENGTH],
        created_by_id=actor.id if actor is not None else None,
        created_at=utcnow(),
        **columns,
    )
    session.add(token)
    session.flush()
    record_event(
        session,
        "api_token_created",
        actor,
        subject_type="api_token",
        subject_id=token.id,
        data={**event_data, "prefix": token.prefix},
    )
    session.flush()
    return token, raw


def revoke_api_token(session: Session, token: ApiToken, actor: User) -> None:
    """An administrator or the partner's lead staff revoke a token (once; again is a no-op)."""
    if not can_manage_tokens(actor, token.partner_id):
        raise PermissionDenied(_l("You may not manage the API tokens of this organisation."))
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    record_event(
        session,
        "api_token_revoked",
        actor,
        subject_type="api_token",
        subject_id=token.id,
        data={"partner_id": token.partner_id, "prefix": token.prefix},
    )
    session.flush()


def authenticate_api_token(
    session: Session, raw: str | None, kind: str = ApiToken.KIND_PARTNER
) -> ApiToken | None:
    """The active token of this kind for this secret, or None; notes its use.

    A partner token also needs its organisation active; a token of another kind is refused, so a
    readmission token never reads referrals and a partner token never touches readmissions.
    """
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None or token.kind != kind:
        return None
    if kind == ApiToken.KIND_PARTNER:
        partner = session.get(PartnerOrganisation, token.partner_id) if token.partner_id else None
        if partner is None or not partner.is_active:
            return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return token


def create_readmission_token(
    session: Session, name: str, actor: User | None = None
) -> tuple[ApiToken, str]:
    """A token for the readmission case management system (the CLI, or an administrator).

    It may only create and read readmission cases. Returns (row, the token), shown once.
    """
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(_l("Only administrators may make readmission tokens."))
    clean_name = clean_text(
        name,
        field="name",
        max_length=NAME_MAX,
        required=True,
        missing_message=_l("Give the token a name, such as the system that will use it."),
    )
    kind = ApiToken.KIND_READMISSION
    return _mint(session, actor, clean_name, {"partner_id": None, "kind": kind}, {"kind": kind})


def belongs_to_inactive_partner(session: Session, raw: str | None) -> bool:
    """Whether this secret is a (not revoked) token of an organisation that is now inactive,
    so that the API can say why it is refused."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return False
    partner_active = session.scalar(
        select(PartnerOrganisation.is_active)
        .join(ApiToken, ApiToken.partner_id == PartnerOrganisation.id)
        .where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None))
    )
    return partner_active is False


def api_actor(token: ApiToken) -> User:
    """The acting user for a call made with this token: the organisation, not a person.

    A transient object (never added to the session): Events get no actor_id and carry the
    token id in their data instead.
    """
    actor = User(
        role=Role.PARTNER,
        full_name="API",
        partner_id=token.partner_id,
        is_partner_lead=False,
        is_active=True,
    )
    actor.api_token_id = token.id  # type: ignore[attr-defined]
    return actor


__all__ = [
    "InvalidInput",
    "api_actor",
    "authenticate_api_token",
    "can_manage_tokens",
    "create_api_token",
    "create_readmission_token",
    "hash_token",
    "revoke_api_token",
]
