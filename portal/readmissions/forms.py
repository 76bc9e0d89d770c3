from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FileField, StringField

from portal.forms import BaseForm, Required, max_length, valid_mobile


class ActionForm(BaseForm):
    """A button that changes something (CSRF only)."""


class UploadForm(BaseForm):
    file = FileField(
        _l("CSV file"),
        description=_l(
            "UTF-8, comma-separated, with a header row of the field names: case_number, "
            "requesting_state, full_name, full_name_cyrillic, birth_date, sex, phone, "
            "returned_on, border_point, region_code, locale, vulnerabilities (separated by ;). "
            "At most 10 MB."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )


class PhoneInviteForm(BaseForm):
    """A case without a phone: the mobile number the person gave, to send the code to."""

    phone = StringField(
        _l("The person's mobile number"),
        description=_l("Given by the person on a call or at the border point."),
        validators=[Required(_l("Enter the mobile number.")), max_length(30), valid_mobile],
        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"},
    )
