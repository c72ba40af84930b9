"""Edit conflicts: an update names the version the user loaded; a newer version means someone
else saved in between, and nothing is overwritten."""
from __future__ import annotations

from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from portal.core import audit
from portal.core.errors import EditConflict
from portal.extensions import db


def apply_update(obj: Any, values: Mapping[str, Any], *, expected_version: int | None, actor: Any,
                 note: str | None = None) -> dict[str, list[Any]]:
    """Set `values` on obj unless it moved past `expected_version`; audit and flush.

    Returns the field-level changes (empty when nothing changed). Raises EditConflict carrying
    the stored values of the fields the user edited, for the form to show beside theirs.
    """
    check_version(obj, values, expected_version=expected_version)
    for name, value in values.items():
        setattr(obj, name, value)
    changes = audit.pending_changes(obj)
    if not changes:
        return {}
    audit.record(f"{type(obj).__tablename__}.updated", obj, actor=actor, changes=changes, note=note)
    try:
        db.session.flush()
    except StaleDataError:
        # Another transaction committed between our read and this write (PostgreSQL READ COMMITTED).
        db.session.rollback()
        db.session.refresh(obj)
        raise _conflict(obj, values, expected_version or 0) from None
    return changes


def check_version(obj: Any, values: Mapping[str, Any], *, expected_version: int | None) -> None:
    """Raise EditConflict before anything is touched when obj moved past the loaded version."""
    if expected_version is not None and obj.version != expected_version:
        raise _conflict(obj, values, expected_version)


def _conflict(obj: Any, values: Mapping[str, Any], expected_version: int) -> EditConflict:
    theirs = {name: getattr(obj, name) for name in values}
    return EditConflict(
        _("Someone else saved this record while you were editing it. Nothing of yours was saved: "
          "compare their values with yours below, then save again to keep yours."),
        obj=obj, theirs=theirs, submitted_version=expected_version)
