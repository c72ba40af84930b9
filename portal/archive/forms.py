from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional


class VerifyForm(FlaskForm):
    code = StringField(_l("Verification code (8 characters, printed under the QR code)"), validators=[
        DataRequired(_l("Enter the code printed on the document.")), Length(max=12)])
    pdf = FileField(_l("Optional: the PDF you received, to check it is the archived one"))


DATE_MESSAGE = _l("Enter a date such as 2025-03-01.")
FILTER_FIELDS = ("number", "customer", "document_type", "status", "technician", "date_from", "date_to")


class LocalDateField(DateField):
    """A date typed in the filter; a bad one gets a message that says what to type."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(DATE_MESSAGE)) from None


class ArchiveFilterForm(FlaskForm):
    """The archive browser's search (a GET form: made with meta={"csrf": False}). Choices are filled by the view."""

    number = StringField(_l("Number"), validators=[Optional(), Length(max=30)], filters=[lambda v: (v or "").strip()])
    customer = StringField(_l("Customer"), validators=[Optional(), Length(max=100)],
                           filters=[lambda v: (v or "").strip()])
    document_type = SelectField(_l("Document type"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    technician = SelectField(_l("Technician"), validate_choice=False)
    date_from = LocalDateField(_l("Signed from"), validators=[Optional()])
    date_to = LocalDateField(_l("Signed until"), validators=[Optional()])

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in FILTER_FIELDS}

    def as_args(self) -> dict[str, str]:
        """The filter as typed, as query arguments (for the pager and the batch form), empty ones left out."""
        return {name: getattr(self, name).raw_data[0] for name in FILTER_FIELDS
                if getattr(self, name).raw_data and getattr(self, name).raw_data[0]}


class BatchPrintForm(ArchiveFilterForm):
    """Batch printing: the selected documents, or everything the filter matches (up to 500)."""

    ids = SelectMultipleField(_l("Documents to print"), validate_choice=False)
    scope = StringField()
