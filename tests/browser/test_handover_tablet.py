"""Hand-over mode on the technician's tablet in Chromium: 交给客户签字 from the case page locks the
browser to signing; the customer signs with a finger; the thank-you screen; the password unlocks."""
import pytest
from playwright.sync_api import expect

from portal.core.roles import Role
from portal.extensions import db
from portal.receipts.models import ReceiptState, RepairReceipt
from tests.archive import helpers as archive_helpers
from tests.browser.test_kiosk_flow import _sign_in, _stroke_with_touch
from tests.conftest import ARTIFACTS, TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_hand_over_locks_the_tablet_to_signing_until_the_password(app, page, live_server, make_user):
    tech = make_user(Role.technician, "tech", language="en", display_name="王师傅")
    with app.app_context():
        receipt = archive_helpers.ready_receipt(tech)
        receipt_id, case_id = receipt.id, receipt.case_id
    _sign_in(page, live_server, "tech")
    page.goto(f"{live_server}/cases/{case_id}")
    page.get_by_role("button", name="Hand over to the customer").click()
    expect(page).to_have_url(f"{live_server}/receipts/{receipt_id}/sign")
    expect(page.locator(".mainnav")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # The customer wanders off: every other address shows the locked screen.
    page.goto(f"{live_server}/cases/")
    expect(page.locator("main")).to_contain_text("This tablet is handed over for signing")
    page.get_by_role("link", name="Back to signing").click()
    expect(page).to_have_url(f"{live_server}/receipts/{receipt_id}/sign")

    page.locator("label.big-radio", has_text="Satisfied").last.click()
    page.locator("#signer_name").fill("王经理")
    _stroke_with_touch(page)
    assert page.evaluate("document.querySelector('canvas#signature').signaturePad.isEmpty()") is False
    page.get_by_role("button", name="Accept and sign").click()
    expect(page).to_have_url(f"{live_server}/receipts/handover/thanks")
    expect(page.locator("main")).to_contain_text("Thank you!")
    page.locator(".langswitch button", has_text="中文").click()  # the customer's language
    expect(page.locator("main h1")).to_contain_text("谢谢")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "handover-thanks.png"))
    with app.app_context():
        assert db.session.get(RepairReceipt, receipt_id).state is ReceiptState.signed

    page.locator(".handover-thanks a.button").click()
    page.locator("#password").fill("not-my-password")
    page.locator("#unlock-form button[type=submit]").click()
    expect(page.locator(".form-errors")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "handover-locked.png"))
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#unlock-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/receipts/{receipt_id}/signed")
    expect(page.locator(".mainnav")).to_be_visible()
