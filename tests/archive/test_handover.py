"""Hand-over mode (交给客户签字): the technician's own browser locked to signing one receipt."""
import pytest
from sqlalchemy import select

from portal.archive.models import ArchivedDocument
from portal.core.access import declared_access
from portal.core.models import Signature
from portal.core.roles import Role
from portal.extensions import db
from portal.receipts.models import ReceiptState, RepairReceipt
from tests.archive import helpers
from tests.conftest import TEST_PASSWORD

EN = {"Accept-Language": "en"}
OPEN_WHILE_LOCKED = {"static", "receipts.handover_locked", "receipts.handover_thanks", "receipts.sign",
                     "receipts.signed"}


@pytest.fixture
def handed_over(app, client, login_as):
    """A technician signed in with English as their language, their ready receipt handed over."""
    tech = login_as(Role.technician, username="tech", language="en")
    with app.app_context():
        receipt = helpers.ready_receipt(tech)
        ids = {"tech": tech, "receipt": receipt.id, "case": receipt.case_id}
    response = client.post(f"/receipts/{ids['receipt']}/handover")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/receipts/{ids['receipt']}/sign")
    return ids


def _sign(client, receipt_id):
    return client.post(f"/receipts/{receipt_id}/sign", data={
        "signer_name": "王经理", "rating": "5", "comment": "", "signature": helpers.data_url(helpers.png()),
        "strokes": "[]"})


def _url(rule):
    return rule.build({arg: 1 for arg in rule.arguments})[1]


def test_the_signing_screen_offers_the_hand_over_and_starts_it(app, client, login_as):
    tech = login_as(Role.technician, username="tech", language="en")
    with app.app_context():
        receipt_id = helpers.ready_receipt(tech).id
    page = client.get(f"/receipts/{receipt_id}/sign").get_data(as_text=True)
    assert "Hand over to the customer" in page and f"/receipts/{receipt_id}/handover" in page
    assert "Hand over to the customer" in client.get(f"/receipts/{receipt_id}").get_data(as_text=True)
    client.post(f"/receipts/{receipt_id}/handover")
    with client.session_transaction() as session:
        assert session["handover"]["receipt_id"] == receipt_id and session["handover"]["user_id"] == tech
    page = client.get(f"/receipts/{receipt_id}/sign").get_data(as_text=True)
    # Locked to signing: no navigation, no sign-out, no hand-over button any more.
    assert "Accept and sign" in page and 'class="mainnav"' not in page and "Sign out" not in page
    assert "Hand over to the customer" not in page


def test_the_case_page_offers_the_hand_over_for_a_ready_receipt(app, client, login_as):
    tech = login_as(Role.technician, username="tech", language="en")
    with app.app_context():
        receipt = helpers.ready_receipt(tech)
        case_id, receipt_id = receipt.case_id, receipt.id
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/receipts/case/{case_id}/handover" in page and "Hand over to the customer" in page
    # From the (boosted) case page: a full page load, so the signing screen's script runs.
    response = client.post(f"/receipts/case/{case_id}/handover", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert response.headers["HX-Redirect"].endswith(f"/receipts/{receipt_id}/sign")
    assert "HX-Location" not in response.headers


def test_hand_over_blocks_every_other_url(app, client, handed_over):
    """Every GET endpoint of the portal, except the signing screen of this receipt, the thank-you
    screen and the unlock screen, answers the locked screen without navigation."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in OPEN_WHILE_LOCKED:
            continue
        response = client.get(_url(rule))
        body = response.get_data(as_text=True)
        assert response.status_code == 423, (rule, response.status_code)
        assert "This tablet is handed over for signing" in body and 'class="mainnav"' not in body, rule
        checked += 1
    assert checked > 40
    # Posts elsewhere are refused too (e.g. the sign-out, editing a customer) …
    assert client.post("/logout").status_code == 423
    assert client.post("/customers/1/edit").status_code == 423
    # … htmx requests are sent to the locked screen …
    assert "/receipts/handover" in client.get("/cases/", headers={"HX-Request": "true"}).headers["HX-Location"]
    # … another receipt's signing screen is locked as well, and the staff member stays signed in.
    assert client.get(f"/receipts/{handed_over['receipt'] + 1}/sign").status_code == 423
    with client.session_transaction() as session:
        assert session["_user_id"] == str(handed_over["tech"])


def test_public_pages_are_locked_too(client, handed_over):
    assert client.get("/login").status_code == 423
    assert client.get("/verify/HZ0001").status_code == 423


def test_signing_works_inside_hand_over_and_ends_on_the_thank_you_screen(app, client, handed_over):
    receipt_id = handed_over["receipt"]
    assert client.get(f"/receipts/{receipt_id}/sign").status_code == 200
    response = _sign(client, receipt_id)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/receipts/{receipt_id}/signed")
    response = client.get(f"/receipts/{receipt_id}/signed")  # the staff "signed" page is not shown …
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipts/handover/thanks")
    page = client.get("/receipts/handover/thanks").get_data(as_text=True)
    assert "Thank you!" in page and "Open the signed PDF" not in page and "Back to the case" not in page
    assert 'class="mainnav"' not in page
    with app.app_context():
        assert db.session.get(RepairReceipt, receipt_id).state is ReceiptState.signed
        assert db.session.scalar(select(ArchivedDocument).where(ArchivedDocument.document_id == receipt_id))
        signature = db.session.scalar(select(Signature).where(Signature.document_id == receipt_id))
        assert signature.device == "staff tablet, handed over"
    # Going back to the signing screen lands on the thank-you screen again; the rest stays locked.
    assert client.get(f"/receipts/{receipt_id}/sign").headers["Location"].endswith("/receipts/handover/thanks")
    assert client.get(f"/receipts/{receipt_id}").status_code == 423


def test_the_thank_you_screen_speaks_the_customers_language(app, client, handed_over):
    _sign(client, handed_over["receipt"])
    assert "Thank you!" in client.get("/receipts/handover/thanks").get_data(as_text=True)
    response = client.post("/receipts/handover/language", data={"lang": "zh_CN", "next": "/receipts/handover/thanks"})
    assert response.headers["Location"].endswith("/receipts/handover/thanks")
    assert "谢谢" in client.get("/receipts/handover/thanks").get_data(as_text=True)
    with app.app_context():  # only for the hand-over: the technician's own preference is unchanged
        from portal.accounts.models import User
        assert db.session.get(User, handed_over["tech"]).preferred_language == "en"


def test_the_thank_you_screen_waits_for_the_signature(client, handed_over):
    assert client.get("/receipts/handover/thanks").headers["Location"].endswith("/receipts/handover")


def test_unlocking_needs_the_staff_members_password(app, client, handed_over):
    response = client.post("/receipts/handover/unlock", data={"password": "wrong-password"})
    assert response.status_code == 422 and "Wrong password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 423
    response = client.post("/receipts/handover/unlock", data={"password": ""})
    assert response.status_code == 422 and client.get("/").status_code == 423
    response = client.post("/receipts/handover/unlock", data={"password": TEST_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/receipts/{handed_over['receipt']}")
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert "handover" not in session and session["_user_id"] == str(handed_over["tech"])
    # With nothing handed over, the hand-over screens are not found.
    assert client.get("/receipts/handover").status_code == 404
    assert client.get("/receipts/handover/thanks").status_code == 404


def test_after_signing_unlock_goes_to_the_signed_page(client, handed_over):
    _sign(client, handed_over["receipt"])
    response = client.post("/receipts/handover/unlock", data={"password": TEST_PASSWORD})
    assert response.headers["Location"].endswith(f"/receipts/{handed_over['receipt']}/signed")
    assert "Open the signed PDF" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_unlock_attempts_are_limited(app, client, handed_over):
    app.config["LOGIN_FAILURE_LIMIT"] = "3 per 15 minutes"
    for _ in range(3):
        assert client.post("/receipts/handover/unlock", data={"password": "nope"}).status_code == 422
    response = client.post("/receipts/handover/unlock", data={"password": TEST_PASSWORD})
    assert response.status_code == 429 and "Too many wrong passwords" in response.get_data(as_text=True)
    assert client.get("/").status_code == 423


def test_signing_out_elsewhere_ends_the_mark(app, client, handed_over, make_user):
    """The mark belongs to the user who set it: another user signing in on this browser (a new
    session) is not locked, and a stale mark is dropped."""
    other = make_user(Role.clerk, "clerk")
    with client.session_transaction() as session:
        session["_user_id"] = str(other)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert "handover" not in session


def test_hand_over_needs_a_ready_receipt_the_user_may_sign(app, client, login_as, make_user):
    owner = make_user(Role.technician, "owner")
    with app.app_context():
        receipt_id = helpers.ready_receipt(owner).id
    login_as(Role.technician, username="intruder")
    assert client.post(f"/receipts/{receipt_id}/handover").status_code == 403
    login_as(Role.warehouse)
    assert client.post(f"/receipts/{receipt_id}/handover").status_code == 403
    with app.app_context():
        receipt = db.session.get(RepairReceipt, receipt_id)
        receipt.state = ReceiptState.draft
        db.session.commit()
    login_as(Role.clerk)
    assert client.post(f"/receipts/{receipt_id}/handover").status_code == 409
    with client.session_transaction() as session:
        assert "handover" not in session


def test_every_hand_over_endpoint_declares_its_roles(app):
    with app.test_request_context():
        for endpoint in ("receipts.handover", "receipts.handover_case", "receipts.handover_locked",
                         "receipts.handover_unlock", "receipts.handover_thanks", "receipts.handover_language"):
            assert declared_access(endpoint) == frozenset({Role.technician, Role.clerk, Role.manager})
