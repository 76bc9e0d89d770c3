"""Forgot password: a code by SMS (returnees), a link by email (staff), or a code a social
worker read out on the phone (assisted). Every route answers the same whether or not the phone
or email has an account."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.auth import bp
from portal.auth.forms import (
    AssistedCodeForm,
    CodeForm,
    ForgotPasswordForm,
    NewPasswordForm,
    ResendForm,
)
from portal.auth.routes import TOO_MANY_FAILURES, _sign_in
from portal.auth_setup import home_url_for
from portal.db import db, utcnow
from portal.forms import add_error
from portal.i18n import gettext as _
from portal.limits import address_blocked, auth_limits, client_address, failed
from portal.models import CodePurpose, User, VerificationCode
from portal.phones import normalise_phone
from portal.services import recovery
from portal.services.errors import ServiceError
from portal.services.verification import (
    GRANT_TTL,
    CodeError,
    TooManyCodes,
    find_link,
    is_live,
    sms_enabled,
    use_code,
)


def _no_store():
    g.no_store = True  # codes and password forms never go to a shared cache


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    _no_store()
    form = ForgotPasswordForm(request.form)
    status = 200
    if request.method == "POST" and form.validate():
        login = form.login.data.strip()
        try:
            if "@" in login:
                recovery.start_email_reset(db, login, client_address())
                db.commit()
                return render_template("auth/reset_email_sent.html")
            if not sms_enabled():
                add_error(
                    form.login,
                    _(
                        "Codes by SMS are not available. Call the hotline %(phone)s and a "
                        "social worker will help you.",
                        phone=current_app.config["HOTLINE_PHONE"],
                    ),
                )
                return render_template("auth/forgot_password.html", form=form), 400
            row = recovery.start_phone_reset(db, login, client_address(), g.lang_code)
        except TooManyCodes as exc:
            db.rollback()
            add_error(form.login, str(exc.message))
            return render_template("auth/forgot_password.html", form=form), 429
        except ServiceError as exc:
            db.rollback()
            add_error(form.login, str(exc.message))
            return render_template("auth/forgot_password.html", form=form), 400
        db.commit()
        session["reset_code"] = row.id
        return redirect(url_for("auth.reset_code"))
    if request.method == "POST":
        status = 400
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/reset/code", methods=["GET", "POST"])
def reset_code():
    """Type the code sent by SMS (the same page whether the phone has an account or not)."""
    _no_store()
    row = db.get(VerificationCode, session.get("reset_code") or 0)
    if row is None or row.purpose != CodePurpose.RESET:
        flash(_("Start again: there is no code waiting for this browser."), "info")
        return redirect(url_for("auth.forgot_password"))
    action = request.form.get("action")
    form = CodeForm(request.form if action != "resend" else None)
    resend = ResendForm(request.form if action == "resend" else None)
    status = 200
    if request.method == "POST" and action == "resend":
        status = 400
        if resend.validate():
            try:
                new = recovery.start_phone_reset(db, row.target, client_address(), g.lang_code)
            except TooManyCodes as exc:
                db.rollback()
                add_error(form.code, str(exc.message))
                status = 429
            else:
                db.commit()
                session["reset_code"] = new.id
                flash(_("We sent a new code. Earlier codes no longer work."), "success")
                return redirect(url_for("auth.reset_code"))
    elif request.method == "POST" and form.validate():
        status = _spend(form, row)
        if status is None:
            return redirect(url_for("auth.reset_new_password"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "auth/reset_code.html", form=form, resend=resend, phone=row.target
    ), status


def _spend(form, row) -> int | None:
    """Check the typed code; on success keep a short grant in the session. None means success."""
    if address_blocked():
        add_error(form.code, str(TOO_MANY_FAILURES))
        return 429
    try:
        use_code(db, row, form.code.data)
        if row.user_id is None:  # a stand-in code is never known
            raise CodeError(_("This code has expired. Ask for a new code."))
    except ServiceError as exc:
        db.commit()  # a wrong try counts
        failed(login=row.target)
        add_error(form.code, str(exc.message))
        return 400
    db.commit()
    session.pop("reset_code", None)
    session["reset_grant"] = row.id
    return None


@bp.route("/reset/assisted", methods=["GET", "POST"])
def reset_assisted():
    """The code a social worker read out on the phone, with the phone number it was made for."""
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    _no_store()
    form = AssistedCodeForm(request.form)
    status = 200
    if request.method == "POST" and form.validate():
        phone = normalise_phone(form.phone.data)
        row = recovery.latest_code(db, CodePurpose.ASSISTED_RESET, phone)
        if row is None:
            if address_blocked():
                add_error(form.code, str(TOO_MANY_FAILURES))
                status = 429
            else:
                failed(login=phone)
                add_error(form.code, _("The code is wrong or has expired."))
                status = 400
        else:
            status = _spend(form, row)
            if status is None:
                return redirect(url_for("auth.reset_new_password"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/reset_assisted.html", form=form), status


def _granted_row() -> VerificationCode | None:
    row = db.get(VerificationCode, session.get("reset_grant") or 0)
    if (
        row is None
        or row.user_id is None
        or row.used_at is None
        or row.used_at < utcnow() - GRANT_TTL
        or row.purpose not in (CodePurpose.RESET, CodePurpose.ASSISTED_RESET)
    ):
        return None
    return row


@bp.route("/reset/new-password", methods=["GET", "POST"])
def reset_new_password():
    _no_store()
    row = _granted_row()
    if row is None:
        session.pop("reset_grant", None)
        flash(_("This step has expired. Start again."), "info")
        return redirect(url_for("auth.forgot_password"))
    return _set_password(row, url_for("auth.reset_new_password"))


def _set_password(row: VerificationCode, action_url: str):
    user = db.get(User, row.user_id)
    if user is None:
        abort(404)
    form = NewPasswordForm(request.form)
    form.person = user
    if request.method == "POST" and form.validate():
        try:
            user, _token = recovery.reset_password(db, row, form.password.data)
        except ServiceError as exc:
            db.rollback()
            add_error(form.password, str(exc.message))
        else:
            db.commit()
            _sign_in(user)
            auth_limits().clear("account", f"user:{user.id}")
            flash(
                _("Your new password is saved. You were signed out on every other device."),
                "success",
            )
            return redirect(home_url_for(user, user.preferred_locale))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset_new_password.html", form=form, action_url=action_url), status


@bp.route("/reset/link/<token>", methods=["GET", "POST"])
def reset_link(token: str):
    """Staff: the single-use link from the email, valid 30 minutes."""
    _no_store()
    row = find_link(db, token)
    if row is None or row.user_id is None or not is_live(row):
        return render_template("auth/reset_link_invalid.html"), 410 if row else 404
    if current_user.is_authenticated and current_user.id != row.user_id:
        abort(403)
    return _set_password(row, url_for("auth.reset_link", token=token))
