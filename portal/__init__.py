"""After-sales service portal: the application factory."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from portal import config as portal_config
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FAMILIES = ("accounts", "settings", "customers", "repairs", "dispatch", "parts", "receipts", "archive", "carryin",
            "returns", "visits", "complaints", "reports")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"),
                template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "static"))
    _configure(app, config or {})
    _register_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    _register_commands(app)
    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def _configure(app: Flask, overrides: Mapping[str, Any]) -> None:
    app.config.from_mapping(portal_config.DEFAULTS)
    app.config.from_mapping(portal_config.from_environment(os.environ))
    app.config.from_mapping(overrides)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance / 'portal.sqlite3'}")
    app.config["SQLALCHEMY_DATABASE_URI"] = portal_config.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = portal_config.instance_secret_key(instance)
    archive = Path(app.config.get("ARCHIVE_DIR") or instance / "archive")
    archive.mkdir(parents=True, exist_ok=True)
    app.config["ARCHIVE_DIR"] = str(archive)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)


def _register_extensions(app: Flask) -> None:
    from portal.core import db as _sqlite_hooks  # noqa: F401  (registers engine events)
    from portal.core.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)

    from portal.accounts.services import load_user
    login_manager.user_loader(load_user)


def _register_blueprints(app: Flask) -> None:
    from importlib import import_module

    from portal.core.health import bp as health_bp

    app.register_blueprint(health_bp)
    for family in FAMILIES:
        app.register_blueprint(import_module(f"portal.{family}").bp)


def _register_hooks(app: Flask) -> None:
    from portal.core import access, errorpages, htmx, logmask, session, templating

    session.register(app)  # cookie flags, idle expiry (its hook runs before all others)
    logmask.install()
    app.before_request(access.enforce_access)
    app.after_request(htmx.after_request)
    app.after_request(templating.security_headers)
    errorpages.register(app)
    templating.register(app)


def _register_commands(app: Flask) -> None:
    from portal.accounts.cli import users_cli
    from portal.archive.cli import archive_cli
    from portal.core.backup import backup_cli
    from portal.demo import demo_cli

    app.cli.add_command(archive_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
