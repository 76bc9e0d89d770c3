"""Configuration read from the environment, with safe defaults for development."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSECURE_DEV_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 - refused in production


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEV_KEY)
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'portal.db'}")
    SQL_ECHO = _bool("SQL_ECHO", False)

    BABEL_DEFAULT_LOCALE = "az"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("PORTAL_TIMEZONE", "Asia/Baku")
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")

    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(days=7)
    # The session cookie is sent again only when the session changes (signing in, a form's
    # first CSRF secret, a message for the next page), not with every page: that would add
    # some 400 bytes of Set-Cookie to every response on a returnee's prepaid data, and sign
    # the cookie again each time. A sign-in lasts 7 days from the last such change.
    SESSION_REFRESH_EACH_REQUEST = False
    # CSRF tokens live long enough for a slow form on a phone.
    CSRF_TIME_LIMIT = timedelta(hours=int(os.environ.get("CSRF_TIME_LIMIT_HOURS", "8")))

    # argon2id: OWASP minimum is m=19 MiB, t=2, p=1; we use m=19 MiB, t=2, p=1.
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", str(19 * 1024)))
    ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "1"))

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-ins (and current-password checks, codes) per account: a refusal for that
    # account only, growing with the failures. Successful sign-ins are never counted.
    ACCOUNT_FAILURE_LIMIT = os.environ.get(
        "ACCOUNT_FAILURE_LIMIT", "5 per minute;10 per 15 minutes;20 per hour"
    )
    # Growing delays on top: after ACCOUNT_DELAY_AFTER failures in a row, each failure pauses
    # the account for ACCOUNT_DELAY_SECONDS, doubled with every further failure, at most
    # ACCOUNT_DELAY_MAX_SECONDS (30 s, 1 min, 2 min, ... 1 hour). Whole seconds (Redis).
    ACCOUNT_DELAY_AFTER = int(os.environ.get("ACCOUNT_DELAY_AFTER", "5"))
    ACCOUNT_DELAY_SECONDS = int(os.environ.get("ACCOUNT_DELAY_SECONDS", "30"))
    ACCOUNT_DELAY_MAX_SECONDS = int(os.environ.get("ACCOUNT_DELAY_MAX_SECONDS", "3600"))
    # Failures per client address: high enough for an office behind one address.
    ADDRESS_FAILURE_LIMIT = os.environ.get("ADDRESS_FAILURE_LIMIT", "30 per minute;300 per hour")
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "10 per minute;30 per hour")
    # How many reverse proxies in front of the portal set X-Forwarded-For (0: trust none).
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    # Phone verification and SMS codes are on only when an SMS gateway is configured.
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL") or None
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute;2000 per hour")
    # The queue flags requests that waited longer than this in these statuses.
    TRIAGE_SUBMITTED_OVERDUE_DAYS = int(os.environ.get("TRIAGE_SUBMITTED_OVERDUE_DAYS", "2"))
    TRIAGE_NEEDS_INFO_OVERDUE_DAYS = int(os.environ.get("TRIAGE_NEEDS_INFO_OVERDUE_DAYS", "7"))

    # Brotli or gzip for pages, CSS and JSON: a returnee pays for every byte of prepaid data.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "application/json",
        "image/svg+xml",
        "application/javascript",
    ]
    COMPRESS_MIN_SIZE = 300
    COMPRESS_BR_LEVEL = 5

    # The address people reach the portal at: links in SMS and email are built on it.
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    HOTLINE_PHONE = os.environ.get("HOTLINE_PHONE", "+994 12 000 00 00")
    PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-12")
    PAGE_SIZE = int(os.environ.get("PAGE_SIZE", "25"))
    # Largest request body: the biggest form is a few kilobytes; the API's JSON is smaller still.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(1024 * 1024)))
    API_MAX_CONTENT_LENGTH = int(os.environ.get("API_MAX_CONTENT_LENGTH", str(64 * 1024)))
    # PostgreSQL work_mem for the report pages' transaction (sorts for percentiles, groups).
    REPORTS_WORK_MEM = os.environ.get("REPORTS_WORK_MEM", "64MB")
    TESTING = False
    # CSV uploads of readmission cases run in a thread of the web process; off, they wait for
    # `flask --app portal readmissions imports run` (cron, or an operator after a restart).
    READMISSION_IMPORT_THREAD = _bool("READMISSION_IMPORT_THREAD", True)

    # Notification delivery (portal/delivery). Email over SMTP; none configured: development
    # writes the mail to the server log, production leaves it pending.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "portal@localhost")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    # SMS: the portal POSTs {"to", "text"} as JSON (Bearer token when set); any 2xx is sent.
    SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL") or None
    SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN") or None
    SMS_GATEWAY_TIMEOUT = float(os.environ.get("SMS_GATEWAY_TIMEOUT", "10"))
    # Retries: the n-th failure waits NOTIFY_RETRY_SECONDS * 2**(n-1); after
    # NOTIFY_MAX_ATTEMPTS tries the notice is marked failed with the reason.
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "6"))
    NOTIFY_RETRY_SECONDS = float(os.environ.get("NOTIFY_RETRY_SECONDS", "60"))
    NOTIFY_BATCH_SIZE = int(os.environ.get("NOTIFY_BATCH_SIZE", "20"))
    NOTIFY_WORKER_INTERVAL = float(os.environ.get("NOTIFY_WORKER_INTERVAL", "5"))
    # No SMS that can wait between these hours (portal time zone); codes go at once.
    NOTIFY_QUIET_START = int(os.environ.get("NOTIFY_QUIET_START", "22"))
    NOTIFY_QUIET_END = int(os.environ.get("NOTIFY_QUIET_END", "8"))
    # Social workers who chose email get one summary a day, from this hour (portal time zone).
    NOTIFY_DIGEST_HOUR = int(os.environ.get("NOTIFY_DIGEST_HOUR", "8"))
    # Development: deliver due notices after each request, so no worker needs starting.
    NOTIFY_DELIVER_AFTER_REQUEST = _bool("NOTIFY_DELIVER_AFTER_REQUEST", False)
    # Development and tests without a gateway: SMS and email are written to the server log.
    NOTIFY_LOG_WITHOUT_GATEWAY = True


class DevelopmentConfig(Config):
    DEBUG = False
    NOTIFY_DELIVER_AFTER_REQUEST = _bool("NOTIFY_DELIVER_AFTER_REQUEST", True)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_ENABLED = False
    READMISSION_IMPORT_THREAD = False  # tests run the jobs themselves
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    NOTIFY_LOG_WITHOUT_GATEWAY = False  # personal data never goes to production logs


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None) -> type[Config]:
    name = name or os.environ.get("PORTAL_CONFIG") or os.environ.get("FLASK_ENV") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"Unknown configuration {name!r}; use one of {sorted(CONFIGS)}"
        ) from None


def check_production(config: dict) -> None:
    """Refuse to start in production with a missing or weak SECRET_KEY."""
    key = config.get("SECRET_KEY") or ""
    if key == INSECURE_DEV_KEY or len(key) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
