"""The returnee's own pages: my requests, profile, ask for help, one request.

Thin views: load the object or 404, check the permission predicate, validate, call one
service, commit once, redirect (post/redirect/get).
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.answers import answer_items
from portal.auth.consent import needs_consent
from portal.auth_setup import roles_required
from portal.db import db, utcnow
from portal.forms import submitted_version
from portal.i18n import gettext as _
from portal.models import (
    AssistanceRequest,
    Category,
    Event,
    HelpConfirmation,
    Message,
    MessageVisibility,
    PartnerOrganisation,
    Priority,
    Referral,
    RequestStatus,
    Role,
    Urgency,
)
from portal.models.request import normalise_reference
from portal.returnee import bp
from portal.returnee import forms as f
from portal.returnee import steps as st
from portal.returnee.status_text import event_text, status_text, status_tone, what_happens_next
from portal.services import audit, confirmations, drafts, followups
from portal.services import requests as svc
from portal.services.errors import ServiceError, StaleRequest
from portal.services.returnees import update_profile
from portal.services.workflow import can_transition


def _me():
    return current_user._get_current_object()


@bp.before_request
def _ask_consent_again():
    """A returnee who has not agreed to the current privacy notice sees nothing else first."""
    from portal.returnee.rights import ENDPOINTS

    if needs_consent(current_user) and request.endpoint not in ENDPOINTS:
        return redirect(url_for("auth.consent", next=request.full_path.rstrip("?")))
    return None


# --- my requests ---------------------------------------------------------------------------


@bp.route("/")
@roles_required(Role.RETURNEE)
def home():
    requests = db.scalars(
        select(AssistanceRequest)
        .where(AssistanceRequest.owner_id == current_user.id)
        .options(selectinload(AssistanceRequest.referrals).selectinload(Referral.partner))
        .order_by(AssistanceRequest.created_at.desc(), AssistanceRequest.id.desc())
    ).all()
    return render_template(
        "returnee/home.html",
        requests=requests,
        profile=current_user.profile,
        draft=drafts.get_draft(db, _me()),
        followups=followups.open_followups(db, _me()),
        status_text=status_text,
        status_tone=status_tone,
    )


# --- profile -------------------------------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@roles_required(Role.RETURNEE)
def profile():
    p = current_user.profile
    first_time = not (p and p.is_complete)
    after = request.values.get("next") if request.values.get("next") == "ask" else ""
    if request.method == "POST":
        form = f.ProfileForm(request.form)
    else:
        form = f.ProfileForm(
            region_code=p.region_code if p else None,
            return_date=p.return_date if p else None,
            country_returned_from=p.country_returned_from if p else None,
            household_size=p.household_size if p else None,
            vulnerabilities=list(p.vulnerabilities or []) if p else [],
            contact_preference=p.contact_preference.value if p and p.contact_preference else None,
            preferred_locale=current_user.preferred_locale,
            next=after,
        )
    if request.method == "POST" and form.validate():
        update_profile(
            db,
            _me(),
            region_code=form.region_code.data,
            return_date=form.return_date.data,
            country_returned_from=form.country_returned_from.data,
            household_size=form.household_size.data,
            vulnerabilities=form.vulnerabilities.data,
            contact_preference=form.contact_preference.data,
            preferred_locale=form.preferred_locale.data,
        )
        db.commit()
        flash(_("Your details have been saved."), "success")
        lang = current_user.preferred_locale
        # "Save and continue" the first time goes on to asking for help, as when they came
        # from there.
        if after == "ask" or first_time:
            return redirect(url_for("returnee.ask", lang_code=lang))
        return redirect(url_for("returnee.home", lang_code=lang))
    return render_template("returnee/profile.html", form=form, first_time=first_time), (
        400 if form.errors else 200
    )


# --- ask for help ----------------------------------------------------------------------------


def _step_url(step: st.Step | None, **kw) -> str:
    if step is None:
        return url_for("returnee.check_answers", **kw)
    return url_for("returnee.ask_step", slug=step.slug, **kw)


def _profile_ready() -> bool:
    p = current_user.profile
    return bool(p and p.is_complete and p.region_code)


@bp.route("/ask/")
@roles_required(Role.RETURNEE)
def ask():
    """Start, or go on from the first page not answered yet."""
    if not _profile_ready():
        flash(_("Before you ask for help, tell us a little about yourself."), "info")
        return redirect(url_for("returnee.profile", next="ask"))
    return redirect(_step_url(st.first_missing(drafts.get_draft(db, _me()))))


@bp.route("/ask/<slug>", methods=["GET", "POST"])
@roles_required(Role.RETURNEE)
def ask_step(slug: str):
    step = st.ALL_STEPS.get(slug)
    if step is None:
        abort(404)
    if not _profile_ready():
        return redirect(url_for("returnee.ask"))
    draft = drafts.get_draft(db, _me())
    steps = st.flow(draft)
    if step not in steps:
        return redirect(_step_url(st.first_missing(draft)))
    # A page is open once every page before it is answered (no skipping ahead by URL).
    missing = st.first_missing(draft)
    if missing is not None and steps.index(step) > steps.index(missing):
        return redirect(_step_url(missing))
    changing = request.values.get("change") == "1"

    if request.method == "POST":
        form = step.form(request.form)
    else:
        values = st.step_values(step, draft)
        if step.slug == "household" and values.get("household") is None and current_user.profile:
            values["household"] = current_user.profile.household_size
        form = step.form(data=values)
    if request.method == "POST" and form.validate():
        draft = drafts.start_draft(db, _me())
        if step is st.KIND:
            drafts.choose_category(db, draft, Category(form.category.data))
        else:
            values = {}
            for key in step.keys:
                value = form[key].data
                values[key] = value.strip() if isinstance(value, str) else value
            drafts.save_answers(db, draft, values)
        db.commit()
        if changing:
            # Back to "check your answers", unless a new kind of help needs new answers.
            return redirect(_step_url(st.first_missing(draft)))
        following = st.next_step(step, draft)
        return redirect(_step_url(following if following else None))
    back = st.previous_step(step, draft)
    back_url = (
        url_for("returnee.check_answers")
        if changing
        else (_step_url(back) if back else url_for("returnee.home"))
    )
    return render_template(
        "returnee/ask_step.html",
        form=form,
        step=step,
        back_url=back_url,
        changing=changing,
        urgent=_draft_is_urgent(draft),
    ), (400 if form.errors else 200)


def _draft_is_urgent(draft) -> bool:
    return draft is not None and svc.is_urgent(draft.answers, (draft.answers or {}).get("urgency"))


def _answer_rows(category: Category, answers: dict, description, urgency) -> list[dict]:
    """(question, answer in words, step slug) for 'check your answers' and the request page."""
    rows = [
        {"question": question, "answer": answer, "slug": slug, "key": key}
        for slug, key, question, answer in answer_items(category, answers)
    ]
    details = f.DetailsForm(meta={"csrf": False})
    rows.append(
        {
            "question": details.description.label.text,
            "answer": description or "",
            "slug": "details",
            "key": "description",
        }
    )
    rows.append(
        {
            "question": details.urgency.label.text,
            "answer": urgency.label if urgency else "",
            "slug": "details",
            "key": "urgency",
        }
    )
    return rows


@bp.route("/ask/check", methods=["GET", "POST"])
@roles_required(Role.RETURNEE)
def check_answers():
    me = _me()
    form = f.SubmitForm(request.form if request.method == "POST" else None)
    if request.method == "POST":
        key = form.submission_key.data or ""
        if form.validate():
            done = drafts.find_submitted(db, me, key)
            if done is not None:  # the second tap of a double tap
                return redirect(url_for("returnee.submitted", reference=done.reference))
            if not _profile_ready():
                return redirect(url_for("returnee.ask"))
            try:
                req = drafts.submit_draft(db, me, key, region_code=me.profile.region_code)
            except ServiceError as exc:
                db.rollback()
                flash(str(exc.message), "error")
                return redirect(url_for("returnee.ask"))
            db.commit()
            return redirect(url_for("returnee.submitted", reference=req.reference))
    draft = drafts.get_draft(db, me)
    if draft is None or draft.category is None:
        sent = _just_sent(me)
        if sent is not None:  # "back" after submitting: say it went, do not start again
            return render_template("returnee/already_sent.html", req=sent)
    missing = st.first_missing(draft)
    if missing is not None:
        return redirect(_step_url(missing))
    rows = [
        {
            "question": f.KindForm(meta={"csrf": False}).category.label.text,
            "answer": draft.category.label,
            "slug": "kind",
            "key": "category",
        },
        *_answer_rows(
            draft.category,
            draft.answers,
            draft.answers.get("description"),
            Urgency(draft.answers["urgency"]),
        ),
    ]
    form.submission_key.data = draft.submission_key
    return render_template(
        "returnee/check_answers.html", form=form, rows=rows, urgent=_draft_is_urgent(draft)
    ), (400 if form.errors else 200)


def _just_sent(me) -> AssistanceRequest | None:
    """The returnee's request submitted within the last hour, if any (the newest)."""
    since = utcnow() - timedelta(hours=1)
    return db.scalar(
        select(AssistanceRequest)
        .where(AssistanceRequest.owner_id == me.id, AssistanceRequest.created_at >= since)
        .order_by(AssistanceRequest.created_at.desc(), AssistanceRequest.id.desc())
        .limit(1)
    )


# --- one request -----------------------------------------------------------------------------


def _own_request(reference: str) -> AssistanceRequest:
    """The signed-in returnee's request, or 404 (never someone else's, never a hint it exists)."""
    code = normalise_reference(reference)
    req = db.scalar(select(AssistanceRequest).where(AssistanceRequest.reference == code))
    if req is None or not req.can_view(current_user) or req.owner_id != current_user.id:
        abort(404)
    return req


@bp.route("/requests/<reference>/sent")
@roles_required(Role.RETURNEE)
def submitted(reference: str):
    req = _own_request(reference)
    return render_template(
        "returnee/submitted.html", req=req, urgent=req.priority == Priority.URGENT
    )


def _render_request(req, *, message_form=None, info_form=None, confirm_form=None, status=200):
    events = db.scalars(
        select(Event)
        .where(Event.request_id == req.id, Event.public.is_(True))
        .order_by(Event.created_at, Event.id)
    ).all()
    partner_ids = {e.data.get("partner_id") for e in events if e.data and e.data.get("partner_id")}
    partners = {
        p.id: p
        for p in db.scalars(
            select(PartnerOrganisation).where(PartnerOrganisation.id.in_(partner_ids))
        )
    }
    messages = db.scalars(
        select(Message)
        .where(Message.request_id == req.id, Message.visibility == MessageVisibility.SHARED)
        .order_by(Message.created_at, Message.id)
    ).all()
    me = _me()
    needs_info = req.status == RequestStatus.NEEDS_INFO and can_transition(
        req, RequestStatus.IN_REVIEW, me
    )
    if needs_info and info_form is None:
        info_form = f.GiveInfoForm(version=req.version)
    if not needs_info and req.status.is_open and message_form is None:
        message_form = f.MessageForm(version=req.version)
    rows = _answer_rows(req.category, req.answers or {}, req.description, req.urgency)
    if req.awaits_confirmation and confirm_form is None:
        confirm_form = f.ConfirmHelpForm(version=req.version)
    return render_template(
        "returnee/request.html",
        confirm_form=confirm_form if req.awaits_confirmation else None,
        req=req,
        rows=[r for r in rows if r["answer"]],
        timeline=[(e, event_text(e, partners)) for e in events],
        messages=messages,
        message_form=message_form if not needs_info and req.status.is_open else None,
        info_form=info_form if needs_info else None,
        status=status_text(req),
        tone=status_tone(req),
        next_text=what_happens_next(req),
        can_withdraw=can_transition(req, RequestStatus.WITHDRAWN, me),
        urgent=req.priority == Priority.URGENT
        and req.status in (RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW),
        seen_by=audit.seen_by(db, req.owner_id, req.id),
    ), status


@bp.route("/requests/<reference>")
@roles_required(Role.RETURNEE)
def request_page(reference: str):
    return _render_request(_own_request(reference))


def _stale(req) -> None:
    flash(_("This request changed since you opened it. Here is how it is now."), "error")


@bp.route("/requests/<reference>/message", methods=["POST"])
@roles_required(Role.RETURNEE)
def send_message(reference: str):
    req = _own_request(reference)
    form = f.MessageForm(request.form)
    if not req.status.is_open:
        flash(_("This request is closed. Call the hotline if you need help."), "error")
        return redirect(url_for("returnee.request_page", reference=req.reference))
    if not form.validate():
        return _render_request(req, message_form=form, status=400)
    try:
        svc.add_message(db, req, _me(), form.body.data, MessageVisibility.SHARED)
    except ServiceError as exc:
        db.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("returnee.request_page", reference=req.reference))
    db.commit()
    flash(_("Your message has been sent."), "success")
    return redirect(url_for("returnee.request_page", reference=req.reference, _anchor="messages"))


@bp.route("/requests/<reference>/give-info", methods=["POST"])
@roles_required(Role.RETURNEE)
def give_info(reference: str):
    req = _own_request(reference)
    form = f.GiveInfoForm(request.form)
    if req.status != RequestStatus.NEEDS_INFO:
        flash(_("No information is asked for on this request now."), "error")
        return redirect(url_for("returnee.request_page", reference=req.reference))
    if not form.validate():
        return _render_request(req, info_form=form, status=400)
    return _act_and_return(
        req,
        lambda: svc.give_info(
            db, req, _me(), form.body.data, expected_version=submitted_version(form.version.data)
        ),
        _("Thank you. The social worker will look at your answer."),
    )


@bp.route("/requests/<reference>/confirm-help", methods=["POST"])
@roles_required(Role.RETURNEE)
def confirm_help(reference: str):
    req = _own_request(reference)
    form = f.ConfirmHelpForm(request.form)
    if not req.awaits_confirmation:
        flash(_("This request does not wait for your answer now."), "error")
        return redirect(url_for("returnee.request_page", reference=req.reference))
    if not form.validate():
        return _render_request(req, confirm_form=form, status=400)
    answer = HelpConfirmation(form.answer.data)
    return _act_and_return(
        req,
        lambda: confirmations.confirm_help(
            db,
            req,
            _me(),
            answer,
            form.comment.data,
            expected_version=submitted_version(form.version.data),
        ),
        _("Thank you for telling us.")
        if answer == HelpConfirmation.YES
        else _("Thank you for telling us. A social worker will look at your request again."),
    )


@bp.app_template_global()
def may_close_unconfirmed(req) -> bool:
    return confirmations.may_close_unconfirmed(req)


def _act_and_return(req, action, done_message: str):
    """Run one service call; commit and thank, or roll back and explain; back to the request."""
    try:
        action()
    except StaleRequest:
        db.rollback()
        _stale(req)
    except ServiceError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        db.commit()
        flash(done_message, "success")
    return redirect(url_for("returnee.request_page", reference=req.reference))


@bp.route("/requests/<reference>/withdraw", methods=["GET", "POST"])
@roles_required(Role.RETURNEE)
def withdraw(reference: str):
    req = _own_request(reference)
    me = _me()
    if not can_transition(req, RequestStatus.WITHDRAWN, me):
        flash(
            _(
                "This request can no longer be withdrawn. Call the hotline %(phone)s.",
                phone=current_app.config["HOTLINE_PHONE"],
            ),
            "error",
        )
        return redirect(url_for("returnee.request_page", reference=req.reference))
    form = f.WithdrawForm(request.form if request.method == "POST" else None, version=req.version)
    if request.method == "POST" and form.validate():
        return _act_and_return(
            req,
            lambda: svc.withdraw_request(
                db, req, me, expected_version=submitted_version(form.version.data)
            ),
            _("You withdrew your request %(reference)s.", reference=req.reference),
        )
    return render_template("returnee/withdraw.html", req=req, form=form), (
        400 if form.errors else 200
    )
