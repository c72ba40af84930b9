"""Apps with other settings than the `app` fixture's, their connections closed afterwards (on
PostgreSQL an app left to the garbage collector leaves its connections open)."""
from __future__ import annotations

import pytest

from portal import create_app
from portal.extensions import db


@pytest.fixture
def make_app(app_config):
    made = []

    def make(**overrides):
        application = create_app({**app_config, **overrides})
        made.append(application)
        return application
    yield make
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
