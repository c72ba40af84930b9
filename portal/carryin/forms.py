from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, DateField, DecimalField, HiddenField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.core.forms import SignatureForm, VersionField, choices, rating_field
from portal.customers.forms import valid_phone


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


class OpenForm(FlaskForm):
    """From a case: who repairs the unit (a technician opening it on site is the one)."""
    technician_id = SelectField(_l("Technician"), coerce=_int_or_none, validate_choice=False)


class WalkInForm(FlaskForm):
    """A customer brings a unit to the counter; field names match the repair intake's, so the same
    customer lookup fills them."""
    customer_id = HiddenField()
    equipment_id = SelectField(_l("Unit"), coerce=lambda v: int(v) if v not in (None, "", "None", "new") else v or None,
                               validate_choice=False)
    new_name = StringField(_l("Customer name"), validators=[Optional(), Length(max=100)])
    new_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), valid_phone])
    new_address = StringField(_l("Address"), validators=[Optional(), Length(max=120)])
    new_product_type_id = SelectField(_l("Product type"), coerce=_int_or_none, validate_choice=False)
    new_serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=60)])
    new_purchase_date = StringField(_l("Purchase date"), validators=[Optional(), Length(max=10)])
    caller_name = StringField(_l("Brought in by"), validators=[DataRequired(_l("Who brought the unit?")),
                                                               Length(max=40)])
    caller_phone = StringField(_l("Their phone"), validators=[DataRequired(_l("Enter a phone number.")),
                                                              Length(max=30), valid_phone])
    symptom = TextAreaField(_l("Fault symptom (故障现象)"), validators=[
        DataRequired(_l("Describe the fault the customer reports.")), Length(max=2000)])
    technician_id = SelectField(_l("Technician"), coerce=_int_or_none, validate_choice=False,
                                validators=[InputRequired(_l("Choose the technician who repairs the unit."))])


class DraftForm(FlaskForm):
    """The draft goods receipt; the check answers are read from the request by item and index."""
    technician_id = SelectField(_l("Technician"), coerce=_int_or_none, validate_choice=False)
    accessories = TextAreaField(_l("Accessories handed over"), validators=[Optional(), Length(max=1000)],
                                render_kw={"rows": 2})
    condition_note = TextAreaField(_l("Other remarks on the condition"), validators=[Optional(), Length(max=2000)],
                                   render_kw={"rows": 2})
    shelf = StringField(_l("Shelf location"), validators=[Optional(), Length(max=30)])
    version = VersionField()


class ItemForm(FlaskForm):
    item_product_type_id = SelectField(_l("Product type"), coerce=_int_or_none, validate_choice=False)
    item_description = StringField(_l("Item"), validators=[Optional(), Length(max=100)])
    item_model = StringField(_l("Model"), validators=[Optional(), Length(max=60)])
    item_serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=60)])
    item_quantity = StringField(_l("Quantity"), default="1", validators=[Optional(), Length(max=3)])


class PhotoForm(FlaskForm):
    photos = MultipleFileField(_l("Photos of the condition (up to 6, each at most 5 MB)"))


class ShelfForm(FlaskForm):
    shelf = StringField(_l("Shelf location"), validators=[DataRequired(_l("Enter the shelf location, e.g. A-03.")),
                                                          Length(max=30)])


class LabourForm(FlaskForm):
    worked_on = DateField(_l("Day"), validators=[InputRequired(_l("Enter the day of the work."))])
    hours = DecimalField(_l("Hours"), places=2, validators=[InputRequired(_l("Enter the hours worked, e.g. 1.5."))])
    work = StringField(_l("Work done"), validators=[DataRequired(_l("Say what was done.")), Length(max=500)])


class InspectForm(FlaskForm):
    result = RadioField(_l("Inspection result"), choices=lambda: choices([
        ("pass", _l("Passed: the fault is repaired, the unit may go back")),
        ("fail", _l("Not passed: back to the technician"))]),
        validators=[InputRequired(_l("Choose the result of the inspection."))])
    note = TextAreaField(_l("Inspection note"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give a reason.")), Length(max=500)])


class ActionForm(FlaskForm):
    """A button that posts nothing but the CSRF token."""


class TakeInSignForm(SignatureForm):
    """The customer acknowledges handing the unit over (签认); no satisfaction is asked before the service."""
    signer_name = StringField(_l("Name of the customer's person who hands the unit over"), validators=[
        DataRequired(_l("Enter the name of the customer's person who hands the unit over.")), Length(max=60)])


class ReturnSignForm(SignatureForm):
    """The customer takes the unit back and signs (签章), accepting the repair and rating it."""
    signer_name = StringField(_l("Name of the customer's person who takes the unit back"), validators=[
        DataRequired(_l("Enter the name of the customer's person who takes the unit back.")), Length(max=60)])
    rating = rating_field()


class ChecklistForm(FlaskForm):
    checks = TextAreaField(_l("Checks, one per line"), validators=[Optional(), Length(max=2000)],
                           render_kw={"rows": 8})


class RegisterFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("State"), validate_choice=False)
    technician_id = SelectField(_l("Technician"), coerce=_int_or_none, validate_choice=False)
    date_from = DateField(_l("Taken in from"), validators=[Optional()])
    date_to = DateField(_l("to"), validators=[Optional()])
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    overdue = BooleanField(_l("Only overdue"))
