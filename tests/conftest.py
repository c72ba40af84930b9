"""Fixtures: app, client, db, login_as, make_user, htmx headers.

The suite runs on SQLite by default and on PostgreSQL when PORTAL_TEST_DATABASE_URL is set
(make test does both). The schema comes from the real migrations, once per session; each test
leaves empty tables behind, so tests that commit from several threads work like the others.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from portal import create_app
from portal.accounts import services as accounts
from portal.core.roles import Role
from portal.extensions import db as _db

# Screenshots and PDFs kept for a look; make test points each database's pass at its own folder, since
# the two passes run side by side (scripts/test-both.sh).
ARTIFACTS = Path(os.environ.get("PORTAL_TEST_ARTIFACTS") or Path(__file__).resolve().parent.parent / "test-artifacts")
TEST_PASSWORD = "secret-pass-1"


def base_config(url: str, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL") or \
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.sqlite3'}"
    app = create_app(base_config(url))
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        _db.engine.dispose()
    return url


def _empty_tables() -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        conn.execute(text("DELETE FROM customer_search" if conn.dialect.name == "postgresql" else "DELETE FROM customer_fts"))
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def app_config(database_url, tmp_path) -> dict[str, Any]:
    return base_config(database_url, ARCHIVE_DIR=str(tmp_path / "archive"))


@pytest.fixture
def app(app_config):
    application = create_app(app_config)
    yield application
    with application.app_context():
        _db.session.remove()
        _empty_tables()
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """An app context and the session, for service-level tests."""
    with app.app_context():
        yield _db.session


@pytest.fixture
def make_user(app):
    def make(role: Role | str = Role.clerk, username: str | None = None, *, active: bool = True,
             password: str = TEST_PASSWORD, display_name: str | None = None, language: str | None = None):
        role = Role(role)
        with app.app_context():
            user = accounts.user_create(username=username or f"{role.value}{os.urandom(2).hex()}",
                                        display_name=display_name or f"测试{role.value}", role=role,
                                        password=password, preferred_language=language)
            user.active = active
            _db.session.commit()
            return user.id
    return make


@pytest.fixture
def login_as(client, make_user):
    """Sign the test client in as a new user of `role`; returns the user's id."""
    def login(role: Role | str = Role.clerk, **kwargs) -> int:
        user_id = make_user(role, **kwargs)
        with client.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
        return user_id
    return login


HTMX = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


@pytest.fixture
def htmx_headers():
    return dict(HTMX)
