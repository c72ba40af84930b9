"""Configuration: defaults, then the environment, then a mapping passed to create_app.

Environment variables:
  DATABASE_URL   SQLAlchemy URL; default sqlite:///<instance>/portal.sqlite3
  SECRET_KEY     session signing key; default a key generated once into <instance>/secret_key
  PORTAL_*       any other setting, e.g. PORTAL_MAX_CONTENT_LENGTH=20971520 sets MAX_CONTENT_LENGTH.
                 Values are parsed as JSON when they parse (numbers, true/false), else kept as text.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, Mapping

HASH_METHOD = "scrypt"  # werkzeug's password hashing; tests use a cheaper one

DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # hide_parameters: a database error's message (logged with the traceback) would otherwise carry
    # the statement's values, i.e. customers' names, phones and addresses.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "PORTAL_LANGUAGES": ["zh_CN", "en"],
    "PASSWORD_HASH_METHOD": HASH_METHOD,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_FAILURE_LIMIT": "5 per 15 minutes",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # None: Secure cookies exactly when PUBLIC_URL is an https:// address (see session.register);
    # true/false (PORTAL_SESSION_COOKIE_SECURE) decides it outright, e.g. behind a TLS proxy
    # without a public address.
    "SESSION_COOKIE_SECURE": None,
    # Flask-Login's remember-me cookie (the portal does not offer it; locked down all the same).
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": None,
    # A signed-in staff session ends after this many minutes without a request (0: never). Kiosks
    # hold no staff session and are not affected.
    "IDLE_MINUTES": 30,
    "WTF_CSRF_TIME_LIMIT": None,
    "ARCHIVE_DIR": None,
    # The portal's address as a phone outside the office network reaches it (printed in QR codes).
    "PUBLIC_URL": "",
    # Number of reverse proxies in front of the app (nginx: 1), so client addresses are right.
    "PROXY_FIX": 0,
}


def _parse(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
    if environ.get("SECRET_KEY"):
        found["SECRET_KEY"] = environ["SECRET_KEY"]
    for name, value in environ.items():
        if name.startswith("PORTAL_") and value != "":
            found[name.removeprefix("PORTAL_")] = _parse(value)
    return found


def normalise_database_url(url: str) -> str:
    # Hosting panels hand out postgres:// URLs; SQLAlchemy wants an explicit driver (psycopg 3).
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def instance_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, creating it (mode 0600) on first start."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        # Written under a temporary name and linked into place, so workers starting together
        # never read a half-written key and exactly one key wins.
        temporary = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, key_file)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return key_file.read_text().strip()
