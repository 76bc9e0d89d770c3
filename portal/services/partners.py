"""An inactive partner organisation is closed everywhere.

Its staff are refused on every page (portal/access.py) and through the API (its tokens stop in
services.api_tokens), it is never suggested nor accepted as a referral's recipient
(services.routing, services.requests.refer_request), and deactivating it returns its open
referrals to triage here, each with an event that says why.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import PartnerOrganisation, Referral, ReferralStatus, RequestStatus, User
from portal.services.workflow import apply_transition, record_event

# Why a referral came back to triage without the partner answering (Event.data["reason"]).
PARTNER_DEACTIVATED = "partner_deactivated"

INACTIVE_MESSAGE = _l(
    "Your organisation is no longer active in the portal, so you cannot use it now. "
    "If this is a mistake, call the State Migration Service."
)


def partner_is_closed(user) -> bool:
    """Partner staff whose organisation is inactive (or gone): refused everywhere."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_partner:
        return False
    partner = user.partner
    return partner is None or not partner.is_active


def return_open_referrals(session: Session, partner: PartnerOrganisation, actor: User) -> int:
    """Administrators deactivated `partner`: each open referral (pending or accepted) is
    cancelled and its request goes back to review through the workflow, with an event saying
    why. Returns how many came back. Called by services.triage.save_partner."""
    referrals = session.scalars(
        select(Referral)
        .where(
            Referral.partner_id == partner.id,
            Referral.status.in_((ReferralStatus.PENDING, ReferralStatus.ACCEPTED)),
        )
        .order_by(Referral.id)
    ).all()
    now = utcnow()
    for referral in referrals:
        request = referral.request
        if request.status in (RequestStatus.REFERRED, RequestStatus.IN_PROGRESS):
            apply_transition(
                request,
                RequestStatus.IN_REVIEW,
                actor,
                referral_id=referral.id,
                data={
                    "partner_id": partner.id,
                    "cancelled": True,
                    "reason": PARTNER_DEACTIVATED,
                },
            )
        referral.status = ReferralStatus.CANCELLED
        referral.decline_note = None
        referral.updated_at = now
    record_event(
        session,
        "partner_deactivated",
        actor,
        subject_type="partner",
        subject_id=partner.id,
        data={"referrals_returned": [r.id for r in referrals]},
    )
    session.flush()
    return len(referrals)
