"""Password policy, the user's own password change, and a new password ending other sessions."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.forms import PASSWORD_MIN, password_problem
from portal.accounts.models import User
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.extensions import db
from tests.conftest import TEST_PASSWORD

EN = {"Accept-Language": "en"}


@pytest.mark.parametrize("password, reason", [
    ("abc-12", "Use at least 10 characters."),
    ("x" * (PASSWORD_MIN - 1), "Use at least 10 characters."),
    ("correct\x00horse-1", "no control characters"),
    ("tab\there-is-1", "no control characters"),
    ("Lina.Wang-2", "must not be the username"),
    ("qwertyuiop", "guessing list"),
    ("Password2026!", "guessing list"),
    ("p@ssw0rd-2026", "guessing list"),
    ("woaini1314", "guessing list"),
    ("1qaz2wsx3edc", "guessing list"),
    ("Admin@123456", "guessing list"),
    ("abcdefghijkl", "Mix letters with digits or symbols."),
    ("13812345678", "Mix letters with digits or symbols."),
    ("售后服务部门的密码很长", "Mix letters with digits or symbols."),
    ("!!!!@@@@####", "Mix letters with digits or symbols."),
    ("abab1212abab", "Use more different characters."),
])
def test_weak_passwords_are_refused_with_a_reason(app, password, reason):
    with app.test_request_context(headers=EN):
        problem = password_problem(password, username="lina.wang-2")
        assert problem is not None and reason in str(problem)


@pytest.mark.parametrize("password", [TEST_PASSWORD, "tablet-2026", "admin-demo-2026", "修理部售后-2026春", "Grüne Wiese 7",
                                      "correct horse battery 9"])
def test_reasonable_passwords_pass(app, password):
    with app.test_request_context(headers=EN):
        assert password_problem(password, username="lina") is None


def test_admin_forms_apply_the_policy_including_the_username(app, client, login_as, make_user):
    login_as(Role.admin)
    data = {"username": "xiaoli", "display_name": "小李", "role": "clerk", "preferred_language": "",
            "password": "XiaoLi", "confirm": "XiaoLi"}
    response = client.post("/admin/users/new", data={**data, "password": "xiaoli1234", "confirm": "xiaoli1234"},
                           headers=EN)
    assert response.status_code == 303  # contains the name but is not the name: allowed
    response = client.post("/admin/users/new", data={**data, "username": "abcdefghij2", "password": "ABCDEFGHIJ2",
                                                     "confirm": "ABCDEFGHIJ2"}, headers=EN)
    assert response.status_code == 422 and "must not be the username" in response.get_data(as_text=True)
    target = make_user(Role.clerk, "zhang.wei-88")
    response = client.post(f"/admin/users/{target}/password", data={"password": "Zhang.Wei-88", "confirm": "Zhang.Wei-88"},
                           headers=EN)
    assert response.status_code == 422 and "must not be the username" in response.get_data(as_text=True)
    response = client.post(f"/admin/users/{target}/password", data={"password": "password2026", "confirm": "password2026"},
                           headers=EN)
    assert response.status_code == 422 and "guessing list" in response.get_data(as_text=True)


def test_the_cli_applies_the_policy(app, runner):
    result = runner.invoke(args=["users", "create", "cli-user", "--role", "clerk"], input="qwertyuiop\n")
    assert result.exit_code != 0
    result = runner.invoke(args=["users", "create", "cli-user", "--role", "clerk"], input="cli-user\n")
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "cli-user")) is None


def _real_sign_in(app, username, password=TEST_PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    return client


def test_a_user_changes_their_own_password_and_other_sessions_end(app, make_user):
    make_user(Role.technician, "tech")
    here, elsewhere = _real_sign_in(app, "tech"), _real_sign_in(app, "tech")
    page = here.get("/account/password", headers=EN)
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.get_data(as_text=True)
    new = {"current": TEST_PASSWORD, "password": "new-tablet-77", "confirm": "new-tablet-77"}
    wrong = here.post("/account/password", data={**new, "current": "not-it-at-all-1"}, headers=EN)
    assert wrong.status_code == 422 and "This is not your current password." in wrong.get_data(as_text=True)
    same = here.post("/account/password", data={**new, "password": TEST_PASSWORD, "confirm": TEST_PASSWORD}, headers=EN)
    assert same.status_code == 422 and "different from the current one" in same.get_data(as_text=True)
    weak = here.post("/account/password", data={**new, "password": "tech", "confirm": "tech"}, headers=EN)
    assert weak.status_code == 422
    assert elsewhere.get("/").status_code == 200  # nothing changed yet
    done = here.post("/account/password", data=new, headers={**EN, "HX-Request": "true"})
    assert done.status_code == 200 and "HX-Location" in done.headers
    assert here.get("/").status_code == 200  # this session carries on
    assert elsewhere.get("/").status_code == 302  # the other device is signed out
    _real_sign_in(app, "tech", "new-tablet-77")
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "user")))
        assert "user.password_changed" in actions


def test_an_admin_reset_ends_the_users_sessions_but_not_the_admins(app, make_user):
    make_user(Role.admin, "boss")
    clerk_id = make_user(Role.clerk, "lina")
    admin, clerk = _real_sign_in(app, "boss"), _real_sign_in(app, "lina")
    response = admin.post(f"/admin/users/{clerk_id}/password", data={"password": "reset-by-boss-1", "confirm": "reset-by-boss-1"})
    assert response.status_code == 303
    assert clerk.get("/").status_code == 302 and admin.get("/").status_code == 200
    with app.app_context():
        boss_id = db.session.scalar(select(User.id).where(User.username == "boss"))
    other_admin_tab = _real_sign_in(app, "boss")
    response = admin.post(f"/admin/users/{boss_id}/password", data={"password": "my-own-reset-2", "confirm": "my-own-reset-2"})
    assert response.status_code == 303
    assert admin.get("/").status_code == 200 and other_admin_tab.get("/").status_code == 302


def test_the_session_does_not_reveal_the_password_hash(app, make_user):
    make_user(Role.clerk, "lina")
    client = _real_sign_in(app, "lina")
    with client.session_transaction() as session:
        ident = session["_user_id"]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "lina"))
        assert ident.startswith(f"{user.id}.") and ident.split(".", 1)[1] not in user.password_hash
