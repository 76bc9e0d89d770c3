"""Form fields of the returnee pages: radios and checkboxes with one clear message each,
a day/month/year date and a whole number that keep exactly what was typed."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from wtforms import Field, IntegerField, RadioField, SelectField, SelectMultipleField, widgets
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from portal.db import utcnow

NOT_A_CHOICE = _l("Choose one of the options shown")


def _resolve(kwargs: dict, enum) -> dict:
    """Choices are made when the form is made (inside a request), so labels are translated."""
    if enum is not None:
        kwargs["choices"] = enum.choices()
    elif callable(kwargs.get("choices")):
        kwargs["choices"] = kwargs["choices"]()
    return kwargs


class Radios(RadioField):
    """A radio group: one message when nothing (or something unknown) is chosen."""

    def __init__(self, label=None, *, required_message, enum=None, hints=None, **kwargs):
        super().__init__(label, **_resolve(kwargs, enum))
        self.required_message = required_message
        self.hints = hints or {}  # value -> hint shown under that option

    def pre_validate(self, form):
        if not self.data:
            raise StopValidation(str(self.required_message))
        if not any(str(value) == str(self.data) for value, *_ in self.choices):
            raise StopValidation(str(NOT_A_CHOICE))


class Select(SelectField):
    """A drop-down list with a first empty option and one message for a missing choice."""

    def __init__(self, label=None, *, required_message, enum=None, **kwargs):
        super().__init__(label, **_resolve(kwargs, enum))
        self.required_message = required_message

    def pre_validate(self, form):
        if not self.data:
            raise StopValidation(str(self.required_message))
        if not any(str(value) == str(self.data) for value, *_ in self.choices):
            raise StopValidation(str(NOT_A_CHOICE))


class Checkboxes(SelectMultipleField):
    """Checkboxes; `exclusive` is an option that cannot be chosen together with others."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(
        self,
        label=None,
        *,
        enum=None,
        required_message=None,
        exclusive=None,
        exclusive_message=None,
        **kw,
    ):
        super().__init__(label, **_resolve(kw, enum))
        self.required_message = required_message
        self.exclusive = exclusive
        self.exclusive_message = exclusive_message

    def process_formdata(self, valuelist):
        self.data = [v for v in valuelist if v]

    def pre_validate(self, form):
        data = self.data or []
        if not data:
            if self.required_message:
                raise StopValidation(str(self.required_message))
            return
        known = {str(value) for value, *_ in self.choices}
        if any(v not in known for v in data):
            raise StopValidation(str(NOT_A_CHOICE))
        if self.exclusive and self.exclusive in data and len(data) > 1:
            raise StopValidation(str(self.exclusive_message))


class WholeNumber(IntegerField):
    """A number typed as text (inputmode numeric); what was typed is shown again on error."""

    def __init__(self, label=None, *, minimum, maximum, required_message, range_message, **kw):
        kw.setdefault(
            "render_kw", {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}
        )
        super().__init__(label, **kw)
        self.minimum, self.maximum = minimum, maximum
        self.required_message, self.range_message = required_message, range_message

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist:
            text = valuelist[0].strip()
            if text.isascii() and text.isdigit() and len(text) <= 6:
                self.data = int(text)

    def pre_validate(self, form):
        typed = self.raw_data[0].strip() if self.raw_data else ""
        if not typed and self.data is None:
            raise StopValidation(str(self.required_message))
        if self.data is None or not self.minimum <= self.data <= self.maximum:
            raise StopValidation(str(self.range_message))


def today_local() -> date:
    """Today in the portal's time zone (a return 'today' in Baku is not in the future)."""
    return to_user_timezone(utcnow()).date()


PARTS = ("day", "month", "year")


class DateParts(Field):
    """A date as three inputs (day, month, year), the pattern easiest to fill on any phone."""

    def __init__(self, label=None, validators=None, *, required_message, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required_message = required_message
        self.parts = dict.fromkeys(PARTS, "")

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data if isinstance(data, date) else None
        self.raw_data = None
        self.parts = dict.fromkeys(PARTS, "")
        if self.data is not None:
            self.parts = {"day": str(data.day), "month": str(data.month), "year": str(data.year)}
        if formdata is not None:
            self.parts = {p: (formdata.get(f"{self.name}-{p}") or "").strip()[:10] for p in PARTS}
            self.raw_data = [self.parts[p] for p in PARTS]
            self.data = None
            try:
                self.data = date(
                    int(self.parts["year"]), int(self.parts["month"]), int(self.parts["day"])
                )
            except (ValueError, OverflowError):  # 2147483648 as a day is no date either
                self.data = None

    def pre_validate(self, form):
        if self.raw_data is None:
            if self.data is None:
                raise StopValidation(str(self.required_message))
            return
        filled = [p for p in PARTS if self.parts[p]]
        if not filled:
            raise StopValidation(str(self.required_message))
        if len(filled) < 3:
            raise StopValidation(str(_l("The date must have a day, a month and a year")))
        if self.data is None:
            raise StopValidation(str(_l("Enter a real date, for example 15 3 2025")))
        if len(self.parts["year"]) != 4 or self.data.year < 1940:
            raise StopValidation(str(_l("Enter the year with 4 digits, for example 2025")))
        if self.data > today_local():
            raise StopValidation(str(_l("The date cannot be in the future")))

    def _value(self):
        return ""
