from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from portal.auth_setup import roles_required
from portal.db import db
from portal.models import AssistanceRequest, Referral, ReferralStatus, RequestStatus, Role
from portal.staff import bp


@bp.route("/")
@roles_required(Role.SOCIAL_WORKER, Role.ADMIN, Role.PARTNER)
def home():
    """Counts by status: all requests for SMS staff, own organisation's referrals for partners."""
    if current_user.is_partner:
        rows = db.execute(
            select(Referral.status, func.count())
            .where(Referral.partner_id == current_user.partner_id)
            .group_by(Referral.status)
        ).all()
        counts = {status: 0 for status in ReferralStatus}
    else:
        rows = db.execute(
            select(AssistanceRequest.status, func.count()).group_by(AssistanceRequest.status)
        ).all()
        counts = {status: 0 for status in RequestStatus}
    counts.update({status: n for status, n in rows})
    return render_template("staff/home.html", counts=counts)
