"""The administrators' audit page: who did or saw what, filtered, newest first, keyset paged."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import Form, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from portal.admin import bp
from portal.auth_setup import roles_required
from portal.db import db
from portal.forms import gate_checks, max_length
from portal.i18n import gettext as _
from portal.i18n import pgettext
from portal.inputs import MAX_YEAR, MIN_YEAR
from portal.models import AssistanceRequest, ReferralStatus, RequestStatus, Role, User
from portal.models.enums import EventKind
from portal.models.request import normalise_reference
from portal.phones import normalise_phone
from portal.services import audit

PAGE_SIZE = 50


def kind_labels() -> dict[str, str]:
    return {
        audit.VIEW_REQUEST: _("Request page opened"),
        audit.VIEW_REFERRAL: _("Referral opened by partner staff"),
        audit.VIEW_API_REFERRAL: _("Referral read by a partner's system (API)"),
        audit.VIEW_EXPORT: _("Data export"),
        audit.VIEW_SEARCH: _("Found by a search"),
        audit.VIEW_DUPLICATE: _("Shown as a possible duplicate"),
        audit.VIEW_ACCOUNT: _("Account page opened"),
        audit.VIEW_CASE: pgettext("event", "Readmission case viewed"),
    }


def status_label(value: str | None) -> str:
    """A request's or a referral's status, as stored in an event, in the page's language."""
    for enum in (RequestStatus, ReferralStatus):
        try:
            return str(enum(value).label)
        except ValueError:
            continue
    return value or "–"


class AuditFilterForm(Form):
    """The filters, read from the URL (a GET form: nothing changes, so no CSRF)."""

    actor = StringField(
        _l("Who acted"),
        validators=[Optional(), max_length(254)],
        description=_l("Email address of staff, or an account number"),
    )
    returnee = StringField(
        _l("Whose data"),
        validators=[Optional(), max_length(30)],
        description=_l("Phone number of the returnee, or an account number"),
        render_kw={"inputmode": "tel"},
    )
    reference = StringField(
        _l("Request"), validators=[Optional(), max_length(20)], description=_l("Reference code")
    )
    kind = SelectField(_l("Kind of event"), default="")
    since = StringField(
        _l("From date"), validators=[Optional(), max_length(10)], render_kw={"type": "date"}
    )
    until = StringField(
        _l("To date"), validators=[Optional(), max_length(10)], render_kw={"type": "date"}
    )

    def __init__(self, formdata=None, **kwargs):
        super().__init__(formdata, **kwargs)
        C = SelectChoice
        self.kind.choices = [
            C("", _l("Everything")),
            C("views", _l("Every view of personal data")),
            C("changes", _l("Every change")),
            *(C(value, label) for value, label in kind_labels().items()),
        ]

    def validate(self, extra_validators=None):
        extra = {name: gate_checks(field) for name, field in self._fields.items()}
        return super().validate(extra)


def _user_id(text: str, *, phone: bool) -> int | None:
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    if phone:
        number = normalise_phone(text)
        return db.scalar(select(User.id).where(User.phone == number)) if number else None
    return db.scalar(select(User.id).where(User.email == text.lower()))


def _date(form_field) -> datetime | None:
    text = (form_field.data or "").strip()
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar date
    except ValueError:
        form_field.errors = [*form_field.errors, _("Enter a date like 2026-03-12.")]
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        form_field.errors = [
            *form_field.errors,
            _("Enter a year from %(min)d to %(max)d.", min=MIN_YEAR, max=MAX_YEAR),
        ]
        return None
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=zone)


NOBODY = -1  # a filter that names no one finds nothing (never "everything")


def _filters(form: AuditFilterForm) -> audit.AuditFilters:
    form.validate()
    actor_id = returnee_id = request_id = None
    if form.actor.data and not form.actor.errors:
        actor_id = _user_id(form.actor.data, phone=False) or NOBODY
    if form.returnee.data and not form.returnee.errors:
        returnee_id = _user_id(form.returnee.data, phone=True) or NOBODY
    if form.reference.data and not form.reference.errors:
        code = normalise_reference(form.reference.data)
        request_id = (
            db.scalar(select(AssistanceRequest.id).where(AssistanceRequest.reference == code))
            if code
            else None
        ) or NOBODY
    kind = form.kind.data if not form.kind.errors else ""
    since = _date(form.since) if not form.since.errors else None
    until = _date(form.until) if not form.until.errors else None
    return audit.AuditFilters(
        actor_id=actor_id,
        returnee_id=returnee_id,
        request_id=request_id,
        kind=kind or None,
        since=since,
        until=until + timedelta(days=1) if until else None,
    )


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """Every event, newest first: who acted, on whose data, what, when."""
    form = AuditFilterForm(request.args)
    filters = _filters(form)
    after = audit.AuditCursor.parse(request.args.get("after"))
    page = audit.audit_page(db, filters, after, PAGE_SIZE)
    actor_ids = {e.actor_id for e in page.events if e.actor_id}
    actors = {u.id: u for u in db.scalars(select(User).where(User.id.in_(actor_ids)))}
    query = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        actors=actors,
        labels=kind_labels(),
        change_label=EventKind.label_of,
        status_label=status_label,
        view_kinds=audit.VIEW_KINDS,
        query=query,
        first_page=after is None,
    )
