from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


_travelled_to: datetime | None = None


def utcnow() -> datetime:
    return _travelled_to or datetime.now(timezone.utc)


@contextmanager
def travel(moment: datetime):
    """Let the whole portal believe it is `moment` (demo data spread over past months; tests).
    Every timestamp, default and deadline reads the time through utcnow(), so all follow."""
    global _travelled_to
    previous, _travelled_to = _travelled_to, moment.astimezone(timezone.utc)
    try:
        yield
    finally:
        _travelled_to = previous


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
