"""In a real browser: an idle session ends on the next htmx request with a whole sign-in page (not
a fragment swapped into the list), and the portal's pages raise no CSP violation on the way."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from portal.core.roles import Role
from portal.core.timeutil import travel
from tests.browser.conftest import (browser_context_args, browser_type_launch_args, live_server,  # noqa: F401
                                    wait_htmx_ready)
from tests.conftest import ARTIFACTS, TEST_PASSWORD

pytestmark = pytest.mark.browser
START = datetime(2026, 11, 21, 1, 0, tzinfo=timezone.utc)


def test_an_idle_desk_lands_on_the_sign_in_page_and_comes_back(page, live_server, make_user):  # noqa: F811
    make_user(Role.clerk, "lina", display_name="李内勤")
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text else None)
    with travel(START):
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill("lina")
        page.get_by_label("密码").fill(TEST_PASSWORD)
        page.get_by_role("button", name="登录").last.click()
        expect(page.locator(".whoami")).to_contain_text("李内勤")
        page.goto(f"{live_server}/customers/")
        wait_htmx_ready(page, "form.filters")
    with travel(START + timedelta(minutes=45)):
        page.locator("#q").fill("张")  # an htmx search, 45 minutes later
        expect(page).to_have_url(re.compile(r"/login\?next="), timeout=15_000)
        expect(page.locator(".flash-info, .flash")).to_contain_text("30")
        expect(page.locator("#customers-table, .mainnav")).to_have_count(0)  # a whole page, nothing of the old one
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "idle-expired-sign-in.png"), full_page=True)
        page.get_by_label("用户名").fill("lina")
        page.get_by_label("密码").fill(TEST_PASSWORD)
        page.get_by_role("button", name="登录").last.click()
        expect(page).to_have_url(re.compile(r"/customers/"))
    assert not violations, violations
