from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    StringField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, Optional

from portal.forms import (
    PASSWORD_HINT,
    BaseForm,
    Required,
    max_length,
    strong_password,
    valid_email,
    valid_mobile,
)
from portal.i18n import LANGUAGES

LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LANGUAGES.items()]


# A new returnee account (registration or an invitation) and consent ask the same things.
def _new_password():
    return PasswordField(
        _l("Password"),
        validators=[Required(_l("Enter a password")), strong_password],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )


def _repeat_password():
    return PasswordField(
        _l("Repeat password"),
        validators=[
            Required(_l("Repeat the password")),
            EqualTo("password", message=_l("Passwords do not match")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _consent():
    return BooleanField(
        _l("I have read the privacy notice and agree to the processing of my personal data"),
        validators=[Required(_l("To use the portal you need to agree to the privacy notice"))],
    )


class RegisterForm(BaseForm):
    phone = StringField(
        _l("Mobile phone number"),
        validators=[Required(_l("Enter your phone number")), max_length(30), valid_mobile],
        description=_l("For example 050 123 45 67. A foreign number you still use is fine too."),
        render_kw={"autocomplete": "tel", "inputmode": "tel", "type": "tel"},
    )
    full_name = StringField(
        _l("Full name"),
        validators=[Required(_l("Enter your full name")), max_length(120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Email address (optional)"),
        validators=[
            Optional(),
            max_length(254),
            valid_email,
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    password = _new_password()
    confirm = _repeat_password()
    preferred_locale = RadioField(
        _l("Preferred language"),
        choices=LANGUAGE_CHOICES,
        validators=[Required(_l("Choose a language"))],
    )
    consent = _consent()


class LoginForm(BaseForm):
    login = StringField(
        _l("Phone number or email"),
        validators=[Required(_l("Enter your phone number or email")), max_length(254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[Required(_l("Enter your password")), max_length(128)],
        render_kw={"autocomplete": "current-password"},
    )


class LogoutForm(BaseForm):
    pass


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[Required(_l("Enter your current password")), max_length(128)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[Required(_l("Enter a new password")), strong_password],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            Required(_l("Repeat the password")),
            EqualTo("password", message=_l("Passwords do not match")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_password(self, field):
        if field.data and field.data == self.current_password.data:
            raise ValidationError(_l("The new password must differ from the current one"))


class LanguageForm(BaseForm):
    preferred_locale = RadioField(
        _l("Preferred language"),
        choices=LANGUAGE_CHOICES,
        validators=[Required(_l("Choose a language"))],
    )


class ConsentForm(BaseForm):
    consent = _consent()
    next = HiddenField()


class CodeForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[Required(_l("Enter the code")), max_length(20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ResendForm(BaseForm):
    pass


class ForgotPasswordForm(BaseForm):
    login = StringField(
        _l("Phone number or email"),
        validators=[Required(_l("Enter your phone number or email")), max_length(254)],
        render_kw={"autocomplete": "username"},
    )

    def validate_login(self, field):
        value = (field.data or "").strip()
        if "@" in value:
            valid_email(self, field)
        else:
            valid_mobile(self, field)


class NewPasswordForm(BaseForm):
    """Set a new password after a code or link; `person` is the account (for the checks)."""

    password = PasswordField(
        _l("New password"),
        validators=[Required(_l("Enter a new password")), strong_password],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            Required(_l("Repeat the password")),
            EqualTo("password", message=_l("Passwords do not match")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class AssistedCodeForm(BaseForm):
    phone = StringField(
        _l("Mobile phone number"),
        validators=[Required(_l("Enter your phone number")), max_length(30), valid_mobile],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "type": "tel"},
    )
    code = StringField(
        _l("Code from the social worker"),
        validators=[Required(_l("Enter the code")), max_length(20)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )


class PhoneChangeForm(BaseForm):
    phone = StringField(
        _l("New phone number"),
        validators=[Required(_l("Enter your phone number")), max_length(30), valid_mobile],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "type": "tel"},
    )
    current_password = PasswordField(
        _l("Current password"),
        validators=[Required(_l("Enter your current password")), max_length(128)],
        render_kw={"autocomplete": "current-password"},
    )


class InvitationForm(BaseForm):
    """A person invited by SMS: the code, the phone it went to, and a password."""

    code = StringField(
        _l("Invitation code"),
        validators=[Required(_l("Enter the code from the SMS")), max_length(20)],
        description=_l("The code from the SMS, for example 7K3M-Q9TX."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"},
    )
    phone = StringField(
        _l("Mobile phone number"),
        validators=[Required(_l("Enter your phone number")), max_length(30), valid_mobile],
        description=_l("The number the SMS came to."),
        render_kw={"autocomplete": "tel", "inputmode": "tel", "type": "tel"},
    )
    password = _new_password()
    confirm = _repeat_password()
    consent = _consent()


class InvitationCodeForm(BaseForm):
    """A returnee already signed in links their invitation with the code alone."""

    code = StringField(
        _l("Invitation code"),
        validators=[Required(_l("Enter the code from the SMS")), max_length(20)],
        description=_l("The code from the SMS, for example 7K3M-Q9TX."),
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"},
    )
