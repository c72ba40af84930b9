"""Small view helpers shared by every family: finish a POST, copy service errors onto a form."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import abort, flash, request
from flask_wtf import FlaskForm

from portal.core import htmx
from portal.core.errors import EditConflict, ValidationFailed
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


@dataclass
class Attempt:
    """The outcome of running a service for a submitted form (see `attempt`)."""
    ok: bool
    result: Any = None
    conflict: EditConflict | None = None


def attempt(form: FlaskForm, save: Callable[[], Any], *, obj: Any = None) -> Attempt:
    """Validate the form and call save(); on a service's ValidationFailed put its messages next to
    the fields, on an EditConflict keep what the user typed and restamp the version from obj."""
    if not form.validate_on_submit():
        return Attempt(False)
    try:
        return Attempt(True, save())
    except ValidationFailed as error:
        attach_errors(form, error)
    except EditConflict as error:
        restamp_version(form, obj if obj is not None else error.obj)
        return Attempt(False, conflict=error)
    return Attempt(False)


def form_status(outcome: Attempt | None = None) -> int:
    """200 for a first GET, 409 for an edit conflict, 422 for any other failed POST."""
    if outcome is not None and outcome.conflict is not None:
        return 409
    return htmx.VALIDATION_STATUS if request.method == "POST" else 200
