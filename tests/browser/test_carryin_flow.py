"""A carry-in on the tablet, from the case on site to the hand-back: the unit is taken in (the
customer signs with a finger), tagged with a repair card whose QR address opens the job, repaired
with parts and time, inspected by the manager and handed back (the customer signs, the goods
receipt is voided)."""
import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from portal.archive.models import ArchivedDocument, ArchiveStatus
from portal.carryin.models import GoodsReceipt, GoodsState
from portal.core.roles import Role
from portal.extensions import db
from portal.repairs.models import CaseState
from tests.carryin import helpers as carryin_helpers
from tests.browser.conftest import wait_htmx_ready
from tests.conftest import ARTIFACTS, TEST_PASSWORD
from tests.receipts import helpers as receipt_helpers
from tests.repairs import helpers as case_helpers

pytestmark = pytest.mark.browser


def _login(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server}/")


def _touch_signature(page):
    box = page.locator("canvas#signature").bounding_box()
    cdp = page.context.new_cdp_session(page)
    x0, y0 = box["x"] + 40, box["y"] + box["height"] / 2
    points = [(x0 + i * 12, y0 + (30 if i % 2 else -30)) for i in range(30)]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def _mouse_signature(page):
    box = page.locator("canvas#signature").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 60)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 30 + i * 25, box["y"] + (60 if i % 2 else 180), steps=5)
    page.mouse.up()


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 120, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_unit_goes_from_intake_to_hand_back(app, page, live_server, make_user):
    tech = make_user(Role.technician, "tech", display_name="李师傅", language="en")
    make_user(Role.manager, "boss", display_name="赵主任", language="en")
    make_user(Role.clerk, "clerk", display_name="前台小王", language="en")
    with app.app_context():
        case = case_helpers.case_in(CaseState.on_site, technician_id=tech)
        db.session.commit()
        case_id = case.id
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # On site, the stove cannot be fixed: the technician opens the goods receipt.
    _login(page, live_server, "tech")
    page.goto(f"{live_server}/cases/{case_id}")
    page.get_by_role("link", name="Not repairable on site: take the unit to the workshop").click()
    page.get_by_role("button", name="Open the goods receipt").click()
    expect(page.locator("h1")).to_contain_text("SJ-")
    wait_htmx_ready(page, "#ci-draft-form")
    oks = page.locator("input[type=radio][value=ok]")
    for index in range(oks.count()):
        oks.nth(index).check()
    expect(page.locator("input[type=radio][value=ok]:checked")).to_have_count(oks.count())
    page.locator("#accessories").fill("电源线1根、锅架2个")
    page.locator("#photos").set_input_files(files=[{"name": "front.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    page.screenshot(path=str(ARTIFACTS / "carryin-draft.png"), full_page=True)
    page.get_by_role("button", name="Save and let the customer sign (签认)").click()

    # The customer confirms the hand-over with a finger.
    expect(page.locator("canvas#signature")).to_be_visible()
    page.wait_for_function("() => document.querySelector('canvas#signature')?.signaturePad !== undefined")
    page.locator("#signer_name").fill("张伟")
    _touch_signature(page)
    page.get_by_role("button", name="Confirm the hand-over and sign").click()
    expect(page.locator("main")).to_contain_text("Taken in")
    with app.app_context():
        goods = db.session.scalar(select(GoodsReceipt))
        goods_id, number = goods.id, goods.number
        assert goods.state is GoodsState.taken_in and len(goods.photos) == 1
        assert goods.case.state is CaseState.in_workshop

    # The repair card is an A6 PDF; its QR address opens the job.
    card = page.request.get(f"{live_server}/carryin/{goods_id}/card.pdf")
    assert card.ok and card.body().startswith(b"%PDF")
    page.goto(f"{live_server}/carryin/{number}")
    expect(page).to_have_url(f"{live_server}/carryin/{goods_id}")

    # On the bench: time recorded, a part used, repaired.
    page.get_by_role("button", name="Start the repair").click()
    expect(page.locator("#ci-labour-form")).to_be_visible()
    page.locator("#hours").fill("1.5")
    page.locator("#work").fill("更换点火针，清洗燃烧器")
    page.get_by_role("button", name="+ Record the time").click()
    expect(page.locator("#ci-card")).to_contain_text("更换点火针")
    with app.app_context():
        goods = db.session.get(GoodsReceipt, goods_id)
        receipt_helpers.report_used(goods.case, [(receipt_helpers.part("点火针"), 1)])
        db.session.commit()
    page.get_by_role("button", name="Repaired: ask for the inspection").click()
    expect(page.locator("main")).to_contain_text("Waiting for the manager")
    with app.app_context():  # the repair service receipt, filled in as after an on-site job
        carryin_helpers.ready_receipt(db.session.get(GoodsReceipt, goods_id))
        db.session.commit()

    # The manager inspects (验讫).
    _login(page, live_server, "boss")
    page.goto(f"{live_server}/carryin/{goods_id}")
    page.locator("input[name=result][value=pass]").check()
    page.locator("#note").fill("试机正常")
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.locator("#ci-hand-back")).to_be_visible()

    # The clerk hands it back: the customer signs the return with the pen (mouse).
    _login(page, live_server, "clerk")
    page.goto(f"{live_server}/carryin/{goods_id}")
    page.locator("#ci-hand-back").click()
    expect(page.locator("canvas#signature")).to_be_visible()
    page.wait_for_function("() => document.querySelector('canvas#signature')?.signaturePad !== undefined")
    page.locator("label.big-radio", has_text="Very satisfied").click()
    page.locator("#signer_name").fill("张伟")
    _mouse_signature(page)
    page.screenshot(path=str(ARTIFACTS / "carryin-hand-back.png"), full_page=True)
    page.get_by_role("button", name="Take back the goods and sign").click()
    expect(page.locator("h1")).to_contain_text("Returned to the customer")
    expect(page.locator("body")).to_contain_text("the goods receipt is void")
    page.screenshot(path=str(ARTIFACTS / "carryin-returned.png"), full_page=True)
    with app.app_context():
        goods = db.session.get(GoodsReceipt, goods_id)
        assert goods.state is GoodsState.returned and goods.voided_at is not None
        assert goods.case.state is CaseState.signed
        statuses = [(d.document_type, d.status) for d in db.session.scalars(
            select(ArchivedDocument).where(ArchivedDocument.number == number).order_by(ArchivedDocument.version))]
        assert statuses == [("goods_receipt", ArchiveStatus.void), ("goods_return", ArchiveStatus.valid),
                            ("goods_receipt", ArchiveStatus.void)]
