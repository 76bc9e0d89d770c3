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
    return limiter
