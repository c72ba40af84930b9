"""The return slip through the web: request with photos, every step by its role, refusals that keep
what was typed, signing at the hand-over with the archived PDF, the list and the kiosk."""
import io

import pytest
from sqlalchemy import func, select

from portal.archive.models import ArchivedDocument
from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.returns.models import ReturnPhoto, ReturnSlip, ReturnState
from tests.archive import helpers as archive_helpers
from tests.customers import helpers as customer_helpers
from tests.returns import helpers

EN = {"Accept-Language": "en"}
RS = ReturnState


def _login(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


@pytest.fixture
def people(make_user):
    return {role: make_user(role, role.value, display_name=f"测试{role.value}") for role in
            (Role.operator, Role.clerk, Role.manager, Role.warehouse, Role.technician)}


@pytest.fixture
def customer_id(app):
    with app.app_context():
        owner = customer_helpers.customer("泉城大酒店", is_organisation=True)
        customer_helpers.product_type("燃气热水器")
        db.session.commit()
        return owner.id


def _form(customer_id, kind_id, **changes):
    data = {"customer_id": str(customer_id), "equipment_id": "", "product_type_id": str(kind_id), "model": "JSQ25",
            "serial": "RS-0001", "sale_reference": "FP-2026-0815", "sale_date": "2026-10-02", "quantity_sold": "3",
            "quantity": "1", "reason": "quality_defect", "description": "开机显示E1", "outcome": "exchange"}
    data.update(changes)
    return data


def _kind_id(app):
    with app.app_context():
        return customer_helpers.product_type("燃气热水器").id


def _slip(app, number=None) -> ReturnSlip:
    with app.app_context():
        slip = db.session.scalar(select(ReturnSlip).order_by(ReturnSlip.id.desc()))
        db.session.expunge(slip)
        return slip


def test_a_return_goes_from_request_to_exchange_signed_and_archived(app, client, people, customer_id):
    kind = _kind_id(app)
    _login(client, people[Role.clerk])
    form = client.get("/returns/new", headers=EN)
    assert form.status_code == 200 and "Find the customer" in form.get_data(as_text=True)
    data = _form(customer_id, kind)
    data["photos"] = [(io.BytesIO(helpers.jpeg()), "front.jpg"), (io.BytesIO(helpers.jpeg(colour=(0, 90, 0))), "side.jpg")]
    created = client.post("/returns/new", data=data, content_type="multipart/form-data", headers=EN)
    assert created.status_code == 303, created.get_data(as_text=True)[-1500:]
    slip = _slip(app)
    assert slip.state is RS.requested and slip.number.startswith("TH-")
    page = client.get(f"/returns/{slip.id}", headers=EN).get_data(as_text=True)
    assert "the quality review by a manager" in page and "Record the review" not in page

    draft = client.get(f"/returns/{slip.id}.pdf")
    assert draft.status_code == 200 and draft.mimetype == "application/pdf"

    _login(client, people[Role.manager])
    assert "Record the review" in client.get(f"/returns/{slip.id}", headers=EN).get_data(as_text=True)
    assert client.post(f"/returns/{slip.id}/review", data={"decision": "approve"}, headers=EN).status_code == 303
    _login(client, people[Role.warehouse])
    assert client.post(f"/returns/{slip.id}/receive", data={"quantity_received": "1", "condition": "包装完好"},
                       headers=EN).status_code == 303
    _login(client, people[Role.technician])
    assert client.post(f"/returns/{slip.id}/inspect", data={"inspection_result": "主板故障",
                                                            "responsibility": "manufacturer"},
                       headers=EN).status_code == 303
    _login(client, people[Role.clerk])
    assert client.post(f"/returns/{slip.id}/resolve", data={"resolution": "exchanged", "exchange_serial": "RS-0099"},
                       headers=EN).status_code == 303
    page = client.get(f"/returns/{slip.id}", headers=EN).get_data(as_text=True)
    assert "Sign on this device" in page and "Counter kiosk" in page
    assert "Accept and sign" not in client.get(f"/returns/{slip.id}/sign", headers=EN).get_data(as_text=True)

    no_name = client.post(f"/returns/{slip.id}/sign", data={"signer_name": "", "rating": "5", "signature":
                                                            archive_helpers.data_url(archive_helpers.png())}, headers=EN)
    assert no_name.status_code == 422 and "takes over" in no_name.get_data(as_text=True)
    signed = client.post(f"/returns/{slip.id}/sign", data={
        "signer_name": "王经理", "rating": "5", "comment": "换货及时", "strokes": "[]",
        "signature": archive_helpers.data_url(archive_helpers.png())}, headers=EN)
    assert signed.status_code == 303 and signed.headers["Location"].endswith(f"/returns/{slip.id}/signed")
    with app.app_context():
        stored = db.session.get(ReturnSlip, slip.id)
        assert stored.state is RS.closed and stored.closed_at is not None
        document = db.session.scalar(select(ArchivedDocument).where(ArchivedDocument.document_type == "return_slip"))
        assert document.number == slip.number and document.version == 1 and len(document.sha256) == 64
        assert db.session.scalar(select(Signature.signer_name).where(Signature.document_type == "return_slip")) == "王经理"
    pdf = client.get(f"/returns/{slip.id}.pdf")
    assert pdf.status_code == 302 and f"/archive/{document.id}" in pdf.headers["Location"]
    again = client.post(f"/returns/{slip.id}/sign", data={"signer_name": "x", "rating": "5"}, headers=EN)
    assert again.status_code == 409 and "signed and closed already" in again.get_data(as_text=True)


def test_bad_input_keeps_what_was_typed_and_saves_nothing(app, client, people, customer_id):
    kind = _kind_id(app)
    _login(client, people[Role.operator])
    data = _form(customer_id, kind, quantity="5", description="外壳开裂漏水")
    response = client.post("/returns/new", data=data, content_type="multipart/form-data", headers=EN)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "More than the 3 sold on this reference." in body
    assert "外壳开裂漏水" in body and 'value="FP-2026-0815"' in body
    data = _form(customer_id, kind)
    data["photos"] = [(io.BytesIO(b"%PDF-1.4 not a photo"), "invoice.pdf")]
    response = client.post("/returns/new", data=data, content_type="multipart/form-data", headers=EN)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "invoice.pdf is not an image" in body and "choose the photos again" in body
    response = client.post("/returns/new", data=_form("", kind), content_type="multipart/form-data", headers=EN)
    assert response.status_code == 422 and "Choose the customer who returns the goods." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ReturnSlip.id))) == 0
        assert db.session.scalar(select(func.count(ReturnPhoto.id))) == 0


def test_a_step_the_state_does_not_allow_answers_409_naming_what_is(app, client, people):
    with app.app_context():
        slip = helpers.slip_in(RS.requested)
        db.session.commit()
        slip_id = slip.id
    _login(client, people[Role.warehouse])
    response = client.post(f"/returns/{slip_id}/receive", data={"quantity_received": "1", "condition": "ok"}, headers=EN)
    assert response.status_code == 409 and "Allowed from here" in response.get_data(as_text=True)
    _login(client, people[Role.manager])
    response = client.post(f"/returns/{slip_id}/review", data={"decision": "reject", "note": ""}, headers=EN)
    assert response.status_code == 422 and "Give the reason for rejecting" in response.get_data(as_text=True)
    assert client.post(f"/returns/{slip_id}/review", data={"decision": "reject", "note": "超过退货期限"},
                       headers=EN).status_code == 303
    page = client.get(f"/returns/{slip_id}", headers=EN).get_data(as_text=True)
    assert "Rejected by the quality review" in page and "超过退货期限" in page
    response = client.post(f"/returns/{slip_id}/review", data={"decision": "approve"}, headers=EN)
    assert response.status_code == 409


def test_roles_guard_each_step(app, client, people):
    with app.app_context():
        slip = helpers.slip_in(RS.requested)
        db.session.commit()
        slip_id = slip.id
    _login(client, people[Role.clerk])
    assert client.post(f"/returns/{slip_id}/review", data={"decision": "approve"}).status_code == 403
    _login(client, people[Role.technician])
    assert client.post(f"/returns/{slip_id}/cancel", data={"reason": "x"}).status_code == 403
    assert client.get("/returns/new").status_code == 403
    assert client.get("/returns/ledger").status_code == 403
    assert client.get(f"/returns/{slip_id}").status_code == 200


def test_edit_with_a_stale_version_is_a_conflict(app, client, people, customer_id):
    with app.app_context():
        slip = helpers.slip_in(RS.requested)
        db.session.commit()
        slip_id, version, kind = slip.id, slip.version, slip.product_type_id
        customer = slip.customer_id
    _login(client, people[Role.clerk])
    assert client.get(f"/returns/{slip_id}/edit", headers=EN).status_code == 200
    ok = client.post(f"/returns/{slip_id}/edit", data=_form(customer, kind, quantity="2", version=str(version)),
                     content_type="multipart/form-data", headers=EN)
    assert ok.status_code == 303
    stale = client.post(f"/returns/{slip_id}/edit", data=_form(customer, kind, quantity="3", version=str(version)),
                        content_type="multipart/form-data", headers=EN)
    assert stale.status_code == 409 and "Someone else saved" in stale.get_data(as_text=True)


def test_list_filters_and_photo_view(app, client, people):
    with app.app_context():
        first = helpers.new_slip(uploads=[(helpers.jpeg(), "a.jpg")])
        helpers.new_slip(reason="transport_damage", outcome="refund", serial="TT-777", sale_reference="FP-9")
        db.session.commit()
        photo_id, number = first.photos[0].id, first.number
    _login(client, people[Role.warehouse])
    page = client.get("/returns/?reason=transport_damage", headers=EN).get_data(as_text=True)
    assert "TT-777" in page and number not in page
    page = client.get(f"/returns/?q={number}", headers=EN).get_data(as_text=True)
    assert number in page and "TT-777" not in page
    photo = client.get(f"/returns/photos/{photo_id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


def test_the_kiosk_can_take_a_resolved_slip(app, client, people):
    from portal.archive import kiosks
    with app.app_context():
        slip = helpers.slip_in(RS.resolved)
        db.session.commit()
        kind = kiosks.adapter("return_slip")
        loaded = kind.load(slip.id)
        assert kind.signable(loaded) and kind.form is not None
        with app.test_request_context():
            assert kind.page_url(loaded) == f"/returns/{slip.id}"
