"""Deny by default: walk the whole URL map."""
import pytest

from portal.core.access import PUBLIC, declared_access
from portal.core.roles import Role

# The only endpoints anyone may call without signing in. The language switch is open so the
# sign-in page itself can be shown in the visitor's language.
OPEN_ENDPOINTS = {"static", "accounts.login", "accounts.set_language", "health.healthz", "archive.verify",
                  # The counter kiosk's screens: no sign-in, guarded by the paired device's token cookie
                  # instead (an unknown or revoked token gets "this device is not a paired kiosk").
                  "archive.kiosk", "archive.kiosk_screen", "archive.kiosk_sign", "archive.kiosk_cancel"}


def _endpoints(app):
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()})


def test_every_endpoint_declares_who_may_use_it(app):
    with app.test_request_context():
        undeclared = [e for e in _endpoints(app) if declared_access(e) is None]
        opened = {e for e in _endpoints(app) if declared_access(e) == PUBLIC}
    assert undeclared == [], f"endpoints without a role declaration: {undeclared}"
    assert opened == OPEN_ENDPOINTS


def test_undeclared_endpoint_is_refused_even_to_admin(app, client, login_as):
    app.add_url_rule("/undeclared", "undeclared", lambda: "leak")
    login_as(Role.admin)
    assert client.get("/undeclared").status_code == 403


def _simple_get_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint not in OPEN_ENDPOINTS:
            rules.append(rule)
    return rules


def _url(rule):
    return rule.build({arg: 1 for arg in rule.arguments})[1]


def test_anonymous_is_sent_to_login_everywhere(app, client):
    for rule in _simple_get_rules(app):
        response = client.get(_url(rule))
        assert response.status_code in (302, 303), rule
        assert "/login" in response.headers["Location"], rule


def test_anonymous_htmx_request_gets_hx_location_to_login(client):
    response = client.get("/admin/users", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "/login" in response.headers["HX-Location"]


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_only_its_endpoints(app, client, login_as, make_user, role):
    make_user(Role.clerk, "somebody")  # user id 1 exists for /<id> routes once we are not it
    login_as(role)
    with app.test_request_context():
        for rule in _simple_get_rules(app):
            allowed = declared_access(rule.endpoint)
            response = client.get(_url(rule))
            if role in allowed:
                assert response.status_code in (200, 404), (rule, role, response.status_code)
            else:
                assert response.status_code == 403, (rule, role, response.status_code)


def test_deactivated_user_is_signed_out(app, client, login_as):
    from portal.accounts.models import User
    user_id = login_as(Role.clerk)
    with app.app_context():
        from portal.extensions import db as _db
        _db.session.get(User, user_id).active = False
        _db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
