from __future__ import annotations

from flask import (
    current_app,
    jsonify,
    redirect,
    render_template,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from portal import pagecache
from portal.auth_setup import home_url_for
from portal.db import db
from portal.i18n import current_locale, negotiated_locale
from portal.public import bp


@bp.route("/")
def root():
    """Send the visitor to their language: setting, cookie, Accept-Language, then az."""
    return redirect(url_for("public.home", lang_code=negotiated_locale()))


def _public_page(template: str, **context) -> str:
    """A page as every visitor who is not signed in sees it: the same words in a language,
    so it is rendered once per language and kept. Not for a signed-in person (their name and
    menu are in the header) nor with a message waiting to be shown (after signing out, say):
    those are rendered as usual."""
    if current_user.is_authenticated or not pagecache.may_keep():
        return render_template(template, **context)
    key = (template, str(current_locale()), tuple(sorted(context.items())))
    html = pagecache.get("public", key)
    if html is None:
        html = pagecache.put("public", key, render_template(template, **context))
    return html


@bp.route("/<lang:lang_code>/")
def home():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    return _public_page("public/home.html")


@bp.route("/<lang:lang_code>/privacy")
def privacy():
    return _public_page("public/privacy.html", version=current_app.config["PRIVACY_NOTICE_VERSION"])


@bp.route("/healthz")
def healthz():
    try:
        db.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means the database does not answer
        db.rollback()
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok"})


@bp.route("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "img/favicon.ico", max_age=7 * 24 * 3600)
