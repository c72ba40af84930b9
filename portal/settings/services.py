from __future__ import annotations

from typing import Any, Mapping

from flask import g, has_app_context
from sqlalchemy import select

from portal.core import audit
from portal.core.conflicts import apply_update
from portal.extensions import db
from portal.settings.models import DepartmentSettings


_row_id: int | None = None  # the settings row's id, once seen: later look-ups come from the session


def get_settings() -> DepartmentSettings:
    """The department's settings row; an unsaved row of defaults before anyone saved it."""
    global _row_id
    # A page asks once for every SLA clock it shows (25 rows of a case list): by its id the row
    # comes from the session's identity map after the first query; g holds it there (the map
    # only keeps objects someone else holds).
    row = db.session.get(DepartmentSettings, _row_id) if _row_id is not None else None
    if row is None:
        row = db.session.scalar(select(DepartmentSettings).order_by(DepartmentSettings.id).limit(1))
        _row_id = row.id if row is not None else None
    if row is not None and has_app_context():
        g.department_settings_row = row
    if row is None:
        row = DepartmentSettings(**{c.key: c.default.arg for c in DepartmentSettings.__table__.columns
                                    if c.default is not None and not callable(c.default.arg)})
        row.version = 0
    return row


def settings_update(*, values: Mapping[str, Any], expected_version: int | None, actor: Any) -> DepartmentSettings:
    """Save the department settings; the first save inserts the row (version 1)."""
    row = get_settings()
    if row.id is not None:
        apply_update(row, values, expected_version=expected_version, actor=actor)
        return row
    for name, value in values.items():
        setattr(row, name, value)
    row.version = None  # let the version counter start at 1 on INSERT
    db.session.add(row)
    db.session.flush()
    audit.record_created(row, actor=actor, fields=values.keys())
    return row


def letterhead() -> dict[str, str]:
    """What every printed document carries at its top, as plain data."""
    row = get_settings()
    return {"company_name": row.company_name, "company_address": row.company_address,
            "hotline": row.hotline}
