"""Two worker processes drain the same outbox at once on PostgreSQL: every notice reaches the
gateway exactly once (rows are claimed with SELECT … FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from portal.db import utcnow
from portal.models import Notification, NotificationChannel, NotificationStatus

from .servers import SmsGateway

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COUNT = 500


@pytest.fixture
def postgres(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL (CI runs the suite on it)")
    return database_url


def test_two_workers_deliver_each_notice_exactly_once(app, db, postgres):
    now = utcnow()
    db.add_all(
        Notification(
            channel=NotificationChannel.SMS,
            status=NotificationStatus.PENDING,
            template="request_received",
            locale="en",
            to_address=f"+99455{n:07d}",
            body=f"Notice {n}",
            urgent=True,  # whatever the time of day the test runs
            due_at=now,
            created_at=now,
        )
        for n in range(COUNT)
    )
    db.commit()
    with SmsGateway() as gateway:
        env = {
            **os.environ,
            "PORTAL_CONFIG": "testing",
            "TEST_DATABASE_URL": postgres,
            "SMS_GATEWAY_URL": gateway.url,
            "SMS_GATEWAY_TIMEOUT": "5",
            "NOTIFY_BATCH_SIZE": "10",
        }
        command = [sys.executable, "-m", "flask", "--app", "portal", "notifications", "deliver"]
        workers = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [w.communicate(timeout=60) for w in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    sent = [int(re.match(r"sent (\d+), failed 0, deferred 0", out).group(1)) for out, _ in outputs]
    assert sum(sent) == COUNT
    assert all(n > 0 for n in sent), sent  # both workers took part
    phones = [m["to"] for m in gateway.received]
    assert len(phones) == COUNT and len(set(phones)) == COUNT  # each exactly once
    db.expire_all()
    assert (
        db.scalar(
            select(func.count()).where(
                Notification.status == NotificationStatus.SENT, Notification.attempts == 1
            )
        )
        == COUNT
    )
