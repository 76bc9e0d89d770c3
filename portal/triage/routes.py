from __future__ import annotations

from flask import render_template
from sqlalchemy import func, select

from portal.auth_setup import roles_required
from portal.db import db
from portal.models import AssistanceRequest, RequestStatus, Role
from portal.triage import bp


@bp.route("/")
@roles_required(Role.SOCIAL_WORKER, Role.ADMIN)
def queue():
    """Counts by status (the full queue comes with the triage issue)."""
    rows = db.execute(
        select(AssistanceRequest.status, func.count()).group_by(AssistanceRequest.status)
    ).all()
    counts = {status: 0 for status in RequestStatus}
    counts.update({status: n for status, n in rows})
    return render_template("triage/queue.html", counts=counts)
