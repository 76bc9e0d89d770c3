"""Delivery of the outbox: gateways (SMTP, HTTP SMS, the development log), the loop that claims
due notices and sends them with retries, and the `flask notifications` commands.

Kept apart from the domain: services only write Notification rows (portal/services/notify.py).
"""

from __future__ import annotations

from flask import Flask, request


def init_app(app: Flask) -> None:
    from portal.delivery.cli import notifications_cli
    from portal.delivery.outbox import deliver_in_background

    app.cli.add_command(notifications_cli)

    if app.config.get("NOTIFY_DELIVER_AFTER_REQUEST"):
        # Development (`make serve`): no worker to start; due notices go once the response
        # has been sent, so the page is not slowed by a gateway.
        @app.after_request
        def _deliver_after_request(response):
            if request.endpoint != "static":
                response.call_on_close(lambda: deliver_in_background(app))
            return response
