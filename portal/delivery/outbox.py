"""The delivery loop: claim due notices, send them, retry with backoff, give up with a reason.

Claiming is safe with several workers at once. On PostgreSQL the candidates are read with
`SELECT … FOR UPDATE SKIP LOCKED` (a row another worker is claiming is skipped, not waited for);
on every database each row is then taken with a conditional UPDATE (still pending and due), which
counts the attempt and moves `due_at` past a lease, and the claim is committed before anything is
sent. So no lock is held while a gateway is slow, and a worker that dies mid-send only delays its
notices until the lease runs out. On SQLite the conditional UPDATE alone is the guard (SQLite lets
one writer at a time), which is enough for the development server and one worker.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.delivery.gateways import DeliveryError, gateways_for
from portal.models import (
    Notification,
    NotificationChannel,
    NotificationStatus,
    Role,
    User,
)
from portal.services import notify

log = logging.getLogger("portal.delivery")

C = NotificationChannel
P = NotificationStatus
DIGEST = "daily_digest"
_DIGEST_LOCK_KEY = 0x6E6F7469  # pg advisory lock: one worker makes the digests


@dataclass
class Result:
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    digests: int = 0
    # Channel -> number of due notices left pending because no gateway is configured.
    unconfigured: dict[str, int] = field(default_factory=dict)

    def add(self, other: Result) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.deferred += other.deferred
        self.digests += other.digests
        self.unconfigured = other.unconfigured

    def summary(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, deferred {self.deferred}"


def backoff(config, attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try (1, 2, 4, 8 … times the base)."""
    return timedelta(seconds=float(config["NOTIFY_RETRY_SECONDS"]) * 2 ** max(attempts - 1, 0))


def lease(config) -> timedelta:
    """How long a claimed notice stays with its worker: long enough to try the whole batch."""
    slowest = max(float(config["SMS_GATEWAY_TIMEOUT"]), float(config["MAIL_TIMEOUT"]))
    return timedelta(seconds=int(config["NOTIFY_BATCH_SIZE"]) * (slowest + 5) + 60)


def _due(channels: list[NotificationChannel], now: datetime):
    query = select(Notification.id).where(
        Notification.status == P.PENDING,
        Notification.channel.in_(channels),
        Notification.due_at <= now,
    )
    if notify.in_quiet_hours(now):
        query = query.where(or_(Notification.channel != C.SMS, Notification.urgent.is_(True)))
    return query


def claim(
    session: Session, channels: list[NotificationChannel], now: datetime, size: int, until: datetime
) -> list[Notification]:
    """Take up to `size` due notices for this worker and commit the claim."""
    if not channels:
        return []
    candidates = session.scalars(
        _due(channels, now)
        .order_by(Notification.urgent.desc(), Notification.due_at, Notification.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        session.commit()
        return []
    taken = session.scalars(
        update(Notification)
        .where(
            Notification.id.in_(candidates),
            Notification.status == P.PENDING,
            Notification.due_at <= now,
        )
        .values(attempts=Notification.attempts + 1, due_at=until)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    if not taken:
        return []
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.id.in_(taken))
            .order_by(Notification.urgent.desc(), Notification.due_at, Notification.id)
            .execution_options(populate_existing=True)
        )
    )


def _set(session: Session, ids: list[int], values: dict) -> None:
    if ids:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.status == P.PENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def send_batch(
    session: Session, batch: list[Notification], gateways, config, result: Result
) -> None:
    """Send each claimed notice and record the outcomes in one commit.

    A worker that dies before the commit leaves its batch claimed; it is sent again when the
    lease runs out (at least once, never lost)."""
    sent: list[int] = []
    for notice in batch:
        try:
            gateways[notice.channel].send(notice)
        except DeliveryError as exc:
            now = utcnow()
            if notice.attempts >= int(config["NOTIFY_MAX_ATTEMPTS"]):
                _set(session, [notice.id], {"status": P.FAILED, "last_error": exc.reason})
                result.failed += 1
                log.warning("notice %s failed after %s tries: %s", notice.id, notice.attempts, exc)
            else:
                due = now + backoff(config, notice.attempts)
                if notice.channel == C.SMS:
                    due = notify.sms_due_at(due, notice.urgent)
                _set(session, [notice.id], {"due_at": due, "last_error": exc.reason})
                result.deferred += 1
                log.info("notice %s deferred to %s: %s", notice.id, due.isoformat(), exc)
        else:
            sent.append(notice.id)
    _set(session, sent, {"status": P.SENT, "sent_at": utcnow(), "last_error": None})
    result.sent += len(sent)
    session.commit()


# --- the social workers' daily digest -----------------------------------------------------------


def make_digests(session: Session, now: datetime, config) -> int:
    """One email a day to each social worker who chose email: their unread portal notices
    since the last digest. Made from NOTIFY_DIGEST_HOUR on (portal time zone)."""
    tz = ZoneInfo(config["BABEL_DEFAULT_TIMEZONE"])
    local = now.astimezone(tz)
    hour = int(config["NOTIFY_DIGEST_HOUR"])
    if local.hour < hour:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        got = session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _DIGEST_LOCK_KEY})
        if not got:
            session.rollback()
            return 0
    today = local.replace(hour=hour, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)
    made = 0
    workers = session.scalars(
        select(User).where(
            User.role == Role.SOCIAL_WORKER, User.is_active.is_(True), User.email.is_not(None)
        )
    ).all()
    for worker in workers:
        if C.EMAIL not in worker.channels:
            continue
        last = session.scalar(
            select(func.max(Notification.created_at)).where(
                Notification.user_id == worker.id, Notification.template == DIGEST
            )
        )
        if last is not None and last >= today:
            continue
        since = last if last is not None else now - timedelta(days=1)
        notices = session.scalars(
            select(Notification)
            .where(
                Notification.user_id == worker.id,
                Notification.channel == C.PORTAL,
                Notification.read_at.is_(None),
                Notification.created_at > since,
                Notification.created_at <= now,
            )
            .order_by(Notification.created_at, Notification.id)
        ).all()
        if not notices:
            continue
        notify.enqueue(
            session, DIGEST, user=worker, channels=[C.EMAIL], context={"notices": notices}
        )
        made += 1
    session.commit()
    return made


# --- the loop -----------------------------------------------------------------------------------


def deliver_due(app: Flask, *, digests: bool = True) -> Result:
    """Send everything that is due now and return the counts (the `deliver` command, one turn
    of the worker, the development server after a request)."""
    config = app.config
    gateways = gateways_for(config)
    usable = [channel for channel, gateway in gateways.items() if gateway is not None]
    result = Result()
    with app.app_context():
        session = Session(bind=app.extensions["db"].engine, expire_on_commit=False)
        try:
            if digests:
                result.digests = make_digests(session, utcnow(), config)
            while True:
                now = utcnow()
                batch = claim(
                    session, usable, now, int(config["NOTIFY_BATCH_SIZE"]), now + lease(config)
                )
                if not batch:
                    break
                send_batch(session, batch, gateways, config, result)
            for channel, gateway in gateways.items():
                if gateway is None:
                    waiting = session.scalar(
                        select(func.count()).select_from(_due([channel], utcnow()).subquery())
                    )
                    result.unconfigured[channel.value] = waiting or 0
            session.commit()
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()
    return result


def not_configured_message(result: Result) -> list[str]:
    names = {"sms": "SMS_GATEWAY_URL", "email": "MAIL_SERVER"}
    return [
        f"{channel}: no gateway configured (set {names[channel]}); {count} due notice(s) left "
        "pending"
        for channel, count in sorted(result.unconfigured.items())
    ]


def run_worker(app: Flask, stop: threading.Event, interval: float | None = None) -> Result:
    """Deliver until `stop` is set: at once while there is work, else every `interval` s."""
    interval = float(app.config["NOTIFY_WORKER_INTERVAL"] if interval is None else interval)
    total = Result()
    last_digest = 0.0
    while not stop.is_set():
        want_digest = time.monotonic() - last_digest >= 60
        try:
            result = deliver_due(app, digests=want_digest)
        except Exception:  # the database went away: log, wait, try again
            log.exception("delivery turn failed")
            stop.wait(interval)
            continue
        if want_digest:
            last_digest = time.monotonic()
        total.add(result)
        if result.sent or result.failed or result.deferred:
            log.info("delivered: %s", result.summary())
        stop.wait(interval)
    return total


# --- development: deliver after each request ----------------------------------------------------

_busy = threading.Lock()


def deliver_in_background(app: Flask) -> None:
    """Called when a response is closed (development): one turn, never two at once."""
    if not _busy.acquire(blocking=False):
        return
    try:
        deliver_due(app)
    except Exception:
        log.exception("delivery after the request failed")
    finally:
        _busy.release()
