"""Error pages in the page's language; JSON for /api and /healthz."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _titles():
    return {
        400: (
            _("The request could not be understood"),
            _("Check the address or go back and try again."),
        ),
        403: (_("You cannot see this page"), _("Your account does not have access to this page.")),
        404: (_("Page not found"), _("Check the address, or go to the start page.")),
        405: (_("This action is not possible here"), _("Go back and use the buttons on the page.")),
        429: (_("Too many attempts"), _("Wait a minute and try again.")),
        500: (
            _("Something went wrong. Please try again later."),
            _("Please try again in a few minutes. If it keeps happening, call us."),
        ),
    }


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(code: int, description: str | None = None):
    from portal.db import db

    if code >= 500:
        try:
            db.rollback()
        except Exception:  # noqa: BLE001,S110 - the database may be the problem itself
            pass
    titles = _titles()
    title, hint = titles.get(code, titles[400] if code < 500 else titles[500])
    if _wants_json():
        return jsonify({"error": {"code": str(code), "message": title}}), code
    return render_template(
        "errors/error.html", code=code, title=title, hint=description or hint
    ), code


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        response = render_error(exc.code)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            body, code = response
            return body, code, {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_EXCEPTIONS") and app.testing:
            raise exc
        return render_error(InternalServerError.code)
