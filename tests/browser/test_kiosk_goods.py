"""The counter kiosk in Chromium for a goods receipt's take-in (签认): the clerk sends the complete
draft from the office PC, the customer checks the items and photos on the counter tablet and
signs with a finger; the clerk's page follows by itself."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.archive.models import ArchivedDocument, KioskRequest, KioskRequestState
from portal.carryin import services as carryin
from portal.carryin.models import GoodsReceipt, GoodsState
from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.repairs.models import CaseState
from tests.browser.conftest import TABLET
from tests.browser.test_kiosk_flow import PC, _sign_in, _stroke_with_touch
from tests.carryin import helpers as goods_helpers
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_a_take_in_is_signed_on_the_counter_kiosk(app, browser, live_server, make_user):
    make_user(Role.admin, "admin", language="en")
    make_user(Role.clerk, "clerk", language="en", display_name="内勤小李")
    tech = make_user(Role.technician, "tech", display_name="李师傅")
    with app.app_context():
        goods = goods_helpers.draft(tech)
        goods_helpers.answer_all(goods, goods_helpers.user(tech))
        carryin.goods_add_photos(goods=goods, files=[("外观.jpg", goods_helpers.photo_bytes())],
                                 actor=goods_helpers.user(tech))
        db.session.commit()
        goods_id, number = goods.id, goods.number

    tablet = browser.new_context(**{**TABLET, "locale": "en-US"}).new_page()
    _sign_in(tablet, live_server, "admin")
    tablet.goto(f"{live_server}/kiosks/pair")
    tablet.locator("#name").fill("前台平板1")
    tablet.locator("#kiosk-pair-form button[type=submit]").click()
    expect(tablet.locator(".kiosk-idle")).to_contain_text("前台平板1")

    clerk = browser.new_context(**PC).new_page()
    _sign_in(clerk, live_server, "clerk")
    clerk.goto(f"{live_server}/carryin/{goods_id}/take-in")
    clerk.locator("#kiosk_id").select_option(label="前台平板1")
    clerk.get_by_role("button", name="Send to kiosk").click()
    expect(clerk.locator("#kiosk-status")).to_be_visible()

    # The kiosk shows the goods receipt: the items, the checks, the photo, and no rating to give.
    expect(tablet.locator("#sign-form")).to_be_visible(timeout=6000)
    expect(tablet.locator("#kiosk-screen h1")).to_contain_text(number)
    expect(tablet.locator("#kiosk-screen")).to_contain_text("confirm the hand-over to our workshop")
    expect(tablet.locator("#rating-field")).to_have_count(0)
    photo = tablet.locator(".ci-photos img").first
    photo.scroll_into_view_if_needed()
    tablet.wait_for_function("() => { const i = document.querySelector('.ci-photos img'); "
                             "return i && i.complete && i.naturalWidth > 0; }")
    expect(clerk.locator("#kiosk-status")).to_have_attribute("data-state", "shown", timeout=6000)

    tablet.locator("#signer_name").fill("张伟")
    _stroke_with_touch(tablet)
    tablet.wait_for_timeout(2500)  # a poll passes meanwhile: it must leave the drawing alone
    assert tablet.evaluate("document.querySelector('canvas#signature').signaturePad.isEmpty()") is False
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tablet.evaluate("window.scrollTo(0, 0)")
    tablet.screenshot(path=str(ARTIFACTS / "kiosk-goods-signing.png"), full_page=True)
    tablet.locator("#sign-form button[type=submit]").click()

    expect(tablet.locator(".kiosk-idle")).to_be_visible()
    expect(tablet.locator(".flash")).to_contain_text("Thank you")
    expect(clerk.locator("#kiosk-status")).to_have_attribute("data-state", "signed", timeout=6000)
    expect(clerk.get_by_role("link", name="Open the signed PDF")).to_be_visible()
    expect(clerk.locator("#signing-actions")).to_be_hidden()  # no stale "sign here" form
    clerk.screenshot(path=str(ARTIFACTS / "kiosk-goods-clerk-signed.png"), full_page=True)
    clerk.get_by_role("link", name="Back to the goods receipt").click()
    expect(clerk.locator("main")).to_contain_text("Taken in")
    expect(clerk.locator("main")).to_contain_text("Archived copies")

    with app.app_context():
        goods = db.session.get(GoodsReceipt, goods_id)
        assert goods.state is GoodsState.taken_in and goods.case.state is CaseState.in_workshop
        signature = db.session.scalar(select(Signature))
        assert signature.device == "前台平板1" and signature.document_type == "goods_receipt" and signature.strokes
        assert db.session.scalar(select(ArchivedDocument.document_id)) == goods_id
        assert db.session.scalar(select(KioskRequest)).state is KioskRequestState.signed
    tablet.context.close()
    clerk.context.close()
