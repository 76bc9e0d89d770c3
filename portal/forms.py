"""BaseForm with session-keyed CSRF, and fields shared by the blueprints."""

from __future__ import annotations

import re

from flask import current_app, session
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DateTimeField,
    DecimalField,
    Form,
    IntegerField,
    TextAreaField,
    ValidationError,
)
from wtforms.csrf.session import SessionCSRF
from wtforms.validators import DataRequired, Length, StopValidation

from portal import inputs
from portal.passwords import MAX_LENGTH, MIN_LENGTH, contains_personal, is_common
from portal.phones import normalise_phone

CSRF_EXPIRED = _l(
    "This page was open for a long time, so for your safety it was not sent. "
    "Check what you entered and send it again."
)
CSRF_INVALID = _l("This form could not be checked. Please send it again.")


class TranslatedSessionCSRF(SessionCSRF):
    """WTForms' SessionCSRF with messages in the page's language."""

    def validate_csrf_token(self, form, field):
        try:
            super().validate_csrf_token(form, field)
        except ValidationError as exc:
            if "expired" in str(exc).lower():
                raise ValidationError(CSRF_EXPIRED) from None
            raise ValidationError(CSRF_INVALID) from None


class BaseForm(Form):
    """Every form: CSRF keyed by SECRET_KEY and the Flask session; WTForms messages translated."""

    class Meta:
        csrf = True
        csrf_class = TranslatedSessionCSRF

        @property
        def csrf_secret(self):
            return current_app.config["SECRET_KEY"].encode()

        @property
        def csrf_context(self):
            return session

        @property
        def csrf_time_limit(self):
            return current_app.config["CSRF_TIME_LIMIT"]

        def get_translations(self, form):
            # WTForms' built-in messages through our own catalogue (see wtforms_messages.py).
            return get_translations()

    def validate(self, extra_validators=None):
        """Validate, with the input gate after each field's declared validators and before the
        form's inline validate_<field> methods, which may look things up (see gate_checks)."""
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for name, field in self._fields.items():
            checks = gate_checks(field)
            if checks:
                extra[name] = [*checks, *extra.get(name, [])]
        return super().validate(extra)

    @property
    def csrf_failed(self) -> bool:
        return bool(getattr(self, "csrf_token", None) is not None and self.csrf_token.errors)

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) pairs for the error summary at the top of the page."""
        out = []
        for name, field in self._fields.items():
            if name == "csrf_token":
                continue
            for message in field.errors:
                out.append((field.id, message))
        return out


def _no_control_characters(multiline: bool):
    def check(form, field):
        values = field.raw_data or []
        if isinstance(field.data, str):
            values = [*values, field.data]
        for value in values:
            if isinstance(value, str) and not inputs.text_is_storable(value, multiline=multiline):
                raise StopValidation(str(inputs.CONTROL_MESSAGE))

    return check


def _number_in_range(form, field):
    value = field.data
    if value is None:
        return
    if isinstance(field, IntegerField):
        ok = inputs.int_in_db_range(value)
    else:  # a decimal: what a NUMERIC column of a sensible size holds
        ok = value.is_finite() and abs(value) < 10**12
    if not ok:
        raise StopValidation(str(inputs.NUMBER_MESSAGE))


def _sane_date(form, field):
    if not inputs.sane_date(field.data):
        raise StopValidation(
            str(
                _l(
                    "Enter a year from %(min)d to %(max)d.",
                    min=inputs.MIN_YEAR,
                    max=inputs.MAX_YEAR,
                )
            )
        )


def gate_checks(field) -> list:
    """The input gate of one field: no control characters in text (tab and line breaks only in
    a multi-line field), numbers within the database's range, dates within sane years.

    They stop the field's validation, so nothing later (a database lookup in an inline
    validator, a service) ever sees such a value.
    """
    # Every field: text fields by what was typed, the others (choices, checkboxes, dates in
    # parts) by what was sent, which is never legitimately a control character.
    checks = [_no_control_characters(multiline=isinstance(field, TextAreaField))]
    if isinstance(field, IntegerField | DecimalField):
        checks.append(_number_in_range)
    if isinstance(field, DateField | DateTimeField):
        checks.append(_sane_date)
    return checks


def add_error(field, message) -> None:
    """Add a message to a field, processed or not (an unprocessed field's errors are a tuple)."""
    field.errors = [*field.errors, str(message)]


class Required(DataRequired):
    """DataRequired with our own message (WTForms has no Azerbaijani messages)."""

    def __init__(self, message=None):
        super().__init__(message=message or _l("This field is required"))


def max_length(n: int):
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


def valid_phone(form, field):
    if field.data and normalise_phone(field.data) is None:
        raise ValidationError(
            _l("Enter a phone number in the correct format, like +994 50 123 45 67")
        )


def valid_mobile(form, field):
    """A returnee's number: it must receive SMS, so a landline is refused with its own words."""
    if not field.data or normalise_phone(field.data, mobile=True) is not None:
        return
    if normalise_phone(field.data) is not None:
        raise ValidationError(
            _l("This is a landline number. Enter a mobile number, like +994 50 123 45 67")
        )
    raise ValidationError(_l("Enter a phone number in the correct format, like +994 50 123 45 67"))


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def valid_email(form, field):
    if field.data and not _EMAIL_RE.match(field.data.strip()):
        raise ValidationError(
            _l("Enter an email address in the correct format, like name@example.com")
        )


PASSWORD_HINT = _l(
    "At least %(min)d characters. Not your name, phone number or email, and not a simple "
    "password such as 12345678.",
    min=MIN_LENGTH,
)


def _personal(form, name: str, attribute: str) -> str | None:
    """A field of the form itself, else the account the form is about (`form.person`)."""
    field = getattr(form, name, None)
    value = getattr(field, "data", None) if field is not None else None
    if isinstance(value, str) and value.strip():
        return value
    person = getattr(form, "person", None)
    return getattr(person, attribute, None) if person is not None else None


def strong_password(form, field):
    value = field.data or ""
    if len(value) < MIN_LENGTH:
        raise ValidationError(_l("Password must be at least %(min)d characters", min=MIN_LENGTH))
    if len(value) > MAX_LENGTH:
        raise ValidationError(_l("Use at most %(max)d characters.", max=MAX_LENGTH))
    if is_common(value):
        raise ValidationError(
            _l("This password is too common and easy to guess. Choose another one.")
        )
    if contains_personal(
        value,
        phone=_personal(form, "phone", "phone"),
        email=_personal(form, "email", "email"),
        name=_personal(form, "full_name", "full_name"),
    ):
        raise ValidationError(
            _l("Do not use your name, phone number or email address in the password.")
        )


def submitted_version(value) -> int | None:
    """The request version a form was rendered with (hidden field), or None when absent or forged.

    Services compare it with the current version (optimistic locking): a stale form is refused.
    """
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
