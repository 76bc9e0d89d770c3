"""Administrators see the notices that failed or still wait, and send them again."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal.admin import bp
from portal.admin.forms_notifications import RetryForm
from portal.auth_setup import roles_required
from portal.db import db
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.models import Notification, NotificationChannel, NotificationStatus, Role
from portal.services import notify
from portal.services.errors import ServiceError

C = NotificationChannel
P = NotificationStatus
LIMIT = 200


def _waiting():
    return (Notification.status == P.PENDING) & (Notification.channel != C.PORTAL)


@bp.route("/notifications/")
@roles_required(Role.ADMIN)
def notifications():
    failed = db.scalars(
        select(Notification)
        .where(Notification.status == P.FAILED)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(LIMIT)
    ).all()
    pending = db.scalars(
        select(Notification).where(_waiting()).order_by(Notification.due_at).limit(LIMIT)
    ).all()
    counts = {
        "failed": db.scalar(select(func.count()).where(Notification.status == P.FAILED)),
        "pending": db.scalar(select(func.count()).where(_waiting())),
    }
    cfg = current_app.config
    gateways = {
        "sms": bool(cfg.get("SMS_GATEWAY_URL")),
        "email": bool(cfg.get("MAIL_SERVER")),
        "log": bool(cfg.get("NOTIFY_LOG_WITHOUT_GATEWAY")),
    }
    return render_template(
        "admin/notifications.html",
        failed=failed,
        pending=pending,
        counts=counts,
        gateways=gateways,
        form=RetryForm(),
    )


@bp.route("/notifications/<int:notice_id>/retry", methods=["POST"])
@roles_required(Role.ADMIN)
def retry_notification(notice_id: int):
    form = RetryForm(request.form)
    notice = db.get(Notification, notice_id)
    if notice is None:
        abort(404)
    if not form.validate():
        flash(_("Please send the form again"), "error")
        return redirect(url_for(".notifications"))
    try:
        notify.retry(db, notice, current_user._get_current_object())
        db.commit()
    except ServiceError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("The notice will be sent again."), "success")
    return redirect(url_for(".notifications"))


@bp.route("/notifications/retry-failed", methods=["POST"])
@roles_required(Role.ADMIN)
def retry_failed_notifications():
    form = RetryForm(request.form)
    if not form.validate():
        flash(_("Please send the form again"), "error")
        return redirect(url_for(".notifications"))
    notices = db.scalars(
        select(Notification)
        .where(Notification.status == P.FAILED, Notification.to_address.is_not(None))
        .order_by(Notification.id)
        .limit(1000)
    ).all()
    actor = current_user._get_current_object()
    for notice in notices:
        notify.retry(db, notice, actor)
    db.commit()
    flash(
        ngettext(
            "%(num)d notice will be sent again.",
            "%(num)d notices will be sent again.",
            len(notices),
        ),
        "success",
    )
    return redirect(url_for(".notifications"))
