from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, FieldList, Form, FormField, IntegerField, SelectField, StringField
from wtforms import TextAreaField
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation,
                                ValidationError)

from portal.core.forms import VersionField, choices
from portal.parts.models import Requisition
from portal.parts.services import MAX_QTY

MAX_LINES = 30


class QuantityField(IntegerField):
    """A count of parts: whole numbers only, never negative, with messages a person understands."""

    def __init__(self, label=None, validators=None, *, minimum: int = 0, required: bool = True, **kwargs):
        self.minimum = minimum
        chain = [InputRequired(_l("Enter a quantity.")) if required else Optional()]
        render_kw = {"min": minimum, "step": 1, "inputmode": "numeric", **kwargs.pop("render_kw", {})}
        super().__init__(label, chain + list(validators or []), render_kw=render_kw, **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = (valuelist[0] or "").strip()
        self.data = None
        if not raw:
            return
        try:
            self.data = int(raw)
            return
        except ValueError:
            pass
        try:
            Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise ValueError(_l("Enter a whole number.")) from None
        raise ValueError(_l("Whole numbers only."))

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()  # "Whole numbers only." says it all
        if self.data is None:
            return
        if self.data < 0:
            raise StopValidation(_l("Negative quantities are not allowed."))
        if self.data < self.minimum:
            raise StopValidation(_l("At least %(min)s.", min=self.minimum))
        if self.data > MAX_QTY:
            raise StopValidation(_l("At most %(max)s.", max=MAX_QTY))


def two_decimals(form, field) -> None:
    if field.data is not None and field.data != field.data.quantize(Decimal("0.01")):
        raise ValidationError(_l("At most two decimal places (fen)."))


def price_field(label) -> DecimalField:
    return DecimalField(label, places=2, invalid_value_message=_l("Enter the price, e.g. 12.50."), validators=[
        InputRequired(_l("Enter the price, e.g. 12.50.")),
        NumberRange(Decimal(0), Decimal("99999999.99"), _l("The price must be between 0 and 99999999.99.")),
        two_decimals], render_kw={"inputmode": "decimal", "step": "0.01", "min": 0})


class PartForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")), Length(max=30)])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name.")), Length(max=80)])
    spec = StringField(_l("Specification"), validators=[Optional(), Length(max=80)])
    unit = StringField(_l("Unit of measure"), default="个", validators=[DataRequired(_l("Enter the unit.")),
                                                                       Length(max=10)])
    unit_price = price_field(_l("Unit price (¥)"))
    reorder_level = QuantityField(_l("Reorder level"), default=0, required=False)
    active = BooleanField(_l("On the schedule (active)"), default=True)
    version = VersionField()

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("code", "name", "spec", "unit", "unit_price", "reorder_level", "active")}


class FeeItemForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")), Length(max=30)])
    name = StringField(_l("Service"), validators=[DataRequired(_l("Enter a name.")), Length(max=80)])
    unit = StringField(_l("Unit of measure"), default="次", validators=[DataRequired(_l("Enter the unit.")),
                                                                       Length(max=10)])
    unit_price = price_field(_l("Unit price (¥)"))
    is_visit_fee = BooleanField(_l("This is the visit fee (charged once per visit)"))
    active = BooleanField(_l("On the schedule (active)"), default=True)
    version = VersionField()

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in ("code", "name", "unit", "unit_price", "is_visit_fee",
                                                            "active")}


class ReceiveForm(FlaskForm):
    quantity = QuantityField(_l("Quantity received"), minimum=1)
    note = StringField(_l("Note (supplier, delivery note)"), validators=[Optional(), Length(max=500)])


class CountForm(FlaskForm):
    counted = QuantityField(_l("Quantity counted"))
    note = StringField(_l("Why the balance changes"), validators=[DataRequired(_l("Say what was counted and why.")),
                                                                  Length(max=500)])


def _part_id(value):
    return int(value) if value not in (None, "", "None") else None


class LineForm(Form):
    part_id = SelectField(_l("Part"), coerce=_part_id, validators=[InputRequired(_l("Choose a part."))])
    quantity = QuantityField(_l("Quantity"), minimum=1)


class RequisitionForm(FlaskForm):
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=MAX_LINES)  # GET pads to 3 rows
    note = TextAreaField(_l("Note for the warehouse"), validators=[Optional(), Length(max=1000)])

    def set_part_choices(self, pairs: list[tuple[int, str]]) -> None:
        options = choices([("", _l("— choose a part —"))] + pairs)
        for entry in self.lines.entries:
            entry.form.part_id.choices = options

    def line_values(self) -> list[tuple[int, int]]:
        return [(e.form.part_id.data, e.form.quantity.data) for e in self.lines.entries]


def line_row(index: int, pairs: list[tuple[int, str]]) -> LineForm:
    row = LineForm(prefix=f"lines-{index}-")
    row.part_id.choices = choices([("", _l("— choose a part —"))] + pairs)
    return row


def _quantities_form(fields: dict[str, QuantityField]) -> FlaskForm:
    form_class = type("QuantitiesForm", (FlaskForm,), dict(fields))
    return form_class()


def issue_form(requisition: Requisition) -> FlaskForm:
    """One quantity per line, named issued_<line id>; the service's errors land on the same names."""
    return _quantities_form({f"issued_{line.id}": QuantityField(_l("Issue")) for line in requisition.lines})


def report_form(requisition: Requisition) -> FlaskForm:
    fields: dict[str, QuantityField] = {}
    for line in requisition.lines:
        if line.issued_qty:
            fields[f"used_{line.id}"] = QuantityField(_l("Used"))
            fields[f"returned_{line.id}"] = QuantityField(_l("Returned"))
    return _quantities_form(fields)


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


def prefill(requisition: Requisition, action_forms: dict) -> None:
    """First view of the action forms: the keeper is offered what can be issued (at most what is on
    hand); a report sent back for correction shows what the technician entered before."""
    issue, report = action_forms.get("issue"), action_forms.get("report")
    for line in requisition.lines:
        if issue is not None:
            issue[f"issued_{line.id}"].data = max(0, min(line.requested_qty, line.part.stock_qty))
        if report is not None and line.issued_qty:
            report[f"used_{line.id}"].data = line.used_qty
            report[f"returned_{line.id}"].data = line.returned_qty
