from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, FieldList, Form, FormField, IntegerField,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.forms import VersionField, choices
from portal.customers import phones
from portal.customers.models import CustomerKind, LabourTerms, PartsTerms

_required = DataRequired(_l("This field is required."))
MAX_CONTACTS = 10


def valid_phone(form, field) -> None:
    if field.data:
        try:
            phones.normalise(field.data)
        except phones.PhoneError as error:
            raise ValidationError(str(error.message)) from None


class ContactForm(Form):
    name = StringField(_l("Contact name"), validators=[DataRequired(_l("Enter the contact's name.")), Length(max=40)])
    title = StringField(_l("Position"), validators=[Optional(), Length(max=40)])
    phone = StringField(_l("Phone"), validators=[DataRequired(_l("Enter a phone number.")), Length(max=30), valid_phone])
    alt_phone = StringField(_l("Other phone"), validators=[Optional(), Length(max=30), valid_phone])


class CustomerForm(FlaskForm):
    name = StringField(_l("Customer name"), validators=[_required, Length(max=100)])
    is_organisation = BooleanField(_l("A company or unit (单位), not a private person"))
    kind = SelectField(_l("Kind"), choices=lambda: choices((k.value, k.label) for k in CustomerKind))
    province = StringField(_l("Province"), validators=[Optional(), Length(max=20)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=30)])
    district = StringField(_l("District"), validators=[Optional(), Length(max=30)])
    street = StringField(_l("Street and number"), validators=[Optional(), Length(max=120)])
    region = StringField(_l("Region (for visit planning)"), validators=[Optional(), Length(max=30)])
    key_customer = BooleanField(_l("Key customer (重点客户)"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    contacts = FieldList(FormField(ContactForm), min_entries=1, max_entries=MAX_CONTACTS)
    version = VersionField()

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("name", "is_organisation", "province", "city", "district", "street", "region", "key_customer", "notes")} | {
            "kind": CustomerKind(self.kind.data)}


class EquipmentForm(FlaskForm):
    product_type_id = SelectField(_l("Product type"), coerce=int, validators=[InputRequired(_l("Choose a product type."))])
    model = StringField(_l("Model (型号)"), validators=[Optional(), Length(max=60)])
    serial = StringField(_l("Serial number"), validators=[DataRequired(_l("Enter the serial number.")), Length(max=60)])
    purchase_date = DateField(_l("Purchase or installation date"), validators=[
        InputRequired(_l("Enter the purchase or installation date."))])
    warranty_months = IntegerField(_l("Warranty months"), validators=[
        Optional(), NumberRange(0, 120, _l("Between 0 and 120 months."))])
    agent_id = SelectField(_l("Sold by agent"), coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=1000)])
    version = VersionField()

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("product_type_id", "model", "serial", "purchase_date", "warranty_months", "agent_id", "notes")}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ContractForm(FlaskForm):
    equipment_ids = MultiCheckboxField(_l("Covered units"), coerce=int)
    start_date = DateField(_l("Start date"), validators=[InputRequired(_l("Enter the start date."))])
    end_date = DateField(_l("End date"), validators=[InputRequired(_l("Enter the end date."))])
    parts_terms = SelectField(_l("Parts"), choices=lambda: choices((t.value, t.label) for t in PartsTerms))
    parts_discount_pct = DecimalField(_l("Parts discount (%)"), places=2, validators=[
        Optional(), NumberRange(0, 100, _l("Between %(min)s and %(max)s."))])
    labour_terms = SelectField(_l("Labour and visit fee"), choices=lambda: choices((t.value, t.label) for t in LabourTerms))
    labour_fee = DecimalField(_l("Fixed fee per visit (¥)"), places=2, validators=[
        Optional(), NumberRange(0, 1_000_000, _l("Between %(min)s and %(max)s."))])
    notes = TextAreaField(_l("Terms and notes"), validators=[Optional(), Length(max=2000)])
    version = VersionField()

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("equipment_ids", "start_date", "end_date", "parts_terms", "parts_discount_pct", "labour_terms",
                 "labour_fee", "notes")}


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Give a reason.")), Length(max=300)])


class ProductTypeForm(FlaskForm):
    name = StringField(_l("Product type"), validators=[_required, Length(max=60)])
    default_warranty_months = IntegerField(_l("Default warranty (months)"), validators=[
        InputRequired(_l("This field is required.")), NumberRange(0, 120, _l("Between 0 and 120 months."))])
    active = BooleanField(_l("In use"), default=True)
    version = VersionField()


MISMATCH_FIELDS = [("address", _l("Address")), ("phone", _l("Phone")), ("name", _l("Name")),
                   ("equipment", _l("Unit data")), ("other", _l("Other"))]


class MismatchForm(FlaskForm):
    field = SelectField(_l("What is wrong"), choices=lambda: choices(MISMATCH_FIELDS))
    equipment_id = SelectField(_l("Unit"), coerce=lambda v: int(v) if v not in (None, "", "None") else None)
    description = TextAreaField(_l("What you found"), validators=[
        DataRequired(_l("Describe what is wrong.")), Length(max=1000)])


class ResolveForm(FlaskForm):
    resolution = StringField(_l("What was corrected"), validators=[
        DataRequired(_l("Say what was corrected.")), Length(max=500)])


class MergeForm(FlaskForm):
    other = StringField(_l("Number of the duplicate record"), validators=[_required, Length(max=20)])
    confirm = BooleanField(_l("I checked: both records are the same customer"))
