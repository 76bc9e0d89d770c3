"""The returnee's rights over their data: see it, download it, delete the account, withdraw consent.

No URL here names a person or a record: each page works on the signed-in returnee only, so there
is nothing to change in a URL to reach someone else's data.
"""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user, logout_user

from portal.auth_setup import roles_required
from portal.db import db
from portal.i18n import gettext as _
from portal.models import Role
from portal.passwords import verify_password
from portal.returnee import bp
from portal.returnee import forms as f
from portal.services import audit, data_rights

# These stay open to a returnee who has not agreed to the current privacy notice.
ENDPOINTS = {"returnee.my_data", "returnee.my_data_json", "returnee.delete_account"}


def _me():
    return current_user._get_current_object()


@bp.route("/data")
@roles_required(Role.RETURNEE)
def my_data():
    me = _me()
    data = data_rights.export_data(db, me)
    # Everyone who saw their data, whether through a request or not (an account page, a
    # search, an export): organisations and roles only.
    return render_template(
        "returnee/my_data.html", data=data, seen_by=audit.seen_by(db, me.id), seen_by_all=True
    )


@bp.route("/data.json")
@roles_required(Role.RETURNEE)
def my_data_json():
    data = data_rights.export_data(db, _me())
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


@bp.route("/delete", methods=["GET", "POST"])
@roles_required(Role.RETURNEE)
def delete_account():
    """Delete the account; ?why=consent is the same act, explained as withdrawing consent."""
    withdrawing = request.values.get("why") == "consent"
    me = _me()
    form = f.DeleteAccountForm(request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        if not verify_password(me.password_hash, form.password.data):
            form.password.errors.append(_("The password is wrong"))
        else:
            data_rights.delete_account(
                db,
                me,
                reason=data_rights.DeletionReason.CONSENT_WITHDRAWN
                if withdrawing
                else data_rights.DeletionReason.DELETED,
            )
            db.commit()
            lang = str(get_locale() or "az")
            logout_user()
            session.clear()
            flash(
                _("You withdrew your consent. Your account and your personal data are deleted.")
                if withdrawing
                else _("Your account and your personal data are deleted."),
                "success",
            )
            return redirect(url_for("public.home", lang_code=lang))
    open_requests = [r for r in data_rights._own_requests(db, me) if r.status.is_open]
    return render_template(
        "returnee/delete_account.html",
        form=form,
        withdrawing=withdrawing,
        open_requests=open_requests,
    ), (400 if form.errors else 200)
