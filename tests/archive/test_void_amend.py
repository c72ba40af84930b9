"""Void and amend a signed receipt: a manager voids with a reason, a corrected receipt is signed
again, the archive keeps every version and the verification page tells which one stands."""
from __future__ import annotations

import hashlib
import re
import subprocess
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.archive import services as archive
from portal.archive.models import ArchivedDocument, ArchiveStatus
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.timeutil import as_local, utcnow
from portal.extensions import db
from portal.receipts import services as receipts
from portal.receipts.models import Collection, ReceiptState, RepairReceipt
from portal.repairs.models import CaseState
from tests.archive import helpers
from tests.conftest import ARTIFACTS
from tests.receipts import helpers as receipt_helpers

EN = {"Accept-Language": "en"}


def _as(client, user_id: int) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


def _sign(client, receipt_id: int, name: str = "王经理"):
    return client.post(f"/receipts/{receipt_id}/sign", headers=EN, data={
        "signer_name": name, "rating": "5", "comment": "", "signature": helpers.data_url(helpers.png()),
        "strokes": "[]"})


def _pdf_text(path) -> str:
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


@pytest.fixture
def signed(app, client, make_user):
    """A signed receipt with a fee line (visit fee ¥50, paid on site), signed by the customer."""
    tech = make_user(Role.technician, "tech", display_name="李师傅")
    with app.app_context():
        technician = db.session.get(User, tech)
        case = receipt_helpers.job(tech)
        receipt = receipts.receipt_open(case=case, actor=technician)
        receipts.receipt_set_fee(receipt=receipt, fee_item=receipt_helpers.fee("上门费", "50.00", visit=True),
                                 quantity=1, actor=technician)
        receipts.receipt_save(receipt=receipt, expected_version=receipt.version, actor=technician, ready=True, values={
            "arrived_at": case.on_site_at, "finished_at": utcnow(), "fault_cause": "点火针积碳",
            "solution": "清理并调整点火针，试机正常", "test_run_shown": True, "instructions_given": True,
            "misuse": False, "misuse_reason": "", "customer_consented": True, "collected": Decimal("50.00"),
            "collect_later": False})
        db.session.commit()
        ids = {"tech": tech, "receipt": receipt.id, "number": receipt.number, "case": receipt.case_id}
    _as(client, tech)
    assert _sign(client, ids["receipt"]).status_code == 303
    with app.app_context():
        document = db.session.scalar(select(ArchivedDocument))
        ids.update(original_doc=document.id, code=document.verification_code,
                   original_bytes=archive.file_path(document).read_bytes())
    return ids


def _void(client, receipt_id: int, reason: str = "客户名称写错，应为泉城大酒店（西区）", amend: bool = False):
    data = {"reason": reason}
    if amend:
        data["amend"] = "y"
    return client.post(f"/receipts/{receipt_id}/void", data=data, headers=EN)


def test_only_a_manager_voids_and_a_reason_is_needed(app, client, login_as, make_user, signed):
    for role in (Role.clerk, Role.technician, Role.operator):
        login_as(role)
        assert _void(client, signed["receipt"]).status_code == 403
    _as(client, signed["tech"])
    assert _void(client, signed["receipt"]).status_code == 403  # the technician of the job neither
    login_as(Role.manager)
    page = client.get(f"/receipts/{signed['receipt']}", headers=EN).get_data(as_text=True)
    assert "Void this signed receipt" in page and "作废 / VOID" in page
    response = _void(client, signed["receipt"], reason="   ")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="reason-error"' in body and "Give the reason for voiding" in body
    response = _void(client, signed["receipt"], reason="原因" * 300)
    assert response.status_code == 422 and "under 500 characters" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(RepairReceipt, signed["receipt"]).state is ReceiptState.signed
        assert db.session.scalar(select(func.count(ArchivedDocument.id))) == 1
        assert db.session.get(ArchivedDocument, signed["original_doc"]).status is ArchiveStatus.valid


def test_void_archives_a_stamped_version_and_keeps_the_original_file(app, client, login_as, signed):
    login_as(Role.manager)
    response = _void(client, signed["receipt"])
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    assert response.headers["Location"].endswith(f"/receipts/{signed['receipt']}")
    with app.app_context():
        receipt = db.session.get(RepairReceipt, signed["receipt"])
        assert receipt.state is ReceiptState.void and receipt.voided_at is not None
        assert receipt.void_reason == "客户名称写错，应为泉城大酒店（西区）"
        assert receipt.case.state is CaseState.signed  # the case does not move
        original, void_copy = db.session.scalars(select(ArchivedDocument).order_by(ArchivedDocument.version)).all()
        assert (original.version, void_copy.version) == (1, 2) and void_copy.number == original.number
        assert original.status is ArchiveStatus.void and void_copy.status is ArchiveStatus.void
        assert void_copy.supersedes_id == original.id and void_copy.verification_code != original.verification_code
        # The signed file is untouched: same bytes, same hash, and the archive check passes.
        assert archive.file_path(original).read_bytes() == signed["original_bytes"]
        assert hashlib.sha256(signed["original_bytes"]).hexdigest() == original.sha256
        assert archive.verify_all() == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # kept for a look: pdftoppm -png test-artifacts/void-receipt.pdf
        (ARTIFACTS / "void-receipt.pdf").write_bytes(archive.file_path(void_copy).read_bytes())
        text = _pdf_text(archive.file_path(void_copy))
        assert "作废" in text and "VOID" in text and "客户名称写错" in text and "王经理" in text
        assert "作废" not in _pdf_text(archive.file_path(original))
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"repair_receipt.void", "archived_document.voided", "repair_receipt.archived"} <= actions
        codes = [original.verification_code, void_copy.verification_code]
    anonymous = app.test_client()
    for code in codes:  # any code of the number now reads void
        page = anonymous.get(f"/verify/{signed['number']}?code={code}", headers=EN).get_data(as_text=True)
        assert "✗ Void" in page and "This document is valid." not in page
    page = client.get(f"/receipts/{signed['receipt']}", headers=EN).get_data(as_text=True)
    assert "Versions and corrections" in page and "v1" in page and "v2" in page
    assert "Start the corrected receipt" in page and "Void this signed receipt" not in page
    assert _void(client, signed["receipt"]).status_code == 409  # void is final


def _complete_and_ready(client, amendment_id: int, app, **changes):
    with app.app_context():
        amendment = db.session.get(RepairReceipt, amendment_id)
        data = {"arrived_at": as_local(amendment.arrived_at).strftime("%Y-%m-%dT%H:%M"),
                "finished_at": as_local(amendment.finished_at).strftime("%Y-%m-%dT%H:%M"),
                "fault_cause": amendment.fault_cause, "solution": amendment.solution, "test_run_shown": "y",
                "instructions_given": "y", "customer_consented": "y", "collected": str(amendment.collected),
                "version": str(amendment.version), "action": "ready"}
    data.update(changes)
    return client.post(f"/receipts/{amendment_id}", data=data, headers=EN)


def test_amend_creates_a_linked_draft_that_is_signed_and_supersedes_the_original(app, client, login_as, make_user,
                                                                                   signed):
    login_as(Role.manager)
    assert _void(client, signed["receipt"]).status_code == 303
    login_as(Role.technician)  # another technician's job: not theirs to correct
    assert client.post(f"/receipts/{signed['receipt']}/amend", headers=EN).status_code == 403
    _as(client, signed["tech"])
    response = client.post(f"/receipts/{signed['receipt']}/amend", headers=EN)
    assert response.status_code == 303
    with app.app_context():
        original = db.session.get(RepairReceipt, signed["receipt"])
        amendment = db.session.scalar(select(RepairReceipt).where(RepairReceipt.amends_id == original.id))
        assert response.headers["Location"].endswith(f"/receipts/{amendment.id}")
        assert amendment.state is ReceiptState.draft and amendment.number != original.number
        assert amendment.number.startswith("HZ-") and amendment.case_id == original.case_id
        assert (amendment.fault_cause, amendment.solution, amendment.total, amendment.category) == \
               (original.fault_cause, original.solution, original.total, original.category)
        assert [(l.description, l.quantity, l.list_price, l.unit_price, l.amount) for l in amendment.lines] == \
               [(l.description, l.quantity, l.list_price, l.unit_price, l.amount) for l in original.lines]
        assert amendment.lines[0].id != original.lines[0].id
        amendment_id, amendment_number = amendment.id, amendment.number
    assert client.post(f"/receipts/{signed['receipt']}/amend", headers=EN).status_code == 409  # one correction
    page = client.get(f"/receipts/{amendment_id}", headers=EN).get_data(as_text=True)
    assert f"Correction of {signed['number']}" in page and signed["number"] in page
    # The technician corrects it and hands it over; the case stays signed throughout.
    response = _complete_and_ready(client, amendment_id, app, fault_cause="点火针积碳，电磁阀老化")
    assert response.status_code == 303, response.get_data(as_text=True)[-1500:]
    with app.app_context():
        amendment = db.session.get(RepairReceipt, amendment_id)
        assert amendment.state is ReceiptState.ready and amendment.case.state is CaseState.signed
    page = client.get(f"/receipts/{amendment_id}", headers=EN).get_data(as_text=True)
    assert "Customer signs the corrected receipt" in page
    assert _sign(client, amendment_id, name="王建国").status_code == 303
    with app.app_context():
        amendment = db.session.get(RepairReceipt, amendment_id)
        assert amendment.state is ReceiptState.signed and amendment.case.state is CaseState.signed
        old = db.session.scalars(select(ArchivedDocument).where(ArchivedDocument.number == signed["number"])).all()
        assert len(old) == 2 and all(d.status is ArchiveStatus.superseded for d in old)
        new = db.session.scalar(select(ArchivedDocument).where(ArchivedDocument.number == amendment_number))
        assert new.status is ArchiveStatus.valid and new.supersedes_id == max(d.id for d in old)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "amended-receipt.pdf").write_bytes(archive.file_path(new).read_bytes())
        text = _pdf_text(archive.file_path(new))
        assert "更正单" in text and signed["number"] in text and "电磁阀老化" in text and "VOID" not in text
        new_code = new.verification_code
    anonymous = app.test_client()
    page = anonymous.get(f"/verify/{signed['number']}?code={signed['code']}", headers=EN).get_data(as_text=True)
    assert "✗ Superseded" in page
    page = anonymous.get(f"/verify/{amendment_number}?code={new_code}", headers=EN).get_data(as_text=True)
    assert "This document is valid." in page
    # The history: the original lists its versions and the chain links both ways.
    login_as(Role.clerk)
    page = client.get(f"/receipts/{signed['receipt']}", headers=EN).get_data(as_text=True)
    assert f'href="/receipts/{amendment_id}"' in page and "Superseded" in page
    page = client.get(f"/receipts/{amendment_id}", headers=EN).get_data(as_text=True)
    assert f'href="/receipts/{signed["receipt"]}"' in page and "Valid" in page


def test_void_and_amend_in_one_step(app, client, login_as, signed):
    manager = login_as(Role.manager)
    response = _void(client, signed["receipt"], amend=True)
    assert response.status_code == 303
    with app.app_context():
        amendment = db.session.scalar(select(RepairReceipt).where(RepairReceipt.amends_id == signed["receipt"]))
        assert response.headers["Location"].endswith(f"/receipts/{amendment.id}")
        assert db.session.get(RepairReceipt, signed["receipt"]).state is ReceiptState.void
        assert amendment.technician_id == signed["tech"]  # the job's technician completes it
        created = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "repair_receipt.created",
                                                             AuditEntry.entity_id == amendment.id))
        assert created.actor_id == manager and signed["number"] in created.note
    page = client.get(f"/receipts/{amendment.id}", headers=EN).get_data(as_text=True)
    assert "Draft" in page and signed["number"] in page


def test_a_failed_void_changes_nothing(app, client, login_as, signed, monkeypatch):
    """A rendering failure after the transition rolls everything back, the new file included."""
    login_as(Role.manager)
    import portal.core.pdf as pdf

    def broken(*args, **kwargs):
        raise RuntimeError("renderer down")
    monkeypatch.setattr(pdf, "render_pdf", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert _void(client, signed["receipt"]).status_code == 500
    with app.app_context():
        assert db.session.get(RepairReceipt, signed["receipt"]).state is ReceiptState.signed
        assert db.session.get(ArchivedDocument, signed["original_doc"]).status is ArchiveStatus.valid
        assert db.session.scalar(select(func.count(ArchivedDocument.id))) == 1
    from pathlib import Path
    assert len(list(Path(app.config["ARCHIVE_DIR"]).rglob("*.pdf"))) == 1


def test_only_a_void_receipt_is_amended(app, client, login_as, signed):
    login_as(Role.manager)
    response = client.post(f"/receipts/{signed['receipt']}/amend", headers=EN)
    assert response.status_code == 409 and "Void receipt" in response.get_data(as_text=True)


def test_void_withdraws_money_still_to_collect_and_the_correction_asks_again(app, client, login_as, make_user):
    tech = make_user(Role.technician, "tech2")
    with app.app_context():
        technician = db.session.get(User, tech)
        case = receipt_helpers.job(tech)
        receipt = receipts.receipt_open(case=case, actor=technician)
        receipts.receipt_set_fee(receipt=receipt, fee_item=receipt_helpers.fee("上门费", "80.00", visit=True),
                                 quantity=1, actor=technician)
        receipts.receipt_save(receipt=receipt, expected_version=receipt.version, actor=technician, ready=True, values={
            "arrived_at": case.on_site_at, "finished_at": utcnow(), "fault_cause": "漏气", "solution": "更换密封圈",
            "test_run_shown": True, "instructions_given": True, "misuse": False, "misuse_reason": "",
            "customer_consented": True, "collected": Decimal("30.00"), "collect_later": True})
        db.session.commit()
        receipt_id = receipt.id
        assert db.session.scalar(select(Collection.amount).where(Collection.receipt_id == receipt_id)) == Decimal("50.00")
    _as(client, tech)
    assert _sign(client, receipt_id).status_code == 303
    login_as(Role.manager)
    assert _void(client, receipt_id, amend=True).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(Collection.id))) == 0
        amendment_id = db.session.scalar(select(RepairReceipt.id).where(RepairReceipt.amends_id == receipt_id))
    _as(client, tech)
    assert _complete_and_ready(client, amendment_id, app, collect_later="y").status_code == 303
    with app.app_context():
        item = db.session.scalar(select(Collection))
        assert item.receipt_id == amendment_id and item.amount == Decimal("50.00")


def test_the_receipt_page_shows_no_void_form_to_others(app, client, login_as, signed):
    login_as(Role.clerk)
    page = client.get(f"/receipts/{signed['receipt']}", headers=EN).get_data(as_text=True)
    assert "Versions and corrections" in page and "Void this signed receipt" not in page
    assert re.search(r"v1\s*</td>", page)
