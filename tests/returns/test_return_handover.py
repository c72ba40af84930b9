"""Hand-over mode (portal/core/handover.py) for the return slip: the clerk's tablet locked to the
customer's signature at the hand-over until the clerk's password."""
import pytest
from sqlalchemy import select

from portal.archive.models import ArchivedDocument
from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.returns.models import ReturnSlip, ReturnState
from tests.archive.helpers import data_url, png
from tests.conftest import TEST_PASSWORD
from tests.returns import helpers

EN = {"Accept-Language": "en"}
RS = ReturnState


def _login(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


@pytest.fixture
def clerk(make_user):
    return make_user(Role.clerk, "clerk", display_name="内勤小李", language="en")


def _slip_id(app, state):
    with app.app_context():
        slip = helpers.slip_in(state)
        db.session.commit()
        return slip.id, slip.number


def test_the_return_slip_is_signed_on_the_handed_over_tablet(app, client, clerk):
    slip_id, number = _slip_id(app, RS.resolved)
    _login(client, clerk)
    for url in (f"/returns/{slip_id}", f"/returns/{slip_id}/sign"):
        page = client.get(url, headers=EN).get_data(as_text=True)
        assert "Hand over to the customer" in page and f"/returns/{slip_id}/handover" in page, url
    response = client.post(f"/returns/{slip_id}/handover")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/returns/{slip_id}/sign")
    page = client.get(f"/returns/{slip_id}/sign").get_data(as_text=True)
    assert "Confirm and sign" in page and 'class="mainnav"' not in page
    assert "Hand over to the customer" not in page and f'href="/returns/{slip_id}"' not in page  # no way back
    for url in (f"/returns/{slip_id}", "/returns/", f"/returns/{slip_id}.pdf", f"/returns/{slip_id}/signed"):
        assert client.get(url).status_code == 423, url

    response = client.post(f"/returns/{slip_id}/sign", data={
        "signer_name": "王经理", "rating": "5", "signature": data_url(png()), "strokes": "[]"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/receipts/handover/thanks")
    thanks = client.get("/receipts/handover/thanks").get_data(as_text=True)
    assert f"Return slip {number} is signed and archived." in thanks and "王经理" in thanks
    assert client.get(f"/returns/{slip_id}/sign").headers["Location"].endswith("/receipts/handover/thanks")
    with app.app_context():
        assert db.session.get(ReturnSlip, slip_id).state is RS.closed
        assert db.session.scalar(select(Signature.device)) == "staff tablet, handed over"
        assert db.session.scalar(select(ArchivedDocument.document_id)) == slip_id

    response = client.post("/receipts/handover/unlock", data={"password": TEST_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/returns/{slip_id}/signed")
    assert "Open the signed PDF" in client.get(f"/returns/{slip_id}/signed", headers=EN).get_data(as_text=True)


def test_unlocking_before_the_signature_goes_back_to_the_slip(app, client, clerk):
    slip_id, _number = _slip_id(app, RS.resolved)
    _login(client, clerk)
    client.post(f"/returns/{slip_id}/handover")
    assert client.get("/receipts/handover/thanks").headers["Location"].endswith("/receipts/handover")
    response = client.post("/receipts/handover/unlock", data={"password": TEST_PASSWORD})
    assert response.headers["Location"].endswith(f"/returns/{slip_id}")
    with app.app_context():
        assert db.session.get(ReturnSlip, slip_id).state is RS.resolved


def test_signing_on_the_office_device_is_recorded_so(app, client, clerk):
    slip_id, _number = _slip_id(app, RS.resolved)
    _login(client, clerk)
    response = client.post(f"/returns/{slip_id}/sign", headers=EN, data={
        "signer_name": "王经理", "rating": "5", "signature": data_url(png()), "strokes": "[]"})
    assert response.headers["Location"].endswith(f"/returns/{slip_id}/signed")
    with app.app_context():
        assert db.session.scalar(select(Signature.device)) == "staff device"


def test_only_the_office_hands_over_a_resolved_slip(app, client, clerk, make_user):
    resolved, _number = _slip_id(app, RS.resolved)
    inspected, _other = _slip_id(app, RS.inspected)
    _login(client, clerk)
    assert client.post(f"/returns/{inspected}/handover").status_code == 409
    _login(client, make_user(Role.technician, "tech"))
    assert client.post(f"/returns/{resolved}/handover").status_code == 403
    _login(client, make_user(Role.warehouse, "store"))
    assert client.post(f"/returns/{resolved}/handover").status_code == 403
    with client.session_transaction() as session:
        assert "handover" not in session
