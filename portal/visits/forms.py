from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, FieldList, Form, FormField, IntegerField,
                     RadioField, SelectField, StringField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.core.forms import RATING_CHOICES, VersionField, choices
from portal.customers.forms import MultiCheckboxField
from portal.visits.models import VisitFrequency

DATE_MESSAGE = _l("Enter a date such as 2026-11-03.")


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class LocalDateField(DateField):
    """A date whose bad spelling gets a message saying what to type, in the reader's language."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(DATE_MESSAGE)) from None


class ScheduleForm(FlaskForm):
    frequency = SelectField(_l("Visit frequency"), choices=lambda: choices((f.value, f.label) for f in VisitFrequency))
    interval_days = IntegerField(_l("Every how many days (custom)"), validators=[
        Optional(), NumberRange(7, 366, _l("Between %(min)s and %(max)s days."))])
    starts_on = LocalDateField(_l("First visit due on"), validators=[InputRequired(DATE_MESSAGE)])
    responsible_id = SelectField(_l("Responsible staff"), coerce=_optional_int, validate_choice=False)
    active = BooleanField(_l("Schedule in use"), default=True)
    notes = TextAreaField(_l("Notes (e.g. delivered 2025-06, monthly in the first year)"),
                          validators=[Optional(), Length(max=1000)])
    version = VersionField()

    def values(self) -> dict:
        return {"frequency": VisitFrequency(self.frequency.data), "interval_days": self.interval_days.data,
                "starts_on": self.starts_on.data, "responsible_id": self.responsible_id.data,
                "active": self.active.data, "notes": self.notes.data or ""}


class ActionRow(Form):
    description = StringField(_l("Agreed action"), validators=[Optional(), Length(max=500)])
    owner_id = SelectField(_l("Owner"), coerce=_optional_int, validate_choice=False)
    due_on = LocalDateField(_l("Due on"), validators=[Optional()])


class VisitForm(FlaskForm):
    visited_on = LocalDateField(_l("Visit date"), validators=[InputRequired(DATE_MESSAGE)])
    visitor_ids = MultiCheckboxField(_l("Visitors"), coerce=int, validate_choice=False)
    other_visitors = StringField(_l("Other visitors (not portal users)"), validators=[Optional(), Length(max=200)])
    people_met = StringField(_l("People met at the customer"), validators=[Optional(), Length(max=200)])
    equipment_usage = TextAreaField(_l("Equipment usage (使用情况)"), validators=[Optional(), Length(max=4000)])
    design_opinion = TextAreaField(_l("Opinion on design (设计)"), validators=[Optional(), Length(max=4000)])
    assembly_opinion = TextAreaField(_l("Opinion on assembly (装配)"), validators=[Optional(), Length(max=4000)])
    process_opinion = TextAreaField(_l("Opinion on process (工艺)"), validators=[Optional(), Length(max=4000)])
    other_feedback = TextAreaField(_l("Other feedback"), validators=[Optional(), Length(max=4000)])
    followup_needed = BooleanField(_l("Follow-up needed"))
    actions = FieldList(FormField(ActionRow), min_entries=3, max_entries=10)

    def __getattr__(self, name):
        # Service errors for an action row arrive as "actions-<row>"; they show under that row.
        if name.startswith("actions-") and name[8:].isdigit() and int(name[8:]) < len(self.actions.entries):
            return self.actions.entries[int(name[8:])].form.description
        raise AttributeError(name)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("visited_on", "other_visitors", "people_met", "equipment_usage", "design_opinion",
                 "assembly_opinion", "process_opinion", "other_feedback", "followup_needed")}

    def action_inputs(self):
        from portal.visits.services import ActionInput
        return [ActionInput(description=row.form.description.data or "", owner_id=row.form.owner_id.data,
                            due_on=row.form.due_on.data) for row in self.actions]


class ActionDoneForm(FlaskForm):
    note = StringField(_l("What was done"), validators=[Optional(), Length(max=500)])


class MonthForm(FlaskForm):
    """The summary's month picker (a GET form)."""
    month = StringField(_l("Month"), validators=[Optional(), Length(max=7)])


def _yes_no(value):
    return {"yes": True, "no": False, True: True, False: False}.get(value)


class LocalDateTimeField(DateTimeLocalField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Enter a date and time such as 2026-11-03 14:30."))) from None


class FollowUpForm(FlaskForm):
    """One follow-up call; the service decides which answers a reached call needs."""
    done_at = LocalDateTimeField(_l("Call made at"), format="%Y-%m-%dT%H:%M",
                                 validators=[InputRequired(_l("Enter when the call was made."))])
    reached = RadioField(_l("Did you reach the customer?"), coerce=_yes_no, validate_choice=False,
                         choices=lambda: choices([("yes", _l("Reached")), ("no", _l("No answer"))]),
                         validators=[InputRequired(_l("Say whether the customer was reached."))])
    reached_name = StringField(_l("Person reached"), validators=[Optional(), Length(max=60)])
    solved = RadioField(_l("Is the reported problem solved?"), coerce=_yes_no, validate_choice=False,
                        choices=lambda: choices([("yes", _l("Solved")), ("no", _l("Not solved"))]),
                        validators=[Optional()])
    rating = RadioField(_l("How satisfied is the customer?"), coerce=int, validate_choice=False,
                        choices=lambda: choices(RATING_CHOICES), validators=[Optional()])
    notes = TextAreaField(_l("What the customer said"), validators=[Optional(), Length(max=2000)])

    def validate_reached(self, field):
        if field.data is None:
            raise ValidationError(str(_l("Say whether the customer was reached.")))

    def values(self) -> dict:
        from portal.core.timeutil import from_local
        return {"done_at": from_local(self.done_at.data), "reached": bool(self.reached.data),
                "reached_name": self.reached_name.data or "", "solved": self.solved.data,
                "rating": self.rating.data, "notes": self.notes.data or ""}
