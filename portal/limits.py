"""Counters of failed attempts (sign-in, current password, codes) and of registrations.

Only failures are counted, so a successful sign-in never uses up a limit. Two keys are counted:
the account (a temporary refusal for that account only, growing with the failures: several
windows, each with its own budget) and the client address (high enough for an office behind one
address). The counters live in RATELIMIT_STORAGE_URI (memory by default, Redis with several
worker processes), the same store Flask-Limiter uses for the API.
"""

from __future__ import annotations

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


class AuthLimits:
    def __init__(self, app: Flask) -> None:
        self.enabled = bool(app.config["RATELIMIT_ENABLED"])
        self.storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.rules = {name: parse_many(app.config[key]) for name, key in RULES.items()}

    def blocked(self, rule: str, key: str) -> bool:
        """True when `key` has used up any of the rule's budgets."""
        if not self.enabled:
            return False
        return any(not self.strategy.test(limit, rule, key) for limit in self.rules[rule])

    def hit(self, rule: str, key: str) -> None:
        if self.enabled:
            for limit in self.rules[rule]:
                self.strategy.hit(limit, rule, key)

    def clear(self, rule: str, key: str) -> None:
        if self.enabled:
            for limit in self.rules[rule]:
                self.strategy.clear(limit, rule, key)


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
    limits.hit("account", account_key(user, login))
    limits.hit("address", client_address())


def address_blocked() -> bool:
    return auth_limits().blocked("address", client_address())


def account_blocked(user=None, login: str | None = None) -> bool:
    return auth_limits().blocked("account", account_key(user, login))
