"""Suggest a better translation: staff send one from any page; administrators read and export."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from portal import inputs
from portal.auth_setup import is_safe_next, roles_required
from portal.db import db
from portal.i18n import gettext as _
from portal.models import Role, TranslationSuggestion
from portal.services.errors import ServiceError
from portal.services.suggestions import LOCALES, MAX_PATH, suggest_translation, suggestion_page
from portal.suggestions import bp
from portal.suggestions.export import match_entry, po_fragment
from portal.suggestions.forms import SuggestionForm


def _page_path(value: str | None) -> str:
    """The page the suggestion is about: a same-site path, or the home page."""
    return value if is_safe_next(value) and len(value) <= MAX_PATH else "/"


@bp.route("/new", methods=["GET", "POST"])
def new_suggestion():
    """The form behind the "Suggest a better translation" link of every staff page."""
    if not TranslationSuggestion.can_suggest(current_user):
        abort(403)
    form = SuggestionForm(request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.path.data = _page_path(request.args.get("path"))
        form.locale.data = str(get_locale() or "az")
    if request.method == "POST" and form.validate():
        path = _page_path(form.path.data)
        try:
            suggest_translation(
                db,
                current_user,
                path=path,
                locale=form.locale.data,
                shown_text=form.shown_text.data,
                proposed_text=form.proposed_text.data,
            )
        except ServiceError as exc:
            db.rollback()
            form.proposed_text.errors = [*form.proposed_text.errors, str(exc.message)]
        else:
            db.commit()
            flash(_("Thank you. Your suggestion has been recorded."), "success")
            return redirect(path)
    status = 400 if request.method == "POST" else 200
    return render_template("suggestions/new_suggestion.html", form=form), status


@bp.route("/")
@roles_required(Role.ADMIN)
def list_suggestions():
    """Every suggestion, newest first, a page at a time."""
    page = request.args.get("page", "1")
    page = inputs.whole_number(page, 6) or 1
    rows, pages = suggestion_page(db, page=page, page_size=current_app.config["PAGE_SIZE"])
    page = min(page, pages)
    return render_template(
        "suggestions/list_suggestions.html",
        rows=[(s, match_entry(s.locale, s.shown_text)) for s in rows],
        page=page,
        pages=pages,
        locales=LOCALES,
    )


@bp.route("/export/<any(az, ru, en):locale>.po")
@roles_required(Role.ADMIN)
def export_suggestions(locale: str):
    """The suggestions in one language as a .po fragment."""
    rows, _pages = suggestion_page(db, page=1, page_size=10_000, locale=locale)
    return Response(
        po_fragment(locale, rows),
        mimetype="text/x-gettext-translation",
        headers={"Content-Disposition": f"attachment; filename=suggestions-{locale}.po"},
    )


@bp.app_context_processor
def _suggestion_link():
    def suggest_url() -> str | None:
        if not TranslationSuggestion.can_suggest(current_user) or request.blueprint == bp.name:
            return None
        return url_for("suggestions.new_suggestion", path=request.full_path.rstrip("?"))

    return {"suggest_translation_url": suggest_url}
