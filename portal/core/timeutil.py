from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def local_zone() -> ZoneInfo:
    name = current_app.config["BABEL_DEFAULT_TIMEZONE"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def as_local(moment: datetime | None) -> datetime | None:
    """Aware local time; SQLite hands naive datetimes back, and we only ever store UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(local_zone())


def local_now() -> datetime:
    return utcnow().astimezone(local_zone())


def local_today():
    return local_now().date()


def from_local(moment: datetime | None) -> datetime | None:
    """A time typed in a form (naive, in the department's zone) as an aware UTC time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.astimezone(timezone.utc)
