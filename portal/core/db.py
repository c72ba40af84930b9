"""Engine set-up that the ORM layer cannot express: SQLite's pragmas and its write lock.

SQLite has one writer at a time. A deferred transaction that reads first and writes later can
fail with "database is locked" (SQLITE_BUSY_SNAPSHOT) instead of waiting, so every transaction
that may write begins with BEGIN IMMEDIATE and queues on the busy timeout. Safe-method web
requests only read and keep a deferred BEGIN, so readers never wait for writers (WAL); the few
GET views that also write (an archived file's download is logged, a kiosk's poll records that it
was seen) say so with @writes and begin like a POST.
"""
from __future__ import annotations

import sqlite3

from typing import Callable, TypeVar

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES_ATTR = "portal_writes"
F = TypeVar("F", bound=Callable)


def writes(view: F) -> F:
    """Mark a GET view that writes to the database (see the module's doc)."""
    setattr(view, WRITES_ATTR, True)
    return view


def _may_write() -> bool:
    if not has_request_context() or request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, WRITES_ATTR, False))


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" hook below issue BEGIN instead of pysqlite's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")
