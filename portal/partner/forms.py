"""Forms of the partner workspace. Field names are unique across the referral page's forms."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField, TextAreaField, ValidationError
from wtforms.validators import Optional

from portal.forms import BaseForm, Required, max_length
from portal.models import AssistanceKind, DeclineReason
from portal.services.api_tokens import NAME_MAX
from portal.services.referrals import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    UPDATE_MAX,
    InvalidInput,
    clean_units,
    local_today,
    parse_amount,
    text_problem,
)


def storable_text(form, field):
    if field.data:
        problem = text_problem(field.data)
        if problem:
            raise ValidationError(problem)


def _version_field(form_id: str):
    return HiddenField(id=f"{form_id}-version")


class AcceptForm(BaseForm):
    version = _version_field("accept")


class DeclineForm(BaseForm):
    version = _version_field("decline")
    reason = RadioField(
        _l("Why do you decline?"),
        choices=[],
        validators=[Required(_l("Choose a reason."))],
        validate_choice=False,  # one clear message instead of WTForms' own
    )
    decline_note = TextAreaField(
        _l("Note for the social worker"),
        validators=[Optional(), max_length(NOTE_MAX), storable_text],
        description=_l("Required when the reason is “Other reason”."),
        render_kw={"rows": 3},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = DeclineReason.choices()

    def validate_reason(self, field):
        if field.data not in {r.value for r in DeclineReason}:
            raise ValidationError(_l("Choose a reason."))

    def validate_decline_note(self, field):
        if self.reason.data == DeclineReason.OTHER.value and not (field.data or "").strip():
            raise ValidationError(_l("Say why you decline this referral."))


class UpdateForm(BaseForm):
    update_body = TextAreaField(
        _l("What has been done"),
        validators=[
            Required(_l("Write what has been done.")),
            max_length(UPDATE_MAX),
            storable_text,
        ],
        description=_l("The social worker sees this update."),
        render_kw={"rows": 3},
    )


_DMY = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")


def parse_local_date(text: str) -> date | None:
    """2026-03-12 (what a date input sends) or 12.03.2026 (what people type)."""
    text = (text or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = _DMY.match(text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


class AssistanceForm(BaseForm):
    version = _version_field("assist")
    kind = RadioField(
        _l("What was given"),
        choices=[],
        validators=[Required(_l("Choose what was given from the list."))],
        validate_choice=False,
    )
    given_on = StringField(
        _l("Date given"),
        validators=[Required(_l("Enter the date the assistance was given.")), max_length(20)],
        description=_l("The date cannot be in the future."),
        render_kw={"type": "date", "autocomplete": "off"},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[
            Required(_l("Describe the assistance given.")),
            max_length(DESCRIPTION_MAX),
            storable_text,
        ],
        render_kw={"rows": 4},
    )
    amount_azn = StringField(
        _l("Amount in AZN (optional)"),
        validators=[Optional(), max_length(20)],
        description=_l("For example 150 or 150.50."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    units = StringField(
        _l("Number of units (optional)"),
        validators=[Optional(), max_length(9)],
        description=_l("For example nights of shelter, or items given."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        members = list(kinds) or list(AssistanceKind)
        self.kind.choices = AssistanceKind.choices(members)
        self.kind_values = {m.value for m in members}
        self.given_on.render_kw = {**self.given_on.render_kw, "max": local_today().isoformat()}
        self.given_date: date | None = None
        self.amount_value = None
        self.units_value: int | None = None

    def validate_kind(self, field):
        if field.data not in self.kind_values:
            raise ValidationError(_l("Choose what was given from the list."))

    def validate_given_on(self, field):
        value = parse_local_date(field.data)
        if value is None:
            raise ValidationError(_l("Enter a real date, like 12.03.2026."))
        if value > local_today():
            raise ValidationError(_l("The date cannot be in the future."))
        self.given_date = value

    def validate_amount_azn(self, field):
        try:
            self.amount_value = parse_amount(field.data)
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None

    def validate_units(self, field):
        text = (field.data or "").strip()
        if not text:
            return
        if not (text.isascii() and text.isdigit()):  # int() would fail on "²"
            raise ValidationError(_l("Enter the number of units as a whole number."))
        try:
            self.units_value = clean_units(int(text))
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None


class CompleteForm(BaseForm):
    version = _version_field("complete")
    outcome = TextAreaField(
        _l("Summary for the social worker (optional)"),
        validators=[Optional(), max_length(DESCRIPTION_MAX), storable_text],
        render_kw={"rows": 2},
    )


class TokenForm(BaseForm):
    name = StringField(
        _l("Name of the token"),
        validators=[
            Required(_l("Give the token a name, such as the system that will use it.")),
            max_length(NAME_MAX),
            storable_text,
        ],
        description=_l("For example the name of your case management system."),
        render_kw={"autocomplete": "off"},
    )


class RevokeForm(BaseForm):
    pass


__all__ = [
    "AcceptForm",
    "AssistanceForm",
    "CompleteForm",
    "DeclineForm",
    "RevokeForm",
    "TokenForm",
    "UpdateForm",
]
