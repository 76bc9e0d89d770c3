"""Extensions, created unbound and bound in create_app."""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager

login_manager = LoginManager()
compress = Compress()

# (endpoint, config key of the limit): rate limits applied per app in init_limiter.
# Sign-in and invitation codes are not here: they count failures only (portal/limits.py).
RATE_LIMITED_ENDPOINTS: list[tuple[str, str]] = []


def init_limiter(app: Flask) -> Limiter:
    """One Limiter per app (its settings are per instance), wrapping the limited views."""
    limiter = Limiter(key_func=get_remote_address, app=app, default_limits=[])
    for endpoint, key in RATE_LIMITED_ENDPOINTS:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(app.config[key], methods=["POST"])(view)
    api_bp = app.blueprints.get("api")
    if api_bp is not None:
        # Every route of the partner API, per client address.
        limiter.limit(app.config["API_RATE_LIMIT"])(api_bp)
        if not RATE_LIMITED_ENDPOINTS:
            _check_only_in(app, limiter, api_bp.name)
    return limiter


def _check_only_in(app: Flask, limiter: Limiter, blueprint: str) -> None:
    """Flask-Limiter checks its limits before every request of the app; when only one
    blueprint has limits (the partner API), the check runs before that blueprint's requests
    only, first among them: a page of the portal skips the work of finding that no limit
    applies to it (a fifth of a public page's time). tests/functional/api/test_partner_api.py
    checks that the API is still limited and the pages are not looked at."""
    check = limiter._check_request_limit  # noqa: SLF001 - the hook Flask-Limiter registers
    app_hooks = app.before_request_funcs.get(None, [])
    if check in app_hooks:
        app_hooks.remove(check)
        app.before_request_funcs.setdefault(blueprint, []).insert(0, check)
