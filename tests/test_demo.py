from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.roles import Role
from portal.demo import DEMO_USERS, demo_password
from portal.extensions import db


def test_demo_load_is_idempotent_and_prints_logins(app, runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "admin-demo-2026" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "(existing)" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == len(DEMO_USERS)
        assert {u.role for u in db.session.scalars(select(User))} == set(Role)


def test_every_demo_role_signs_in_and_sees_its_own_navigation(app, runner):
    runner.invoke(args=["demo", "load"])
    seen = {}
    for username, _name, role in DEMO_USERS:
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": demo_password(username)})
        assert response.status_code == 303, username
        html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
        seen[role] = ("/admin/users" in html, "/settings/" in html)
    assert seen[Role.admin] == (True, True)
    assert seen[Role.manager] == (False, True)
    for role in (Role.clerk, Role.operator, Role.technician, Role.warehouse):
        assert seen[role] == (False, False)


def test_demo_logins_command_writes_nothing(app, runner):
    result = runner.invoke(args=["demo", "logins"])
    assert result.exit_code == 0 and "tech-demo-2026" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_if_empty_loads_nothing_on_a_database_with_users(app, runner, make_user):
    make_user(Role.admin, "realadmin")
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "not loaded" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1
