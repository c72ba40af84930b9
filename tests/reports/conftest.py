"""The hand-counted KPI world (tests/reports/helpers.py build()), committed, as ids and numbers."""
from __future__ import annotations

import pytest

from portal.core.roles import Role
from portal.extensions import db
from tests.reports import helpers


@pytest.fixture
def world(app, make_user):
    a = make_user(Role.technician, "tech_a", display_name="甲师傅")
    b = make_user(Role.technician, "tech_b", display_name="乙师傅")
    clerk = make_user(Role.clerk, "clerk_k", display_name="李内勤")
    with app.app_context():
        built = helpers.build(a, b, clerk)
        db.session.commit()
        return {"a": a, "b": b, "clerk": clerk,
                "numbers": {k: v.number for k, v in built.cases.items()},
                "complaints": {k: v.number for k, v in built.complaints.items()},
                "follow_ups": {k: v.id for k, v in built.follow_ups.items()}}
