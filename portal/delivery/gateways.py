"""The ways a notice leaves the portal: SMTP for email, an HTTP POST for SMS, and (development
only, no gateway configured) the server log.

A gateway's `send(notice)` returns when the notice was accepted and raises DeliveryError with a
short reason otherwise; the loop decides about retries.
"""

from __future__ import annotations

import html
import json
import logging
import re
import smtplib
import urllib.error
import urllib.request
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

from portal.models import Notification, NotificationChannel

log = logging.getLogger("portal.delivery")

C = NotificationChannel
URL_RE = re.compile(r"https?://[^\s<>\"]+")


class DeliveryError(Exception):
    """The gateway did not take the notice; `reason` is kept on the row (no personal data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:500]


class Gateway(Protocol):
    name: str

    def send(self, notice: Notification) -> None: ...


# --- email --------------------------------------------------------------------------------------


def html_body(text: str, lang: str) -> str:
    """The HTML part: the same text, escaped, in paragraphs, with its links clickable."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        linked = URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return (
        f'<!doctype html>\n<html lang="{html.escape(lang)}"><head><meta charset="utf-8"></head>'
        f"<body>\n{chr(10).join(paragraphs)}\n</body></html>\n"
    )


# Python's header folding drops the space where it splits a non-ASCII subject between two
# encoded words ("вопрос к" arrives as "вопроск"); with the RFC 5322 hard limit the subject
# (at most 200 characters) stays one encoded word.
EMAIL_POLICY = policy.SMTP.clone(max_line_length=998)


def build_email(notice: Notification, sender: str) -> EmailMessage:
    message = EmailMessage(policy=EMAIL_POLICY)
    message["Subject"] = notice.subject or ""
    message["From"] = sender
    message["To"] = notice.to_address or ""
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(notice.body)
    message.add_alternative(html_body(notice.body, notice.locale), subtype="html")
    # After add_alternative, which moves every Content-* header into the first part.
    message["Content-Language"] = notice.locale
    return message


class SmtpGateway:
    name = "smtp"

    def __init__(self, config: dict[str, Any]) -> None:
        self.server = config["MAIL_SERVER"]
        self.port = int(config["MAIL_PORT"])
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.sender = config["MAIL_DEFAULT_SENDER"]
        self.timeout = float(config.get("MAIL_TIMEOUT", 10))

    def send(self, notice: Notification) -> None:
        message = build_email(notice, self.sender)
        try:
            with smtplib.SMTP(self.server, self.port, timeout=self.timeout) as smtp:
                if self.use_tls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("smtp: recipient refused") from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"smtp: {exc.smtp_code} {exc.smtp_error!r}"[:200]) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"smtp: {type(exc).__name__}: {exc}"[:200]) from None


# --- SMS ----------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect is not a 2xx: the gateway did not take the message.
    def redirect_request(self, *args, **kwargs):
        return None


class HttpSmsGateway:
    """POST {"to": "+994…", "text": "…"} as JSON; any 2xx means sent."""

    name = "http-sms"

    def __init__(self, config: dict[str, Any]) -> None:
        self.url = config["SMS_GATEWAY_URL"]
        if not self.url.startswith(("http://", "https://")):
            raise ValueError("SMS_GATEWAY_URL must be an http:// or https:// address")
        self.token = config.get("SMS_GATEWAY_TOKEN")
        self.timeout = float(config.get("SMS_GATEWAY_TIMEOUT", 10))
        self.opener = urllib.request.build_opener(_NoRedirect)

    def send(self, notice: Notification) -> None:
        payload = json.dumps({"to": notice.to_address, "text": notice.body}).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")  # noqa: S310 - scheme checked above
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status = response.status
                response.read(1024)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DeliveryError(f"sms gateway answered {exc.code}") from None
        except TimeoutError:
            raise DeliveryError(f"sms gateway: no answer in {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise DeliveryError(f"sms gateway: no answer in {self.timeout:g} s") from None
            raise DeliveryError(f"sms gateway unreachable: {exc.reason}"[:200]) from None
        except OSError as exc:
            raise DeliveryError(f"sms gateway: {type(exc).__name__}: {exc}"[:200]) from None
        if not 200 <= status < 300:
            raise DeliveryError(f"sms gateway answered {status}")


# --- development ----------------------------------------------------------------------------------


class LogGateway:
    """Development and tests with no gateway configured: the notice goes to the server log."""

    def __init__(self, channel: NotificationChannel) -> None:
        self.name = f"log-{channel.value}"

    def send(self, notice: Notification) -> None:
        if notice.channel == C.EMAIL:
            log.warning(
                "EMAIL (no MAIL_SERVER; development only) to %s\nSubject: %s\n%s",
                notice.to_address,
                notice.subject,
                notice.body,
            )
        else:
            log.warning(
                "SMS (no SMS_GATEWAY_URL; development only) to %s: %s",
                notice.to_address,
                notice.body,
            )


def gateways_for(config: dict[str, Any]) -> dict[NotificationChannel, Gateway | None]:
    """The gateway of each delivered channel; None: not configured (production: left pending)."""
    log_ok = bool(config.get("NOTIFY_LOG_WITHOUT_GATEWAY"))
    email: Gateway | None = SmtpGateway(config) if config.get("MAIL_SERVER") else None
    sms: Gateway | None = HttpSmsGateway(config) if config.get("SMS_GATEWAY_URL") else None
    if email is None and log_ok:
        email = LogGateway(C.EMAIL)
    if sms is None and log_ok:
        sms = LogGateway(C.SMS)
    return {C.EMAIL: email, C.SMS: sms}
