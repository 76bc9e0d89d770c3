"""flask notifications deliver | worker"""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from portal.delivery.outbox import deliver_due, not_configured_message, run_worker

notifications_cli = AppGroup("notifications", help="Deliver the notification outbox.")


@notifications_cli.command("deliver")
def deliver() -> None:
    """Send every notice that is due, print how many were sent, failed and deferred, and exit."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    result = deliver_due(app)
    click.echo(result.summary())
    if result.digests:
        click.echo(f"daily digests written: {result.digests}")
    for line in not_configured_message(result):
        click.echo(line)


@notifications_cli.command("worker")
@click.option("--interval", type=float, default=None, help="Seconds between turns when idle.")
def worker(interval: float | None) -> None:
    """Deliver notices until stopped (Ctrl-C or SIGTERM)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()

    def _stop(*_args) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    first = deliver_due(app)
    for line in not_configured_message(first):
        click.echo(line)
    click.echo("notification worker running; stop with Ctrl-C or SIGTERM")
    total = run_worker(app, stop, interval)
    total.add(first)
    click.echo(f"notification worker stopped: {total.summary()}")
