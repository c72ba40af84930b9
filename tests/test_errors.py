"""Error pages for 400/403/404/409/413/500 in both languages, as pages and as htmx messages."""
import pytest

from portal.core.access import staff
from portal.core.roles import Role

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def app_config(app_config):
    # Let the 500 handler answer instead of re-raising into the test.
    return {**app_config, "MAX_CONTENT_LENGTH": 2048, "PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def boom(app):
    @staff
    def explode():
        raise RuntimeError("kaboom")
    app.add_url_rule("/boom", "boom", explode)


@pytest.mark.parametrize("headers,text", [(EN, "There is no such page or record."), (ZH, "没有这个页面或记录。")])
def test_404(client, headers, text):
    response = client.get("/no/such/page", headers=headers)
    assert response.status_code == 404 and text in response.get_data(as_text=True)


@pytest.mark.parametrize("headers,text", [(EN, "Your role does not give you access"), (ZH, "您的角色无权访问")])
def test_403(client, login_as, headers, text):
    login_as(Role.technician)
    response = client.get("/admin/users", headers=headers)
    assert response.status_code == 403 and text in response.get_data(as_text=True)


@pytest.mark.parametrize("headers,text", [(EN, "larger than the portal accepts"), (ZH, "超过")])
def test_413_body_over_the_limit(client, login_as, headers, text):
    login_as(Role.admin)
    response = client.post("/admin/users/new", data={"display_name": "x" * 5000}, headers=headers)
    assert response.status_code == 413 and text in response.get_data(as_text=True)


def test_500_page_says_nothing_was_saved(client, login_as, boom):
    login_as(Role.clerk)
    response = client.get("/boom", headers=EN)
    assert response.status_code == 500 and "Nothing was saved" in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)


def test_500_for_htmx_is_a_message_in_flash(client, login_as, boom):
    login_as(Role.clerk)
    response = client.get("/boom", headers={**EN, "HX-Request": "true"})
    assert response.status_code == 500 and response.headers["HX-Retarget"] == "#flash"
    assert "<html" not in response.get_data(as_text=True)


def test_405(client, login_as):
    login_as(Role.clerk)
    assert client.post("/", headers=EN).status_code == 405
