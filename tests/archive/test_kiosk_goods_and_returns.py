"""Counter kiosk, end to end, for the documents other than the repair receipt: the goods receipt
at the take-in (签认) and at the hand-back (签章), and the return slip. Each is sent by the clerk,
shown on the paired kiosk, signed there as the kiosk posts it, and then: the document has moved
on, its PDF is archived with the kiosk as the device, and the staff pages show it."""
import pytest
from sqlalchemy import select

from portal.archive.models import ArchivedDocument, ArchiveStatus, Kiosk, KioskRequest, KioskRequestState
from portal.carryin import services as carryin
from portal.carryin.models import GoodsReceipt, GoodsState
from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.receipts.models import ReceiptState, RepairReceipt
from portal.repairs.models import CaseState
from portal.returns.models import ReturnSlip, ReturnState
from tests.archive.test_kiosk import _login, _pair, _poll, _sign_data
from tests.carryin import helpers as goods_helpers
from tests.returns import helpers as return_helpers

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", "Accept-Language": "en"}
KIOSK = "前台平板1"


@pytest.fixture
def counter(app, client, make_user):
    """A paired kiosk, a clerk signed in on `client`, a technician and a manager."""
    kiosk_client, _response = _pair(app, make_user, KIOSK)
    people = {"clerk": make_user(Role.clerk, "clerk", display_name="内勤小李"),
              "tech": make_user(Role.technician, "tech", display_name="李师傅"),
              "manager": make_user(Role.manager, "boss")}
    _login(client, people["clerk"])
    with app.app_context():
        people["kiosk"] = db.session.scalar(select(Kiosk.id))
    return kiosk_client, people


def _send(client, document_type, document_id, kiosk_id):
    response = client.post(f"/kiosks/send/{document_type}/{document_id}", data={"kiosk_id": str(kiosk_id)},
                           headers=HX)
    assert response.status_code == 200 and "every 2s" in response.get_data(as_text=True), response.data[-600:]
    with client.application.app_context():
        return db.session.scalar(select(KioskRequest.id).order_by(KioskRequest.id.desc()))


def _archived(document_type, document_id):
    return list(db.session.scalars(select(ArchivedDocument).where(
        ArchivedDocument.document_type == document_type, ArchivedDocument.document_id == document_id)
        .order_by(ArchivedDocument.version)))


def _signature(document_type, document_id):
    return db.session.scalar(select(Signature).where(Signature.document_type == document_type,
                                                     Signature.document_id == document_id))


def _signed_panel(client, request_id, pdf_url):
    """The clerk's kiosk box, polled: signed, with the document's PDF, no more polling."""
    panel = client.get(f"/kiosks/requests/{request_id}", headers=HX).get_data(as_text=True)
    assert 'data-state="signed"' in panel and pdf_url in panel and "every 2s" not in panel
    assert '<div id="signing-actions" hx-swap-oob="true" hidden>' in panel
    with client.application.app_context():
        assert db.session.get(KioskRequest, request_id).state is KioskRequestState.signed


def test_the_take_in_is_signed_on_the_kiosk(app, client, counter):
    kiosk_client, people = counter
    with app.app_context():
        goods = goods_helpers.draft(people["tech"])
        goods_helpers.answer_all(goods, goods_helpers.user(people["tech"]))
        carryin.goods_add_photos(goods=goods, files=[("划痕.jpg", goods_helpers.photo_bytes())],
                                 actor=goods_helpers.user(people["tech"]))
        db.session.commit()
        goods_id, number, photo_id = goods.id, goods.number, goods.photos[0].id
    page = client.get(f"/carryin/{goods_id}/take-in", headers=EN).get_data(as_text=True)
    assert 'id="kiosk-panel"' in page and KIOSK in page and 'id="signing-actions"' in page
    request_id = _send(client, "goods_receipt", goods_id, people["kiosk"])

    screen = _poll(kiosk_client).get_data(as_text=True)
    assert number in screen and "Goods receipt" in screen and "电源线1根" in screen
    # The customer reads the take-in text (no charges, no rating) and sees the photos through the kiosk.
    assert "confirm the hand-over to our workshop" in screen and "rate the service" not in screen
    assert 'name="rating"' not in screen
    # The kiosk is not signed in: the photo comes inline (a thumbnail), not from the staff address.
    assert '<img src="data:image/jpeg;base64,' in screen and f"/carryin/{goods_id}/photos/" not in screen
    for url in (f"/carryin/{goods_id}", f"/carryin/{goods_id}/photos/{photo_id}.jpg"):
        assert kiosk_client.get(url).status_code == 302, url  # the staff pages stay closed

    response = kiosk_client.post(f"/kiosk/goods_receipt/{goods_id}/sign",
                                 data=_sign_data(rating="", signer_name="张伟"), headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk")
    with app.app_context():
        goods = db.session.get(GoodsReceipt, goods_id)
        assert goods.state is GoodsState.taken_in and goods.case.state is CaseState.in_workshop
        [document] = _archived("goods_receipt", goods_id)
        assert document.status is ArchiveStatus.valid and document.number == number
        signature = _signature("goods_receipt", goods_id)
        assert signature.device == KIOSK and signature.staff_id == people["clerk"]
        assert signature.signer_name == "张伟" and signature.rating is None
    assert "Welcome" in kiosk_client.get("/kiosk", headers=EN).get_data(as_text=True)
    _signed_panel(client, request_id, f"/carryin/{goods_id}.pdf")
    page = client.get(f"/carryin/{goods_id}", headers=EN).get_data(as_text=True)
    assert "Taken in" in page and "Archived copies" in page and f"/archive/{document.id}.pdf" in page
    assert client.get(f"/carryin/{goods_id}.pdf").headers["Location"].endswith(f"/archive/{document.id}.pdf")
    # Back on the signing screen, the clerk is sent to the goods receipt, which is signed now.
    assert client.get(f"/carryin/{goods_id}/take-in").headers["Location"].endswith(f"/carryin/{goods_id}")


def test_the_hand_back_is_signed_on_the_kiosk(app, client, counter):
    kiosk_client, people = counter
    with app.app_context():
        goods = goods_helpers.ready_for_hand_back(people["tech"], people["manager"])
        db.session.commit()
        goods_id, number = goods.id, goods.number
        receipt_id = carryin.case_receipt(goods).id
    page = client.get(f"/carryin/{goods_id}", headers=EN).get_data(as_text=True)
    assert 'id="kiosk-panel"' in page and 'id="signing-actions"' in page and "Hand over to the customer" in page
    request_id = _send(client, "goods_return", goods_id, people["kiosk"])

    screen = _poll(kiosk_client).get_data(as_text=True)
    assert number in screen and "Goods return" in screen and "点火针积碳" in screen and 'name="rating"' in screen
    assert "read what was done and charged" in screen
    response = kiosk_client.post(f"/kiosk/goods_return/{goods_id}/sign", data=_sign_data(signer_name="张伟"),
                                 headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk")
    with app.app_context():
        goods = db.session.get(GoodsReceipt, goods_id)
        assert goods.state is GoodsState.returned and goods.voided_at is not None
        assert goods.case.state is CaseState.signed
        assert db.session.get(RepairReceipt, receipt_id).state is ReceiptState.signed
        [returned] = _archived("goods_return", goods_id)
        assert returned.status is ArchiveStatus.valid
        assert [d.status for d in _archived("goods_receipt", goods_id)] == [ArchiveStatus.void, ArchiveStatus.void]
        assert _archived("repair_receipt", receipt_id)
        for kind, ident in (("goods_return", goods_id), ("repair_receipt", receipt_id)):
            signature = _signature(kind, ident)
            assert signature.device == KIOSK and signature.rating == 4 and signature.staff_id == people["clerk"]
    _signed_panel(client, request_id, f"/carryin/{goods_id}/return.pdf")
    page = client.get(f"/carryin/{goods_id}", headers=EN).get_data(as_text=True)
    assert "Returned to the customer" in page and "Goods return (商品送还签收)" in page
    assert client.get(f"/carryin/{goods_id}/return.pdf").headers["Location"].endswith(f"/archive/{returned.id}.pdf")


def test_the_return_slip_is_signed_on_the_kiosk(app, client, counter):
    kiosk_client, people = counter
    with app.app_context():
        slip = return_helpers.slip_in(ReturnState.resolved, actor=goods_helpers.user(people["clerk"]))
        db.session.commit()
        slip_id, number = slip.id, slip.number
    page = client.get(f"/returns/{slip_id}", headers=EN).get_data(as_text=True)
    assert 'id="kiosk-panel"' in page and "Hand over to the customer" in page
    request_id = _send(client, "return_slip", slip_id, people["kiosk"])

    screen = _poll(kiosk_client).get_data(as_text=True)
    assert number in screen and "Return slip" in screen and "RS-0099" in screen
    assert "how your return was handled" in screen
    response = kiosk_client.post(f"/kiosk/return_slip/{slip_id}/sign", data=_sign_data(signer_name="王经理"),
                                 headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk")
    with app.app_context():
        assert db.session.get(ReturnSlip, slip_id).state is ReturnState.closed
        [document] = _archived("return_slip", slip_id)
        signature = _signature("return_slip", slip_id)
        assert signature.device == KIOSK and signature.rating == 4 and signature.staff_id == people["clerk"]
    _signed_panel(client, request_id, f"/returns/{slip_id}.pdf")
    page = client.get(f"/returns/{slip_id}", headers=EN).get_data(as_text=True)
    assert "Signed by the customer" in page and "王经理" in page and f"{document.number} v1" in page
    assert client.get(f"/returns/{slip_id}.pdf").headers["Location"].endswith(f"/archive/{document.id}.pdf")
