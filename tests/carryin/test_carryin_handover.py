"""Hand-over mode (portal/core/handover.py) for the goods receipt: the staff tablet locked to the
customer's take-in signature (签认) or hand-back signature (签章) until the staff password."""
import pytest
from sqlalchemy import select

from portal.carryin import services
from portal.carryin.models import GoodsReceipt, GoodsState
from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.receipts.models import ReceiptState, RepairReceipt
from tests.archive.helpers import data_url, png
from tests.carryin import helpers as h
from tests.conftest import TEST_PASSWORD

EN = {"Accept-Language": "en"}
HANDED_OVER = "staff tablet, handed over"


def _login(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


@pytest.fixture
def staff(make_user):
    return {"tech": make_user(Role.technician, "tech1", display_name="李师傅", language="en"),
            "manager": make_user(Role.manager, "boss", language="en"),
            "clerk": make_user(Role.clerk, "clerk1", language="en")}


def _devices(document_type, document_id):
    return [s.device for s in db.session.scalars(select(Signature).where(Signature.document_type == document_type,
                                                                          Signature.document_id == document_id))]


def test_the_take_in_is_signed_on_the_handed_over_tablet(app, client, staff):
    with app.app_context():
        goods = h.draft(staff["tech"])
        h.answer_all(goods, h.user(staff["tech"]))
        services.goods_add_photos(goods=goods, files=[("a.jpg", h.photo_bytes())], actor=h.user(staff["tech"]))
        db.session.commit()
        goods_id, number, photo_id = goods.id, goods.number, goods.photos[0].id
    _login(client, staff["tech"])
    page = client.get(f"/carryin/{goods_id}/take-in", headers=EN).get_data(as_text=True)
    assert "Hand over to the customer" in page and f"/carryin/{goods_id}/take-in/handover" in page
    response = client.post(f"/carryin/{goods_id}/take-in/handover")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/carryin/{goods_id}/take-in")
    with client.session_transaction() as session:
        assert session["handover"]["type"] == "goods_receipt" and session["handover"]["goods_id"] == goods_id

    # Locked to this one signing screen: no navigation, no way back, but its photos load.
    page = client.get(f"/carryin/{goods_id}/take-in").get_data(as_text=True)
    assert "Confirm the hand-over and sign" in page and 'class="mainnav"' not in page
    assert "Hand over to the customer" not in page and "Back to the goods receipt" not in page
    assert client.get(f"/carryin/{goods_id}/photos/{photo_id}.jpg").status_code == 200
    for url in (f"/carryin/{goods_id}", "/carryin/", f"/carryin/{goods_id}/card.pdf", f"/carryin/{goods_id}.pdf"):
        assert client.get(url).status_code == 423, url
    locked = client.get("/cases/").get_data(as_text=True)
    assert number in locked and f'href="/carryin/{goods_id}/take-in"' in locked

    response = client.post(f"/carryin/{goods_id}/take-in", data={
        "signer_name": "张伟", "signature": data_url(png()), "strokes": "[]"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/receipts/handover/thanks")
    thanks = client.get("/receipts/handover/thanks").get_data(as_text=True)
    assert "Thank you!" in thanks and f"Goods receipt {number} is signed and archived." in thanks
    assert "Print the repair card" not in thanks and 'class="mainnav"' not in thanks
    assert client.get(f"/carryin/{goods_id}/take-in").headers["Location"].endswith("/receipts/handover/thanks")
    with app.app_context():
        assert db.session.get(GoodsReceipt, goods_id).state is GoodsState.taken_in
        assert _devices("goods_receipt", goods_id) == [HANDED_OVER]

    response = client.post("/receipts/handover/unlock", data={"password": TEST_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/carryin/{goods_id}")
    assert client.get(f"/carryin/{goods_id}").status_code == 200


def test_the_hand_back_is_signed_on_the_handed_over_tablet(app, client, staff):
    with app.app_context():
        goods = h.ready_for_hand_back(staff["tech"], staff["manager"])
        db.session.commit()
        goods_id, number, receipt_id = goods.id, goods.number, services.case_receipt(goods).id
    _login(client, staff["clerk"])
    page = client.get(f"/carryin/{goods_id}", headers=EN).get_data(as_text=True)
    assert f"/carryin/{goods_id}/hand-back/handover" in page
    assert f"/carryin/{goods_id}/hand-back/handover" in client.get(f"/carryin/{goods_id}/hand-back").get_data(
        as_text=True)
    response = client.post(f"/carryin/{goods_id}/hand-back/handover", headers={"HX-Request": "true",
                                                                                "HX-Boosted": "true"})
    assert response.headers["HX-Redirect"].endswith(f"/carryin/{goods_id}/hand-back")
    page = client.get(f"/carryin/{goods_id}/hand-back").get_data(as_text=True)
    assert "Take back the goods and sign" in page and 'class="mainnav"' not in page
    # The take-in screen of the same unit is another document: locked.
    assert client.get(f"/carryin/{goods_id}/take-in").status_code == 423
    assert client.get(f"/receipts/{receipt_id}/sign").status_code == 423

    response = client.post(f"/carryin/{goods_id}/hand-back", data={
        "signer_name": "张伟", "rating": "5", "signature": data_url(png()), "strokes": "[]"})
    assert response.headers["Location"].endswith("/receipts/handover/thanks")
    thanks = client.get("/receipts/handover/thanks").get_data(as_text=True)
    assert f"Goods return {number} is signed and archived." in thanks
    with app.app_context():
        goods = db.session.get(GoodsReceipt, goods_id)
        assert goods.state is GoodsState.returned and goods.voided_at is not None
        assert db.session.get(RepairReceipt, receipt_id).state is ReceiptState.signed
        # One sitting, two signatures: both say the tablet was handed over.
        assert _devices("goods_return", goods_id) == [HANDED_OVER]
        assert _devices("repair_receipt", receipt_id) == [HANDED_OVER]
    response = client.post("/receipts/handover/unlock", data={"password": TEST_PASSWORD})
    assert response.headers["Location"].endswith(f"/carryin/{goods_id}")


def test_signing_without_the_hand_over_records_the_staff_tablet(app, client, staff):
    with app.app_context():
        goods = h.draft(staff["tech"])
        h.answer_all(goods, h.user(staff["tech"]))
        db.session.commit()
        goods_id = goods.id
    _login(client, staff["tech"])
    response = client.post(f"/carryin/{goods_id}/take-in", headers=EN, data={
        "signer_name": "张伟", "signature": data_url(png()), "strokes": "[]"})
    assert response.headers["Location"].endswith(f"/carryin/{goods_id}")
    with app.app_context():
        assert _devices("goods_receipt", goods_id) == ["staff tablet"]


def test_the_hand_over_needs_a_document_the_user_may_have_signed_now(app, client, staff, make_user):
    with app.app_context():
        incomplete = h.draft(staff["tech"]).id
        complete = h.draft(staff["tech"])
        h.answer_all(complete, h.user(staff["tech"]))
        taken = h.taken_in(staff["tech"]).id
        db.session.commit()
        complete = complete.id
    _login(client, staff["tech"])
    assert client.post(f"/carryin/{incomplete}/take-in/handover").status_code == 409
    assert client.post(f"/carryin/{taken}/take-in/handover").status_code == 409
    assert client.post(f"/carryin/{taken}/hand-back/handover").status_code == 409  # not inspected yet
    _login(client, make_user(Role.technician, "other"))
    assert client.post(f"/carryin/{complete}/take-in/handover").status_code == 403
    _login(client, make_user(Role.warehouse, "store"))
    assert client.post(f"/carryin/{complete}/take-in/handover").status_code == 403
    with client.session_transaction() as session:
        assert "handover" not in session
