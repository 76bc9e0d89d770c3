from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from portal.auth_setup import roles_required
from portal.db import db
from portal.models import AssistanceRequest, Role
from portal.returnee import bp


@bp.route("/")
@roles_required(Role.RETURNEE)
def home():
    requests = db.scalars(
        select(AssistanceRequest)
        .where(AssistanceRequest.owner_id == current_user.id)
        .order_by(AssistanceRequest.created_at.desc(), AssistanceRequest.id.desc())
    ).all()
    return render_template("returnee/home.html", requests=requests, profile=current_user.profile)
