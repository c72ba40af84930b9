"""Form pieces every family uses."""
from __future__ import annotations

from typing import Any, Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 SelectChoice objects (tuples are deprecated there)."""
    return [SelectChoice(value, label) for value, label in pairs]


class VersionField(IntegerField):
    """The record version the form was loaded with, for edit-conflict detection."""
    widget = HiddenField.widget

    def __init__(self, **kwargs):
        super().__init__(validators=[Optional()], **kwargs)


class SignatureForm(FlaskForm):
    """What every signing screen sends (templates/receipts/_sign_fields.html draws it): the signer's
    name, the drawn signature with its strokes, or a photo of the company seal. Families subclass it
    to relabel the name or add a satisfaction rating (a field named `rating`)."""
    signer_name = StringField(_l("Name of the customer's person who signs (客户相关负责人)"), validators=[
        DataRequired(_l("Enter the name of the customer's person who signs.")), Length(max=60)])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=500)])
    signature = HiddenField()
    strokes = HiddenField()
    seal = FileField(_l("Or a photo of the company seal (盖章)"))


RATING_CHOICES = [(5, _l("Very satisfied")), (4, _l("Satisfied")), (3, _l("Neutral")), (2, _l("Dissatisfied")),
                  (1, _l("Very dissatisfied"))]


def rating_field() -> RadioField:
    return RadioField(_l("How satisfied are you with this service?"), coerce=int,
                      choices=lambda: choices(RATING_CHOICES),
                      validators=[InputRequired(_l("Choose how satisfied the customer is."))])


def signature_image(form: SignatureForm) -> Any:
    """The seal photo or the drawn signature the form carries, checked (ValidationFailed if not)."""
    from portal.core import signatures

    if form.seal.data:
        return signatures.seal_photo(form.seal.data.read())
    return signatures.drawn_signature(form.signature.data or "", form.strokes.data or "")
