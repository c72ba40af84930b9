import re

import pytest
from playwright.sync_api import expect

from portal.core.roles import Role
from tests.browser.conftest import wait_htmx_ready
from tests.conftest import ARTIFACTS, TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_sign_in_through_the_real_page_at_tablet_size(page, live_server, make_user):
    make_user(Role.technician, "zhangsf", display_name="张师傅")
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()

    page.get_by_label("用户名").fill("zhangsf")
    page.get_by_label("密码").fill("wrong-password-1")
    page.get_by_role("button", name="登录").last.click()
    expect(page.locator(".form-errors")).to_contain_text("用户名或密码错误")
    expect(page.get_by_label("用户名")).to_have_value("zhangsf")

    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").last.click()
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator(".whoami")).to_contain_text("张师傅")
    # Touch targets: every button and nav link is at least 44 CSS px tall.
    for box in page.locator(".topbar a, .topbar button, .tile, .button").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().height)"):
        assert box >= 44
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-tablet-technician.png"), full_page=True)


def test_language_switch_and_admin_pages(page, live_server, make_user):
    make_user(Role.admin, "boss", display_name="管理员")
    make_user(Role.technician, "li", display_name="李师傅")
    page.goto(f"{live_server}/login")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").last.click()
    expect(page.locator(".whoami")).to_contain_text("管理员")
    page.get_by_role("link", name="Users").first.click()
    expect(page).to_have_url(f"{live_server}/admin/users")
    # Active search: the table updates as one types and the URL follows.
    wait_htmx_ready(page, "form.filters")
    page.get_by_role("searchbox").fill("li")
    expect(page).to_have_url(re.compile(r"q=li"), timeout=15_000)  # the search answered and pushed its URL
    expect(page.locator("#users-table")).not_to_contain_text("boss", timeout=15_000)
    expect(page.locator("#users-table")).to_contain_text("李师傅")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "users-tablet-admin.png"), full_page=True)
