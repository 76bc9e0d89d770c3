"""Who is told what: the notification outbox.

Services that change things call `enqueue` (or `notify_users`) inside their own transaction, so a
notice is saved exactly when the change is, and never for a change that rolled back. Each row is
rendered at once, in the recipient's language, from
`templates/notifications/<template>.<channel>.txt`; a channel without a template for that notice
is skipped. Delivery is done elsewhere (the worker).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.i18n import DEFAULT_LOCALE, LANGUAGES
from portal.models import (
    AssistanceRequest,
    Notification,
    NotificationChannel,
    NotificationStatus,
    Referral,
    Role,
    User,
)

C = NotificationChannel


# --- quiet hours --------------------------------------------------------------------------------


def _quiet_window() -> tuple[ZoneInfo, int, int]:
    cfg = current_app.config
    tz = ZoneInfo(cfg.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Baku")
    return tz, int(cfg.get("NOTIFY_QUIET_START", 22)), int(cfg.get("NOTIFY_QUIET_END", 8))


def in_quiet_hours(moment: datetime) -> bool:
    """No SMS that can wait is sent between 22:00 and 08:00 in Baku (the configured hours)."""
    tz, start, end = _quiet_window()
    hour = moment.astimezone(tz).hour
    return hour >= start or hour < end if start > end else start <= hour < end


def sms_due_at(moment: datetime, urgent: bool = False) -> datetime:
    """When an SMS written at `moment` may go: at once, or at the end of the quiet hours."""
    if urgent or not in_quiet_hours(moment):
        return moment
    tz, _start, end = _quiet_window()
    local = moment.astimezone(tz)
    morning = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    return morning.astimezone(moment.tzinfo)


def portal_link(endpoint: str, **values: Any) -> str:
    """An absolute link into the portal, on PORTAL_BASE_URL (SMS and email leave the site)."""
    base = current_app.config["PORTAL_BASE_URL"]
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def render(template: str, channel: NotificationChannel, locale: str, context: dict[str, Any]):
    """(subject, body) of one notice in `locale`; None when the notice has no such channel."""
    env = current_app.jinja_env
    try:
        tpl = env.get_template(f"notifications/{template}.{channel.value}.txt")
    except TemplateNotFound:
        return None
    with force_locale(locale):
        text = tpl.render(**context, lang=locale, link=portal_link).strip()
    subject = None
    if channel == C.EMAIL and text.startswith("Subject:"):
        first, _, text = text.partition("\n")
        subject = first.removeprefix("Subject:").strip()
        text = text.strip()
    return subject, text


def _address(channel: NotificationChannel, user: User | None, phone: str | None, email: str | None):
    if channel == C.SMS:
        return phone or (user.phone if user else None)
    if channel == C.EMAIL:
        return email or (user.email if user else None)
    return None


def enqueue(
    session: Session,
    template: str,
    *,
    user: User | None = None,
    request: AssistanceRequest | None = None,
    context: dict[str, Any] | None = None,
    channels: Iterable[NotificationChannel] | None = None,
    to_phone: str | None = None,
    to_email: str | None = None,
    locale: str | None = None,
    urgent: bool = False,
) -> list[Notification]:
    """Write the notices of one event for one recipient, in the caller's transaction.

    `channels` None means the recipient's chosen channels; give them to force a channel (codes
    go by SMS whatever the setting). Without a user, give `to_phone`/`to_email` and `locale`.
    A channel the recipient has no address for gives a failed row, so the gap is visible.
    """
    if user is not None and not user.is_active:
        return []
    if locale is None:
        locale = user.preferred_locale if user is not None else DEFAULT_LOCALE
    if locale not in LANGUAGES:
        locale = DEFAULT_LOCALE
    if channels is None:
        chosen = user.channels if user is not None else set()
    else:
        chosen = set(channels)
    if user is None:
        chosen.discard(C.PORTAL)
    ctx = {"user": user, "request": request, **(context or {})}
    now = utcnow()
    rows = []
    for channel in sorted(chosen, key=lambda c: c.value):
        rendered = render(template, channel, locale, ctx)
        if rendered is None:
            continue
        subject, body = rendered
        address = _address(channel, user, to_phone, to_email)
        row = Notification(
            user_id=user.id if user is not None else None,
            request_id=request.id if request is not None else None,
            channel=channel,
            template=template,
            locale=locale,
            to_address=address,
            subject=subject,
            body=body,
            urgent=urgent,
            due_at=sms_due_at(now, urgent) if channel == C.SMS else now,
            created_at=now,
            status=NotificationStatus.PENDING,
        )
        if channel == C.PORTAL:
            # In-portal notices need no delivery: they are there once the change is committed.
            row.status = NotificationStatus.SENT
            row.sent_at = now
        elif not address:
            row.status = NotificationStatus.FAILED
            row.last_error = f"no {channel.value} address"
        session.add(row)
        rows.append(row)
    return rows


def notify_users(
    session: Session, template: str, users: Iterable[User], **kwargs: Any
) -> list[Notification]:
    """enqueue() for each of several recipients, each in their own language."""
    rows: list[Notification] = []
    seen: set[int] = set()
    for user in users:
        if user.id in seen:
            continue
        seen.add(user.id)
        rows += enqueue(session, template, user=user, **kwargs)
    return rows


# --- who is told what ---------------------------------------------------------------------------
# The services call these inside their transaction, after the change itself. Returnees are told
# on the channels they chose; partner staff likewise; social workers in the portal only (their
# email is a once-a-day digest, made by the delivery loop). Nobody is told of their own action.


def tell_returnee(
    session: Session,
    template: str,
    request: AssistanceRequest,
    actor: User | None = None,
    **context: Any,
) -> list[Notification]:
    """The owner of the request, unless they did it themselves."""
    owner = request.owner
    if owner is None or (actor is not None and actor.id == owner.id):
        return []
    return enqueue(session, template, user=owner, request=request, context=context)


def tell_partner(
    session: Session,
    template: str,
    referral: Referral,
    actor: User | None = None,
    **context: Any,
) -> list[Notification]:
    """Every active staff member of the organisation the referral was sent to."""
    staff = session.scalars(
        select(User)
        .where(
            User.partner_id == referral.partner_id,
            User.role == Role.PARTNER,
            User.is_active.is_(True),
        )
        .order_by(User.id)
    ).all()
    actor_id = actor.id if actor is not None else None
    return notify_users(
        session,
        template,
        [u for u in staff if u.id != actor_id],
        request=referral.request,
        context={"referral": referral, **context},
    )


def tell_worker(
    session: Session,
    template: str,
    request: AssistanceRequest,
    actor: User | None = None,
    referral: Referral | None = None,
    **context: Any,
) -> list[Notification]:
    """The social worker the request is assigned to (else whoever sent the referral), in the
    portal; the chosen email comes as the daily digest."""
    worker_id = request.assignee_id or (referral.sent_by_id if referral is not None else None)
    if worker_id is None or (actor is not None and actor.id == worker_id):
        return []
    worker = session.get(User, worker_id)
    if worker is None or not worker.is_staff:
        return []
    return enqueue(
        session,
        template,
        user=worker,
        request=request,
        channels=[C.PORTAL],
        context={"referral": referral, **context},
    )


def set_channels(session: Session, user: User, channels: Iterable[NotificationChannel]) -> None:
    """A person chooses how they are told (any role; the portal list is always kept)."""
    from portal.services.workflow import record_event

    chosen = {C(c) for c in channels} | {C.PORTAL}
    value = ",".join(c.value for c in NotificationChannel if c in chosen)
    if value == user.notification_channels:
        return
    user.notification_channels = value
    record_event(
        session,
        "notification_channels_set",
        user,
        subject_type="user",
        subject_id=user.id,
        data={"channels": value},
    )
    session.flush()


def retry(session: Session, notice: Notification, actor: User) -> None:
    """An administrator sends a failed (or waiting) notice again, from a fresh count of tries."""
    from portal.services.errors import PermissionDenied, ServiceError
    from portal.services.workflow import record_event

    if not actor.is_admin:
        raise PermissionDenied(_l("Only administrators may do this."))
    if notice.channel == C.PORTAL or notice.status == NotificationStatus.SENT:
        raise ServiceError(_l("This notice was already delivered."))
    if not notice.to_address:
        raise ServiceError(_l("This notice has no address to send to."))
    now = utcnow()
    previous = notice.status
    notice.status = NotificationStatus.PENDING
    notice.attempts = 0
    notice.due_at = sms_due_at(now, notice.urgent) if notice.channel == C.SMS else now
    record_event(
        session,
        "notification_retried",
        actor,
        subject_type="notification",
        subject_id=notice.id,
        data={"from": previous.value, "last_error": notice.last_error},
    )
    session.flush()
