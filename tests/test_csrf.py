"""CSRF switched on: hidden fields for plain forms, the hx-headers token for htmx requests."""
import json
import re

import pytest

from portal.core.roles import Role


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _hx_token(html: str) -> str:
    raw = re.search(r"hx-headers='([^']+)'", html).group(1)
    return json.loads(raw.replace("&#34;", '"'))["X-CSRFToken"]


def test_post_without_token_is_refused_with_a_message(client, make_user):
    make_user(Role.clerk, "lina")
    response = client.post("/login", data={"username": "lina", "password": "secret-pass-1"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert b"Your form expired" in response.data


def test_login_form_with_hidden_token(client, make_user):
    make_user(Role.clerk, "lina")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "lina", "password": "secret-pass-1", "csrf_token": token})
    assert response.status_code == 303


def test_htmx_post_carries_the_header_from_main(client, login_as, make_user):
    login_as(Role.admin)
    other = make_user(Role.clerk, "wang")
    page = client.get(f"/admin/users/{other}").get_data(as_text=True)
    token = _hx_token(page)
    refused = client.post(f"/admin/users/{other}/active", headers={"HX-Request": "true"})
    assert refused.status_code == 400
    assert refused.headers["HX-Retarget"] == "#flash"
    accepted = client.post(f"/admin/users/{other}/active", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code == 200 and "HX-Location" in accepted.headers
