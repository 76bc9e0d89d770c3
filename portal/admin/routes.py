"""Partner organisations: administrators manage them, social workers may look."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.admin import bp
from portal.admin.forms import PartnerForm, StaffAccountForm
from portal.auth_setup import roles_required
from portal.db import db
from portal.i18n import gettext as _
from portal.models import (
    Category,
    PartnerOrganisation,
    Referral,
    Role,
    User,
)
from portal.phones import normalise_phone
from portal.regions import ALL_REGIONS, region_choices
from portal.services.accounts import create_user
from portal.services.errors import ServiceError
from portal.services.routing import OPEN_REFERRAL
from portal.services.triage import save_partner

STAFF = (Role.SOCIAL_WORKER, Role.ADMIN)


def _open_referrals():
    return (
        select(func.count(Referral.id))
        .where(Referral.partner_id == PartnerOrganisation.id, Referral.status.in_(OPEN_REFERRAL))
        .correlate(PartnerOrganisation)
        .scalar_subquery()
    )


def _form_context(form: PartnerForm) -> dict:
    return {
        "form": form,
        "categories": list(Category),
        "regions": region_choices(),
        "ALL_REGIONS": ALL_REGIONS,
    }


def _values(form: PartnerForm) -> dict:
    return {
        "name_az": form.name_az.data.strip(),
        "name_ru": form.name_ru.data.strip(),
        "name_en": form.name_en.data.strip(),
        "kind": form.kind.data,
        "contact_person": (form.contact_person.data or "").strip() or None,
        "phone": normalise_phone(form.phone.data) if form.phone.data else None,
        "email": (form.email.data or "").strip().lower() or None,
        "capacity": form.capacity.data,
        "is_active": bool(form.is_active.data),
    }


def _load_partner(partner_id: int) -> PartnerOrganisation:
    partner = db.scalar(
        select(PartnerOrganisation)
        .where(PartnerOrganisation.id == partner_id)
        .options(
            selectinload(PartnerOrganisation.coverage), selectinload(PartnerOrganisation.staff)
        )
    )
    if partner is None:
        abort(404)
    return partner


@bp.route("/")
@roles_required(*STAFF)
def index():
    return redirect(url_for(".partners"))


@bp.route("/partners/")
@roles_required(*STAFF)
def partners():
    """Every partner organisation with its coverage and load."""
    rows = db.execute(
        select(PartnerOrganisation, _open_referrals())
        .options(selectinload(PartnerOrganisation.coverage))
        .order_by(PartnerOrganisation.is_active.desc(), PartnerOrganisation.name_en)
    ).all()
    return render_template("admin/partners.html", rows=rows)


@bp.route("/partners/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_partner():
    form = PartnerForm(
        request.form if request.method == "POST" else None,
        data={"is_active": True, "capacity": 10},
    )
    if request.method == "POST" and form.validate():
        try:
            partner = save_partner(db, current_user, _values(form), form.coverage.pairs())
            db.commit()
        except ServiceError as exc:
            db.rollback()
            form.coverage.errors = [*form.coverage.errors, str(exc.message)]
        else:
            flash(_("The partner organisation was created."), "success")
            return redirect(url_for(".show_partner", partner_id=partner.id))
    code = 400 if request.method == "POST" else 200
    return render_template("admin/partner_form.html", partner=None, **_form_context(form)), code


@bp.route("/partners/<int:partner_id>")
@roles_required(*STAFF)
def show_partner(partner_id: int):
    return _show_partner(_load_partner(partner_id))


def _show_partner(partner, staff_form=None, code=200):
    open_referrals = db.scalar(
        select(func.count(Referral.id)).where(
            Referral.partner_id == partner.id, Referral.status.in_(OPEN_REFERRAL)
        )
    )
    if staff_form is None and current_user.is_admin:
        staff_form = StaffAccountForm()
    return render_template(
        "admin/partner.html",
        partner=partner,
        open_referrals=open_referrals or 0,
        staff_form=staff_form,
        categories=list(Category),
        ALL_REGIONS=ALL_REGIONS,
        api_tokens_url=(
            url_for("partner.api_tokens", partner_id=partner.id)
            if "partner.api_tokens" in current_app.view_functions
            else None
        ),
    ), code


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_partner(partner_id: int):
    partner = _load_partner(partner_id)
    form = PartnerForm(
        request.form if request.method == "POST" else None,
        obj=partner,
    )
    if request.method == "POST" and form.validate():
        try:
            save_partner(db, current_user, _values(form), form.coverage.pairs(), partner)
            db.commit()
        except ServiceError as exc:
            db.rollback()
            form.coverage.errors = [*form.coverage.errors, str(exc.message)]
        else:
            flash(_("The changes were saved."), "success")
            return redirect(url_for(".show_partner", partner_id=partner.id))
    code = 400 if request.method == "POST" else 200
    return render_template("admin/partner_form.html", partner=partner, **_form_context(form)), code


@bp.post("/partners/<int:partner_id>/staff")
@roles_required(Role.ADMIN)
def create_partner_staff(partner_id: int):
    """An administrator opens an account for a member of the organisation's staff."""
    partner = _load_partner(partner_id)
    form = StaffAccountForm(request.form)
    if form.validate():
        try:
            user = create_user(
                db,
                role=Role.PARTNER,
                full_name=form.full_name.data,
                password=form.password.data,
                email=form.email.data,
                phone=form.phone.data or None,
                preferred_locale=form.preferred_locale.data,
                partner_id=partner.id,
                is_partner_lead=bool(form.is_partner_lead.data),
                actor=current_user,
            )
            db.commit()
        except ServiceError as exc:
            db.rollback()
            phone = normalise_phone(form.phone.data) if form.phone.data else None
            taken = phone and db.scalar(select(User.id).where(User.phone == phone))
            target = form.phone if taken else form.email
            target.errors = [*target.errors, str(exc.message)]
        else:
            flash(
                _("The account of %(name)s was created.", name=user.full_name),
                "success",
            )
            return redirect(url_for(".show_partner", partner_id=partner.id))
    partner = _load_partner(partner_id)
    return _show_partner(partner, staff_form=form, code=400)
