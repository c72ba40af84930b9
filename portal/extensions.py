from typing import Any

import click
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints so Alembic can alter them on SQLite and PostgreSQL alike.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


db = SQLAlchemy(model_class=Base)


class _PendingMigrateConfig:
    """app.extensions["migrate"] until something (`flask db`, the tests' upgrade()) first reads it:
    then Flask-Migrate is imported and set up, and takes its place."""

    def __init__(self, app: Any, db: Any, kwargs: dict[str, Any]) -> None:
        self._setup = (app, db, kwargs)

    def __getattr__(self, name: str) -> Any:
        from flask_migrate import Migrate

        app, db, kwargs = self._setup
        Migrate(app, db, **kwargs)  # replaces this object in app.extensions and the `db` command
        return getattr(app.extensions["migrate"], name)


class _LazyDbCommands(click.Group):
    """The `flask db` group: its options, callback and commands are Flask-Migrate's, loaded when
    the command line asks for them."""

    @staticmethod
    def _group() -> click.Group:
        from flask_migrate.cli import db as group

        return group

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return self._group().get_params(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        self.callback = self._group().callback  # puts --directory and --x-arg where its commands look
        return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._group().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._group().get_command(ctx, name)


class LazyMigrate:
    """Flask-Migrate without importing it with the app: Alembic, Mako and Pygments cost some 10 MB
    in every gunicorn worker, which never migrates."""

    def init_app(self, app: Any, db: Any, **kwargs: Any) -> None:
        app.extensions["migrate"] = _PendingMigrateConfig(app, db, kwargs)
        app.cli.add_command(_LazyDbCommands("db", help="Perform database migrations."))

    def __getattr__(self, name: str) -> Any:
        # migrate.get_config() and the like: the current app's Flask-Migrate object answers.
        from flask import current_app

        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(current_app.extensions["migrate"].migrate, name)


migrate = LazyMigrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=lambda: request.remote_addr or "-", default_limits=[])
