"""The report's period and filters (a GET form: bookmarkable, no CSRF, nothing changes), the
case export's reason, and the caseload forms."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from portal.forms import BaseForm, max_length
from portal.models import Category
from portal.regions import all_regions, region_choices
from portal.services.reports import MAX_PERIOD_DAYS, Filters, Period, PeriodKind, period_of

UNKNOWN_VALUE = _l("Choose a value from the list.")
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def _parse_date(field) -> date | None:
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_l("Enter a date like 2026-01-31.")) from None
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(_l("Choose a date between 2000 and 2100."))
    return value


class ReportForm(Form):
    """Period and filters from the URL. Unlike the queue's filters, a wrong value is not quietly
    replaced: a report that silently shows other figures than asked for would mislead."""

    period = SelectField(_l("Period"), default=PeriodKind.THIS_MONTH.value)
    start = StringField(
        _l("From"), validators=[Optional(), max_length(10)], render_kw={"type": "date"}
    )
    end = StringField(_l("To"), validators=[Optional(), max_length(10)], render_kw={"type": "date"})
    kind = SelectField(_l("Kind of help"), default="")
    region = SelectField(_l("Region"), default="")
    partner = SelectField(_l("Partner"), default="")

    def __init__(self, formdata=None, *, partners=(), **kwargs):
        super().__init__(formdata, **kwargs)
        C = SelectChoice
        self.period.choices = [C(k.value, k.label) for k in PeriodKind]
        self.kind.choices = [C("", _l("All kinds")), *Category.choices()]
        self.region.choices = [C("", _l("All regions")), *(C(*r) for r in region_choices())]
        self.partner.choices = [
            C("", _l("All partners")),
            *(C(str(p.id), p.name()) for p in partners),
        ]
        for f in (self.period, self.kind, self.region, self.partner):
            f.invalid_choice_message = UNKNOWN_VALUE
        self._dates: dict[str, date | None] = {}

    def validate_start(self, field):
        self._dates["start"] = _parse_date(field)

    def validate_end(self, field):
        self._dates["end"] = _parse_date(field)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            return False
        if self.period.data == PeriodKind.CUSTOM.value:
            start, end = self._dates.get("start"), self._dates.get("end")
            if start is None:
                self.start.errors.append(_l("Enter the first day of the period."))
            if end is None:
                self.end.errors.append(_l("Enter the last day of the period."))
            if start and end:
                if end < start:
                    self.end.errors.append(_l("The last day cannot be before the first day."))
                elif (end - start).days + 1 > MAX_PERIOD_DAYS:
                    self.end.errors.append(_l("Choose a period of at most three years."))
            return not (self.start.errors or self.end.errors)
        return True

    def period_for(self, today: date) -> Period:
        kind = PeriodKind(self.period.data or PeriodKind.THIS_MONTH.value)
        return period_of(kind, today, self._dates.get("start"), self._dates.get("end"))

    def filters(self) -> Filters:
        return Filters(
            kind=Category(self.kind.data) if self.kind.data else None,
            region=self.region.data if self.region.data in all_regions() else None,
            partner_id=int(self.partner.data) if self.partner.data else None,
        )

    @property
    def error_list(self) -> list[tuple[str, str]]:
        return [(f.id, m) for f in self for m in f.errors]


class CaseExportForm(BaseForm):
    """An administrator's reason for exporting names and phone numbers (kept in the audit)."""

    reason = StringField(
        _l("Why do you need names and phone numbers?"),
        validators=[Optional(), max_length(300)],
        description=_l("Your reason is recorded with the export."),
    )


class LeadForm(BaseForm):
    """Make a social worker a team lead, or not (administrators only)."""

    worker_id = StringField()
    lead = StringField()


class ReassignForm(BaseForm):
    """Move open requests from one social worker to another."""

    from_worker = SelectField(_l("From"))
    to_worker = SelectField(_l("To"))
    scope = SelectField(_l("Which requests"), default="all")

    def __init__(self, formdata=None, *, workers=(), **kwargs):
        super().__init__(formdata, **kwargs)
        C = SelectChoice
        choices = [
            C("", _l("Choose a social worker")),
            *(C(str(w.id), w.full_name) for w in workers),
        ]
        self.from_worker.choices = choices
        self.to_worker.choices = list(choices)
        self.scope.choices = [
            C("all", _l("All their open requests")),
            C("needs_action", _l("Only those that need action")),
        ]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.from_worker.data:
            self.from_worker.errors = [_l("Choose whose requests to move.")]
            ok = False
        if not self.to_worker.data:
            self.to_worker.errors = [_l("Choose who takes them.")]
            ok = False
        if ok and self.from_worker.data == self.to_worker.data:
            self.to_worker.errors = [_l("Choose another social worker.")]
            ok = False
        return ok
