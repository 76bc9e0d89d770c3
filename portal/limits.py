"""Counters of failed attempts (sign-in, current password, codes) and of registrations.

Only failures are counted, so a successful sign-in never uses up a limit. Two keys are counted:
the account and the client address (high enough for an office behind one address).

An account gets a few failures free; after that each failure pauses that account only, and the
pause doubles with every further failure in a row (ACCOUNT_DELAY_SECONDS, twice that, four
times, ... up to ACCOUNT_DELAY_MAX_SECONDS). A successful sign-in or a password reset ends the
run. The windows of ACCOUNT_FAILURE_LIMIT stay as a ceiling over any period. The counters live
in RATELIMIT_STORAGE_URI (memory by default, Redis with several worker processes), the same
store Flask-Limiter uses for the API.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from portal.phones import normalise_phone

# rule name -> config key holding its limits ("5 per minute;10 per 15 minutes")
RULES = {
    "account": "ACCOUNT_FAILURE_LIMIT",
    "address": "ADDRESS_FAILURE_LIMIT",
    "register": "REGISTER_RATE_LIMIT",
}
# A run of failures of one account is forgotten this long after it began.
FAILURE_MEMORY_SECONDS = 24 * 3600


class AuthLimits:
    def __init__(self, app: Flask) -> None:
        self.enabled = bool(app.config["RATELIMIT_ENABLED"])
        self.storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.rules = {name: parse_many(app.config[key]) for name, key in RULES.items()}
        self.delay_after = int(app.config["ACCOUNT_DELAY_AFTER"])
        self.delay_first = int(app.config["ACCOUNT_DELAY_SECONDS"])
        self.delay_max = int(app.config["ACCOUNT_DELAY_MAX_SECONDS"])

    def blocked(self, rule: str, key: str) -> bool:
        """True when `key` has used up any of the rule's budgets (or, for an account, while
        it is paused after its last failure)."""
        if not self.enabled:
            return False
        if rule == "account" and self.paused_for(key) > 0:
            return True
        return any(not self.strategy.test(limit, rule, key) for limit in self.rules[rule])

    def pause_after(self, failures: int) -> int:
        """Seconds an account is paused after its n-th failure in a row: nothing for the first
        ACCOUNT_DELAY_AFTER, then ACCOUNT_DELAY_SECONDS doubling with each failure, capped."""
        extra = failures - self.delay_after
        if extra <= 0:
            return 0
        return min(self.delay_first * 2 ** min(extra - 1, 32), self.delay_max)

    def account_failed(self, key: str) -> int:
        """Count one failure of an account; returns the seconds it is now paused for."""
        if not self.enabled:
            return 0
        self.hit("account", key)
        failures = self.storage.incr(f"auth-fails/{key}", FAILURE_MEMORY_SECONDS)
        seconds = self.pause_after(failures)
        if seconds:
            # A new pause from now: incr sets the expiry only on a key it creates.
            self.storage.clear(f"auth-pause/{key}")
            self.storage.incr(f"auth-pause/{key}", seconds)
        return seconds

    def paused_for(self, key: str) -> float:
        """Seconds left of the account's pause (0 when it is not paused)."""
        if not self.enabled or not self.storage.get(f"auth-pause/{key}"):
            return 0.0
        return max(0.0, self.storage.get_expiry(f"auth-pause/{key}") - time.time())

    def hit(self, rule: str, key: str) -> None:
        if self.enabled:
            for limit in self.rules[rule]:
                self.strategy.hit(limit, rule, key)

    def clear(self, rule: str, key: str) -> None:
        if self.enabled:
            for limit in self.rules[rule]:
                self.strategy.clear(limit, rule, key)
            if rule == "account":
                self.storage.clear(f"auth-fails/{key}")
                self.storage.clear(f"auth-pause/{key}")


def init_app(app: Flask) -> None:
    app.extensions["auth_limits"] = AuthLimits(app)


def auth_limits() -> AuthLimits:
    return current_app.extensions["auth_limits"]


def client_address() -> str:
    """The client's address: the peer, or X-Forwarded-For only through ProxyFix (see create_app)."""
    return request.remote_addr or "unknown"


def account_key(user=None, login: str | None = None) -> str:
    """One key per account; a login without an account gets its own key, so an unknown login is
    refused exactly like a known one (no one learns who is registered)."""
    if user is not None:
        return f"user:{user.id}"
    login = (login or "").strip().lower()
    if "@" not in login:
        login = normalise_phone(login) or login
    return f"login:{login[:254]}"


def failed(user=None, login: str | None = None) -> None:
    """Count one failed attempt for the account and for the client address."""
    limits = auth_limits()
    limits.account_failed(account_key(user, login))
    limits.hit("address", client_address())


def address_blocked() -> bool:
    return auth_limits().blocked("address", client_address())


def account_blocked(user=None, login: str | None = None) -> bool:
    return auth_limits().blocked("account", account_key(user, login))
