from sqlalchemy import select

from portal.accounts.models import User
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.extensions import db

EN = {"Accept-Language": "en"}
NEW = {"username": "xiaoli", "display_name": "小李", "role": "technician", "preferred_language": "",
       "password": "tablet-2026", "confirm": "tablet-2026"}


def _user(app, username):
    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def test_admin_creates_user(app, client, login_as):
    login_as(Role.admin)
    response = client.post("/admin/users/new", data=NEW, headers=EN)
    assert response.status_code == 303
    user = _user(app, "xiaoli")
    assert user.role is Role.technician and user.display_name == "小李" and user.active
    assert user.password_hash != "tablet-2026"


def test_htmx_create_answers_200_with_hx_location(client, login_as):
    login_as(Role.admin)
    response = client.post("/admin/users/new", data=NEW, headers={**EN, "HX-Request": "true", "HX-Boosted": "true"})
    assert response.status_code == 200
    assert "/admin/users/" in response.headers["HX-Location"]


def test_duplicate_username_is_reported_at_the_field(app, client, login_as, make_user):
    make_user(Role.clerk, "xiaoli")
    login_as(Role.admin)
    response = client.post("/admin/users/new", data=NEW, headers=EN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="username-error"' in html and "This username is taken." in html
    assert 'value="小李"' in html  # the rest of what was typed stays


def test_bad_input_messages(client, login_as):
    login_as(Role.admin)
    bad = {**NEW, "username": "a b", "password": "1234567890", "confirm": "1234", "role": "pope",
           "display_name": "x" * 61}
    html = client.post("/admin/users/new", data=bad, headers=EN).get_data(as_text=True)
    assert "Use letters, digits, dot, dash or underscore only." in html
    assert "Mix letters with digits or symbols." in html
    assert "The two passwords differ." in html
    assert "Not a valid choice" in html
    assert "Field cannot be longer than 60 characters." in html


def test_edit_deactivate_and_reset_password(app, client, login_as, make_user):
    user_id = make_user(Role.clerk, "wang")
    login_as(Role.admin)
    form = {"username": "wang", "display_name": "王内勤", "role": "clerk", "preferred_language": "zh_CN", "version": 1}
    assert client.post(f"/admin/users/{user_id}", data=form).status_code == 303
    assert client.post(f"/admin/users/{user_id}/active").status_code == 303
    user = _user(app, "wang")
    assert user.display_name == "王内勤" and user.preferred_language == "zh_CN" and not user.active
    old_hash = user.password_hash
    weak = client.post(f"/admin/users/{user_id}/password", data={"password": "short", "confirm": "short"}, headers=EN)
    assert weak.status_code == 422 and b"Use at least 10 characters." in weak.data
    assert client.post(f"/admin/users/{user_id}/password", data={"password": "new-pass-99", "confirm": "new-pass-99"}).status_code == 303
    assert _user(app, "wang").password_hash != old_hash
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.entity_id == user_id))]
    assert {"user.created", "user.updated", "user.deactivated", "user.password_reset"} <= set(actions)


def test_admin_cannot_lock_themselves_out(client, login_as):
    me = login_as(Role.admin)
    response = client.post(f"/admin/users/{me}/active", headers=EN)
    assert response.status_code == 409 and b"You cannot deactivate your own account." in response.data


def test_user_page_shows_timeline(client, login_as, make_user):
    user_id = make_user(Role.clerk, "wang")
    login_as(Role.admin)
    html = client.get(f"/admin/users/{user_id}", headers=EN).get_data(as_text=True)
    assert 'id="timeline-title"' in html and "created" in html


def test_users_list_filters_and_fragment(client, login_as, make_user):
    make_user(Role.technician, "tech-a")
    make_user(Role.clerk, "clerk-b", active=False)
    login_as(Role.admin)
    fragment = client.get("/admin/users?role=technician", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "tech-a" in fragment and "clerk-b" not in fragment
    page = client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "<html" in page and "clerk-b" in page and "tech-a" not in page


def test_non_admin_cannot_manage_users(client, login_as):
    login_as(Role.manager)
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data=NEW).status_code == 403


def test_cli_creates_user_from_stdin(app, runner):
    result = runner.invoke(args=["users", "create", "cli-user", "--role", "warehouse"], input="pipe-pass-1\n")
    assert result.exit_code == 0, result.output
    assert _user(app, "cli-user").role is Role.warehouse
    again = runner.invoke(args=["users", "create", "cli-user", "--role", "warehouse"], input="pipe-pass-1\n")
    assert again.exit_code != 0 and "该用户名已被占用" in again.output  # CLI speaks the default language
    short = runner.invoke(args=["users", "create", "other", "--role", "clerk"], input="short\n")
    assert short.exit_code != 0
