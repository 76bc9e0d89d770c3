"""Forms of the partner organisation pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

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
from portal.models import Category, PartnerKind
from portal.regions import ALL_REGIONS, all_regions


class CoverageField(Field):
    """The coverage grid: checkboxes named "coverage" with values "<kind of help>:<region>"
    ("<kind>:*" for all regions)."""

    def process_data(self, value):
        # From the model: PartnerCoverage rows; from `data=`: the strings themselves.
        self.data = [
            f"{v.category.value}:{v.region_code}" if hasattr(v, "region_code") else str(v)
            for v in value or []
        ]

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def pairs(self) -> set[tuple[Category, str]]:
        out = set()
        for value in self.data or []:
            category, _sep, region = str(value).partition(":")
            out.add((Category(category), region))
        return out

    def pre_validate(self, form):
        regions = all_regions()
        kinds = {c.value for c in Category}
        for value in self.data or []:
            category, _sep, region = str(value).partition(":")
            if category not in kinds or (region != ALL_REGIONS and region not in regions):
                raise ValidationError(_l("Choose regions from the list."))

    def checked(self, category: Category, region: str) -> bool:
        return f"{category.value}:{region}" in (self.data or [])


class PartnerForm(BaseForm):
    name_az = StringField(
        _l("Name in Azerbaijani"),
        validators=[Required(), max_length(200)],
        render_kw={"lang": "az"},
    )
    name_ru = StringField(
        _l("Name in Russian"),
        validators=[Required(), max_length(200)],
        render_kw={"lang": "ru"},
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[Required(), max_length(200)],
        render_kw={"lang": "en"},
    )
    kind = SelectField(_l("Kind of organisation"))
    contact_person = StringField(_l("Contact person"), validators=[Optional(), max_length(120)])
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), max_length(30), valid_phone],
        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"},
    )
    email = EmailField(_l("Email address"), validators=[Optional(), max_length(254), valid_email])
    capacity = IntegerField(
        _l("Capacity"),
        validators=[
            InputRequired(_l("Enter how many open referrals the organisation can hold.")),
            NumberRange(min=0, max=10000, message=_l("Enter a number from 0 to 10000.")),
        ],
        description=_l("How many open referrals (awaiting reply or accepted) it can hold."),
        render_kw={"inputmode": "numeric"},
    )
    is_active = BooleanField(
        _l("Active"), description=_l("Only active organisations can receive referrals.")
    )
    coverage = CoverageField(_l("Coverage"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = PartnerKind.choices()


class StaffAccountForm(BaseForm):
    full_name = StringField(
        _l("Full name"),
        validators=[Required(_l("Enter the person's full name.")), max_length(120)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Email address (their sign-in)"),
        validators=[Required(_l("Enter an email address.")), max_length(254), valid_email],
        render_kw={"autocomplete": "off"},
    )
    phone = StringField(
        _l("Phone (optional)"),
        validators=[Optional(), max_length(30), valid_phone],
        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"},
    )
    preferred_locale = SelectField(
        _l("Language"), choices=[SelectChoice(c, n) for c, n in LANGUAGES.items()], default="az"
    )
    is_partner_lead = BooleanField(
        _l("Lead of the organisation"),
        description=_l("Leads manage their organisation's users and API tokens."),
    )
    password = PasswordField(
        _l("First password"),
        validators=[Required(_l("Enter a password")), strong_password],
        description=PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
