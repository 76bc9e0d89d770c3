"""The partner workspace: the organisation's inbox, one referral, its actions, API tokens."""

from __future__ import annotations

import math

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select

from portal import inputs
from portal.answers import answer_rows
from portal.auth_setup import roles_required
from portal.db import db, utcnow
from portal.forms import submitted_version
from portal.i18n import LANGUAGES
from portal.i18n import gettext as _
from portal.models import (
    ApiToken,
    AssistanceRequest,
    ContactPreference,
    PartnerOrganisation,
    Referral,
    ReferralStatus,
    Role,
)
from portal.models.enums import AssistanceKind
from portal.partner import bp
from portal.partner.forms import (
    AcceptForm,
    AssistanceForm,
    CompleteForm,
    DeclineForm,
    RevokeForm,
    TokenForm,
    UpdateForm,
)
from portal.phones import display_phone
from portal.services import api_tokens as tokens_svc
from portal.services import audit
from portal.services import referrals as svc
from portal.services.errors import PermissionDenied, ServiceError, StaleRequest

MAX_ID = 2**31 - 1  # larger ids cannot exist (and SQLite cannot bind them)

# Inbox order: what waits for an answer first, then work in hand, then the past.
STATUS_ORDER = [
    ReferralStatus.PENDING,
    ReferralStatus.ACCEPTED,
    ReferralStatus.COMPLETED,
    ReferralStatus.DECLINED,
    ReferralStatus.CANCELLED,
]

# Service field names -> the field names of the page's forms.
FORM_FIELDS = {"note": "decline_note", "body": "update_body"}


def _load_referral(referral_id: int) -> Referral:
    """The referral if it was sent to the user's organisation; 404 otherwise (no hint)."""
    referral = db.get(Referral, referral_id) if 0 < referral_id <= MAX_ID else None
    if not svc.partner_can_view(referral, current_user):
        abort(404)
    assert referral is not None
    return referral


@bp.route("/")
@roles_required(Role.PARTNER)
def inbox():
    """The organisation's referrals: pending first, then by priority and age; status filter."""
    partner_id = current_user.partner_id
    counts = {status: 0 for status in STATUS_ORDER}
    rows = db.execute(
        select(Referral.status, func.count())
        .where(Referral.partner_id == partner_id)
        .group_by(Referral.status)
    ).all()
    counts.update({status: n for status, n in rows})

    status = None
    if request.args.get("status"):
        try:
            status = ReferralStatus(request.args["status"])
        except ValueError:
            status = None
    total = sum(counts.values()) if status is None else counts[status]
    page_size = current_app.config["PAGE_SIZE"]
    pages = max(1, math.ceil(total / page_size))
    page = request.args.get("page", "1")
    page = min(max(inputs.whole_number(page, 6) or 1, 1), pages)

    order = case(
        *((Referral.status == s, i) for i, s in enumerate(STATUS_ORDER)), else_=len(STATUS_ORDER)
    )
    query = (
        select(Referral, AssistanceRequest)
        .join(AssistanceRequest, AssistanceRequest.id == Referral.request_id)
        .where(Referral.partner_id == partner_id)
    )
    if status is not None:
        query = query.where(Referral.status == status)
    query = (
        query.order_by(
            order,
            AssistanceRequest.priority_rank.desc(),
            Referral.created_at,
            Referral.id,
        )
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    items = db.execute(query).all()
    # Each row tells the organisation about one returnee's request (the same fields as the
    # API's list, which is recorded too): a view of their data, one INSERT for the page.
    if items:
        audit.record_views(
            db,
            current_user,
            referrals=[referral for referral, _req in items],
            kind=audit.VIEW_REFERRAL,
            data={"list": True},
            once_per=audit.LIST_VIEW_ONCE_PER,
        )
        db.commit()
    return render_template(
        "partner/inbox.html",
        items=items,
        counts=counts,
        status=status,
        statuses=STATUS_ORDER,
        page=page,
        pages=pages,
        total=total,
        now=utcnow(),
    )


def _contact_rows(referral: Referral) -> list[tuple[str, str, str | None]]:
    """(label, value, link) of the way the returnee chose to be contacted."""
    contact = svc.contact_for_partner(referral)
    if contact is None:
        return []
    rows: list[tuple[str, str, str | None]] = []
    preference = contact["preference"]
    if preference is not None:
        rows.append((_("Preferred contact"), preference.label, None))
    if contact["email"]:
        rows.append((_("Email"), contact["email"], f"mailto:{contact['email']}"))
    if contact["phone"]:
        scheme = "sms" if preference == ContactPreference.SMS else "tel"
        phone = contact["phone"]
        rows.append((_("Phone"), display_phone(phone), f"{scheme}:{phone}"))
    language = contact["language"]
    rows.append((_("Language"), LANGUAGES.get(language, language), None))
    return rows


def _render_referral(referral: Referral, status_code: int = 200, error: str | None = None, **forms):
    req = referral.request
    access = svc.partner_access(referral)
    live = access == svc.PartnerAccess.ACTIVE
    kinds = AssistanceKind.for_category(req.category)
    version = str(req.version)
    accept_form = forms.get("accept_form") or AcceptForm(version=version)
    decline_form = forms.get("decline_form") or DeclineForm(version=version)
    update_form = forms.get("update_form") or UpdateForm()
    assist_form = forms.get("assist_form") or AssistanceForm(kinds=kinds, version=version)
    complete_form = forms.get("complete_form") or CompleteForm(version=version)
    for form in (accept_form, decline_form, assist_form, complete_form):
        form.version.data = version  # the freshest version, so a retry can go through
    records = svc.assistance_of(db, referral)
    page = (
        render_template(
            "partner/referral.html",
            referral=referral,
            req=req,
            live=live,
            access=access.value,
            is_current=req.open_referral is referral,
            contact=_contact_rows(referral) if live else [],
            answers=answer_rows(req.category, req.answers) if live else [],
            messages=svc.messages_for_partner(db, referral) if live else [],
            updates=svc.updates_of(db, referral),
            records=[(r, _kind_label(r.kind)) for r in records],
            accept_form=accept_form,
            decline_form=decline_form,
            update_form=update_form,
            assist_form=assist_form,
            complete_form=complete_form,
            error=error,
        ),
        status_code,
    )
    # Every time the page is shown (opened, or shown again after a refused action) the
    # returnee's data on it is seen: a view. Anything the action changed was rolled back.
    audit.record_view(
        db, current_user, referral=referral, kind=audit.VIEW_REFERRAL, data={"access": access.value}
    )
    db.commit()
    return page


def _kind_label(value: str) -> str:
    try:
        return AssistanceKind(value).label
    except ValueError:
        return value


@bp.route("/referrals/<int:referral_id>")
@roles_required(Role.PARTNER)
def show_referral(referral_id: int):
    referral = _load_referral(referral_id)
    return _render_referral(referral)


def _refused(referral: Referral, exc: ServiceError, form, form_key: str):
    """Put a refused operation's message by its field, or above the page for a conflict."""
    db.rollback()
    db.refresh(referral)
    field_name = getattr(exc, "field", None)
    field_name = FORM_FIELDS.get(field_name, field_name)
    if field_name and field_name in form._fields:
        form[field_name].errors = [*form[field_name].errors, str(exc.message)]
        return _render_referral(referral, 400, **{form_key: form})
    status = 409 if not isinstance(exc, PermissionDenied) else 403
    if isinstance(exc, StaleRequest):
        status = 409
    return _render_referral(referral, status, error=str(exc.message), **{form_key: form})


def _done(referral: Referral, message: str):
    db.commit()
    flash(message, "success")
    return redirect(url_for("partner.show_referral", referral_id=referral.id), 303)


@bp.route("/referrals/<int:referral_id>/accept", methods=["POST"])
@roles_required(Role.PARTNER)
def accept_referral(referral_id: int):
    referral = _load_referral(referral_id)
    form = AcceptForm(request.form)
    if not form.validate():
        return _render_referral(referral, 400, error=_("Please send the form again."))
    try:
        svc.accept_referral(
            db,
            referral.request,
            current_user,
            referral=referral,
            expected_version=submitted_version(form.version.data),
        )
    except ServiceError as exc:
        return _refused(referral, exc, form, "accept_form")
    return _done(referral, _("You accepted the referral. The returnee has been told."))


@bp.route("/referrals/<int:referral_id>/decline", methods=["POST"])
@roles_required(Role.PARTNER)
def decline_referral(referral_id: int):
    referral = _load_referral(referral_id)
    form = DeclineForm(request.form)
    if not form.validate():
        return _render_referral(referral, 400, decline_form=form)
    try:
        svc.decline_referral(
            db,
            referral.request,
            current_user,
            form.reason.data,
            form.decline_note.data,
            referral=referral,
            expected_version=submitted_version(form.version.data),
        )
    except ServiceError as exc:
        return _refused(referral, exc, form, "decline_form")
    return _done(referral, _("You declined the referral. It is back with the social worker."))


@bp.route("/referrals/<int:referral_id>/updates", methods=["POST"])
@roles_required(Role.PARTNER)
def add_update(referral_id: int):
    referral = _load_referral(referral_id)
    form = UpdateForm(request.form)
    if not form.validate():
        return _render_referral(referral, 400, update_form=form)
    try:
        svc.add_referral_update(db, referral, current_user, form.update_body.data)
    except ServiceError as exc:
        return _refused(referral, exc, form, "update_form")
    return _done(referral, _("Your update has been added."))


@bp.route("/referrals/<int:referral_id>/assistance", methods=["POST"])
@roles_required(Role.PARTNER)
def record_assistance(referral_id: int):
    referral = _load_referral(referral_id)
    kinds = AssistanceKind.for_category(referral.request.category)
    form = AssistanceForm(request.form, kinds=kinds)
    if not form.validate():
        return _render_referral(referral, 400, assist_form=form)
    try:
        svc.record_assistance(
            db,
            referral.request,
            current_user,
            kind=form.kind.data,
            given_on=form.given_date,
            description=form.description.data,
            amount_azn=form.amount_value,
            units=form.units_value,
            referral=referral,
            expected_version=submitted_version(form.version.data),
        )
    except ServiceError as exc:
        return _refused(referral, exc, form, "assist_form")
    return _done(
        referral,
        _("The assistance has been recorded. Add more, or mark the referral complete."),
    )


@bp.route("/referrals/<int:referral_id>/complete", methods=["POST"])
@roles_required(Role.PARTNER)
def complete_referral(referral_id: int):
    referral = _load_referral(referral_id)
    form = CompleteForm(request.form)
    if not form.validate():
        return _render_referral(referral, 400, complete_form=form)
    try:
        svc.complete_referral(
            db,
            referral.request,
            current_user,
            form.outcome.data,
            referral=referral,
            expected_version=submitted_version(form.version.data),
        )
    except ServiceError as exc:
        return _refused(referral, exc, form, "complete_form")
    return _done(referral, _("The referral is completed. Thank you."))


# --- API tokens ---------------------------------------------------------------------------------


def _load_partner_for_tokens(partner_id: int) -> PartnerOrganisation:
    """Admins: any organisation. Lead staff: their own. Other organisations: 404."""
    partner = db.get(PartnerOrganisation, partner_id) if 0 < partner_id <= MAX_ID else None
    if partner is None:
        abort(404)
    if current_user.is_partner and current_user.partner_id != partner.id:
        abort(404)
    if not tokens_svc.can_manage_tokens(current_user, partner.id):
        abort(403)
    return partner


def _render_tokens(partner, form, status_code=200, new_token=None):
    tokens = db.scalars(
        select(ApiToken)
        .where(ApiToken.partner_id == partner.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
    ).all()
    return (
        render_template(
            "partner/api_tokens.html",
            partner=partner,
            tokens=tokens,
            form=form,
            revoke_form=RevokeForm(),
            new_token=new_token,
        ),
        status_code,
    )


@bp.route("/organisations/<int:partner_id>/tokens", methods=["GET", "POST"])
@roles_required(Role.PARTNER, Role.ADMIN)
def api_tokens(partner_id: int):
    partner = _load_partner_for_tokens(partner_id)
    form = TokenForm(request.form)
    if request.method == "POST":
        if not form.validate():
            return _render_tokens(partner, form, 400)
        try:
            token, raw = tokens_svc.create_api_token(db, partner, current_user, form.name.data)
        except ServiceError as exc:
            db.rollback()
            form.name.errors = [str(exc.message)]
            return _render_tokens(partner, form, 400)
        db.commit()
        # Shown in this response only; never stored, flashed or put in a cookie.
        return _render_tokens(partner, TokenForm(), 201, new_token=(token, raw))
    return _render_tokens(partner, form)


@bp.route("/organisations/<int:partner_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(Role.PARTNER, Role.ADMIN)
def revoke_api_token(partner_id: int, token_id: int):
    partner = _load_partner_for_tokens(partner_id)
    token = db.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None or token.partner_id != partner.id:
        abort(404)
    form = RevokeForm(request.form)
    if not form.validate():
        return _render_tokens(partner, TokenForm(), 400)
    tokens_svc.revoke_api_token(db, token, current_user)
    db.commit()
    flash(_("The token %(prefix)s… has been revoked.", prefix=token.prefix), "success")
    return redirect(url_for("partner.api_tokens", partner_id=partner.id), 303)
