"""In-portal notices: each person's own list, unread count in the header, and how they are told."""

from __future__ import annotations

from functools import cache

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import bindparam, func, select, update

from portal.auth.forms import LogoutForm
from portal.db import db, utcnow
from portal.i18n import gettext as _
from portal.models import AssistanceRequest, Notification, NotificationChannel, Referral, Role
from portal.notices import bp
from portal.notices.forms import ChannelsForm, ReadAllForm
from portal.services import notify

C = NotificationChannel
PAGE = 50


def _mine(user_id=None):
    """The signed-in person's portal notices (`user_id`: another value for their id, such as
    a bind parameter)."""
    user_id = current_user.id if user_id is None else user_id
    return (Notification.user_id == user_id) & (Notification.channel == C.PORTAL)


def unread_count_query(user_id=None):
    """The count of unread portal notices of a person (`user_id`: a column such as User.id;
    by default the bind parameter `user_id`), as a scalar subquery."""
    user_id = bindparam("user_id") if user_id is None else user_id
    return (
        select(func.count(Notification.id))
        .where(_mine(user_id), Notification.read_at.is_(None))
        .scalar_subquery()
    )


def remember_unread(user_id: int, n: int | None) -> None:
    """The unread count of a person, read with another query (the session's), kept for the
    header of this request."""
    g.unread_notices = (user_id, n or 0)


def unread_count() -> int:
    """Unread portal notices of the signed-in person, for the header: read with the session
    (auth_setup), or here once per request."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    kept = g.get("unread_notices")
    if kept is None or kept[0] != current_user.id:
        n = db.scalar(_unread_statement(), {"user_id": current_user.id})
        remember_unread(current_user.id, n)
        kept = g.unread_notices
    return kept[1]


@cache
def _unread_statement():
    return select(unread_count_query())


@bp.app_context_processor
def _header():
    return {
        "unread_notices": unread_count,
        "channels_form": lambda: ChannelsForm(user=current_user),
        "read_all_form": ReadAllForm,
    }


def target_url(notice: Notification) -> str | None:
    """Where the notice is about, for the person who got it."""
    if notice.request_id is None:
        return None
    req = db.get(AssistanceRequest, notice.request_id)
    if req is None:
        return None
    user = current_user
    if user.role == Role.RETURNEE:
        if not req.can_view(user):
            return None
        return url_for("returnee.request_page", reference=req.reference)
    if user.is_staff:
        return url_for("triage.show_request", request_id=req.id)
    if user.is_partner and user.partner_id is not None:
        referral_id = db.scalar(
            select(Referral.id)
            .where(Referral.request_id == req.id, Referral.partner_id == user.partner_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .limit(1)
        )
        if referral_id is not None:
            return url_for("partner.show_referral", referral_id=referral_id)
    return None


@bp.route("/")
@login_required
def index():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = db.scalar(select(func.count(Notification.id)).where(_mine()))
    notices = db.scalars(
        select(Notification)
        .where(_mine())
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    return render_template(
        "notices/index.html",
        notices=notices,
        page=page,
        has_more=total > page * PAGE,
    )


@bp.route("/<int:notice_id>")
@login_required
def show(notice_id: int):
    notice = db.get(Notification, notice_id)
    if notice is None or notice.channel != C.PORTAL or not notice.can_view(current_user):
        abort(404)
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.commit()
        g.pop("unread_notices", None)  # one fewer than the session read
    return render_template("notices/show.html", notice=notice, target=target_url(notice))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    form = ReadAllForm(request.form)
    if not form.validate():
        return render_template("errors/csrf.html", form=LogoutForm()), 400
    db.execute(
        update(Notification)
        .where(_mine(), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.commit()
    flash(_("All notices are marked as read."), "success")
    return redirect(url_for("notices.index"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    user = current_user._get_current_object()
    form = ChannelsForm(request.form if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.validate():
        notify.set_channels(db, user, form.chosen())
        db.commit()
        flash(_("Your notification settings have been saved."), "success")
        return redirect(url_for("auth.account") + "#notifications")
    return render_template("notices/settings.html", form=form), 400 if form.errors else 200
