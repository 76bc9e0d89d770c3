"""Triage operations that services.requests does not cover, and partner organisation upkeep.

Like every service: the acting user is explicit, status changes go through
workflow.apply_transition, every change writes an Event, and nothing here commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import (
    AssistanceRequest,
    Category,
    Message,
    MessageVisibility,
    PartnerCoverage,
    PartnerKind,
    PartnerOrganisation,
    ReferralStatus,
    RequestStatus,
    User,
)
from portal.regions import ALL_REGIONS, all_regions
from portal.services.errors import PermissionDenied, ServiceError, TransitionNotAllowed
from portal.services.workflow import apply_transition, check_version, record_event

S = RequestStatus


def _require_staff(user: User) -> None:
    if not user.is_staff:
        raise PermissionDenied(_l("Only social workers may do this."))


def _require_admin(user: User) -> None:
    if not user.is_admin:
        raise PermissionDenied(_l("Only administrators may do this."))


def add_note(
    session: Session,
    request: AssistanceRequest,
    actor: User,
    body: str,
    *,
    for_partner: bool = False,
    expected_version: int | None = None,
) -> Message:
    """Staff add an internal note, optionally shown to the partner holding the referral; any
    status."""
    _require_staff(actor)
    check_version(request, expected_version)
    body = (body or "").strip()
    if not body:
        raise ServiceError(_l("Write a note first."))
    message = Message(
        request_id=request.id,
        author_id=actor.id,
        body=body,
        visibility=MessageVisibility.INTERNAL,
        for_partner=for_partner,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    record_event(
        session,
        "note_added",
        actor,
        request,
        subject_type="message",
        subject_id=message.id,
        data={"for_partner": True} if for_partner else None,
    )
    request.updated_at = utcnow()
    session.flush()  # bumps the request's version: a concurrent change fails here
    return message


def cancel_referral(
    session: Session,
    request: AssistanceRequest,
    actor: User,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> None:
    """Staff take back the open referral (referred or in progress); the request returns to
    review so it can be referred again."""
    _require_staff(actor)
    check_version(request, expected_version)
    referral = request.open_referral
    if referral is None:
        raise TransitionNotAllowed(_l("This request has no open referral."))
    apply_transition(
        request,
        S.IN_REVIEW,
        actor,
        referral_id=referral.id,
        data={"partner_id": referral.partner_id, "cancelled": True},
    )
    referral.status = ReferralStatus.CANCELLED
    referral.updated_at = utcnow()
    reason = (reason or "").strip()
    if reason:
        referral.decline_note = reason
    session.flush()


def resume_review(
    session: Session,
    request: AssistanceRequest,
    actor: User,
    *,
    expected_version: int | None = None,
) -> None:
    """Staff take a request waiting for information back into review (the returnee answered
    another way, by phone for example)."""
    _require_staff(actor)
    check_version(request, expected_version)
    apply_transition(request, S.IN_REVIEW, actor)


# --- partner organisations -------------------------------------------------------------------

PARTNER_FIELDS = (
    "name_az",
    "name_ru",
    "name_en",
    "kind",
    "contact_person",
    "phone",
    "email",
    "capacity",
    "is_active",
)


def _clean_coverage(pairs) -> set[tuple[Category, str]]:
    regions = all_regions()
    cleaned: set[tuple[Category, str]] = set()
    for category, region in pairs:
        category = Category(category)
        if region != ALL_REGIONS and region not in regions:
            raise ServiceError(_l("Choose regions from the list."))
        cleaned.add((category, region))
    # "All regions" for a kind of help makes its single regions redundant.
    everywhere = {c for c, r in cleaned if r == ALL_REGIONS}
    return {(c, r) for c, r in cleaned if r == ALL_REGIONS or c not in everywhere}


def save_partner(
    session: Session,
    actor: User,
    values: dict[str, Any],
    coverage,
    partner: PartnerOrganisation | None = None,
) -> PartnerOrganisation:
    """Administrators create (partner=None) or update a partner organisation and its coverage
    (an iterable of (category, region code) pairs, region "*" for all regions)."""
    _require_admin(actor)
    creating = partner is None
    was_active = bool(partner is not None and partner.is_active)
    if partner is None:
        partner = PartnerOrganisation(created_at=utcnow(), coverage=[])
        session.add(partner)
    changed: dict[str, Any] = {}
    for name in PARTNER_FIELDS:
        if name not in values:
            continue
        new = values[name]
        if name == "kind":
            new = PartnerKind(new)
        if name == "capacity" and (new is None or int(new) < 0):
            raise ServiceError(_l("Capacity cannot be negative."))
        old = getattr(partner, name, None)
        if creating or old != new:
            changed[name] = str(new) if isinstance(new, PartnerKind) else new
            setattr(partner, name, new)
    wanted = _clean_coverage(coverage)
    current = {(c.category, c.region_code): c for c in partner.coverage}
    added = sorted(f"{c.value}:{r}" for c, r in wanted - current.keys())
    removed = sorted(f"{c.value}:{r}" for c, r in current.keys() - wanted)
    for key in current.keys() - wanted:
        partner.coverage.remove(current[key])
    for category, region in wanted - current.keys():
        partner.coverage.append(PartnerCoverage(category=category, region_code=region))
    partner.updated_at = utcnow()
    session.flush()
    if added:
        changed["coverage_added"] = added
    if removed:
        changed["coverage_removed"] = removed
    if creating or changed:
        record_event(
            session,
            "partner_created" if creating else "partner_updated",
            actor,
            subject_type="partner",
            subject_id=partner.id,
            data=changed,
        )
        session.flush()
    if was_active and not partner.is_active:
        from portal.services.partners import return_open_referrals

        return_open_referrals(session, partner, actor)
    return partner
