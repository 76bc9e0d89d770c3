from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from portal.auth_setup import roles_required
from portal.db import db
from portal.models import Referral, ReferralStatus, Role
from portal.partner import bp


@bp.route("/")
@roles_required(Role.PARTNER)
def inbox():
    """Counts of the organisation's referrals by status (the inbox comes with the partner issue)."""
    rows = db.execute(
        select(Referral.status, func.count())
        .where(Referral.partner_id == current_user.partner_id)
        .group_by(Referral.status)
    ).all()
    counts = {status: 0 for status in ReferralStatus}
    counts.update({status: n for status, n in rows})
    return render_template("partner/inbox.html", counts=counts)
