"""The staff "readmissions" view: cases with filters, the counts of the whole path, one case."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal import inputs
from portal.auth_setup import roles_required
from portal.db import db
from portal.i18n import gettext as _
from portal.models import ApiToken, AssistanceRequest, ReadmissionCase, ReadmissionStatus, Role
from portal.readmissions import bp
from portal.readmissions.forms import ActionForm, PhoneInviteForm
from portal.regions import get_region, region_choices
from portal.services import api_tokens as tokens_svc
from portal.services import readmissions as svc
from portal.services.errors import ServiceError

STAFF = (Role.SOCIAL_WORKER, Role.ADMIN)
PAGE_SIZE = 50
MAX_PAGE = 10_000


def _filters() -> dict:
    """The list's filters from the query string; a value that is not valid is ignored."""
    args = request.args
    out: dict = {}
    status = args.get("status", "")
    if status in {s.value for s in ReadmissionStatus}:
        out["status"] = ReadmissionStatus(status)
    state = args.get("requesting_state", "").upper()
    if state in svc.state_codes():
        out["requesting_state"] = state
    month = svc.month_value(args.get("month"))
    if month is not None:
        out["month"] = month
    region = args.get("region_code", "")
    if region and get_region(region) is not None:
        out["region_code"] = region
    return out


def _args(filters: dict, **extra) -> dict:
    out = {
        "status": filters["status"].value if filters.get("status") else None,
        "requesting_state": filters.get("requesting_state"),
        "month": filters["month"].strftime("%Y-%m") if filters.get("month") else None,
        "region_code": filters.get("region_code"),
        "no_phone": "1" if request.args.get("no_phone") == "1" else None,
    }
    out.update(extra)
    return {k: v for k, v in out.items() if v}


@bp.app_context_processor
def _readmission_helpers():
    """For the triage pages: a returnee's readmission case (the queue reads the cases'
    vulnerabilities in its own query: triage/queue.py)."""

    def readmission_case_of(user_id):
        return svc.case_of(db, user_id)

    return {
        "readmission_case_of": readmission_case_of,
    }


@bp.route("/readmissions/")
@roles_required(*STAFF)
def list_cases():
    """Cases with filters, and the counts from readmission to help."""
    svc.expire_invitations(db)
    db.commit()
    filters = _filters()
    query = svc.filtered_cases(filters)
    no_phone = request.args.get("no_phone") == "1"
    if no_phone:
        query = query.where(ReadmissionCase.phone.is_(None))
    page_text = request.args.get("page", "1")
    page = inputs.whole_number(page_text, 6) or 1
    page = page if page <= MAX_PAGE else 1
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(db.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    svc.record_list_view(db, rows, current_user)
    db.commit()
    funnel = svc.funnel(db, filters)
    states = sorted(
        db.scalars(select(ReadmissionCase.requesting_state).distinct()),
        key=lambda c: svc.state_name(c),
    )
    without_phone = db.scalar(
        select(func.count(ReadmissionCase.id)).where(
            ReadmissionCase.phone.is_(None),
            ReadmissionCase.status.in_([ReadmissionStatus.RECEIVED]),
        )
    )
    return render_template(
        "readmissions/list.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=filters,
        args=_args(filters),
        no_phone=no_phone,
        funnel=funnel,
        states=states,
        regions=region_choices(),
        statuses=list(ReadmissionStatus),
        without_phone=without_phone or 0,
        state_name=svc.state_name,
    )


def _load(case_id: int) -> ReadmissionCase:
    case = db.get(ReadmissionCase, case_id) if 0 < case_id < 2**31 else None
    if case is None or not case.can_view(current_user):
        abort(404)
    return case


@bp.route("/readmissions/<int:case_id>")
@roles_required(*STAFF)
def show_case(case_id: int):
    """One case: what the case system sent, its invitation, and the person's path to help."""
    svc.expire_invitations(db)
    case = _load(case_id)
    return _case_page(case)


def _case_page(case: ReadmissionCase, phone_form: PhoneInviteForm | None = None):
    """The case page (its view recorded); with a phone form sent back with its errors."""
    svc.record_view(db, case, current_user)
    db.commit()
    requests = []
    if case.user_id is not None:
        requests = list(
            db.scalars(
                select(AssistanceRequest)
                .where(AssistanceRequest.owner_id == case.user_id)
                .order_by(AssistanceRequest.created_at)
            )
        )
    can_add_phone = not case.phone and case.status in (
        ReadmissionStatus.RECEIVED,
        ReadmissionStatus.EXPIRED,
    )
    return render_template(
        "readmissions/case.html",
        case=case,
        requests=requests,
        form=ActionForm(),
        phone_form=(phone_form or PhoneInviteForm()) if can_add_phone else None,
        state_name=svc.state_name,
        can_invite=bool(case.phone)
        and case.status in (ReadmissionStatus.INVITED, ReadmissionStatus.EXPIRED),
        can_withdraw=case.status not in (ReadmissionStatus.CLAIMED, ReadmissionStatus.WITHDRAWN),
    ), 400 if phone_form is not None and phone_form.errors else 200


def _case_action(case_id: int, action, done: str):
    """Load the case, check the form, run one service, commit, say what happened (PRG)."""
    case = _load(case_id)
    form = ActionForm(request.form)
    if not form.validate():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for(".show_case", case_id=case.id))
    try:
        action(db, case, current_user)
        db.commit()
    except ServiceError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".show_case", case_id=case.id))


@bp.post("/readmissions/<int:case_id>/invite")
@roles_required(*STAFF)
def invite(case_id: int):
    """Send a new code for an expired or never claimed invitation."""
    return _case_action(case_id, svc.reinvite, _("A new invitation code was sent by SMS."))


@bp.post("/readmissions/<int:case_id>/phone")
@roles_required(*STAFF)
def invite_with_phone(case_id: int):
    """A case without a phone: the number the person gave, and the SMS code sent to it."""
    case = _load(case_id)
    form = PhoneInviteForm(request.form)
    if not form.validate():
        return _case_page(case, form)
    try:
        code = svc.invite_with_phone(db, case, current_user, form.phone.data)
        db.commit()
    except svc.InvalidCase as exc:
        db.rollback()
        form.phone.errors = [str(exc.message)]
        return _case_page(db.get(ReadmissionCase, case_id), form)
    except ServiceError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(
            _(
                "The invitation was sent by SMS. Its code is %(code)s: you may also tell it "
                "to the person.",
                code=svc.display_code(code),
            ),
            "success",
        )
    return redirect(url_for(".show_case", case_id=case_id))


@bp.post("/readmissions/<int:case_id>/withdraw")
@roles_required(*STAFF)
def withdraw(case_id: int):
    """The case will not happen (not claimed): its invitation stops working."""
    return _case_action(case_id, svc.withdraw_case, _("The case was withdrawn."))


# --- the readmission API tokens (administrators) --------------------------------------------------


@bp.route("/admin/readmission-tokens")
@roles_required(Role.ADMIN)
def tokens():
    rows = list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.kind == ApiToken.KIND_READMISSION)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )
    return render_template("readmissions/tokens.html", tokens=rows, form=ActionForm())


@bp.post("/admin/readmission-tokens/<int:token_id>/revoke")
@roles_required(Role.ADMIN)
def revoke_token(token_id: int):
    token = db.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None or token.kind != ApiToken.KIND_READMISSION:
        abort(404)
    form = ActionForm(request.form)
    if not form.validate():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for(".tokens"))
    tokens_svc.revoke_api_token(db, token, current_user)
    db.commit()
    flash(_("The token was revoked: the case management system can no longer use it."), "success")
    return redirect(url_for(".tokens"))
