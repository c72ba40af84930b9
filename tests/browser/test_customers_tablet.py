import re
from datetime import date

import pytest
from playwright.sync_api import expect

from portal.core.roles import Role
from tests.browser.conftest import wait_htmx_ready
from tests.conftest import ARTIFACTS, TEST_PASSWORD
from tests.customers import helpers

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/")


def test_live_search_finds_a_two_character_name_as_you_type(app, page, live_server, make_user):
    make_user(Role.clerk, "lina", display_name="李内勤")
    with app.app_context():
        zhang = helpers.customer("张伟", "13812345678", city="济南市", street="经十路 100 号")
        helpers.unit(zhang, "ZG-2024-0001", bought=date(2025, 3, 2))
        helpers.customer("王芳", "13912345678")
        helpers.customer("张伟民", "13712345678")
        helpers.commit()
    _sign_in(page, live_server, "lina")
    # The customer pages sit in the top bar's "customer care" menu: tap it open, then the entry.
    page.locator("details.navmenu > summary", has_text="客户服务").click()
    page.locator("details.navmenu[open]").get_by_role("link", name="客户", exact=True).click()
    expect(page).to_have_url(f"{live_server}/customers/")
    results = page.locator("#results")
    expect(results).to_contain_text("王芳")
    wait_htmx_ready(page, "#customer-search")
    page.locator("#q").press_sequentially("张伟", delay=80)
    expect(results).not_to_contain_text("王芳")
    expect(results).to_contain_text("张伟民")
    expect(page).to_have_url(re.compile(r"q=%E5%BC%A0%E4%BC%9F"))  # bookmarkable
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("138 1234", delay=50)
    expect(page).to_have_url(re.compile(r"q=138(\+|%20)1234"))  # the last keystroke's search has landed
    expect(results).to_contain_text("张伟")
    expect(results).not_to_contain_text("王芳")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "customers-live-search-tablet.png"), full_page=True)
    page.get_by_role("link", name="张伟", exact=True).click()
    expect(page.locator("#equipment")).to_contain_text("购买于 2025-03-02，保修 12 个月，2026-03-01 到期")
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))  # boosted navigation pushed the URL
    page.reload()
    expect(page.locator("#equipment")).to_contain_text("已过保")


def test_inline_phone_check_while_typing(app, page, live_server, make_user):
    make_user(Role.operator, "op")
    with app.app_context():
        helpers.customer("王芳", "13912345678")
        helpers.commit()
    _sign_in(page, live_server, "op")
    page.goto(f"{live_server}/customers/new")
    page.locator("#contacts-0-phone").press_sequentially("139 1234 5678", delay=30)
    check = page.locator("#contacts-0-phone-field .inline-check")
    expect(check).to_contain_text("该电话已属于客户")
    expect(check.get_by_role("link")).to_contain_text("王芳")
    page.locator("#contacts-0-phone").fill("")
    page.locator("#contacts-0-phone").press_sequentially("139 1234 567", delay=30)
    expect(check.locator(".check-error")).to_be_visible()
