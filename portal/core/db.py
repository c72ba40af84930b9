"""Engine set-up that the ORM layer cannot express: SQLite's pragmas and its write lock.

SQLite has one writer at a time. A deferred transaction that reads first and writes later can
fail with "database is locked" (SQLITE_BUSY_SNAPSHOT) instead of waiting, so every transaction
that may write begins with BEGIN IMMEDIATE and queues on the busy timeout. Safe-method web
requests only read and keep a deferred BEGIN, so readers never wait for writers (WAL).
"""
from __future__ import annotations

import sqlite3

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _may_write() -> bool:
    return not (has_request_context() and request.method in SAFE_METHODS)


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
