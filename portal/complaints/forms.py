from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, DecimalField, HiddenField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.complaints.models import ResponsibleKind
from portal.core.forms import VersionField, choices
from portal.customers.forms import MultiCheckboxField
from portal.repairs.models import Channel


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def _optional_kind(value):
    return ResponsibleKind(value) if value not in (None, "", "None") else None


def _satisfied(value):
    return {"yes": True, "no": False, True: True, False: False}.get(value)


class LocalDateTimeField(DateTimeLocalField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("Enter a date and time such as 2026-11-03 14:30."))) from None


class ComplaintForm(FlaskForm):
    customer_id = HiddenField()
    channel = SelectField(_l("Channel"), choices=lambda: choices((c.value, c.label) for c in Channel))
    received_at = LocalDateTimeField(_l("Received at"), format="%Y-%m-%dT%H:%M",
                                     validators=[InputRequired(_l("When was the complaint received?"))])
    complainant = StringField(_l("Complainant (name, phone)"), validators=[Optional(), Length(max=60)])
    content = TextAreaField(_l("Complaint (投诉内容)"), validators=[Length(max=4000)])
    case_id = SelectField(_l("Related repair case"), coerce=_optional_int, validate_choice=False)
    staff_ids = MultiCheckboxField(_l("Staff concerned"), coerce=int, validate_choice=False)
    caused_by_service = BooleanField(_l("Caused by service (counts in the complaint rate)"))
    version = VersionField()

    def values(self) -> dict:
        from portal.core.timeutil import from_local
        return {"channel": self.channel.data, "received_at": from_local(self.received_at.data),
                "complainant": self.complainant.data or "", "content": self.content.data or "",
                "case_id": self.case_id.data, "caused_by_service": self.caused_by_service.data}


class InvestigateForm(FlaskForm):
    responsible_kind = SelectField(_l("Responsible party (责任方)"), coerce=_optional_kind, validate_choice=False)
    responsible_party = StringField(_l("Department or party"), validators=[Optional(), Length(max=100)])
    responsible_user_id = SelectField(_l("Staff member responsible"), coerce=_optional_int, validate_choice=False)
    investigation_notes = TextAreaField(_l("Investigation and cause"), validators=[Optional(), Length(max=4000)])
    solution = TextAreaField(_l("Solution proposed to the customer (解决方法)"), validators=[Optional(), Length(max=4000)])
    caused_by_service = BooleanField(_l("Caused by service (counts in the complaint rate)"))

    def findings(self) -> dict:
        return {"responsible_kind": self.responsible_kind.data, "responsible_party": self.responsible_party.data or "",
                "responsible_user_id": self.responsible_user_id.data, "notes": self.investigation_notes.data or ""}


class OpinionForm(FlaskForm):
    customer_satisfied = RadioField(_l("Is the customer satisfied with the solution?"), coerce=_satisfied,
                                    choices=lambda: choices([("yes", _l("Satisfied")), ("no", _l("Not satisfied"))]),
                                    validators=[Optional()], validate_choice=False)
    customer_opinion = TextAreaField(_l("The customer's opinion"), validators=[Optional(), Length(max=4000)])


class CloseForm(FlaskForm):
    compensation_note = TextAreaField(_l("Compensation given (filed with sales)"), validators=[Optional(), Length(max=2000)])
    compensation_amount = DecimalField(_l("Compensation amount (¥, optional)"), places=2, validators=[
        Optional(), NumberRange(0, 9999999.99, _l("Between %(min)s and %(max)s."))])
    closing_note = TextAreaField(_l("Closing note"), validators=[Optional(), Length(max=2000)])
