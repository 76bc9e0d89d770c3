"""Password help for a returnee on the phone (social workers), and account management
(administrators for everyone, partner leads for their own organisation's staff)."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from portal import inputs
from portal.admin import bp
from portal.admin.account_forms import (
    AccountCreateForm,
    AccountEditForm,
    AccountFilterForm,
    ActionForm,
    FindReturneeForm,
    IssueCodeForm,
)
from portal.auth_setup import roles_required
from portal.db import db
from portal.extensions import login_manager
from portal.forms import add_error
from portal.i18n import gettext as _
from portal.models import AssistanceRequest, PartnerOrganisation, Role, User, UserSession
from portal.phones import normalise_phone
from portal.services import audit, recovery, staff
from portal.services.accounts import DuplicateAccount
from portal.services.errors import ServiceError
from portal.services.verification import email_enabled


@bp.route("/password-help", methods=["GET", "POST"])
@roles_required(Role.SOCIAL_WORKER, Role.ADMIN)
def password_help():
    """A returnee who lost the phone calls: find the account, check identity, read out a code."""
    g.no_store = True
    action = request.form.get("action")
    find = FindReturneeForm(request.form if action == "find" else None)
    issue = IssueCodeForm(request.form if action == "issue" else None)
    returnee = None
    status = 200
    if request.method == "POST" and action == "find":
        if find.validate():
            returnee = _returnee_by_phone(normalise_phone(find.phone.data))
            if returnee is None:
                add_error(find.phone, _("No returnee account has this phone number."))
                status = 404
            else:
                issue.user_id.data = str(returnee.id)
                # The page shows who has the number: a search that found them.
                audit.record_view(
                    db,
                    current_user,
                    returnee=returnee,
                    kind=audit.VIEW_SEARCH,
                    data={"search": "password_help"},
                )
                db.commit()
        else:
            status = 400
    elif request.method == "POST" and action == "issue":
        returnee = _returnee_by_id(issue.user_id.data)
        if returnee is None:
            abort(404)
        if issue.validate():
            try:
                code = recovery.issue_assisted_code(db, current_user, returnee)
            except ServiceError as exc:
                db.rollback()
                add_error(issue.confirmed, exc.message)
                status = 400
            else:
                db.commit()
                # Shown once, on this response only: never stored in clear, never redirected.
                return render_template(
                    "admin/password_help_code.html", returnee=returnee, code=code
                )
        else:
            status = 400
    elif request.method == "POST":
        status = 400
    requests_count = 0
    if returnee is not None:
        requests_count = db.scalar(
            select(func.count(AssistanceRequest.id)).where(
                AssistanceRequest.owner_id == returnee.id
            )
        )
    return render_template(
        "admin/password_help.html",
        find=find,
        issue=issue,
        returnee=returnee,
        requests_count=requests_count,
    ), status


def _returnee_by_phone(phone: str | None) -> User | None:
    if phone is None:
        return None
    return db.scalar(select(User).where(User.phone == phone, User.role == Role.RETURNEE))


def _returnee_by_id(value) -> User | None:
    user_id = inputs.whole_number(value)
    if user_id is None:
        return None
    user = db.get(User, user_id)
    return user if user is not None and user.role == Role.RETURNEE else None


# --- account management ------------------------------------------------------------------------

MAX_ID = 2**31 - 1


def managers_only(view):
    """Administrators and partner leads; everyone else gets 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.can_manage_accounts:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _load_account(user_id: int) -> User:
    """The account, if this manager may manage it; 404 otherwise (others' staff stay unknown)."""
    user = db.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or not user.can_be_managed_by(current_user):
        abort(404)
    return user


def _role_choices():
    roles = [Role.PARTNER] if current_user.role == Role.PARTNER else list(Role)
    return [SelectChoice("", _("Any role"))] + Role.choices(roles)


def _partner_choices(blank: str):
    partners = db.scalars(select(PartnerOrganisation).order_by(PartnerOrganisation.name_en)).all()
    return [SelectChoice("", blank)] + [SelectChoice(str(p.id), p.name()) for p in partners]


@bp.route("/accounts/")
@managers_only
def accounts():
    """Every account (administrators) or the organisation's staff (partner leads)."""
    form = AccountFilterForm(request.args)
    form.role.choices = _role_choices()
    form.partner.choices = _partner_choices(_("Any organisation"))
    form.active.choices = [
        SelectChoice("", _("Active or not")),
        SelectChoice("yes", _("Active")),
        SelectChoice("no", _("Switched off")),
    ]
    query = select(User).options(selectinload(User.partner))
    if current_user.role == Role.PARTNER:
        query = query.where(User.role == Role.PARTNER, User.partner_id == current_user.partner_id)
    valid = form.validate()
    if valid:
        q = (form.q.data or "").strip()
        if q:
            like = f"%{q.lower()}%"
            conditions = [func.lower(User.full_name).like(like), User.email.like(like)]
            phone = normalise_phone(q)
            if phone:
                conditions.append(User.phone == phone)
            query = query.where(or_(*conditions))
        if form.role.data:
            query = query.where(User.role == Role(form.role.data))
        if form.partner.data and current_user.role == Role.ADMIN:
            query = query.where(User.partner_id == int(form.partner.data))
        if form.active.data:
            query = query.where(User.is_active.is_(form.active.data == "yes"))
    page_size = current_app.config["PAGE_SIZE"]
    page_text = request.args.get("page", "1")
    page = inputs.whole_number(page_text, 5) or 1
    total = db.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.scalars(
        query.order_by(User.full_name, User.id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    if valid and (form.q.data or "").strip():
        # Returnees a search found: their names and numbers are on the page.
        found = [{"returnee": u, "kind": audit.VIEW_SEARCH} for u in rows if u.is_returnee]
        if found:
            audit.record_views_together(db, current_user, found)
            db.commit()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/accounts.html",
        form=form,
        rows=rows,
        total=total or 0,
        page=page,
        pages=max(1, -(-(total or 0) // page_size)),
        args=args,
    ), (200 if valid else 400)


@bp.route("/accounts/new", methods=["GET", "POST"])
@managers_only
def new_account():
    lead = current_user.role == Role.PARTNER
    form = AccountCreateForm(request.form if request.method == "POST" else None)
    staff_roles = [Role.PARTNER] if lead else [Role.SOCIAL_WORKER, Role.ADMIN, Role.PARTNER]
    form.role.choices = Role.choices(staff_roles)
    form.partner_id.choices = _partner_choices(_("Choose an organisation"))
    if lead:
        form.partner_id.data = str(current_user.partner_id)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            role = Role(form.role.data)
            partner_id = int(form.partner_id.data) if form.partner_id.data else None
            if role == Role.PARTNER and partner_id is None:
                add_error(form.partner_id, _("Choose the organisation of this person."))
            else:
                try:
                    user = staff.create_staff(
                        db,
                        current_user,
                        role=role,
                        full_name=form.full_name.data,
                        email=form.email.data,
                        password=form.password.data,
                        preferred_locale=form.preferred_locale.data,
                        partner_id=partner_id,
                        is_partner_lead=bool(form.is_partner_lead.data),
                        phone=form.phone.data or None,
                    )
                except DuplicateAccount as exc:
                    db.rollback()
                    taken_phone = "phone" in str(exc.message)
                    add_error(form.phone if taken_phone else form.email, exc.message)
                except ServiceError as exc:
                    db.rollback()
                    add_error(form.email, exc.message)
                else:
                    db.commit()
                    flash(_("The account of %(name)s was created.", name=user.full_name), "success")
                    return redirect(url_for(".show_account", user_id=user.id))
    return render_template("admin/account_new.html", form=form, lead=lead), status


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@managers_only
def show_account(user_id: int):
    user = _load_account(user_id)
    form = AccountEditForm(request.form if request.method == "POST" else None, obj=user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                changed = staff.update_account(
                    db,
                    current_user,
                    user,
                    full_name=form.full_name.data,
                    email=form.email.data,
                    preferred_locale=form.preferred_locale.data,
                    is_partner_lead=bool(form.is_partner_lead.data),
                )
            except ServiceError as exc:
                db.rollback()
                add_error(form.email, exc.message)
            else:
                db.commit()
                if changed:
                    flash(_("The changes were saved."), "success")
                return redirect(url_for(".show_account", user_id=user.id))
    sessions = db.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == user.id))
    if user.is_returnee:
        # A returnee's account page shows their name, phone and email.
        audit.record_view(db, current_user, returnee=user, kind=audit.VIEW_ACCOUNT)
        db.commit()
    return render_template(
        "admin/account.html",
        account=user,
        form=form,
        action_form=ActionForm(),
        sessions=sessions or 0,
        emails=email_enabled(),
    ), status


ACTIONS = {
    "deactivate": _l("The account was switched off and every session of it ended."),
    "reactivate": _l("The account was switched on again."),
    "sign-out": _l("Every session of this account was ended."),
}


@bp.post("/accounts/<int:user_id>/<any(deactivate, reactivate, 'sign-out', reset):action>")
@managers_only
def account_action(user_id: int, action: str):
    user = _load_account(user_id)
    form = ActionForm(request.form)
    if not form.validate():
        return render_template("errors/csrf.html", form=ActionForm()), 400
    token = None
    try:
        if action in ("deactivate", "reactivate"):
            staff.set_active(db, current_user, user, action == "reactivate")
        elif action == "sign-out":
            staff.sign_out_everywhere(db, current_user, user)
        else:
            token = staff.start_reset(db, current_user, user)
    except ServiceError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        db.commit()
        if action == "reset" and token is not None:
            # No email can carry it: shown once, on this response only (never stored in clear,
            # never redirected), in the language of the person who will open it.
            g.no_store = True
            link = url_for(
                "auth.reset_link", token=token, lang_code=user.preferred_locale, _external=True
            )
            return render_template("admin/account_reset_link.html", account=user, link=link)
        if action == "reset":
            message = _("A link to choose a new password was sent to %(email)s.", email=user.email)
        else:
            message = str(ACTIONS[action])
        flash(message, "success")
    return redirect(url_for(".show_account", user_id=user.id))
