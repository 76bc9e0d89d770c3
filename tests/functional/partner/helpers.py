"""Helpers of the partner tests: two organisations, referrals in a given state, messages."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.models import (
    AssistanceRequest,
    ContactPreference,
    MessageVisibility,
    Referral,
    RequestStatus,
    Role,
)
from portal.services import requests as svc

ANY_CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def page_csrf(client, url: str) -> str:
    response = client.get(url)
    match = ANY_CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({response.status_code})"
    return match.group(1)


class Scenario:
    """Two organisations, a member of each (the first a lead), and helpers to make referrals."""

    def __init__(self, app, db, factory):
        self.app = app
        self.db = db
        self.factory = factory
        self.worker = factory.user(Role.SOCIAL_WORKER)
        self.staff = factory.user(Role.PARTNER, is_partner_lead=True)
        self.partner = self.staff.partner
        self.other_staff = factory.user(Role.PARTNER)
        self.other_partner = self.other_staff.partner

    def referral(
        self,
        status: RequestStatus = RequestStatus.REFERRED,
        *,
        staff=None,
        owner=None,
        preference: ContactPreference = ContactPreference.PHONE_CALL,
        **kw,
    ) -> tuple[AssistanceRequest, Referral]:
        staff = staff or self.staff
        owner = owner or self.factory.user(Role.RETURNEE, email=None)
        owner.profile.contact_preference = preference
        self.db.commit()
        req = self.factory.request(
            owner, status, worker=self.worker, partner_staff=staff, region_code="ganja", **kw
        )
        referral = self.db.scalar(
            select(Referral).where(Referral.request_id == req.id).order_by(Referral.id.desc())
        )
        return req, referral

    def message(self, req, body, visibility=MessageVisibility.SHARED, for_partner=False):
        self.db.expire_all()  # pages may have changed the request since
        with self.app.app_context():
            message = svc.add_message(self.db, req, self.worker, body, visibility)
            message.for_partner = for_partner
            self.db.commit()
        return message
