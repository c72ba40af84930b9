from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.core.forms import choices
from portal.customers.forms import valid_phone
from portal.repairs.models import Channel, Urgency

OUTCOMES = [("on_site", _l("On-site service: hand over to the office for dispatch")),
            ("phone", _l("Solved by phone guidance")),
            ("later", _l("Decide later"))]


class IntakeForm(FlaskForm):
    customer_id = HiddenField()
    equipment_id = SelectField(_l("Unit"), coerce=lambda v: int(v) if v not in (None, "", "None", "new") else v or None,
                               validate_choice=False)
    # A caller not yet in the archive is created with the call.
    new_name = StringField(_l("Customer name"), validators=[Optional(), Length(max=100)])
    new_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), valid_phone])
    new_address = StringField(_l("Address"), validators=[Optional(), Length(max=120)])
    new_product_type_id = SelectField(_l("Product type"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                                      validate_choice=False)
    new_serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=60)])
    new_purchase_date = StringField(_l("Purchase date"), validators=[Optional(), Length(max=10)])

    channel = SelectField(_l("Channel"), choices=lambda: choices((c.value, c.label) for c in Channel))
    received_at = DateTimeLocalField(_l("Call received at"), format="%Y-%m-%dT%H:%M",
                                     validators=[InputRequired(_l("When did the call come in?"))])
    caller_name = StringField(_l("Caller"), validators=[DataRequired(_l("Who called?")), Length(max=40)])
    caller_phone = StringField(_l("Caller's phone"), validators=[DataRequired(_l("Enter a phone number.")),
                                                                 Length(max=30), valid_phone])
    symptom = TextAreaField(_l("Fault symptom (故障现象)"), validators=[
        DataRequired(_l("Describe the fault the customer reports.")), Length(max=2000)])
    probable_cause = TextAreaField(_l("Probable cause"), validators=[Optional(), Length(max=2000)])
    parts_to_prepare = TextAreaField(_l("Parts to prepare"), validators=[Optional(), Length(max=1000)])
    urgency = SelectField(_l("Urgency"), choices=lambda: choices((u.value, u.label) for u in Urgency))
    outcome = RadioField(_l("Outcome of the call"), choices=lambda: choices(OUTCOMES), default="on_site")
    guidance_notes = TextAreaField(_l("Guidance given by phone"), validators=[Optional(), Length(max=2000)])


class ReasonForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])
    version = IntegerField(validators=[Optional()])
