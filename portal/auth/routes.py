from __future__ import annotations

import math

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import bp
from portal.auth.consent import needs_consent
from portal.auth.forms import (
    CodeForm,
    ConsentForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    PasswordChangeForm,
    PhoneChangeForm,
    RegisterForm,
    ResendForm,
)
from portal.auth_setup import home_url_for, is_safe_next
from portal.db import db
from portal.forms import add_error
from portal.i18n import LANGUAGES, ngettext
from portal.i18n import gettext as _
from portal.limits import (
    account_blocked,
    account_key,
    address_blocked,
    auth_limits,
    client_address,
    failed,
)
from portal.models import CodePurpose, Role, VerificationCode
from portal.phones import normalise_phone
from portal.services import accounts, recovery
from portal.services.errors import ServiceError
from portal.services.returnees import record_consent
from portal.services.verification import TooManyCodes, sms_enabled


def _sign_in(user) -> None:
    token = user.current_session_token
    session.clear()  # a fresh session: nothing carried over from before sign-in
    session.permanent = True
    login_user(user)
    assert token == user.get_id()


TOO_MANY_FAILURES = _l("Too many failed attempts from your network. Wait a minute and try again.")
ACCOUNT_PAUSED = _l(
    "Too many wrong passwords for this account, so signing in to it is paused for a few "
    "minutes. Wait and try again, or reset your password."
)


def account_paused(user=None, login: str | None = None) -> str:
    """Why this account is refused now: how many minutes its pause has left, when it is paused
    after a failure (the pause grows with every failure), or the general words for a window."""
    seconds = auth_limits().paused_for(account_key(user, login))
    if seconds <= 0:
        return str(ACCOUNT_PAUSED)
    return ngettext(
        "Too many wrong passwords for this account, so signing in to it is paused for "
        "%(num)d minute. Wait and try again, or reset your password.",
        "Too many wrong passwords for this account, so signing in to it is paused for "
        "%(num)d minutes. Wait and try again, or reset your password.",
        max(1, math.ceil(seconds / 60)),
    )


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = RegisterForm(request.form)
    if request.method == "GET":
        form.preferred_locale.data = g.get("lang_code", "az")
    if request.method == "POST" and form.validate():
        limits = auth_limits()
        if limits.blocked("register", client_address()):
            add_error(form.phone, _("Too many registrations from your network. Try again later."))
            return render_template("auth/register.html", form=form), 429
        limits.hit("register", client_address())
        if sms_enabled():
            return _register_with_code(form)
        try:
            recovery.register_unproven(
                db,
                phone=form.phone.data,
                full_name=form.full_name.data,
                email=form.email.data or None,
                password=form.password.data,
                preferred_locale=form.preferred_locale.data,
                consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
            )
        except ServiceError as exc:
            db.rollback()
            add_error(form.phone, str(exc.message))
        else:
            db.commit()
            # Without SMS the phone cannot be proven, so a new number and one that already has
            # an account get the same next page: sign in with the password just chosen.
            session["register_login"] = normalise_phone(form.phone.data)
            return redirect(url_for("auth.register_done", lang_code=form.preferred_locale.data))
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/register/done")
def register_done():
    """The one page after registering without SMS, whether or not the number was new."""
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    login = session.get("register_login")
    if not isinstance(login, str):
        return redirect(url_for("auth.register"))
    form = LoginForm(data={"login": login})
    next_url = url_for("returnee.profile", next="ask")
    return render_template("auth/register_done.html", form=form, next_url=next_url)


def _register_with_code(form):
    try:
        row = recovery.start_registration(
            db,
            phone=form.phone.data,
            full_name=form.full_name.data,
            email=form.email.data or None,
            password=form.password.data,
            preferred_locale=form.preferred_locale.data,
            consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
            client_address=client_address(),
        )
    except TooManyCodes as exc:
        db.rollback()
        add_error(form.phone, str(exc.message))
        return render_template("auth/register.html", form=form), 429
    except accounts.DuplicateAccount as exc:
        db.rollback()
        add_error(form.email, str(exc.message))
        return render_template("auth/register.html", form=form), 400
    except ServiceError as exc:
        db.rollback()
        add_error(form.phone, str(exc.message))
        return render_template("auth/register.html", form=form), 400
    db.commit()
    session["pending_code"] = row.id
    return redirect(url_for("auth.verify_phone", lang_code=form.preferred_locale.data))


@bp.route("/verify-phone", methods=["GET", "POST"])
def verify_phone():
    """Type the code sent to the phone: finishes a registration or a returnee's phone change."""
    row = db.get(VerificationCode, session.get("pending_code") or 0)
    if row is None or row.purpose not in (CodePurpose.REGISTER, CodePurpose.PHONE_CHANGE):
        flash(_("Start again: there is no code waiting for this browser."), "info")
        return redirect(url_for("auth.register"))
    changing = row.purpose == CodePurpose.PHONE_CHANGE
    if changing and (not current_user.is_authenticated or row.user_id != current_user.id):
        abort(404)
    if not changing and current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = CodeForm(request.form if request.form.get("action") != "resend" else None)
    resend = ResendForm(request.form if request.form.get("action") == "resend" else None)
    status = 200
    if request.method == "POST" and request.form.get("action") == "resend":
        if resend.validate():
            try:
                new = recovery.resend_code(db, row, client_address())
            except TooManyCodes as exc:
                db.rollback()
                add_error(form.code, str(exc.message))
                status = 429
            else:
                db.commit()
                session["pending_code"] = new.id
                flash(_("We sent a new code. Earlier codes no longer work."), "success")
                return redirect(url_for("auth.verify_phone"))
        else:
            status = 400
    elif request.method == "POST" and form.validate():
        if address_blocked():
            add_error(form.code, str(TOO_MANY_FAILURES))
            status = 429
        else:
            try:
                if changing:
                    user = current_user._get_current_object()
                    recovery.confirm_phone_change(db, user, row, form.code.data)
                else:
                    user = recovery.confirm_registration(db, row, form.code.data)
            except ServiceError as exc:
                db.commit()  # a wrong try counts
                failed(login=row.target)
                add_error(form.code, str(exc.message))
                status = 400
            else:
                if changing:
                    db.commit()
                    session.pop("pending_code", None)
                    flash(_("Your phone number has been changed."), "success")
                    return redirect(url_for("auth.account"))
                accounts.start_session(db, user)
                db.commit()
                _sign_in(user)
                flash(
                    _("Your phone number is confirmed and your account has been created."),
                    "success",
                )
                return redirect(url_for("returnee.profile", lang_code=user.preferred_locale))
    elif request.method == "POST":
        status = 400
    return render_template(
        "auth/verify_phone.html", form=form, resend=resend, phone=row.target, changing=changing
    ), status


@bp.route("/sign-in", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = LoginForm(request.form)
    next_url = request.values.get("next")
    if not isinstance(next_url, str) or not is_safe_next(next_url):
        next_url = None
    if request.method == "POST" and form.validate():
        user = accounts.find_by_login(db, form.login.data)
        if address_blocked():
            add_error(form.login, str(TOO_MANY_FAILURES))
            return render_template("auth/login.html", form=form, next_url=next_url), 429
        if account_blocked(user, form.login.data):
            add_error(form.login, account_paused(user, form.login.data))
            return render_template("auth/login.html", form=form, next_url=next_url), 429
        if not accounts.check_credentials(db, user, form.password.data):
            db.rollback()
            failed(user, form.login.data)
            add_error(form.login, _("The phone number, email or password is wrong"))
        elif not user.is_active:
            db.rollback()
            # Only someone who knows the password learns this.
            add_error(
                form.login,
                _(
                    "This account has been switched off. If you think this is a mistake, "
                    "call %(phone)s.",
                    phone=current_app.config["HOTLINE_PHONE"],
                ),
            )
            return render_template("auth/login.html", form=form, next_url=next_url), 403
        else:
            # The page being read decides the language: signing in on /ru/ stays in Russian,
            # and Russian becomes the stored preference (SMS and email follow it).
            lang = g.get("lang_code")
            if lang in LANGUAGES and user.preferred_locale != lang:
                user.preferred_locale = lang
            accounts.start_session(db, user)
            db.commit()
            _sign_in(user)
            auth_limits().clear("account", account_key(user))
            if needs_consent(user):
                # The privacy notice changed since they agreed: ask again before anything else.
                return redirect(
                    url_for(
                        "auth.consent",
                        lang_code=user.preferred_locale,
                        next=next_url,
                    )
                )
            if next_url:
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


def _current_password_ok(form_field) -> bool:
    """The current-password check of the account page, under the same limits as sign-in."""
    user = current_user._get_current_object()
    if address_blocked() or account_blocked(user):
        g.auth_limited = True
        message = account_paused(user) if account_blocked(user) else str(TOO_MANY_FAILURES)
        add_error(form_field, message)
        return False
    if not accounts.check_credentials(db, user, form_field.data):
        failed(user)
        add_error(form_field, _("The current password is wrong"))
        return False
    return True


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    action = request.form.get("action")
    password_form = PasswordChangeForm(request.form if action == "password" else None)
    password_form.person = current_user
    language_form = LanguageForm(
        request.form if action == "language" else None,
        preferred_locale=current_user.preferred_locale,
    )
    phone_form = None
    if current_user.role == Role.RETURNEE:
        phone_form = PhoneChangeForm(request.form if action == "phone" else None)
    if request.method == "POST":
        if action == "password" and password_form.validate():
            if _current_password_ok(password_form.current_password):
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
        elif action == "phone" and phone_form is not None and phone_form.validate():
            if _current_password_ok(phone_form.current_password):
                response = _change_phone(phone_form)
                if response is not None:
                    return response
    errors = password_form.errors or language_form.errors or (phone_form and phone_form.errors)
    status = 400 if errors else 200
    if g.get("auth_limited"):
        status = 429
    return (
        render_template(
            "auth/account.html",
            password_form=password_form,
            language_form=language_form,
            phone_form=phone_form,
        ),
        status,
    )


def _change_phone(form):
    """A returnee's new phone: proven by a code when SMS exists, else changed at once."""
    user = current_user._get_current_object()
    try:
        if sms_enabled():
            row = recovery.start_phone_change(db, user, form.phone.data, client_address())
        else:
            recovery.change_phone(db, user, form.phone.data)
    except ServiceError as exc:
        db.rollback()
        add_error(form.phone, str(exc.message))
        return None
    db.commit()
    if sms_enabled():
        session["pending_code"] = row.id
        return redirect(url_for("auth.verify_phone"))
    flash(_("Your phone number has been changed."), "success")
    return redirect(url_for("auth.account"))


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
