"""The counter kiosk end to end in Chromium, with two browser contexts: the clerk at an office PC
and the counter tablet (1280×800, touch, scale 2) paired as 前台平板1 by the administrator."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.archive.models import ArchivedDocument, KioskRequest, KioskRequestState
from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.receipts.models import ReceiptState, RepairReceipt
from tests.archive import helpers as archive_helpers
from tests.browser.conftest import TABLET
from tests.conftest import ARTIFACTS, TEST_PASSWORD

pytestmark = pytest.mark.browser
PC = {"viewport": {"width": 1366, "height": 900}, "locale": "en-US"}


def _sign_in(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/")


def _stroke_with_touch(page):
    canvas = page.locator("canvas#signature")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    cdp = page.context.new_cdp_session(page)
    x0, y0 = box["x"] + 40, box["y"] + box["height"] / 2
    points = [(x0 + i * 14, y0 + (35 if i % 2 else -35)) for i in range(30)]
    start = {"x": points[0][0], "y": points[0][1]}
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [start]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_a_clerk_sends_a_receipt_to_the_counter_kiosk_and_it_is_signed_there(app, browser, live_server, make_user):
    make_user(Role.admin, "admin", language="en")
    make_user(Role.clerk, "clerk", language="en", display_name="内勤小李")
    tech = make_user(Role.technician, "tech")
    with app.app_context():
        receipt = archive_helpers.ready_receipt(tech)
        receipt_id, number = receipt.id, receipt.number

    # The administrator pairs the counter tablet, on the tablet itself.
    tablet = browser.new_context(**TABLET).new_page()
    _sign_in(tablet, live_server, "admin")
    tablet.goto(f"{live_server}/kiosks/pair")
    tablet.locator("#name").fill("前台平板1")
    tablet.locator("#kiosk-pair-form button[type=submit]").click()
    expect(tablet).to_have_url(f"{live_server}/kiosk")
    expect(tablet.locator(".kiosk-idle")).to_contain_text("前台平板1")
    expect(tablet.locator(".mainnav")).to_have_count(0)
    cookie = next(c for c in tablet.context.cookies() if c["name"] == "portal_kiosk")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] > 0

    # The clerk sends the ready receipt from the office PC.
    clerk = browser.new_context(**PC).new_page()
    _sign_in(clerk, live_server, "clerk")
    clerk.goto(f"{live_server}/receipts/{receipt_id}")
    clerk.locator("#kiosk_id").select_option(label="前台平板1")
    clerk.get_by_role("button", name="Send to kiosk").click()
    expect(clerk.locator("#kiosk-status")).to_be_visible()

    # The kiosk shows it within a few seconds (one 2 s poll), and only it.
    expect(tablet.locator("#sign-form")).to_be_visible(timeout=6000)
    expect(tablet.locator("#kiosk-screen h1")).to_contain_text(number)
    expect(clerk.locator("#kiosk-status")).to_have_attribute("data-state", "shown", timeout=6000)

    tablet.locator("label.big-radio").first.click()
    tablet.locator("#signer_name").fill("王经理")
    _stroke_with_touch(tablet)
    tablet.wait_for_timeout(2500)  # a poll passes meanwhile: it must leave the drawing alone
    assert tablet.evaluate("document.querySelector('canvas#signature').signaturePad.isEmpty()") is False
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tablet.evaluate("window.scrollTo(0, 0)")  # the sticky top bar at the top of the full-page shot
    tablet.screenshot(path=str(ARTIFACTS / "kiosk-signing.png"), full_page=True)
    tablet.locator("#sign-form button[type=submit]").click()

    # The kiosk is idle again; the clerk's page turned to "signed" by itself, with the signed PDF.
    expect(tablet).to_have_url(f"{live_server}/kiosk")
    expect(tablet.locator(".kiosk-idle")).to_be_visible()
    expect(tablet.locator("#sign-form")).to_have_count(0)
    tablet.screenshot(path=str(ARTIFACTS / "kiosk-idle.png"))
    expect(clerk.locator("#kiosk-status")).to_have_attribute("data-state", "signed", timeout=6000)
    expect(clerk.get_by_role("link", name="Open the signed PDF")).to_be_visible()
    expect(clerk.locator("#signing-actions")).to_be_hidden()  # no stale "sign here" buttons
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    clerk.screenshot(path=str(ARTIFACTS / "kiosk-clerk-signed.png"), full_page=True)

    with app.app_context():
        assert db.session.get(RepairReceipt, receipt_id).state is ReceiptState.signed
        signature = db.session.scalar(select(Signature))
        assert signature.device == "前台平板1" and signature.image.startswith(b"\x89PNG") and signature.strokes
        assert db.session.scalar(select(ArchivedDocument)).document_id == receipt_id
        assert db.session.scalar(select(KioskRequest)).state is KioskRequestState.signed
    tablet.context.close()
    clerk.context.close()
