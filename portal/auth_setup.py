"""flask-login wiring: server-side sessions, role gates, safe redirects."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.db import db
from portal.extensions import login_manager
from portal.models import Role, User
from portal.services import versions
from portal.services.accounts import load_session_user


def init_app(app: Flask) -> None:
    login_manager.session_protection = "basic"
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    from portal.notices.routes import remember_unread, unread_count_query

    unread = unread_count_query(User.id)  # the header's count, read with the session
    # The queue's data version, read with the session too: a kept queue page needs nothing
    # else (triage/routes.py), and reading it costs one probe of a one-row table.
    queue_version = versions.current_query()

    @login_manager.user_loader
    def _load_user(token: str):
        row = load_session_user(db, token, unread, queue_version)
        if row is None:
            return None
        user, n, version = row
        remember_unread(user.id, n)
        g.queue_version_read = version or 0
        return user

    @login_manager.unauthorized_handler
    def _unauthorized():
        from flask import flash

        flash(login_manager.login_message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def roles_required(*roles: Role):
    """Coarse gate for a view: signed in, with one of these roles; otherwise 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_safe_next(target: str | None) -> bool:
    """Only same-site, path-only redirects (no scheme, no host, no //evil)."""
    if not target:
        return False
    parts = urlsplit(target)
    return (
        not parts.scheme
        and not parts.netloc
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
    )


def home_url_for(user, lang: str | None = None) -> str:
    kwargs = {"lang_code": lang} if lang else {}
    if user.role == Role.RETURNEE:
        return url_for("returnee.home", **kwargs)
    if user.role == Role.PARTNER:
        return url_for("partner.inbox", **kwargs)
    return url_for("triage.queue", **kwargs)
