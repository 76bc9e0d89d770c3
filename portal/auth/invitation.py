"""/<lang>/invitation: a readmitted person claims the invitation sent by SMS."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth import bp
from portal.auth.forms import InvitationCodeForm, InvitationForm
from portal.auth.routes import TOO_MANY_FAILURES, _sign_in
from portal.db import db
from portal.forms import add_error
from portal.i18n import gettext as _
from portal.limits import account_blocked, address_blocked, failed
from portal.services import accounts
from portal.services import readmissions as svc


@bp.route("/invitation", methods=["GET", "POST"])
def invitation():
    if current_user.is_authenticated:
        return _signed_in()
    form = InvitationForm(request.form)
    existing = False
    if request.method == "POST" and form.validate():
        # Wrong codes count like failed sign-ins: per phone and per client address.
        if address_blocked() or account_blocked(login=form.phone.data):
            add_error(form.code, str(TOO_MANY_FAILURES))
            return render_template("auth/invitation.html", form=form, existing=False), 429
        try:
            _case, user = svc.claim_invitation(
                db,
                code=form.code.data,
                phone=form.phone.data,
                password=form.password.data,
                consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                preferred_locale=g.get("lang_code"),
            )
        except accounts.DuplicateAccount as exc:
            db.rollback()
            existing = True
            form.phone.errors.append(str(exc.message))
        except svc.InvitationRefused as exc:
            db.rollback()
            failed(login=form.phone.data)
            getattr(form, exc.field).errors.append(str(exc.message))
        else:
            accounts.start_session(db, user)
            db.commit()
            _sign_in(user)
            flash(
                _("Your account has been created. Check the details we already know."),
                "success",
            )
            return redirect(url_for("returnee.profile", lang_code=user.preferred_locale))
    return render_template(
        "auth/invitation.html", form=form, existing=existing
    ), 400 if form.errors else 200


def _signed_in():
    """A returnee with an account (the invited phone) links the case with the code alone."""
    if not current_user.is_returnee:
        flash(_("Invitations are for returnees. Sign out to claim one."), "info")
        return redirect(url_for("public.home"))
    form = InvitationCodeForm(request.form)
    if request.method == "POST" and form.validate():
        if address_blocked() or account_blocked(current_user):
            add_error(form.code, str(TOO_MANY_FAILURES))
            return render_template("auth/invitation_signed_in.html", form=form), 429
        try:
            svc.claim_for_user(db, current_user._get_current_object(), form.code.data)
        except svc.InvitationRefused as exc:
            db.rollback()
            failed(current_user)
            form.code.errors.append(str(exc.message))
        else:
            db.commit()
            flash(_("Your invitation is linked to your account. Check your details."), "success")
            return redirect(url_for("returnee.profile"))
    return render_template("auth/invitation_signed_in.html", form=form), (
        400 if form.errors else 200
    )
