"""Carry-in: goods receipt, take-in, repair card, inspection, hand-back, register, checklists."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.archive.models import ArchivedDocument, ArchiveStatus
from portal.carryin import services
from portal.carryin.models import GOODS_WORKFLOW, GoodsPhoto, GoodsReceipt, GoodsState
from portal.core.errors import DomainError, InvalidTransition, ValidationFailed
from portal.core.models import Signature
from portal.core.roles import Role
from portal.core.timeutil import local_today, travel, utcnow
from portal.customers.models import ProductType
from portal.extensions import db
from portal.receipts import services as receipts
from portal.receipts.models import ReceiptState
from portal.repairs.models import CASE_WORKFLOW, CaseState
from tests.archive.helpers import data_url, png
from tests.carryin import helpers as h
from tests.repairs import helpers as case_helpers

EN = {"Accept-Language": "en"}
G = GoodsState
S = CaseState


def _login(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


@pytest.fixture
def staff(make_user):
    return {"tech": make_user(Role.technician, "tech1", display_name="李师傅"),
            "manager": make_user(Role.manager, "boss"), "clerk": make_user(Role.clerk, "clerk1")}


# --- state machines ------------------------------------------------------------------------------

def test_the_case_workflow_reaches_the_workshop_and_leaves_it_only_for_signing():
    assert CASE_WORKFLOW.can(S.on_site, S.in_workshop)
    assert CASE_WORKFLOW.can(S.registered, S.in_workshop)
    assert CASE_WORKFLOW.can(S.waiting_dispatch, S.in_workshop)
    assert CASE_WORKFLOW.allowed(S.in_workshop) == [S.awaiting_signature]
    assert CASE_WORKFLOW.can(S.awaiting_signature, S.in_workshop)
    assert not CASE_WORKFLOW.can(S.dispatched, S.in_workshop)


ALL_GOODS_PAIRS = [(a, b) for a in GoodsState for b in GoodsState if a != b]


@pytest.mark.parametrize("current,target", ALL_GOODS_PAIRS)
def test_every_goods_transition_is_allowed_or_refused_as_declared(db, staff, current, target):
    goods = h.draft(staff["tech"])
    goods.state = current
    db.flush()
    from portal.core.workflow import transition
    if GOODS_WORKFLOW.can(current, target):
        transition(goods, target, actor=None)
        assert goods.state is target
    else:
        with pytest.raises(InvalidTransition):
            transition(goods, target, actor=None)
        assert goods.state is current


# --- draft and take-in ------------------------------------------------------------------------------

def test_a_draft_gets_the_unit_and_the_default_checklist(db, staff):
    goods = h.draft(staff["tech"])
    assert goods.number.startswith("SJ-") and goods.state is G.draft
    item = goods.items[0]
    assert item.serial == goods.case.equipment.serial
    assert [c["label"] for c in item.checks] == list(services.DEFAULT_CHECKS)
    assert services.take_in_gaps(goods)  # checks not answered yet


def test_a_product_types_own_checklist_is_used(db, staff):
    case = case_helpers.case_in(S.on_site, technician_id=staff["tech"])
    product_type = db.get(ProductType, case.equipment.product_type_id)
    services.checklist_save(product_type=product_type, text="灶面裂纹\n\n 点火 \n灶面裂纹", actor=None)
    goods = services.goods_open(case=case, actor=h.user(staff["tech"]))
    assert [c["label"] for c in goods.items[0].checks] == ["灶面裂纹", "点火"]
    services.checklist_save(product_type=product_type, text="", actor=None)
    assert services.checklist_for(product_type.id) == list(services.DEFAULT_CHECKS)


def test_a_defect_needs_a_description(db, staff):
    goods = h.draft(staff["tech"])
    answers = {goods.items[0].id: [("issue", "")] + [("ok", "")] * 4}
    with pytest.raises(ValidationFailed) as error:
        services.goods_save(goods=goods, values={}, answers=answers, expected_version=goods.version, actor=None)
    assert "checks" in error.value.errors


def test_take_in_signs_archives_and_moves_the_case_to_the_workshop(db, staff):
    goods = h.taken_in(staff["tech"])
    assert goods.state is G.taken_in and goods.taken_in_at is not None
    assert goods.case.state is S.in_workshop and goods.case.in_workshop_at is not None
    assert goods.case.technician_id == staff["tech"]
    document = db.scalar(select(ArchivedDocument).where(ArchivedDocument.document_type == "goods_receipt"))
    assert document.number == goods.number and document.status is ArchiveStatus.valid
    assert db.scalar(select(Signature).where(Signature.document_type == "goods_receipt")).signer_name == "王经理"


def test_take_in_of_an_incomplete_draft_is_refused_and_nothing_moves(db, staff):
    goods = h.draft(staff["tech"])
    with pytest.raises(DomainError):
        services.goods_take_in(goods=goods, **h.sign_kwargs(h.user(staff["tech"])))
    assert goods.state is G.draft and goods.case.state is S.on_site


def test_cancelling_a_walk_in_draft_cancels_its_case(db, staff):
    case = case_helpers.case_in(S.registered)
    goods = services.goods_open(case=case, actor=None, technician_id=staff["tech"])
    with pytest.raises(ValidationFailed):
        services.goods_cancel(goods=goods, reason=" ", actor=None)
    services.goods_cancel(goods=goods, reason="客户改变主意", actor=None)
    assert goods.state is G.cancelled and case.state is S.cancelled


def test_a_taken_in_receipt_cannot_be_cancelled(db, staff):
    goods = h.taken_in(staff["tech"])
    with pytest.raises(InvalidTransition):
        services.goods_cancel(goods=goods, reason="x", actor=None)


# --- photos -------------------------------------------------------------------------------------------

def test_photos_are_checked_and_limited_to_six(db, staff):
    goods = h.draft(staff["tech"])
    services.goods_add_photos(goods=goods, files=[("a.jpg", h.photo_bytes()), ("b.png", h.photo_bytes("PNG"))],
                              actor=None)
    assert len(goods.photos) == 2 and goods.photos[0].data[:2] == b"\xff\xd8"
    with pytest.raises(ValidationFailed) as error:
        services.goods_add_photos(goods=goods, files=[("c.jpg", h.photo_bytes()), ("notes.txt", b"hello")], actor=None)
    assert "notes.txt" in error.value.errors["photos"][0]
    assert len(goods.photos) == 2  # all or nothing
    with pytest.raises(ValidationFailed):
        services.goods_add_photos(goods=goods, files=[(f"{i}.jpg", h.photo_bytes()) for i in range(5)], actor=None)
    big = b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10)
    with pytest.raises(ValidationFailed) as error:
        services.goods_add_photos(goods=goods, files=[("big.jpg", big)], actor=None)
    assert "5 MB" in error.value.errors["photos"][0]


def test_a_bad_photo_on_the_draft_page_keeps_what_was_typed(app, client, staff):
    with app.app_context():
        goods = h.draft(staff["tech"])
        db.session.commit()
        goods_id, item_id, version = goods.id, goods.items[0].id, goods.version
    _login(client, staff["tech"])
    form = {"version": version, "technician_id": staff["tech"], "accessories": "遥控器1个", "shelf": "B-2",
            "condition_note": "", "action": "save", f"check-{item_id}-0": "issue", f"note-{item_id}-0": "右侧凹陷"}
    import io
    form["photos"] = (io.BytesIO(b"not an image"), "scan.pdf")
    response = client.post(f"/carryin/{goods_id}", data=form, headers=EN, content_type="multipart/form-data")
    assert response.status_code in (400, 422)
    page = response.get_data(as_text=True)
    assert "scan.pdf" in page and "遥控器1个" in page and "右侧凹陷" in page
    with app.app_context():
        stored = db.session.get(GoodsReceipt, goods_id)
        assert stored.accessories == "" and not stored.photos
        assert db.session.scalar(select(func.count(GoodsPhoto.id))) == 0


# --- the workshop -------------------------------------------------------------------------------------

def test_repair_needs_time_and_a_failed_inspection_sends_it_back(db, staff):
    goods = h.taken_in(staff["tech"])
    tech, manager = h.user(staff["tech"]), h.user(staff["manager"])
    with pytest.raises(DomainError):
        services.labour_add(goods=goods, worked_on=local_today(), hours="1", work="x", actor=tech)
    services.goods_start_repair(goods=goods, actor=tech)
    with pytest.raises(ValidationFailed):
        services.goods_mark_repaired(goods=goods, actor=tech)
    with pytest.raises(ValidationFailed) as error:
        services.labour_add(goods=goods, worked_on=local_today() + timedelta(days=1), hours="0.1", work="",
                            actor=tech)
    assert set(error.value.errors) == {"hours", "worked_on", "work"}
    services.labour_add(goods=goods, worked_on=local_today(), hours="2.25", work="清洗燃烧器", actor=tech)
    services.goods_mark_repaired(goods=goods, actor=tech)
    with pytest.raises(ValidationFailed):
        services.goods_inspect(goods=goods, passed=False, note="", actor=manager)
    services.goods_inspect(goods=goods, passed=False, note="火焰偏黄", actor=manager)
    assert goods.state is G.in_repair and goods.inspection_note == "火焰偏黄"
    services.goods_mark_repaired(goods=goods, actor=tech)
    services.goods_inspect(goods=goods, passed=True, note="", actor=manager)
    assert goods.state is G.inspected and goods.inspected_by_id == staff["manager"]


def test_parts_can_be_requested_while_in_the_workshop(db, staff):
    from portal.parts.services import can_request_parts
    goods = h.taken_in(staff["tech"])
    assert can_request_parts(goods.case, h.user(staff["tech"]))


def test_only_a_manager_inspects(app, client, staff):
    with app.app_context():
        goods = h.taken_in(staff["tech"])
        db.session.commit()
        goods_id = goods.id
    _login(client, staff["tech"])
    assert client.post(f"/carryin/{goods_id}/inspect", data={"result": "pass"}, headers=EN).status_code == 403


# --- hand-back ------------------------------------------------------------------------------------------

def test_hand_back_before_inspection_is_refused(app, client, staff):
    with app.app_context():
        goods = h.taken_in(staff["tech"])
        db.session.commit()
        goods_id = goods.id
    _login(client, staff["clerk"])
    response = client.get(f"/carryin/{goods_id}/hand-back", headers=EN)
    assert response.status_code == 409
    assert "inspection" in response.get_data(as_text=True)


def test_hand_back_without_a_ready_repair_receipt_is_refused(db, staff):
    goods = h.taken_in(staff["tech"])
    tech = h.user(staff["tech"])
    services.goods_start_repair(goods=goods, actor=tech)
    services.labour_add(goods=goods, worked_on=local_today(), hours="1", work="修理", actor=tech)
    services.goods_mark_repaired(goods=goods, actor=tech)
    services.goods_inspect(goods=goods, passed=True, note="", actor=h.user(staff["manager"]))
    with pytest.raises(DomainError) as error:
        services.goods_hand_back(goods=goods, rating=5, **h.sign_kwargs(tech))
    assert "维修服务回执单" in error.value.message  # outside a request the message is in the default language
    assert goods.state is G.inspected


def test_hand_back_signs_the_receipt_voids_the_goods_receipt_and_moves_the_case_on(db, staff):
    goods = h.ready_for_hand_back(staff["tech"], staff["manager"])
    receipt = services.case_receipt(goods)
    original = db.scalar(select(ArchivedDocument).where(ArchivedDocument.document_type == "goods_receipt"))
    original_path, original_sha = original.path, original.sha256
    services.goods_hand_back(goods=goods, rating=5, **h.sign_kwargs(h.user(staff["clerk"])))
    assert goods.state is G.returned and goods.returned_at and goods.voided_at
    assert receipt.state is ReceiptState.signed and goods.case.state is S.signed
    assert goods.case.followup_due_at is not None
    documents = list(db.scalars(select(ArchivedDocument).where(ArchivedDocument.number == goods.number)
                                .order_by(ArchivedDocument.version)))
    assert [(d.document_type, d.status) for d in documents] == [
        ("goods_receipt", ArchiveStatus.void), ("goods_return", ArchiveStatus.valid),
        ("goods_receipt", ArchiveStatus.void)]
    assert documents[0].path == original_path and documents[0].sha256 == original_sha
    from portal.archive.services import verify_all
    assert verify_all() == []
    assert db.scalar(select(ArchivedDocument).where(ArchivedDocument.document_type == "repair_receipt")) is not None
    # the same signature, twice: the return and the repair receipt
    assert {s.document_type for s in db.scalars(select(Signature))} == {"goods_receipt", "goods_return",
                                                                          "repair_receipt"}
    with pytest.raises(DomainError):
        services.goods_void(goods=goods, actor=None, verify_url=lambda n, c: "http://x/")
    with pytest.raises(DomainError):
        services.goods_hand_back(goods=goods, rating=5, **h.sign_kwargs(h.user(staff["clerk"])))


def test_a_separately_signed_repair_receipt_still_allows_the_hand_back(db, staff):
    from portal.receipts import services as receipts
    goods = h.ready_for_hand_back(staff["tech"], staff["manager"])
    receipt = services.case_receipt(goods)
    receipts.receipt_sign(receipt=receipt, rating=4, **{k: v for k, v in h.sign_kwargs(h.user(staff["clerk"])).items()})
    services.goods_hand_back(goods=goods, rating=None, **h.sign_kwargs(h.user(staff["clerk"])))
    assert goods.state is G.returned and goods.case.state is S.signed


def test_reopening_the_receipt_sends_the_case_back_to_the_workshop(db, staff):
    from portal.receipts import services as receipts
    goods = h.ready_for_hand_back(staff["tech"], staff["manager"])
    receipts.receipt_reopen(receipt=services.case_receipt(goods), actor=h.user(staff["tech"]))
    assert goods.case.state is S.in_workshop


# --- the full flow over HTTP ------------------------------------------------------------------------------

def test_the_whole_flow_through_the_pages(app, client, staff):
    with app.app_context():
        case = case_helpers.case_in(S.on_site, technician_id=staff["tech"])
        db.session.commit()
        case_id = case.id
    _login(client, staff["tech"])
    page = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert "take the unit to the workshop" in page
    response = client.post(f"/carryin/case/{case_id}/open", headers=EN)
    assert response.status_code == 303
    goods_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        goods = db.session.get(GoodsReceipt, goods_id)
        item_id, version, checks = goods.items[0].id, goods.version, len(goods.items[0].checks)
    form = {"version": version, "technician_id": staff["tech"], "accessories": "电源线", "shelf": "",
            "condition_note": "", "action": "sign",
            **{f"check-{item_id}-{i}": "ok" for i in range(checks)}}
    response = client.post(f"/carryin/{goods_id}", data=form, headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/take-in")
    assert client.get(f"/carryin/{goods_id}/take-in", headers=EN).status_code == 200
    response = client.post(f"/carryin/{goods_id}/take-in", headers=EN, data={
        "signer_name": "张伟", "signature": data_url(png()), "strokes": ""})
    assert response.status_code == 303
    assert client.post(f"/carryin/{goods_id}/shelf", data={"shelf": "C-07"}, headers=EN).status_code == 303
    card = client.get(f"/carryin/{goods_id}/card.pdf")
    assert card.status_code == 200 and card.data.startswith(b"%PDF")
    assert client.post(f"/carryin/{goods_id}/start", headers=EN).status_code == 303
    bad = client.post(f"/carryin/{goods_id}/labour", data={"worked_on": local_today().isoformat(), "hours": "30",
                                                           "work": "更换"}, headers=EN)
    assert bad.status_code == 422 and "更换" in bad.get_data(as_text=True)
    assert client.post(f"/carryin/{goods_id}/labour", data={"worked_on": local_today().isoformat(), "hours": "1.5",
                                                            "work": "更换点火针"}, headers=EN).status_code == 303
    assert client.post(f"/carryin/{goods_id}/repaired", headers=EN).status_code == 303
    with app.app_context():
        number = db.session.get(GoodsReceipt, goods_id).number
        h.ready_receipt(db.session.get(GoodsReceipt, goods_id))
        db.session.commit()
    assert client.get(f"/carryin/{number}").headers["Location"].endswith(f"/carryin/{goods_id}")
    _login(client, staff["manager"])
    assert client.post(f"/carryin/{goods_id}/inspect", data={"result": "fail", "note": ""},
                       headers=EN).status_code == 422
    assert client.post(f"/carryin/{goods_id}/inspect", data={"result": "pass", "note": "试机正常"},
                       headers=EN).status_code == 303
    page = client.get(f"/carryin/{goods_id}", headers=EN).get_data(as_text=True)
    assert "Hand back" in page
    _login(client, staff["clerk"])
    response = client.post(f"/carryin/{goods_id}/hand-back", headers=EN, data={
        "signer_name": "张伟", "signature": data_url(png()), "strokes": "", "rating": "5"})
    assert response.status_code == 303
    with app.app_context():
        goods = db.session.get(GoodsReceipt, goods_id)
        assert goods.state is G.returned and goods.case.state is S.signed
    again = client.post(f"/carryin/{goods_id}/hand-back", headers=EN, data={
        "signer_name": "张伟", "signature": data_url(png()), "strokes": "", "rating": "5"})
    assert again.status_code == 409
    assert client.get(f"/carryin/{goods_id}.pdf").status_code == 302
    assert client.get(f"/carryin/{goods_id}/return.pdf").status_code == 302


def test_walk_in_creates_customer_case_and_draft(app, client, staff):
    _login(client, staff["clerk"])
    response = client.post("/carryin/walk-in", headers=EN, data={
        "new_name": "刘芳", "new_phone": "13900001111", "caller_name": "刘芳", "caller_phone": "13900001111",
        "symptom": "电磁炉不加热", "technician_id": staff["tech"], "equipment_id": ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        goods = db.session.scalar(select(GoodsReceipt))
        assert goods.case.channel.value == "visit" and goods.case.state is S.registered
        assert goods.technician_id == staff["tech"] and goods.case.customer.name == "刘芳"


def test_walk_in_without_a_technician_keeps_the_values(client, staff):
    _login(client, staff["clerk"])
    response = client.post("/carryin/walk-in", headers=EN, data={
        "new_name": "刘芳", "new_phone": "13900001111", "caller_name": "刘芳", "caller_phone": "13900001111",
        "symptom": "电磁炉不加热", "technician_id": ""})
    assert response.status_code == 422
    assert "电磁炉不加热" in response.get_data(as_text=True)


# --- register --------------------------------------------------------------------------------------------

def test_the_register_filters_and_highlights_overdue_units(app, client, staff):
    with app.app_context():
        with travel(utcnow() - timedelta(days=10)):
            old = h.taken_in(staff["tech"])
        new = h.taken_in(staff["tech"])
        old_number, new_number = old.number, new.number
        db.session.commit()
    _login(client, staff["clerk"])
    page = client.get("/carryin/", headers=EN).get_data(as_text=True)
    assert old_number in page and new_number in page and "ci-overdue" in page
    page = client.get("/carryin/?overdue=y", headers=EN).get_data(as_text=True)
    assert old_number in page and new_number not in page
    page = client.get(f"/carryin/?q={new_number.lower()}", headers=EN).get_data(as_text=True)
    assert new_number in page and old_number not in page
    page = client.get("/carryin/?state=returned", headers=EN).get_data(as_text=True)
    assert new_number not in page


def test_a_technician_sees_only_his_units(app, client, staff, make_user):
    other = make_user(Role.technician, "tech2")
    with app.app_context():
        goods = h.taken_in(staff["tech"])
        db.session.commit()
        goods_id, number = goods.id, goods.number
    _login(client, other)
    assert number not in client.get("/carryin/", headers=EN).get_data(as_text=True)
    assert client.get(f"/carryin/{goods_id}", headers=EN).status_code == 403


def test_the_checklist_page_is_for_managers(app, client, staff):
    with app.app_context():
        product_type = ProductType(name="燃气灶", default_warranty_months=12, active=True)
        db.session.add(product_type)
        db.session.commit()
        type_id = product_type.id
    _login(client, staff["manager"])
    assert client.post(f"/carryin/checklists/{type_id}", data={"checks": "玻璃面板\n旋钮"},
                       headers=EN).status_code == 303
    assert "玻璃面板" in client.get("/carryin/checklists", headers=EN).get_data(as_text=True)
    _login(client, staff["clerk"])
    assert client.get("/carryin/checklists", headers=EN).status_code == 403


def test_the_office_can_send_the_take_in_and_the_return_to_a_kiosk(app, client, staff):
    from portal.archive import kiosks
    with app.app_context():
        goods = h.draft(staff["tech"])
        h.answer_all(goods, h.user(staff["tech"]))
        db.session.commit()
        goods_id = goods.id
        assert kiosks.adapter("goods_receipt").signable(goods)
        assert not kiosks.adapter("goods_return").signable(goods)
    _login(client, staff["clerk"])
    page = client.get(f"/carryin/{goods_id}/take-in", headers=EN).get_data(as_text=True)
    assert 'id="kiosk-panel"' in page and "canvas" in page


def test_a_receipt_signed_before_the_take_in_does_not_let_the_unit_go_back(db, staff):
    """A reopened carry-in case: the first visit's signed receipt is not this unit's receipt."""
    goods = h.taken_in(staff["tech"])
    tech = h.user(staff["tech"])
    earlier = receipts.receipt_open(case=goods.case, actor=tech)
    earlier.state, earlier.signed_at = ReceiptState.signed, goods.taken_in_at - timedelta(days=3)
    db.flush()
    assert services.case_receipt(goods) is None
    services.goods_start_repair(goods=goods, actor=tech)
    services.labour_add(goods=goods, worked_on=local_today(), hours="1", work="修理", actor=tech)
    services.goods_mark_repaired(goods=goods, actor=tech)
    services.goods_inspect(goods=goods, passed=True, note="", actor=h.user(staff["manager"]))
    assert any("维修服务回执单" in gap for gap in services.hand_back_gaps(goods))
    current = h.ready_receipt(goods)
    assert services.case_receipt(goods) is current and services.hand_back_gaps(goods) == []
