"""Signing on a tablet in Chromium: finger (CDP touch events) and mouse strokes, the empty pad refused."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.receipts.models import ReceiptState, RepairReceipt
from tests.archive import helpers as archive_helpers
from tests.conftest import ARTIFACTS, TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def signing_page(app, page, live_server, make_user):
    tech = make_user(Role.technician, "tech", language="en")
    with app.app_context():
        receipt = archive_helpers.ready_receipt(tech)
        receipt_id = receipt.id
    page.goto(f"{live_server}/login")
    page.locator("#username").fill("tech")
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/")
    page.goto(f"{live_server}/receipts/{receipt_id}/sign")
    return page, receipt_id


def _fill(page):
    page.locator("label.big-radio", has_text="Very satisfied").click()
    page.locator("#signer_name").fill("王经理")


def _stroke_with_touch(page):
    box = page.locator("canvas#signature").bounding_box()
    cdp = page.context.new_cdp_session(page)
    x0, y0 = box["x"] + 40, box["y"] + box["height"] / 2
    points = [(x0 + i * 12, y0 + (30 if i % 2 else -30)) for i in range(30)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_an_empty_pad_is_refused_in_the_browser(app, signing_page):
    page, receipt_id = signing_page
    _fill(page)
    page.get_by_role("button", name="Accept and sign").click()
    expect(page.locator("#signature-error")).to_be_visible()
    with app.app_context():
        assert db.session.get(RepairReceipt, receipt_id).state is ReceiptState.ready


def test_a_finger_signature_signs_and_freezes_the_receipt(app, signing_page):
    page, receipt_id = signing_page
    _fill(page)
    _stroke_with_touch(page)
    assert page.evaluate("document.querySelector('canvas#signature').signaturePad.isEmpty()") is False
    # The canvas is sized for the device pixel ratio (2), so the ink is sharp.
    assert page.evaluate("document.querySelector('canvas#signature').width") >= 2 * page.evaluate(
        "document.querySelector('canvas#signature').offsetWidth") - 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "signing-tablet.png"), full_page=True)
    page.get_by_role("button", name="Accept and sign").click()
    expect(page.locator("main")).to_contain_text("Thank you!")
    with app.app_context():
        assert db.session.get(RepairReceipt, receipt_id).state is ReceiptState.signed
        signature = db.session.scalar(select(Signature))
        assert signature.image.startswith(b"\x89PNG") and signature.strokes


def test_a_mouse_signature_also_works(app, signing_page):
    page, receipt_id = signing_page
    _fill(page)
    box = page.locator("canvas#signature").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 60)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 30 + i * 25, box["y"] + (60 if i % 2 else 180), steps=5)
    page.mouse.up()
    page.get_by_role("button", name="Accept and sign").click()
    expect(page.locator("main")).to_contain_text("Thank you!")
    with app.app_context():
        assert db.session.get(RepairReceipt, receipt_id).state is ReceiptState.signed


def test_the_pad_works_after_boosted_navigation_from_the_case_page(app, signing_page, live_server):
    page, receipt_id = signing_page
    with app.app_context():
        case_id = db.session.get(RepairReceipt, receipt_id).case_id
    page.goto(f"{live_server}/cases/{case_id}")
    page.get_by_role("link", name="Customer signs the receipt").click()
    expect(page.locator("canvas#signature")).to_be_visible()
    page.wait_for_function("() => document.querySelector('canvas#signature')?.signaturePad !== undefined")
