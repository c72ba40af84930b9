from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.forms import VersionField

_required = DataRequired(_l("This field is required."))


def _minutes(label, high):
    return IntegerField(label, validators=[_required, NumberRange(1, high, _l("Between %(min)s and %(max)s."))])


def _percent(label):
    return DecimalField(label, places=2, validators=[
        _required, NumberRange(0, 100, _l("Between %(min)s and %(max)s."))])


class SettingsForm(FlaskForm):
    company_name = StringField(_l("Company name"), validators=[_required, Length(max=100)])
    company_address = StringField(_l("Company address"), validators=[Optional(), Length(max=200)])
    hotline = StringField(_l("Service hotline"), validators=[_required, Length(max=40)])
    hotline_greeting = TextAreaField(_l("Hotline greeting"), validators=[_required, Length(max=300)])
    answer_limit_minutes = _minutes(_l("Answer a repair call within (minutes)"), 24 * 60)
    dispatch_limit_minutes = _minutes(_l("Dispatch within (minutes)"), 24 * 60)
    onsite_limit_hours = _minutes(_l("On site within (hours)"), 240)
    followup_after_service_hours = _minutes(_l("Follow-up after service within (hours)"), 240)
    followup_after_guidance_hours = _minutes(_l("Follow-up after phone guidance within (hours)"), 240)
    complaint_reply_days = _minutes(_l("Answer a complaint within (days)"), 90)
    workshop_overdue_days = _minutes(_l("Highlight units in the workshop longer than (days)"), 365)
    ontime_target_pct = _percent(_l("On-time rate target (≥ %)"))
    satisfaction_target_pct = _percent(_l("Satisfaction target (≥ %)"))
    complaint_rate_max_pct = _percent(_l("Complaint rate limit (< %)"))
    version = VersionField()

    FIELDS = ("company_name", "company_address", "hotline", "hotline_greeting", "answer_limit_minutes",
              "dispatch_limit_minutes", "onsite_limit_hours", "followup_after_service_hours",
              "followup_after_guidance_hours", "complaint_reply_days", "workshop_overdue_days", "ontime_target_pct",
              "satisfaction_target_pct", "complaint_rate_max_pct")

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}
