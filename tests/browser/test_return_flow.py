"""A return in Chromium, every step by its own role: the clerk registers the request, the manager
approves it, the warehouse receives the goods, the technician inspects them, the clerk resolves it
as an exchange and hands the tablet to the customer, who signs; the slip PDF is archived and
downloadable, and the slip is closed."""
import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.archive.models import ArchivedDocument
from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.returns.models import ReturnSlip, ReturnState
from tests.browser.conftest import wait_htmx_ready
from tests.browser.test_kiosk_flow import _stroke_with_touch
from tests.conftest import ARTIFACTS, TEST_PASSWORD
from tests.customers import helpers as customer_helpers

pytestmark = pytest.mark.browser
RS = ReturnState


def _login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/")


def _shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar at the top of the full-page shot
    page.screenshot(path=str(ARTIFACTS / f"return-{name}.png"), full_page=True)


def _state(app, slip_id):
    with app.app_context():
        return db.session.get(ReturnSlip, slip_id).state


def test_a_return_from_request_to_the_signed_exchange(app, page, live_server, make_user):
    for role, name in ((Role.clerk, "内勤小李"), (Role.manager, "赵经理"), (Role.warehouse, "库管老周"),
                       (Role.technician, "李师傅")):
        make_user(role, role.value, display_name=name, language="en")
    with app.app_context():
        customer_helpers.customer("泉城大酒店", is_organisation=True)
        customer_helpers.product_type("燃气热水器")
        db.session.commit()

    # The clerk registers the request: customer, product, sale, reason, wanted outcome.
    _login(page, live_server, "clerk")
    page.goto(f"{live_server}/returns/")
    page.get_by_role("link", name="New return request").click()
    wait_htmx_ready(page, "#lookup")
    page.locator("#lookup").fill("泉城")
    page.locator("#lookup-results button.pick").first.click()
    expect(page.locator("#chosen-customer")).to_contain_text("泉城大酒店")
    expect(page.locator("#lookup-results button.pick")).to_have_count(0)  # the matches go once one is picked
    page.locator("#product_type_id").select_option(label="燃气热水器")
    page.locator("#model").fill("JSQ25")
    page.locator("#serial").fill("RS-0001")
    page.locator("#sale_reference").fill("fp-2026-0815")
    page.locator("#sale_date").fill("2026-01-15")
    page.locator("#quantity_sold").fill("3")
    page.locator("#quantity").fill("1")
    page.locator("#reason-field label", has_text="Quality defect").click()
    page.locator("#description").fill("开机后显示E1，不出热水")
    page.locator("#outcome-field label", has_text="Exchange").click()
    _shot(page, "1-request-form")
    page.get_by_role("button", name="Register the return request").click()
    expect(page.locator("h1")).to_contain_text("TH-")
    expect(page.locator(".flash")).to_contain_text("waits for the quality review")
    expect(page.locator(".rt-waiting")).to_contain_text("the quality review by a manager")
    slip_id = int(page.url.rsplit("/", 1)[1])
    _shot(page, "2-requested")

    # The manager approves.
    _login(page, live_server, "manager")
    page.goto(f"{live_server}/returns/{slip_id}")
    page.locator("#step-review label", has_text="Approve").click()
    page.get_by_role("button", name="Record the review").click()
    expect(page.locator(".flash")).to_contain_text("approved")
    assert _state(app, slip_id) is RS.approved
    _shot(page, "3-approved")

    # The warehouse receives the goods.
    _login(page, live_server, "warehouse")
    page.goto(f"{live_server}/returns/{slip_id}")
    expect(page.locator("#step-review")).to_have_count(0)
    expect(page.locator("#quantity_received")).to_have_value("1")  # the requested quantity, suggested
    page.locator("#condition").fill("包装完好，机身无划痕")
    page.get_by_role("button", name="Goods received").click()
    expect(page.locator(".flash")).to_contain_text("received")
    assert _state(app, slip_id) is RS.received
    _shot(page, "4-received")

    # The technician inspects them.
    _login(page, live_server, "technician")
    page.goto(f"{live_server}/returns/{slip_id}")
    page.locator("#inspection_result").fill("主板故障，属产品质量问题")
    page.locator("#responsibility-field label", has_text="Manufacturer").click()
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.locator(".flash")).to_contain_text("Inspection")
    assert _state(app, slip_id) is RS.inspected
    expect(page.locator(".rt-waiting")).to_contain_text("the office to record the resolution")
    _shot(page, "5-inspected")

    # The clerk resolves it as an exchange, with the replacement's serial.
    _login(page, live_server, "clerk")
    page.goto(f"{live_server}/returns/{slip_id}")
    expect(page.locator("#resolution-field input[value=exchanged]")).to_be_checked()  # what the customer asked
    page.locator("#exchange_serial").fill("RS-0099")
    page.get_by_role("button", name="Record the resolution").click()
    expect(page.locator(".flash")).to_contain_text("resolved")
    assert _state(app, slip_id) is RS.resolved
    expect(page.locator("#signing-panel")).to_be_visible()
    _shot(page, "6-resolved")

    # The clerk hands the tablet over; the customer signs on it.
    page.locator("#signing-panel").get_by_role("button", name="Hand over to the customer").click()
    expect(page).to_have_url(f"{live_server}/returns/{slip_id}/sign")
    expect(page.locator(".mainnav")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("RS-0099")
    page.locator("label.big-radio", has_text="Very satisfied").click()
    page.locator("#signer_name").fill("王经理")
    _stroke_with_touch(page)
    _shot(page, "7-customer-signs")
    page.get_by_role("button", name="Confirm and sign").click()
    expect(page).to_have_url(f"{live_server}/receipts/handover/thanks")
    expect(page.locator("main")).to_contain_text("is signed and archived")
    _shot(page, "8-thanks")
    assert _state(app, slip_id) is RS.closed

    # The clerk unlocks: the signed page, with the archived PDF.
    page.get_by_role("link", name="Staff: unlock").click()
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#unlock-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/returns/{slip_id}/signed")
    expect(page.locator(".mainnav")).to_be_visible()
    _shot(page, "9-signed")
    with app.app_context():
        document = db.session.scalar(select(ArchivedDocument).where(ArchivedDocument.document_type == "return_slip"))
        signature = db.session.scalar(select(Signature))
        assert document.document_id == slip_id and signature.device == "staff tablet, handed over"
        document_id, sha = document.id, document.sha256
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the signed PDF").click()
    assert hashlib.sha256(Path(download.value.path()).read_bytes()).hexdigest() == sha  # the archived file

    # Back on the slip: closed, the signature and the archived copy, nothing left to do.
    page.get_by_role("link", name="Back to the return").click()
    expect(page.locator("h1 .badge")).to_contain_text("Closed")
    expect(page.locator("main")).to_contain_text("王经理")
    expect(page.locator(f"a[href='/archive/{document_id}.pdf']").first).to_be_visible()
    expect(page.locator("#signing-panel")).to_have_count(0)
    expect(page.locator(".rt-step")).to_have_count(0)
    _shot(page, "10-closed")
