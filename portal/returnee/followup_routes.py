"""The returnee's follow-ups after closure: answer once; "I need help again" opens a draft."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth_setup import roles_required
from portal.db import db
from portal.followups import HELP_AGAIN, NO_HELP, QUESTIONS, answer_label, dimension_label
from portal.i18n import gettext as _
from portal.models import FollowUp, RequestStatus, Role
from portal.returnee import bp
from portal.returnee import forms as f
from portal.services import followups as svc
from portal.services.errors import ServiceError


def _own_followup(followup_id: int) -> FollowUp:
    followup = db.get(FollowUp, followup_id)
    if followup is None or not followup.can_view(current_user) or not current_user.is_returnee:
        abort(404)
    return followup


@bp.route("/follow-ups/<int:followup_id>", methods=["GET", "POST"])
@roles_required(Role.RETURNEE)
def followup(followup_id: int):
    item = _own_followup(followup_id)
    if item.answered_at is not None:
        flash(_("You already answered this check. Thank you."), "info")
        return redirect(url_for("returnee.home"))
    form = f.FollowUpForm(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        try:
            svc.answer_followup(
                db, item, current_user._get_current_object(), {k: form[k].data for k in form.data}
            )
        except ServiceError as exc:
            db.rollback()
            flash(str(exc.message), "error")
            return redirect(url_for("returnee.home"))
        db.commit()
        if form[HELP_AGAIN].data != NO_HELP:
            flash(
                _("Thank you. We started a new request for you: check it and send it."),
                "success",
            )
            return redirect(url_for("returnee.ask"))
        flash(_("Thank you for your answers."), "success")
        return redirect(url_for("returnee.home"))
    groups: dict[str, list] = {}
    for q in QUESTIONS:
        groups.setdefault(dimension_label(q.dimension), []).append(form[q.key])
    return render_template(
        "returnee/followup.html", item=item, form=form, groups=groups, again=form[HELP_AGAIN]
    ), (400 if form.errors else 200)


@bp.app_template_global()
def followup_rows(req) -> list[tuple[FollowUp, list[tuple[str, str]]]]:
    """The follow-ups of a request, as (question, answer) rows (staff request page).

    Only a request closed with help given has any, so other pages cost no query.
    """
    from sqlalchemy import select

    if req.status != RequestStatus.CLOSED or req.close_outcome not in svc.HELPED:
        return []
    items = db.scalars(
        select(FollowUp).where(FollowUp.request_id == req.id).order_by(FollowUp.months)
    ).all()
    out = []
    for item in items:
        rows = []
        if item.answers:
            rows = [(str(q.text), answer_label(q.key, item.answers.get(q.key))) for q in QUESTIONS]
            again = answer_label(HELP_AGAIN, item.answers.get(HELP_AGAIN))
            rows.append((_("Do you need help again?"), again))
        out.append((item, rows))
    return out
