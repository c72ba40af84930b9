"""Audit trail: who did what to which record, when, from where, with field-level before/after."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import inspect, select
from sqlalchemy.orm import ColumnProperty

from portal.core.models import AuditEntry
from portal.core.timeutil import utcnow
from portal.extensions import db

# Columns whose values never go into the trail; a change to them is recorded as "changed" only.
SECRET_FIELDS = frozenset({"password_hash"})
SKIPPED_FIELDS = frozenset({"version", "updated_at", "created_at", "search_text"})


def plain(value: Any) -> Any:
    """A JSON-safe form of a column value, for the `changes` column."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def entity_label(obj: Any) -> str:
    for attr in ("number", "username", "name"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)[:120]
    return f"#{obj.id}"


def pending_changes(obj: Any) -> dict[str, list[Any]]:
    """Field-level [before, after] for the unflushed changes of obj's column attributes."""
    changes: dict[str, list[Any]] = {}
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        if attr.key in SKIPPED_FIELDS or not isinstance(attr, ColumnProperty):
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before == after:
            continue
        if attr.key in SECRET_FIELDS:
            changes[attr.key] = ["***", "***"]
        else:
            changes[attr.key] = [plain(before), plain(after)]
    return changes


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {name: plain(getattr(obj, name)) for name in fields}


def record(action: str, obj: Any, *, actor: Any = None, changes: dict[str, Any] | None = None,
           note: str | None = None) -> AuditEntry:
    """Add an audit entry for obj (flushing first so a new obj has its id)."""
    if getattr(obj, "id", None) is None:
        db.session.flush()
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    entry = AuditEntry(
        at=utcnow(),  # now, not at the next flush: an entry's time is when the thing happened
        actor_id=getattr(actor, "id", None),
        actor_name=(getattr(actor, "display_name", None) or getattr(actor, "username", "") or "")[:80],
        address=_client_address(),
        entity_type=type(obj).__tablename__,
        entity_id=obj.id,
        entity_label=entity_label(obj),
        action=action,
        changes=changes or None,
        note=note,
    )
    db.session.add(entry)
    return entry


def record_created(obj: Any, *, actor: Any, fields: Iterable[str], note: str | None = None) -> AuditEntry:
    return record(f"{type(obj).__tablename__}.created", obj, actor=actor,
                  changes={k: [None, v] for k, v in snapshot(obj, fields).items() if v not in (None, "")}, note=note)


def record_updated(obj: Any, *, actor: Any, note: str | None = None) -> AuditEntry | None:
    changes = pending_changes(obj)
    if not changes:
        return None
    return record(f"{type(obj).__tablename__}.updated", obj, actor=actor, changes=changes, note=note)


def timeline(obj: Any, *, limit: int = 200) -> list[AuditEntry]:
    query = (select(AuditEntry)
             .where(AuditEntry.entity_type == type(obj).__tablename__, AuditEntry.entity_id == obj.id)
             .order_by(AuditEntry.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def _client_address() -> str | None:
    if not has_request_context():
        return None
    return (request.remote_addr or "")[:64] or None
