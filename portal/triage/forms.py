"""Forms of the queue and the request page. Every action form carries the request's id and
the version the worker saw (optimistic locking)."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    Form,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from portal.db import db
from portal.forms import BaseForm, Required, max_length
from portal.models import (
    Category,
    CloseOutcome,
    PartnerOrganisation,
    Priority,
    RequestStatus,
    Role,
    User,
)
from portal.regions import region_choices
from portal.triage.queue import ASSIGNED, SORTS, STATUS_ALL, STATUS_OPEN, Filters, search_conditions

FORM_MISMATCH = _l("This form does not belong to this request. Nothing was changed.")


# Rendered <select>s of the queue's filters by (language, field, chosen value): the region
# list alone is ~80 options, re-rendered on every queue page otherwise. The choices are the
# same for everyone in a language (statuses, kinds, regions, priorities, sorts).
_SELECT_HTML: dict[tuple[str, str, str], Markup] = {}
_SELECT_HTML_MAX = 4000


def _choice_label(field, value) -> str:
    for choice in field.choices:
        key, label = (choice.value, choice.label) if hasattr(choice, "value") else choice[:2]
        if key == value:
            return str(label)
    return str(value)


class QueueFilterForm(Form):
    """The queue's filters, read from the URL (a GET form: no CSRF, nothing changes)."""

    status = SelectField(_l("Status"), default=STATUS_OPEN)
    kind = SelectField(_l("Kind of help"), default="")
    region = SelectField(_l("Region"), default="")
    priority = SelectField(_l("Priority"), default="")
    assigned = SelectField(_l("Assigned to"), default="anyone")
    q = StringField(
        _l("Search"),
        validators=[Optional(), max_length(100)],
        description=_l("Reference, name or phone number"),
        render_kw={"type": "search", "autocomplete": "off"},
    )
    sort = SelectField(_l("Sort by"), default="oldest")
    overdue = BooleanField(_l("Overdue only"))
    new = BooleanField(_l("New activity only"))

    def __init__(self, formdata=None, **kwargs):
        super().__init__(formdata, **kwargs)
        C = SelectChoice
        self.status.choices = [
            C(STATUS_OPEN, _l("All open requests")),
            *RequestStatus.choices(),
            C(STATUS_ALL, _l("All requests")),
        ]
        self.kind.choices = [C("", _l("All kinds")), *Category.choices()]
        self.region.choices = [C("", _l("All regions")), *(C(*r) for r in region_choices())]
        by_rank = list(reversed(Priority))
        self.priority.choices = [C("", _l("Any priority")), *Priority.choices(by_rank)]
        self.assigned.choices = [
            C("anyone", _l("Anyone or nobody")),
            C("me", _l("Me")),
            C("unassigned", _l("Nobody yet")),
        ]
        self.sort.choices = [
            C("oldest", _l("Oldest first")),
            C("newest", _l("Newest first")),
            C("priority", _l("Priority, then oldest")),
            C("-priority", _l("Lowest priority first")),
            C("waiting", _l("Waiting longest first")),
            C("-waiting", _l("Waiting shortest first")),
            C("reference", _l("Reference, A to Z")),
            C("-reference", _l("Reference, Z to A")),
            C("kind", _l("Kind of help")),
            C("-kind", _l("Kind of help, reversed")),
            C("region", _l("Region, A to Z")),
            C("-region", _l("Region, Z to A")),
            C("status", _l("Status, in the order of work")),
            C("-status", _l("Status, reversed")),
            C("returnee", _l("Returnee, A to Z")),
            C("-returnee", _l("Returnee, Z to A")),
            C("assignee", _l("Assigned to, A to Z (nobody yet first)")),
            C("-assignee", _l("Assigned to, Z to A")),
        ]
        # Fields whose value in the URL was not one of the choices: a message each.
        self.bad_values: list = []

    def select(self, name: str) -> Markup:
        """One filter's <select>, rendered once per language and chosen value."""
        field = self[name]
        key = (str(get_locale()), name, str(field.data))
        html = _SELECT_HTML.get(key)
        if html is None:
            html = field()  # WTForms returns Markup: its values are escaped
            if len(_SELECT_HTML) < _SELECT_HTML_MAX:
                _SELECT_HTML[key] = html
        return html

    def search_label(self) -> Markup:
        return Markup(f'<label for="q">{escape(self.q.label.text)}</label>')  # noqa: S704

    def search_input(self) -> Markup:
        """The search box, as WTForms writes it (the field's attributes, its value, aria
        attributes when the search has a problem) without its widget's general machinery:
        a queue page writes it on every search. tests/functional/triage/test_queue.py
        compares the two."""
        invalid = ' aria-describedby="q-error" aria-invalid="true"' if self.search_problem else ""
        return Markup(  # noqa: S704 - every value escaped
            f'<input{invalid} autocomplete="off" class="input" id="q" maxlength="100" name="q"'
            f' placeholder="{escape(self.q.description)}" type="search"'
            f' value="{escape(self.q._value())}">'
        )

    def filters(self) -> Filters:
        """The filters asked for; anything not understood falls back to its default."""
        self.validate()
        self.bad_values = []
        for f in (self.status, self.kind, self.region, self.priority, self.assigned, self.sort):
            if f.errors:
                self.bad_values.append(
                    _l(
                        "“%(field)s” has no choice “%(value)s”, so it shows “%(default)s”. "
                        "Choose from the list.",
                        field=f.label.text,
                        value=str(f.data)[:40],
                        default=_choice_label(f, f.default),
                    )
                )
                f.data = f.default
                f.errors = []
        self.search_problem = None
        if self.q.errors:
            self.q.data = (self.q.data or "")[:100]
            self.q.errors = []
            self.search_problem = _l(
                "Use at most 100 characters. Only the first 100 were searched."
            )
        elif (self.q.data or "").strip() and not search_conditions(self.q.data):
            # Punctuation only, one or two letters (no trigram to look up), a few digits.
            self.search_problem = _l(
                "Type at least 3 letters of a name, a reference code or at least 4 digits of "
                "a phone number."
            )
        assert self.assigned.data in ASSIGNED and self.sort.data in SORTS
        return Filters(
            status=self.status.data,
            kind=Category(self.kind.data) if self.kind.data else None,
            region=self.region.data or None,
            priority=Priority(self.priority.data) if self.priority.data else None,
            assigned=self.assigned.data,
            q=(self.q.data or "").strip(),
            sort=self.sort.data,
            overdue=bool(self.overdue.data),
            new=bool(self.new.data),
        )


class ActionForm(BaseForm):
    """Base of every action on a request: which request, and which version of it."""

    request_id = IntegerField(widget=HiddenInput(), validators=[InputRequired(FORM_MISMATCH)])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(FORM_MISMATCH)])
    # The last Event the page showed: what changed since then decides whether a stale form
    # can still go through (services.conflicts).
    seen = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def belongs_to(self, request) -> bool:
        return self.request_id.data == request.id

    def typed_text(self) -> list[tuple[str, str]]:
        """(label, text) of what was typed in this form's text areas."""
        return [
            (str(f.label.text), f.data)
            for f in self
            if isinstance(f, TextAreaField) and (f.data or "").strip()
        ]

    def show_version(self, version: int, seen: int | None = None) -> None:
        """Carry the current version (and last Event) when the page is shown again."""
        self.version.data = version
        self.version.raw_data = None
        self.seen.data = seen
        self.seen.raw_data = None


class AssignForm(ActionForm):
    assignee_id = IntegerField(
        _l("Social worker"),
        validators=[InputRequired(_l("Choose a social worker from the list."))],
    )

    def validate_assignee_id(self, field):
        user = db.get(User, field.data) if field.data is not None else None
        if user is None or user.role != Role.SOCIAL_WORKER or not user.is_active:
            raise ValidationError(_l("Choose a social worker from the list."))
        self.assignee = user

    confirm_takeover = BooleanField(_l("Yes, take it over (they will be told)"))


class PriorityForm(ActionForm):
    priority = SelectField(_l("Priority"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.priority.choices = Priority.choices(list(reversed(Priority)))


class AskForm(ActionForm):
    question = TextAreaField(
        _l("Question to the returnee"),
        validators=[Required(_l("Write your question to the returnee.")), max_length(4000)],
        description=_l("The returnee sees this message. Write in plain words."),
        render_kw={"rows": 3},
    )


class ReferForm(ActionForm):
    partner_id = IntegerField(
        _l("Partner organisation"),
        validators=[InputRequired(_l("Choose an active partner organisation from the list."))],
    )
    partner_note = TextAreaField(
        _l("Note for the partner (optional)"),
        validators=[Optional(), max_length(2000)],
        render_kw={"rows": 2},
    )
    outside_reason = TextAreaField(
        _l("Why refer outside the partner's coverage"),
        validators=[Optional(), max_length(500)],
        description=_l("Needed only when the partner does not cover this kind of help here."),
        render_kw={"rows": 2},
    )

    def validate_partner_id(self, field):
        partner = db.get(PartnerOrganisation, field.data) if field.data is not None else None
        if partner is None or not partner.is_active:
            raise ValidationError(_l("Choose an active partner organisation from the list."))
        self.partner = partner


class CancelReferralForm(ActionForm):
    reason = TextAreaField(
        _l("Why (optional)"), validators=[Optional(), max_length(2000)], render_kw={"rows": 2}
    )


class ResumeForm(ActionForm):
    pass


class CloseForm(ActionForm):
    outcome = SelectField(_l("Outcome"))
    close_note = TextAreaField(
        _l("Note (internal, optional)"),
        validators=[Optional(), max_length(4000)],
        render_kw={"rows": 2},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = CloseOutcome.choices()


class NoteForm(ActionForm):
    body = TextAreaField(
        _l("Internal note"),
        validators=[Required(_l("Write a note first.")), max_length(4000)],
        description=_l("The returnee never sees internal notes."),
        render_kw={"rows": 3},
    )
    for_partner = BooleanField(_l("Show to the partner holding the referral"))


FLAG_MISMATCH = _l("This form does not belong to this possible duplicate. Nothing was changed.")


class DuplicateForm(BaseForm):
    """Link or dismiss one possible duplicate: which flag, and which version of it."""

    flag_id = IntegerField(widget=HiddenInput(), validators=[InputRequired(FLAG_MISMATCH)])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(FLAG_MISMATCH)])
