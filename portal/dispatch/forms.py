from __future__ import annotations

from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.core.forms import VersionField, choices
from portal.core.timeutil import local_zone
from portal.dispatch.models import ContactOutcome

MISMATCH_CHOICES = [("address", _l("Wrong address")), ("other", _l("Other data mismatch"))]


def _id_or_none(value):
    return int(value) if str(value).strip().isdigit() else None


class _AppointmentMixin:
    def appointment_utc(self) -> datetime | None:
        """The local time typed in the form as an aware UTC datetime."""
        typed = self.appointment_at.data
        return typed.replace(tzinfo=local_zone()).astimezone(timezone.utc) if typed else None


def _appointment_field():
    return DateTimeLocalField(_l("Appointment (visit time)"), format="%Y-%m-%dT%H:%M",
                              validators=[InputRequired(_l("Set the appointment date and time."))])


class DispatchForm(_AppointmentMixin, FlaskForm):
    # Rendered as the radio buttons of the workload table; the service says why a choice is refused.
    technician_id = RadioField(_l("Technician"), coerce=_id_or_none, validate_choice=False,
                               validators=[InputRequired(_l("Choose a technician."))])
    appointment_at = _appointment_field()
    late_reason = TextAreaField(_l("Why later than the on-site deadline (apology and reason given)"),
                                validators=[Optional(), Length(max=500)])
    customer_agreed = BooleanField(_l("The customer agreed to this time"))
    instructions = TextAreaField(_l("Instructions for the technician"), validators=[Optional(), Length(max=2000)])


class RescheduleForm(_AppointmentMixin, FlaskForm):
    appointment_at = _appointment_field()
    reason = StringField(_l("Reason for the new time"), validators=[Optional(), Length(max=500)])
    customer_agreed = BooleanField(_l("The customer agreed to the new time"))
    version = VersionField()


class ReassignForm(FlaskForm):
    technician_id = SelectField(_l("New technician"), coerce=_id_or_none, validate_choice=False)
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    version = VersionField()


class ContactForm(FlaskForm):
    outcome = RadioField(_l("How did the call go?"), choices=lambda: choices((o.value, o.label) for o in ContactOutcome),
                         validators=[InputRequired(_l("Choose how the call went."))])
    note = TextAreaField(_l("Note (time agreed, what the customer said)"), validators=[Optional(), Length(max=500)])


class WrongDataForm(FlaskForm):
    field = RadioField(_l("What is wrong"), choices=lambda: choices(MISMATCH_CHOICES), default="address",
                       validators=[InputRequired(_l("Choose what is wrong."))])
    description = TextAreaField(_l("What you found"), validators=[
        DataRequired(_l("Describe what is wrong.")), Length(max=1000)])
