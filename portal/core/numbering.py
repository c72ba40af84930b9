"""Document numbers: PREFIX-YEAR-000123, per prefix and year, gap-free and never duplicated.

The counter row is incremented by a single UPDATE ... RETURNING inside the caller's transaction:
the row lock (PostgreSQL) or the write lock (SQLite, taken at BEGIN IMMEDIATE, see portal.core.db)
serialises concurrent requests, and a rolled-back request rolls its number back with it, so the
sequence has no gaps.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import text

from portal.core.timeutil import local_now
from portal.extensions import db

PREFIX_PATTERN = re.compile(r"^[A-Z]{2,8}$")
DIGITS = 6


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:0{DIGITS}d}"


def next_number(prefix: str, *, at: datetime | None = None) -> str:
    if not PREFIX_PATTERN.match(prefix):
        raise ValueError(f"bad document prefix {prefix!r}")
    year = (at or local_now()).year
    session = db.session
    session.execute(
        text("INSERT INTO number_sequence (prefix, year, last_value) VALUES (:p, :y, 0) "
             "ON CONFLICT (prefix, year) DO NOTHING"),
        {"p": prefix, "y": year},
    )
    value = session.execute(
        text("UPDATE number_sequence SET last_value = last_value + 1 "
             "WHERE prefix = :p AND year = :y RETURNING last_value"),
        {"p": prefix, "y": year},
    ).scalar_one()
    return format_number(prefix, year, value)
