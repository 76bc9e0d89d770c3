"""Delivery through real gateways on loopback: an SMTP server and an HTTP SMS gateway that
answers 200, 500 or not at all. Timeouts are short so the suite stays fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.db import set_clock, utcnow
from portal.delivery.outbox import backoff, deliver_due
from portal.models import NotificationChannel, NotificationStatus, Role
from portal.services import requests as svc

from .servers import SmsGateway

C = NotificationChannel
P = NotificationStatus


def _as_utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_sms_is_posted_as_json_with_the_bearer_token(app_factory, sms_gateway, sms_notice, outbox):
    notice = sms_notice()
    app = app_factory(SMS_GATEWAY_URL=sms_gateway.url, SMS_GATEWAY_TOKEN="s3cret")
    result = deliver_due(app)
    assert (result.sent, result.failed, result.deferred) == (1, 0, 0)
    assert sms_gateway.received == [{"to": notice.to_address, "text": notice.body}]
    assert sms_gateway.headers[0]["Authorization"] == "Bearer s3cret"
    assert sms_gateway.headers[0]["Content-Type"].startswith("application/json")
    (row,) = outbox()
    assert row.status == P.SENT and row.attempts == 1 and row.sent_at is not None


def test_no_token_no_authorization_header(app_factory, sms_gateway, sms_notice):
    sms_notice()
    deliver_due(app_factory(SMS_GATEWAY_URL=sms_gateway.url))
    assert "Authorization" not in sms_gateway.headers[0]


def test_a_gateway_answering_500_is_retried_later(app_factory, sms_notice, outbox):
    sms_notice()
    with SmsGateway(status=500) as gateway:
        app = app_factory(SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_SECONDS=60)
        before = utcnow()
        result = deliver_due(app)
        assert (result.sent, result.failed, result.deferred) == (0, 0, 1)
        (row,) = outbox()
        assert row.status == P.PENDING and row.attempts == 1
        assert row.last_error == "sms gateway answered 500"
        assert _as_utc(row.due_at) >= before + timedelta(seconds=60)
        # Not due yet: another run leaves it alone.
        assert deliver_due(app).deferred == 0
        assert len(gateway.received) == 1


def test_after_the_last_attempt_the_notice_fails_with_the_reason(app_factory, sms_notice, outbox):
    sms_notice()
    with SmsGateway(status=503) as gateway:
        # No wait between tries: the bounded number of attempts runs out in one run.
        app = app_factory(
            SMS_GATEWAY_URL=gateway.url, NOTIFY_RETRY_SECONDS=0, NOTIFY_MAX_ATTEMPTS=3
        )
        result = deliver_due(app)
        assert (result.sent, result.failed, result.deferred) == (0, 1, 2)
        assert len(gateway.received) == 3
    (row,) = outbox()
    assert row.status == P.FAILED and row.attempts == 3
    assert row.last_error == "sms gateway answered 503"


def test_backoff_doubles(app):
    waits = [backoff(app.config, n).total_seconds() for n in (1, 2, 3, 4)]
    base = app.config["NOTIFY_RETRY_SECONDS"]
    assert waits == [base, 2 * base, 4 * base, 8 * base]


def test_a_gateway_that_hangs_times_out_and_is_retried(app_factory, sms_notice, outbox):
    sms_notice()
    with SmsGateway(hang=True) as gateway:
        app = app_factory(SMS_GATEWAY_URL=gateway.url, SMS_GATEWAY_TIMEOUT=0.3)
        result = deliver_due(app)
    assert (result.sent, result.failed, result.deferred) == (0, 0, 1)
    (row,) = outbox()
    assert row.status == P.PENDING and row.last_error == "sms gateway: no answer in 0.3 s"


def test_an_unreachable_gateway_is_a_failure_to_retry(app_factory, sms_notice, outbox):
    sms_notice()
    with SmsGateway() as gateway:
        url = gateway.url
    result = deliver_due(app_factory(SMS_GATEWAY_URL=url, SMS_GATEWAY_TIMEOUT=0.5))
    assert result.deferred == 1
    assert outbox()[0].last_error.startswith("sms gateway")


def test_email_goes_through_smtp_with_text_and_html_parts(
    app, app_factory, db, factory, smtp_server, outbox
):
    worker = factory.user(Role.SOCIAL_WORKER)
    owner = factory.user(Role.RETURNEE, preferred_locale="ru", email="ivan@example.az")
    owner.notification_channels = "email,portal"
    db.commit()
    req = factory.request(owner)
    with app.app_context():
        svc.assign_request(db, req, worker, worker)
        svc.request_info(db, req, worker, "Какой документ у вас остался?")
        db.commit()
    mail_app = app_factory(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.port,
        MAIL_USE_TLS=False,
        MAIL_DEFAULT_SENDER="portal@migration.gov.az",
        SMS_GATEWAY_URL=None,
    )
    result = deliver_due(mail_app)
    assert result.sent == 2 and result.failed == 0
    subjects = sorted(m["Subject"] for _to, m in smtp_server.messages)
    assert subjects == sorted(
        [f"Обращение {req.reference} получено", f"Обращение {req.reference}: вопрос к Вам"]
    )
    recipients, message = smtp_server.messages[0]
    assert recipients == ["ivan@example.az"]
    assert message["From"] == "portal@migration.gov.az"
    assert message["Content-Language"] == "ru"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert req.reference in plain and f"/ru/my/requests/{req.reference}" in plain
    assert (
        '<html lang="ru">' in html
        and f'href="http://127.0.0.1:5000/ru/my/requests/{req.reference}"' in html
    )
    assert all(n.status == P.SENT for n in outbox(channel=C.EMAIL))


def test_development_without_a_gateway_writes_to_the_log(app, sms_notice, outbox, caplog):
    notice = sms_notice()
    with caplog.at_level("WARNING", logger="portal.delivery"):
        result = deliver_due(app)
    assert result.sent == 1
    assert notice.body in caplog.text and "development only" in caplog.text
    assert outbox()[0].status == P.SENT


def test_production_without_a_gateway_leaves_notices_pending_and_says_so(
    app_factory, sms_notice, outbox, caplog
):
    sms_notice()
    app = app_factory(CONFIG_NAME="production", SECRET_KEY="x" * 40)
    with caplog.at_level("INFO", logger="portal.delivery"):
        out = app.test_cli_runner().invoke(args=["notifications", "deliver"])
    assert out.exit_code == 0, out.output
    assert "sent 0, failed 0, deferred 0" in out.output
    assert "sms: no gateway configured (set SMS_GATEWAY_URL); 1 due notice(s) left pending" in (
        out.output
    )
    assert outbox()[0].status == P.PENDING
    assert "Müraciətiniz" not in caplog.text  # nothing personal in production logs


def test_the_deliver_command_prints_the_counts(app_factory, sms_gateway, sms_notice):
    sms_notice()
    sms_notice()
    app = app_factory(SMS_GATEWAY_URL=sms_gateway.url)
    out = app.test_cli_runner().invoke(args=["notifications", "deliver"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == "sent 2, failed 0, deferred 0"
    assert "no gateway configured" not in out.output


BAKU_NIGHT = datetime(2026, 11, 30, 19, 30, tzinfo=UTC)  # 23:30 in Baku (UTC+4)


def test_quiet_hours_hold_sms_until_eight_except_urgent_ones(
    app_factory, sms_gateway, sms_notice, outbox
):
    app = app_factory(SMS_GATEWAY_URL=sms_gateway.url)
    set_clock(BAKU_NIGHT)
    try:
        waiting = sms_notice(body="Your request has an update")
        code = sms_notice(body="Your code is 123456", urgent=True)
        result = deliver_due(app)
    finally:
        set_clock(None)
    assert result.sent == 1
    assert [m["text"] for m in sms_gateway.received] == [code.body]
    assert outbox(id=waiting.id)[0].status == P.PENDING


def test_enqueue_at_night_sets_the_sms_for_eight_in_baku(app, db, factory, outbox):
    owner = factory.user(Role.RETURNEE)
    set_clock(BAKU_NIGHT)
    try:
        factory.request(owner)
    finally:
        set_clock(None)
    (sms,) = outbox(channel=C.SMS)
    assert _as_utc(sms.due_at) == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 08:00 in Baku
    (portal,) = outbox(channel=C.PORTAL)
    assert portal.status == P.SENT


def test_a_rolled_back_change_sends_nothing(app, app_factory, db, factory, sms_gateway, outbox):
    owner = factory.user(Role.RETURNEE)
    worker = factory.user(Role.SOCIAL_WORKER)
    staff = factory.user(Role.PARTNER)
    req = factory.request(owner, worker=worker)
    sms_app = app_factory(SMS_GATEWAY_URL=sms_gateway.url)
    deliver_due(sms_app)
    assert len(sms_gateway.received) == 1  # request received
    from portal.models import PartnerOrganisation

    with app.app_context():
        svc.assign_request(db, req, worker, worker)
        db.commit()
        partner = db.get(PartnerOrganisation, staff.partner_id)
        svc.refer_request(db, req, partner, worker)
        db.flush()
        db.rollback()
    assert deliver_due(sms_app).sent == 0
    assert len(sms_gateway.received) == 1
    assert [n.template for n in outbox()] == ["request_received", "request_received"]


def test_the_development_server_delivers_after_a_request(
    app_factory, factory, db, sms_gateway, outbox
):
    from tests.conftest import sign_in

    web = app_factory(NOTIFY_DELIVER_AFTER_REQUEST=True, SMS_GATEWAY_URL=sms_gateway.url)
    owner = factory.user(Role.RETURNEE)
    factory.request(owner)
    client = web.test_client()
    response = sign_in(client, owner.login)
    response.close()
    assert [m["to"] for m in sms_gateway.received] == [owner.phone]
    assert outbox(channel=C.SMS)[0].status == P.SENT


def test_the_worker_delivers_until_stopped(app_factory, sms_gateway, sms_notice, outbox):
    import contextvars
    import threading
    import time

    from portal.delivery.outbox import run_worker

    app = app_factory(SMS_GATEWAY_URL=sms_gateway.url)
    stop = threading.Event()
    # The thread keeps the test's clock (noon in Baku, see conftest): SMS are not held back.
    context = contextvars.copy_context()
    worker = threading.Thread(target=context.run, args=(run_worker, app, stop, 0.05))
    worker.start()
    try:
        notice = sms_notice()  # written while the worker runs
        deadline = time.monotonic() + 5
        while not sms_gateway.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(5)
    assert not worker.is_alive()
    assert sms_gateway.received == [{"to": notice.to_address, "text": notice.body}]
    assert outbox()[0].status == P.SENT
