"""Password help for a returnee on the phone (social workers), and account management
(administrators for everyone, partner leads for their own organisation's staff)."""

from __future__ import annotations

from flask import abort, g, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.admin import bp
from portal.admin.account_forms import FindReturneeForm, IssueCodeForm
from portal.auth_setup import roles_required
from portal.db import db
from portal.forms import add_error
from portal.models import AssistanceRequest, Role, User
from portal.phones import normalise_phone
from portal.services import recovery
from portal.services.errors import ServiceError


@bp.route("/password-help", methods=["GET", "POST"])
@roles_required(Role.SOCIAL_WORKER, Role.ADMIN)
def password_help():
    """A returnee who lost the phone calls: find the account, check identity, read out a code."""
    g.no_store = True
    action = request.form.get("action")
    find = FindReturneeForm(request.form if action == "find" else None)
    issue = IssueCodeForm(request.form if action == "issue" else None)
    returnee = None
    status = 200
    if request.method == "POST" and action == "find":
        if find.validate():
            returnee = _returnee_by_phone(normalise_phone(find.phone.data))
            if returnee is None:
                add_error(find.phone, _("No returnee account has this phone number."))
                status = 404
            else:
                issue.user_id.data = str(returnee.id)
        else:
            status = 400
    elif request.method == "POST" and action == "issue":
        returnee = _returnee_by_id(issue.user_id.data)
        if returnee is None:
            abort(404)
        if issue.validate():
            try:
                code = recovery.issue_assisted_code(db, current_user, returnee)
            except ServiceError as exc:
                db.rollback()
                add_error(issue.confirmed, exc.message)
                status = 400
            else:
                db.commit()
                # Shown once, on this response only: never stored in clear, never redirected.
                return render_template(
                    "admin/password_help_code.html", returnee=returnee, code=code
                )
        else:
            status = 400
    elif request.method == "POST":
        status = 400
    requests_count = 0
    if returnee is not None:
        requests_count = db.scalar(
            select(func.count(AssistanceRequest.id)).where(
                AssistanceRequest.owner_id == returnee.id
            )
        )
    return render_template(
        "admin/password_help.html",
        find=find,
        issue=issue,
        returnee=returnee,
        requests_count=requests_count,
    ), status


def _returnee_by_phone(phone: str | None) -> User | None:
    if phone is None:
        return None
    return db.scalar(select(User).where(User.phone == phone, User.role == Role.RETURNEE))


def _returnee_by_id(value) -> User | None:
    text = str(value or "")
    if not text.isdigit() or len(text) > 9:
        return None
    user = db.get(User, int(text))
    return user if user is not None and user.role == Role.RETURNEE else None
