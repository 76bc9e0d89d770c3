"""Real servers on loopback that stand in for the gateways: an SMTP server (aiosmtpd) and an
HTTP server that records what the portal POSTs, answers a given status, or hangs."""

from __future__ import annotations

import json
import random
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def _free_ports():
    ports = list(range(5100, 6000))
    random.shuffle(ports)
    return ports


class SmsGateway:
    """POSTed JSON is kept in `received`; `status` is the answer; `hang` makes it not answer."""

    def __init__(self, status: int = 200, hang: bool = False, delay: float = 0.0) -> None:
        self.status = status
        self.hang = hang
        self.delay = delay
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if gateway.hang:
                    gateway.release.wait(10)
                    return
                if gateway.delay:
                    gateway.release.wait(gateway.delay)
                with gateway.lock:
                    gateway.received.append(json.loads(body))
                    gateway.headers.append(dict(self.headers))
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        for port in _free_ports():
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmsGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class _Inbox:
    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a loopback port; `messages` holds (recipients, EmailMessage) pairs."""

    def __init__(self) -> None:
        self.inbox = _Inbox()
        self.controller = None
        for port in _free_ports():
            controller = Controller(self.inbox, hostname="127.0.0.1", port=port)
            try:
                controller.start()
            except (OSError, RuntimeError):
                continue
            self.controller = controller
            self.port = port
            break

    @property
    def messages(self):
        return self.inbox.messages

    def __enter__(self) -> SmtpServer:
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
