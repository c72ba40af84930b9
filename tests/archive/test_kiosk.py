"""Counter kiosks: pairing by device token, the clerk sending one document, the kiosk showing only
that one, signing or cancelling there, and the clerk's status following by itself."""
import hashlib

import pytest
from sqlalchemy import select

from portal.archive import kiosks as kiosk_services
from portal.archive import services as archive
from portal.archive.models import ArchivedDocument, Kiosk, KioskRequest, KioskRequestState
from portal.core.models import AuditEntry, Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.receipts.models import ReceiptState, RepairReceipt
from tests.archive import helpers

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true", "Accept-Language": "en"}


def _login(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


def _pair(app, make_user, name="前台平板1"):
    """An administrator pairs a fresh device (its own test client); returns that client."""
    device = app.test_client()
    _login(device, make_user(Role.admin))
    response = device.post("/kiosks/pair", data={"name": name}, headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk"), response.data[-800:]
    return device, response


@pytest.fixture
def counter(app, client, make_user):
    """A paired kiosk, a clerk signed in on `client`, and two ready receipts."""
    kiosk_client, _response = _pair(app, make_user)
    clerk = make_user(Role.clerk, "clerk", display_name="内勤小李")
    tech = make_user(Role.technician, "tech")
    _login(client, clerk)
    with app.app_context():
        first, second = helpers.ready_receipt(tech), helpers.ready_receipt(tech)
        kiosk_id = db.session.scalar(select(Kiosk.id))
        ids = {"clerk": clerk, "tech": tech, "receipt": first.id, "number": first.number, "other": second.id,
               "other_number": second.number, "kiosk": kiosk_id}
    return kiosk_client, ids


def _send(client, receipt_id, kiosk_id, headers=HX):
    return client.post(f"/kiosks/send/repair_receipt/{receipt_id}", data={"kiosk_id": str(kiosk_id)}, headers=headers)


def _poll(kiosk_client, showing=0):
    return kiosk_client.get(f"/kiosk/screen?showing={showing}", headers=HX)


def _request(app) -> KioskRequest:
    with app.app_context():
        found = db.session.scalar(select(KioskRequest).order_by(KioskRequest.id.desc()))
        db.session.expunge(found)
        return found


def _sign_data(**changes):
    data = {"signer_name": "王经理", "rating": "4", "comment": "", "signature": helpers.data_url(helpers.png()),
            "strokes": "[]"}
    data.update(changes)
    return data


# --- pairing ----------------------------------------------------------------------------------------

def test_pairing_stores_only_the_hash_and_signs_the_admin_out(app, make_user):
    device, response = _pair(app, make_user)
    cookie = device.get_cookie(kiosk_services.COOKIE)
    token = cookie.value
    assert len(token) >= 40 and cookie.http_only and cookie.same_site == "Strict"
    set_cookie = response.headers["Set-Cookie"]
    assert "Max-Age=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    with app.app_context():
        kiosk = db.session.scalar(select(Kiosk))
        assert kiosk.name == "前台平板1" and kiosk.active
        assert kiosk.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
        stored = [str(getattr(kiosk, c.key)) for c in Kiosk.__table__.columns]
        stored += [str(e.changes) + str(e.note) for e in db.session.scalars(select(AuditEntry))]
        assert not any(token in value for value in stored)
    with device.session_transaction() as session:
        assert "_user_id" not in session  # the administrator is signed out on the device
    page = device.get("/kiosk", headers=EN)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "前台平板1" in body and "Welcome" in body
    assert 'class="mainnav"' not in body and "Sign out" not in body and 'hx-trigger="every 2s"' in body
    assert 'name="csrf_token"' in body or "X-CSRFToken" in body


def test_the_kiosk_list_and_a_name_in_use(app, client, login_as, make_user):
    _pair(app, make_user)
    login_as(Role.admin)
    page = client.get("/kiosks", headers=EN).get_data(as_text=True)
    assert "前台平板1" in page and "Revoke" in page and "Pair this device as a kiosk" in page
    response = client.post("/kiosks/pair", data={"name": " 前台平板1 "}, headers=EN)
    assert response.status_code == 422 and "is paired already" in response.get_data(as_text=True)
    assert client.post("/kiosks/pair", data={"name": ""}, headers=EN).status_code == 422
    assert client.post("/kiosks/pair", data={"name": "x" * 41}, headers=EN).status_code == 422
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Kiosk.id))) == 1


def test_revoking_stops_the_device_and_the_name_can_be_paired_again(app, client, login_as, make_user):
    device, _response = _pair(app, make_user)
    login_as(Role.admin)
    with app.app_context():
        kiosk_id = db.session.scalar(select(Kiosk.id))
    assert client.post(f"/kiosks/{kiosk_id}/revoke").status_code == 303
    response = device.get("/kiosk", headers=EN)
    assert response.status_code == 403 and "not a paired kiosk" in response.get_data(as_text=True)
    poll = _poll(device)
    assert poll.status_code == 403 and poll.headers["HX-Refresh"] == "true"
    with app.app_context():
        kiosk = db.session.get(Kiosk, kiosk_id)
        assert not kiosk.active and kiosk.revoked_at is not None
    new_device, _response = _pair(app, make_user)  # a new tablet takes over the name
    assert new_device.get("/kiosk").status_code == 200 and device.get("/kiosk").status_code == 403
    assert client.post(f"/kiosks/{kiosk_id}/revoke").status_code == 303


def test_an_unpaired_device_sees_no_document(app, client, counter):
    kiosk_client, ids = counter
    _send(client, ids["receipt"], ids["kiosk"])
    stranger = app.test_client()
    for response in (stranger.get("/kiosk", headers=EN), _poll(stranger)):
        body = response.get_data(as_text=True)
        assert response.status_code == 403 and ids["number"] not in body and "泉城" not in body
    stranger.set_cookie(kiosk_services.COOKIE, "made-up-token")
    response = stranger.get("/kiosk", headers=EN)
    assert response.status_code == 403 and ids["number"] not in response.get_data(as_text=True)
    assert stranger.post(f"/kiosk/repair_receipt/{ids['receipt']}/sign", data=_sign_data()).status_code == 403
    with app.app_context():
        assert db.session.get(RepairReceipt, ids["receipt"]).state is ReceiptState.ready


# --- sending and showing --------------------------------------------------------------------------

def test_the_clerks_receipt_page_offers_the_kiosks(app, client, counter):
    _kiosk_client, ids = counter
    page = client.get(f"/receipts/{ids['receipt']}", headers=EN).get_data(as_text=True)
    assert "Send to kiosk" in page and "前台平板1" in page and "Hand over to the customer" in page


def test_a_sent_document_shows_on_the_kiosk_within_one_poll(app, client, counter):
    kiosk_client, ids = counter
    assert _poll(kiosk_client).status_code == 204  # idle, and nothing to show: no swap
    response = _send(client, ids["receipt"], ids["kiosk"])
    panel = response.get_data(as_text=True)
    assert response.status_code == 200 and "Sent to the kiosk" in panel and 'hx-trigger="every 2s"' in panel
    sent = _request(app)
    assert sent.state is KioskRequestState.waiting and sent.sent_by_id == ids["clerk"]
    screen = _poll(kiosk_client)
    body = screen.get_data(as_text=True)
    assert screen.status_code == 200 and ids["number"] in body and "Accept and sign" in body
    assert "点火针积碳" in body and "data-signature-pad" in body and ids["other_number"] not in body
    assert f"/kiosk/repair_receipt/{ids['receipt']}/sign" in body and f"showing={sent.id}" in body
    assert _request(app).state is KioskRequestState.shown
    assert _poll(kiosk_client, sent.id).status_code == 204  # still right: the pad is left alone
    assert "On the kiosk" in client.get(f"/kiosks/requests/{sent.id}", headers=HX).get_data(as_text=True)
    # The full kiosk page shows it too (after a reload), with no link into the staff portal.
    page = kiosk_client.get("/kiosk", headers=EN).get_data(as_text=True)
    assert ids["number"] in page and f"/receipts/{ids['receipt']}" not in page and "/cases/" not in page


def test_only_the_sent_document_is_reachable_on_the_kiosk(app, client, counter):
    kiosk_client, ids = counter
    _send(client, ids["receipt"], ids["kiosk"])
    _poll(kiosk_client)
    for url in (f"/kiosk/repair_receipt/{ids['other']}/sign", f"/kiosk/repair_receipt/{ids['other']}/cancel",
                "/kiosk/repair_receipt/999/sign", f"/kiosk/dispatch_slip/{ids['receipt']}/sign"):
        assert kiosk_client.post(url, data=_sign_data()).status_code == 404, url
    # The staff pages stay closed to the kiosk: it is not signed in.
    for url in (f"/receipts/{ids['other']}", f"/receipts/{ids['other']}/sign", f"/receipts/{ids['receipt']}.pdf"):
        response = kiosk_client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    with app.app_context():
        assert db.session.get(RepairReceipt, ids["other"]).state is ReceiptState.ready


def test_signing_on_the_kiosk_signs_the_receipt_and_returns_to_idle(app, client, counter):
    kiosk_client, ids = counter
    _send(client, ids["receipt"], ids["kiosk"])
    _poll(kiosk_client)
    sent = _request(app)
    response = kiosk_client.post(f"/kiosk/repair_receipt/{ids['receipt']}/sign", data=_sign_data(), headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk")
    idle = kiosk_client.get("/kiosk", headers=EN).get_data(as_text=True)
    assert "Welcome" in idle and "Thank you! The document is signed." in idle and ids["number"] not in idle
    with app.app_context():
        receipt = db.session.get(RepairReceipt, ids["receipt"])
        assert receipt.state is ReceiptState.signed
        signature = db.session.scalar(select(Signature))
        assert signature.device == "前台平板1" and signature.staff_id == ids["clerk"] and signature.rating == 4
        document = db.session.scalar(select(ArchivedDocument))
        assert document.document_id == ids["receipt"] and archive.file_path(document).is_file()
        archived = archive.file_path(document).read_bytes()
        done = db.session.get(KioskRequest, sent.id)
        assert done.state is KioskRequestState.signed and done.finished_at is not None
    # The kiosk's poll swaps back to idle; the clerk's panel shows "signed" with the PDF, and stops polling.
    screen = _poll(kiosk_client, sent.id)
    assert screen.status_code == 200 and "Welcome" in screen.get_data(as_text=True)
    assert _poll(kiosk_client, 0).status_code == 204
    panel = client.get(f"/kiosks/requests/{sent.id}", headers=HX).get_data(as_text=True)
    assert "Signed" in panel and f"/receipts/{ids['receipt']}.pdf" in panel and "every 2s" not in panel
    assert '<div id="signing-actions" hx-swap-oob="true" hidden>' in panel  # stale "sign here" buttons go
    page = client.get(f"/kiosks/requests/{sent.id}", headers=EN).get_data(as_text=True)  # as a page of its own
    assert ids["number"] in page and "Open the signed PDF" in page and "hx-swap-oob" not in page
    pdf = client.get(f"/receipts/{ids['receipt']}.pdf", follow_redirects=True)
    assert pdf.data == archived  # the archived file, not a new rendering
    pdf.close()
    # Signed means frozen: the same request cannot sign twice.
    again = kiosk_client.post(f"/kiosk/repair_receipt/{ids['receipt']}/sign", data=_sign_data())
    assert again.status_code == 404


def test_a_bad_signature_on_the_kiosk_keeps_the_form_and_signs_nothing(app, client, counter):
    kiosk_client, ids = counter
    _send(client, ids["receipt"], ids["kiosk"])
    _poll(kiosk_client)
    response = kiosk_client.post(f"/kiosk/repair_receipt/{ids['receipt']}/sign",
                                 data=_sign_data(rating="", signer_name="李"), headers=EN)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose how satisfied" in body and 'value="李"' in body
    response = kiosk_client.post(f"/kiosk/repair_receipt/{ids['receipt']}/sign",
                                 data=_sign_data(signature=helpers.data_url(helpers.png(strokes=0))), headers=EN)
    assert response.status_code == 422 and "The signature is empty" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(RepairReceipt, ids["receipt"]).state is ReceiptState.ready
        assert db.session.scalar(select(Signature)) is None
    assert _request(app).state is KioskRequestState.shown


def test_cancel_on_the_kiosk_returns_to_idle_and_the_clerk_sees_cancelled(app, client, counter):
    kiosk_client, ids = counter
    _send(client, ids["receipt"], ids["kiosk"])
    _poll(kiosk_client)
    sent = _request(app)
    response = kiosk_client.post(f"/kiosk/repair_receipt/{ids['receipt']}/cancel", headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/kiosk")
    assert "Welcome" in kiosk_client.get("/kiosk", headers=EN).get_data(as_text=True)
    cancelled = _request(app)
    assert cancelled.state is KioskRequestState.cancelled and cancelled.finished_at is not None
    panel = client.get(f"/kiosks/requests/{sent.id}", headers=HX).get_data(as_text=True)
    assert "Cancelled" in panel and "every 2s" not in panel and "Send to kiosk" in panel  # send again
    with app.app_context():
        assert db.session.get(RepairReceipt, ids["receipt"]).state is ReceiptState.ready


def test_the_clerk_can_withdraw_and_the_kiosk_goes_idle(app, client, counter):
    kiosk_client, ids = counter
    _send(client, ids["receipt"], ids["kiosk"])
    _poll(kiosk_client)
    sent = _request(app)
    panel = client.post(f"/kiosks/requests/{sent.id}/withdraw", headers=HX)
    assert panel.status_code == 200 and "Cancelled" in panel.get_data(as_text=True)
    screen = _poll(kiosk_client, sent.id)
    assert screen.status_code == 200 and "Welcome" in screen.get_data(as_text=True)
    assert kiosk_client.post(f"/kiosk/repair_receipt/{ids['receipt']}/sign", data=_sign_data()).status_code == 404
    assert client.post(f"/kiosks/requests/{sent.id}/withdraw", headers=HX).status_code == 409


def test_one_document_at_a_time_and_only_ready_ones(app, client, counter):
    kiosk_client, ids = counter
    _send(client, ids["receipt"], ids["kiosk"])
    busy = _send(client, ids["other"], ids["kiosk"])
    assert busy.status_code == 422 and "is busy with" in busy.get_data(as_text=True)
    assert _send(client, ids["receipt"], 0).status_code == 422  # no kiosk chosen
    with app.app_context():
        receipt = db.session.get(RepairReceipt, ids["other"])
        receipt.state = ReceiptState.draft
        db.session.commit()
    assert _send(client, ids["other"], ids["kiosk"]).status_code == 409
    assert client.post("/kiosks/send/repair_receipt/999", data={"kiosk_id": ids["kiosk"]}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(db.func.count(KioskRequest.id))) == 1


def test_a_document_that_stops_being_ready_leaves_the_kiosk(app, client, counter):
    kiosk_client, ids = counter
    _send(client, ids["receipt"], ids["kiosk"])
    sent = _request(app)
    with app.app_context():
        receipt = db.session.get(RepairReceipt, ids["receipt"])
        receipt.state = ReceiptState.draft  # reopened by the technician meanwhile
        db.session.commit()
    screen = _poll(kiosk_client, 0)
    assert screen.status_code == 204  # idle stays idle; the request is taken off
    assert _request(app).state is KioskRequestState.cancelled
    assert "Cancelled" in client.get(f"/kiosks/requests/{sent.id}", headers=HX).get_data(as_text=True)


def test_a_plain_form_post_works_without_htmx(app, client, counter):
    _kiosk_client, ids = counter
    response = _send(client, ids["receipt"], ids["kiosk"], headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/receipts/{ids['receipt']}")
    page = client.get(f"/receipts/{ids['receipt']}", headers=EN).get_data(as_text=True)
    assert "Sent to 前台平板1." in page and "Withdraw from the kiosk" in page
    response = _send(client, ids["other"], ids["kiosk"], headers=EN)
    assert response.status_code == 422 and "is busy with" in response.get_data(as_text=True)



def test_pairing_a_kiosk_again_replaces_it(app, make_user):
    device, _response = _pair(app, make_user)
    first = device.get_cookie(kiosk_services.COOKIE).value
    _login(device, make_user(Role.admin))
    assert device.post("/kiosks/pair", data={"name": "前台平板1"}).status_code == 303  # same name: new key
    second = device.get_cookie(kiosk_services.COOKIE).value
    assert second != first and device.get("/kiosk").status_code == 200
    _login(device, make_user(Role.admin))
    assert device.post("/kiosks/pair", data={"name": "前台平板2"}).status_code == 303  # new name: old revoked
    with app.app_context():
        kiosks = {k.name: k for k in db.session.scalars(select(Kiosk))}
        assert not kiosks["前台平板1"].active and kiosks["前台平板2"].active
        assert kiosk_services.kiosk_for_token(first) is None and kiosk_services.kiosk_for_token(second) is None
