"""The period filters of the KPI pages: read from the query string (GET, no CSRF token)."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional

from portal.core.forms import choices
from portal.reports.services import MAX_SPAN_YEARS, current_month, month_bounds, span_too_long

DATE_MESSAGE = _l("Enter a date such as 2026-11-03.")
MONTH_MESSAGE = _l("Enter a month such as 2026-11.")
FIRST_YEAR, LAST_YEAR = 2000, 2099


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


def _within_years(field) -> bool:
    """Figures exist for this century only; a year like 0001 would also overflow the time arithmetic."""
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        field.errors = [_("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)]
        return False
    return True


class LocalDateField(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(DATE_MESSAGE)) from None


class MonthField(StringField):
    """A month typed or picked as YYYY-MM; data is its first day."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return  # not in the query string: the default stays
        text = valuelist[0].strip()
        self.data = None
        if not text:
            return
        try:
            self.data = datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise ValueError(str(MONTH_MESSAGE)) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:%Y-%m}" if self.data else ""


class MonthForm(FlaskForm):
    class Meta:
        csrf = False

    month = MonthField(_l("Month"), validators=[Optional()], default=current_month)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        return _within_years(self.month)

    def chosen_month(self) -> date:
        return self.month.data or current_month()


class KpiFilterForm(MonthForm):
    """A month (default: this one), or a from–to range of days, and optionally one technician."""
    start = LocalDateField(_l("From"), validators=[Optional()])
    end = LocalDateField(_l("To"), validators=[Optional()])
    technician = SelectField(_l("Technician"), coerce=_optional_int, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if any(self.start.raw_data or []) or any(self.end.raw_data or []):
            self.month.data, self.month.raw_data = None, []  # a range replaces the month

    def set_technicians(self, people) -> "KpiFilterForm":
        self.technician.choices = choices([("", _("All technicians"))] + [
            (u.id, u.display_name if u.active else f"{u.display_name} ({_('inactive')})") for u in people])
        return self

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators) or not (_within_years(self.start) and _within_years(self.end)):
            return False
        start, end = self.start.data, self.end.data
        if (start is None) != (end is None):
            missing = self.end if end is None else self.start
            missing.errors = [_("Enter both dates of the range, or neither to see a month.")]
            return False
        if start is not None and start > end:
            self.end.errors = [_("The end date is before the start date.")]
            return False
        if start is not None and span_too_long(start, end):
            self.end.errors = [_("A range can be at most %(years)d years long.", years=MAX_SPAN_YEARS)]
            return False
        return True

    def period(self) -> tuple[date, date]:
        if self.start.data is not None:
            return self.start.data, self.end.data
        return month_bounds(self.chosen_month())
