"""Forms of the account pages (administrators, partner leads) and of password help."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from portal.forms import (
    PASSWORD_HINT,
    BaseForm,
    Required,
    max_length,
    strong_password,
    valid_email,
    valid_phone,
)
from portal.i18n import LANGUAGES

LANGUAGE_CHOICES = [SelectChoice(c, n) for c, n in LANGUAGES.items()]


class FindReturneeForm(BaseForm):
    phone = StringField(
        _l("The returnee's phone number"),
        validators=[Required(_l("Enter the phone number")), max_length(30), valid_phone],
        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"},
    )


class IssueCodeForm(BaseForm):
    user_id = HiddenField()
    confirmed = BooleanField(
        _l("I checked who the caller is (name, date of return, a request reference)"),
        validators=[Required(_l("Confirm that you checked who the caller is"))],
    )


class ActionForm(BaseForm):
    """A button that changes an account (deactivate, sign out everywhere, ...): CSRF only."""


class AccountFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name, email or phone"), validators=[Optional(), max_length(120)])
    role = SelectField(_l("Role"), validators=[Optional()])
    partner = SelectField(_l("Organisation"), validators=[Optional()])
    active = SelectField(_l("Active"), validators=[Optional()])


class AccountEditForm(BaseForm):
    full_name = StringField(
        _l("Full name"),
        validators=[Required(_l("Enter the person's full name.")), max_length(120)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Email address"),
        validators=[Optional(), max_length(254), valid_email],
        render_kw={"autocomplete": "off"},
    )
    preferred_locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    is_partner_lead = BooleanField(
        _l("Lead of the organisation"),
        description=_l("Leads manage their organisation's users and API tokens."),
    )


class AccountCreateForm(AccountEditForm):
    role = SelectField(_l("Role"))
    partner_id = SelectField(_l("Organisation"), validators=[Optional()])
    phone = StringField(
        _l("Phone (optional)"),
        validators=[Optional(), max_length(30), valid_phone],
        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"},
    )
    password = PasswordField(
        _l("First password"),
        validators=[Required(_l("Enter a password")), strong_password],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
