"""Small view helpers shared by every family: finish a POST, copy service errors onto a form."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash
from flask_wtf import FlaskForm

from portal.core import htmx
from portal.core.errors import ValidationFailed
from portal.extensions import db


def done(url: str, message: str | None = None, category: str = "success"):
    """Commit the request's one transaction, flash, and send the browser on."""
    db.session.commit()
    if message:
        flash(message, category)
    return htmx.redirect(url)


def attach_errors(form: FlaskForm, error: ValidationFailed) -> None:
    for name, messages in error.errors.items():
        field = getattr(form, name, None)
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):
            target = field.errors = list(target)
        target.extend(messages)
    if not error.errors:
        form.form_errors.append(error.message)


def safe_next(url: str | None, default: str) -> str:
    if not url:
        return default
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return default
    return url


def get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def restamp_version(form: FlaskForm, obj) -> None:
    """After an edit conflict, the form carries the stored version, so saving again is a
    deliberate overwrite of what the user has now seen."""
    form.version.data = obj.version
    form.version.raw_data = [str(obj.version)]
