"""Error pages in the page's language; JSON for /api and /healthz.

Every error page comes from the app: translated, with the security headers of every other page,
and compressed like them (Flask-Compress leaves non-2xx responses alone, so this module does it).
The 500 page falls back to a page that needs neither the database nor the signed-in user, so that
it is still served when those are what failed.
"""

from __future__ import annotations

import gzip
import logging

from flask import Flask, current_app, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.i18n import gettext as _

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
        413: (
            _("What you sent is too large"),
            _("Go back, shorten the text and send it again."),
        ),
        429: (_("Too many attempts"), _("Wait a minute and try again.")),
        500: (
            _("Something went wrong. Please try again later."),
            _("Please try again in a few minutes. If it keeps happening, call us."),
        ),
    }


# The partner API's error codes (portal/api/routes.py uses the same), for errors raised before
# a route of the API matched (an unknown path, an id out of range, a body too large).
JSON_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render_page(code: int, title: str, hint: str) -> str:
    try:
        return render_template("errors/error.html", code=code, title=title, hint=hint)
    except Exception:  # noqa: BLE001 - the page of a failure must not fail itself
        log.exception("error page %s could not be rendered; serving the plain one", code)
        _rollback()
    # Straight from the template: no context processors, so no signed-in user to load.
    from flask_babel import get_locale

    try:
        lang = str(get_locale() or "az")
    except Exception:  # noqa: BLE001
        lang = "az"
    template = current_app.jinja_env.get_template("errors/plain.html")
    return template.render(
        code=code,
        title=title,
        hint=hint,
        current_lang=lang,
        hotline=current_app.config["HOTLINE_PHONE"],
    )


def _rollback() -> None:
    from portal.db import db

    try:
        db.rollback()
    except Exception:  # noqa: BLE001,S110 - the database may be the problem itself
        pass


def render_error(code: int, description: str | None = None):
    from portal.templating import security_headers

    if code >= 500:
        _rollback()
    titles = _titles()
    title, hint = titles.get(code, titles[400] if code < 500 else titles[500])
    if _wants_json():
        error_code = JSON_CODES.get(code, "server_error" if code >= 500 else "error")
        return jsonify({"error": {"code": error_code, "message": title}}), code
    response = make_response(_render_page(code, title, description or hint), code)
    # Set here too: an error raised by an after_request function skips the others.
    security_headers(response)
    return response


def _own_description(exc: HTTPException) -> str | None:
    """A description given where the error was raised (translated there), not werkzeug's."""
    description = exc.description
    if description and description != type(exc).description:
        return str(description)
    return None


def compress_error(response):
    """Brotli or gzip for error pages, as Flask-Compress does for the others."""
    config = current_app.config
    if (
        response.status_code < 400
        or response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or response.mimetype not in config.get("COMPRESS_MIMETYPES", ())
    ):
        return response
    data = response.get_data()
    if len(data) < config.get("COMPRESS_MIN_SIZE", 500):
        return response
    accepted = request.headers.get("Accept-Encoding", "").lower()
    algorithms = [a for a in config.get("COMPRESS_ALGORITHM", ["gzip"]) if a in accepted]
    vary = response.headers.get("Vary", "")
    if "accept-encoding" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
    if not algorithms:
        return response
    algorithm = algorithms[0]
    if algorithm == "br":
        import brotli

        body = brotli.compress(data, quality=config.get("COMPRESS_BR_LEVEL", 4))
    elif algorithm == "gzip":
        body = gzip.compress(data, compresslevel=6)
    else:
        return response
    response.set_data(body)
    response.headers["Content-Encoding"] = algorithm
    response.headers["Content-Length"] = str(len(body))
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        response = render_error(exc.code, _own_description(exc))
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            if isinstance(response, tuple):
                body, code = response
                return body, code, {"Allow": ", ".join(exc.valid_methods)}
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_EXCEPTIONS") and app.testing:
            raise exc
        return render_error(InternalServerError.code)

    app.after_request(compress_error)
