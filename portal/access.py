"""Who may use the portal at all, checked on every page before any view runs.

Partner staff of an inactive organisation are refused everywhere (with a clear message) and
their session ends; the API refuses the organisation's tokens (services.api_tokens).
"""

from __future__ import annotations

from flask import Flask, abort, request
from flask_login import current_user, logout_user

from portal.db import db
from portal.services.accounts import end_session
from portal.services.partners import INACTIVE_MESSAGE, partner_is_closed


def init_app(app: Flask) -> None:
    @app.before_request
    def _closed_organisation():
        if request.endpoint in (None, "static") or request.blueprint == "api":
            return None
        if not partner_is_closed(current_user):
            return None
        end_session(db, current_user.current_session_token)
        db.commit()
        logout_user()
        abort(403, description=str(INACTIVE_MESSAGE))
