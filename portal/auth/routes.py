from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import bp
from portal.auth.consent import needs_consent
from portal.auth.forms import (
    ConsentForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    PasswordChangeForm,
    RegisterForm,
)
from portal.auth_setup import home_url_for, is_safe_next
from portal.db import db
from portal.i18n import LANGUAGES
from portal.passwords import verify_password
from portal.services import accounts
from portal.services.errors import ServiceError
from portal.services.returnees import record_consent


def _sign_in(user) -> None:
    token = user.current_session_token
    session.clear()  # a fresh session: nothing carried over from before sign-in
    session.permanent = True
    login_user(user)
    assert token == user.get_id()


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = RegisterForm(request.form)
    if request.method == "GET":
        form.preferred_locale.data = g.get("lang_code", "az")
    if request.method == "POST" and form.validate():
        try:
            user = accounts.register_returnee(
                db,
                phone=form.phone.data,
                full_name=form.full_name.data,
                email=form.email.data or None,
                password=form.password.data,
                preferred_locale=form.preferred_locale.data,
                consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
            )
        except accounts.DuplicateAccount:
            db.rollback()
            form.phone.errors.append(
                _("An account with this phone number already exists. Sign in instead.")
            )
        except ServiceError as exc:
            db.rollback()
            form.phone.errors.append(str(exc.message))
        else:
            accounts.start_session(db, user)
            db.commit()
            _sign_in(user)
            flash(_("Your account has been created."), "success")
            # Next step of the journey: the profile, in the language they chose, and then on
            # to asking for help (the reason they registered).
            return redirect(
                url_for("returnee.profile", lang_code=user.preferred_locale, next="ask")
            )
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/sign-in", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = LoginForm(request.form)
    next_url = request.values.get("next")
    if request.method == "POST" and form.validate():
        user = accounts.authenticate(db, form.login.data, form.password.data)
        if user is None:
            db.rollback()
            form.login.errors.append(_("The phone number, email or password is wrong"))
        else:
            # The page being read decides the language: signing in on /ru/ stays in Russian,
            # and Russian becomes the stored preference (SMS and email follow it).
            lang = g.get("lang_code")
            if lang in LANGUAGES and user.preferred_locale != lang:
                user.preferred_locale = lang
            accounts.start_session(db, user)
            db.commit()
            _sign_in(user)
            if needs_consent(user):
                # The privacy notice changed since they agreed: ask again before anything else.
                return redirect(
                    url_for(
                        "auth.consent",
                        lang_code=user.preferred_locale,
                        next=next_url if is_safe_next(next_url) else None,
                    )
                )
            if is_safe_next(next_url):
                # Keep the page the person asked for, in their own language.
                parts = next_url.split("/", 2)
                if len(parts) > 2 and parts[1] in ("az", "ru", "en"):
                    next_url = f"/{user.preferred_locale}/{parts[2]}"
                return redirect(next_url)
            return redirect(home_url_for(user, user.preferred_locale))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form, next_url=next_url), status


@bp.route("/sign-out", methods=["POST"])
def logout():
    form = LogoutForm(request.form)
    if not form.validate():
        return render_template("errors/csrf.html", form=LogoutForm()), 400
    if current_user.is_authenticated:
        accounts.end_session(db, current_user.current_session_token)
        db.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("public.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    password_form = PasswordChangeForm(
        request.form if request.form.get("action") == "password" else None
    )
    language_form = LanguageForm(
        request.form if request.form.get("action") == "language" else None,
        preferred_locale=current_user.preferred_locale,
    )
    if request.method == "POST":
        action = request.form.get("action")
        if action == "password" and password_form.validate():
            if not verify_password(current_user.password_hash, password_form.current_password.data):
                password_form.current_password.errors.append(_("The current password is wrong"))
            else:
                user = current_user._get_current_object()
                accounts.change_password(db, user, password_form.password.data)
                db.commit()
                _sign_in(user)
                flash(
                    _("Your password has been changed. You were signed out on other devices."),
                    "success",
                )
                return redirect(url_for("auth.account"))
        elif action == "language" and language_form.validate():
            current_user.preferred_locale = language_form.preferred_locale.data
            db.commit()
            flash(_("Your preferred language has been saved."), "success")
            return redirect(url_for("auth.account", lang_code=current_user.preferred_locale))
    errors = password_form.errors or language_form.errors
    return (
        render_template(
            "auth/account.html", password_form=password_form, language_form=language_form
        ),
        400 if errors else 200,
    )


@bp.route("/consent", methods=["GET", "POST"])
@login_required
def consent():
    """Agree again to the privacy notice after it changed (returnees only)."""
    next_url = request.values.get("next")
    target = next_url if is_safe_next(next_url) else home_url_for(current_user)
    if not needs_consent(current_user):
        return redirect(target)
    form = ConsentForm(request.form, next=next_url if is_safe_next(next_url) else "")
    if request.method == "POST" and form.validate():
        record_consent(
            db, current_user._get_current_object(), current_app.config["PRIVACY_NOTICE_VERSION"]
        )
        db.commit()
        flash(_("Thank you. You can use the portal again."), "success")
        return redirect(target)
    return render_template(
        "auth/consent.html", form=form, version=current_app.config["PRIVACY_NOTICE_VERSION"]
    ), (400 if form.errors else 200)
