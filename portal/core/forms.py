"""Form pieces every family uses."""
from __future__ import annotations

from typing import Any, Iterable

from wtforms import HiddenField, IntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 SelectChoice objects (tuples are deprecated there)."""
    return [SelectChoice(value, label) for value, label in pairs]


class VersionField(IntegerField):
    """The record version the form was loaded with, for edit-conflict detection."""
    widget = HiddenField.widget

    def __init__(self, **kwargs):
        super().__init__(validators=[Optional()], **kwargs)
