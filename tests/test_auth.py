from portal.core.roles import Role
from tests.conftest import TEST_PASSWORD

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _login(client, username, password, headers=EN, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra}, headers=headers)


def test_login_and_logout(client, make_user):
    make_user(Role.clerk, "lina")
    response = _login(client, "lina", TEST_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/logout", headers=EN)
    assert response.status_code == 303
    assert client.get("/").status_code == 302


def test_username_is_case_insensitive(client, make_user):
    make_user(Role.clerk, "Lina")
    assert _login(client, "lina", TEST_PASSWORD).status_code == 303


def test_wrong_password_and_unknown_user_get_the_same_message(client, make_user):
    make_user(Role.clerk, "lina")
    wrong = _login(client, "lina", "nope-nope-1")
    unknown = _login(client, "nobody", "nope-nope-1")
    assert wrong.status_code == unknown.status_code == 422
    assert b"Wrong username or password." in wrong.data
    assert b"Wrong username or password." in unknown.data
    assert b'value="lina"' in wrong.data  # what the user typed is kept


def test_message_in_chinese(client, make_user):
    make_user(Role.clerk, "lina")
    response = _login(client, "lina", "nope-nope-1", headers=ZH)
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_disabled_user_is_told_with_the_right_password_only(client, make_user):
    make_user(Role.clerk, "gone", active=False)
    assert b"Wrong username or password." in _login(client, "gone", "nope-nope-1").data
    response = _login(client, "gone", TEST_PASSWORD)
    assert response.status_code == 422 and b"This account is disabled" in response.data


def test_over_long_and_empty_fields(client):
    response = _login(client, "x" * 500, "y")
    assert response.status_code == 422
    assert b"Field cannot be longer than 40 characters." in response.data
    response = _login(client, "", "")
    assert b"Enter your username." in response.data and b"Enter your password." in response.data


def test_failures_are_limited_per_username_and_address(client, make_user):
    make_user(Role.clerk, "lina")
    for _ in range(5):
        assert _login(client, "lina", "wrong-pass-1").status_code == 422
    blocked = _login(client, "lina", TEST_PASSWORD)
    assert blocked.status_code == 429
    assert b"Too many failed sign-ins" in blocked.data
    # Another username from the same address is not affected.
    make_user(Role.clerk, "wang")
    assert _login(client, "wang", TEST_PASSWORD).status_code == 303


def test_successful_logins_do_not_count_as_failures(client, make_user):
    make_user(Role.clerk, "lina")
    for _ in range(7):
        assert _login(client, "lina", TEST_PASSWORD).status_code == 303
        client.post("/logout")


def test_next_is_followed_only_inside_the_site(client, make_user):
    make_user(Role.clerk, "lina")
    assert _login(client, "lina", TEST_PASSWORD, next="/admin/users").headers["Location"] == "/admin/users"
    client.post("/logout")
    assert _login(client, "lina", TEST_PASSWORD, next="https://evil.example/").headers["Location"] == "/"
    client.post("/logout")
    assert _login(client, "lina", TEST_PASSWORD, next="//evil.example/").headers["Location"] == "/"


def test_login_is_audited(app, client, make_user):
    from portal.core.models import AuditEntry
    from portal.extensions import db
    make_user(Role.clerk, "lina")
    _login(client, "lina", TEST_PASSWORD, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    with app.app_context():
        entry = db.session.query(AuditEntry).filter_by(action="user.login").one()
        assert entry.entity_label == "lina"
