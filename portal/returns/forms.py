from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (DateField, DecimalField, HiddenField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.forms import SignatureForm, VersionField, choices, rating_field
from portal.returns.models import Resolution, Responsibility, ReturnOutcome, ReturnReason

MAX_QUANTITY = 9999


def _int_or_none(value: Any) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _enum_choices(enum_cls, blank: bool = False):
    return lambda: choices(([("", "—")] if blank else []) + [(m.value, m.label) for m in enum_cls])


QUANTITY_MESSAGE = _l("Enter a whole number from 1 to %(max)s.", max=MAX_QUANTITY)


class RequestForm(FlaskForm):
    """The customer's return request (退货申请): what was sold, what comes back and why."""
    customer_id = HiddenField()
    equipment_id = SelectField(_l("Registered unit"), coerce=_int_or_none, validate_choice=False)
    product_type_id = SelectField(_l("Product type"), coerce=_int_or_none, validate_choice=False)
    model = StringField(_l("Model"), validators=[Optional(), Length(max=60)])
    serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=60)])
    sale_reference = StringField(_l("Sale reference (invoice or delivery note no.)"), validators=[
        DataRequired(_l("Enter the invoice or delivery note number of the sale.")), Length(max=40)])
    sale_date = DateField(_l("Sale date"), validators=[InputRequired(_l("Enter the date of the sale."))])
    quantity_sold = IntegerField(_l("Quantity sold on that reference"), default=1, validators=[
        InputRequired(QUANTITY_MESSAGE), NumberRange(min=1, max=MAX_QUANTITY, message=QUANTITY_MESSAGE)])
    quantity = IntegerField(_l("Quantity returned"), default=1, validators=[
        InputRequired(QUANTITY_MESSAGE), NumberRange(min=1, max=MAX_QUANTITY, message=QUANTITY_MESSAGE)])
    reason = RadioField(_l("Reason for the return"), choices=_enum_choices(ReturnReason),
                        validators=[InputRequired(_l("Choose the reason for the return."))])
    description = TextAreaField(_l("Description of the problem"), validators=[
        DataRequired(_l("Describe what is wrong with the goods.")), Length(max=2000)])
    outcome = RadioField(_l("The customer asks for"), choices=_enum_choices(ReturnOutcome),
                         validators=[InputRequired(_l("Choose what the customer asks for."))])
    photos = MultipleFileField(_l("Photos of the goods (up to 6; JPEG, PNG or WebP, at most 5 MB each)"))
    version = VersionField()

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name).data for name in
                ("equipment_id", "product_type_id", "model", "serial", "sale_reference", "sale_date",
                 "quantity_sold", "quantity", "reason", "description", "outcome")}

    def uploads(self) -> list[tuple[bytes, str]]:
        files = [f for f in (self.photos.data or []) if getattr(f, "filename", "")]
        return [(f.read(), f.filename) for f in files]


class ReviewForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=lambda: choices([
        ("approve", _l("Approve: the warehouse may take the goods back")),
        ("reject", _l("Reject the return"))]), validators=[InputRequired(_l("Approve or reject the return."))])
    note = TextAreaField(_l("Reason / remarks (printed on the slip; required to reject)"),
                         validators=[Optional(), Length(max=1000)])


class ReceiveForm(FlaskForm):
    quantity_received = IntegerField(_l("Quantity received"), validators=[
        InputRequired(QUANTITY_MESSAGE), NumberRange(min=1, max=MAX_QUANTITY, message=QUANTITY_MESSAGE)])
    condition = TextAreaField(_l("Condition of the goods as received"), validators=[
        DataRequired(_l("Describe the condition of the goods (packaging, visible damage, accessories).")),
        Length(max=1000)])
    note = TextAreaField(_l("Note (required when the quantity differs from the request)"),
                         validators=[Optional(), Length(max=1000)])


class InspectForm(FlaskForm):
    inspection_result = TextAreaField(_l("Inspection result"), validators=[
        DataRequired(_l("Write down what the inspection found.")), Length(max=2000)])
    responsibility = RadioField(_l("Responsibility"), choices=_enum_choices(Responsibility),
                                validators=[InputRequired(_l("Choose who is responsible."))])


class ResolveForm(FlaskForm):
    resolution = RadioField(_l("Resolution"), choices=_enum_choices(Resolution),
                            validators=[InputRequired(_l("Choose how the return is resolved."))])
    exchange_serial = StringField(_l("Serial number of the replacement"), validators=[Optional(), Length(max=60)])
    refund_amount = DecimalField(_l("Amount refunded (¥)"), places=2, validators=[
        Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("99999999"),
                                message=_l("Enter an amount such as 1280.00."))])
    repair_case_id = SelectField(_l("Repair case"), coerce=_int_or_none, validate_choice=False)
    resolution_note = TextAreaField(_l("Note (required when it differs from what the customer asked for)"),
                                    validators=[Optional(), Length(max=1000)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Why is the request cancelled?"), validators=[
        DataRequired(_l("Give the reason for cancelling.")), Length(max=500)])


class ActionForm(FlaskForm):
    """Just the CSRF token, for one-button actions."""


class ReturnSignForm(SignatureForm):
    signer_name = StringField(_l("Name of the customer's person who takes over (客户相关负责人)"), validators=[
        DataRequired(_l("Enter the name of the customer's person who takes over.")), Length(max=60)])
    rating = rating_field()
