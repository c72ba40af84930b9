from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.forms import SignatureForm, VersionField, rating_field
from portal.core.timeutil import as_local, from_local, local_now

TIME_FORMAT = "%Y-%m-%dT%H:%M"
TIME_FIELDS = ("arrived_at", "finished_at")


def _time_field(label):
    return DateTimeLocalField(label, format=TIME_FORMAT, validators=[Optional()],
                              render_kw={"step": "60"})


class ReceiptForm(FlaskForm):
    arrived_at = _time_field(_l("Arrived on site"))
    finished_at = _time_field(_l("Work finished"))
    fault_cause = TextAreaField(_l("Fault cause (故障原因)"), validators=[Optional(), Length(max=2000)])
    solution = TextAreaField(_l("Solution (解决办法)"), validators=[Optional(), Length(max=2000)])
    test_run_shown = BooleanField(_l("Test run shown to the customer: the fault is gone"))
    instructions_given = BooleanField(_l("Usage, care and precautions explained to the customer"))
    misuse = BooleanField(_l("In warranty, but damaged by misuse: the customer pays"))
    misuse_reason = TextAreaField(_l("How was it misused?"), validators=[Optional(), Length(max=1000)])
    customer_consented = BooleanField(_l("The customer saw the fee schedule and agreed to the charges"))
    collected = DecimalField(_l("Collected on site (¥)"), places=2, validators=[
        Optional(), NumberRange(min=Decimal(0), max=Decimal(99999999), message=_l("Enter an amount such as 120.00."))])
    collect_later = BooleanField(_l("The rest is collected later (a to-do for me)"))
    version = VersionField()

    @classmethod
    def for_receipt(cls, receipt, *, submitted: bool, workshop: bool = False) -> "ReceiptForm":
        """What was posted, or else the stored receipt (times shown in the department's zone).
        `workshop`: a carried-in unit, whose "arrival" is when it was taken in."""
        form = cls() if submitted else cls(obj=receipt)
        if workshop:
            form.arrived_at.label.text = _l("Taken in at the workshop")
        if submitted:
            return form
        for name in TIME_FIELDS:
            moment = as_local(getattr(receipt, name))
            getattr(form, name).data = moment.replace(tzinfo=None) if moment else None
        return form

    def stamp_now(self, name: str | None) -> None:
        """A "now" button: that time field becomes the current minute (server clock)."""
        if name not in TIME_FIELDS:
            return
        field = getattr(self, name)
        now = local_now().replace(second=0, microsecond=0, tzinfo=None)
        field.data, field.raw_data, field.process_errors = now, [now.strftime(TIME_FORMAT)], []

    def values(self) -> dict[str, Any]:
        data = {name: getattr(self, name).data for name in
                ("fault_cause", "solution", "test_run_shown", "instructions_given", "misuse", "misuse_reason",
                 "customer_consented", "collected", "collect_later")}
        data.update({name: from_local(getattr(self, name).data) for name in TIME_FIELDS})
        return data


class FeeForm(FlaskForm):
    fee_item_id = SelectField(_l("Fee"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                              validators=[InputRequired(_l("Choose a fee from the schedule."))], validate_choice=False)
    quantity = DecimalField(_l("Quantity"), places=2, default=1, validators=[
        InputRequired(_l("Enter a quantity between 0.01 and 999, e.g. 1 or 1.5.")),
        NumberRange(min=Decimal("0.01"), max=Decimal("999"), message=_l("Enter a quantity between 0.01 and 999, e.g. 1 or 1.5."))])


class CollectForm(FlaskForm):
    note = StringField(_l("Note (receipt no., how paid)"), validators=[Optional(), Length(max=500)])


class ActionForm(FlaskForm):
    """Just the CSRF token, for one-button actions (ready, reopen, load parts)."""


class SignForm(SignatureForm):
    signer_name = StringField(_l("Name of the customer's person who accepts (客户相关负责人)"), validators=[
        DataRequired(_l("Enter the name of the customer's person who accepts the repair.")), Length(max=60)])
    rating = rating_field()


class VoidForm(FlaskForm):
    """A manager voids a signed receipt (and, usually, starts its correction in the same step)."""
    reason = TextAreaField(_l("Reason for voiding (printed on the void copy)"), validators=[
        DataRequired(_l("Give the reason for voiding: it is printed on the void copy and kept in the history.")),
        Length(max=500, message=_l("Keep the reason under %(max)s characters.", max=500))])
    amend = BooleanField(_l("Start the corrected receipt now (a new draft for the technician, "
                            "copied from this one)"), default=True)
