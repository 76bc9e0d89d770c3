"""Who is told what: the notification outbox.

Services that change things call `enqueue` (or `notify_users`) inside their own transaction, so a
notice is saved exactly when the change is, and never for a change that rolled back. Each row is
rendered at once, in the recipient's language, from
`templates/notifications/<template>.<channel>.txt`; a channel without a template for that notice
is skipped. Delivery is done elsewhere (the worker).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.i18n import DEFAULT_LOCALE, LANGUAGES
from portal.models import (
    AssistanceRequest,
    Notification,
    NotificationChannel,
    NotificationStatus,
    User,
)

C = NotificationChannel


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
            due_at=now,
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
