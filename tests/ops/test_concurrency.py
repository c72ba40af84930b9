"""Concurrency: two people editing one record, document numbers taken in parallel, and two
signatures of one receipt at the same moment."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.archive.models import ArchivedDocument
from portal.core.models import Signature
from portal.core.roles import Role
from portal.customers.models import Customer
from portal.extensions import db
from portal.receipts import services as receipts
from portal.receipts.models import ReceiptState, RepairReceipt
from portal.repairs.models import RepairCase
from tests.archive import helpers as archive_helpers
from tests.customers import helpers as customer_helpers
from tests.ops import helpers
from tests.receipts import helpers as receipt_helpers
from tests.repairs import helpers as case_helpers

EN = helpers.EN


def _browser(app, user_id: int):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def _assert_conflict_screen(response, *, mine: str, theirs: str) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 409, html[-2000:]
    assert 'class="conflict"' in html and "Someone else saved this record" in html
    assert mine in html and theirs in html  # the user's input kept, the other person's value beside it


def test_two_browsers_editing_one_customer(app, make_user):
    with app.app_context():
        customer = customer_helpers.customer("泉城大酒店")
        db.session.commit()
        customer_id = customer.id
    first, second = _browser(app, make_user(Role.clerk, "clerk1")), _browser(app, make_user(Role.clerk, "clerk2"))
    url = f"/customers/{customer_id}/edit"
    form_1 = helpers.form_fields(first.get(url, headers=EN).get_data(as_text=True), "")
    form_2 = helpers.form_fields(second.get(url, headers=EN).get_data(as_text=True), "")
    assert form_1["version"] == form_2["version"]
    saved = first.post(url, data={**form_1, "street": "经十路 1 号"}, headers=EN)
    assert saved.status_code in (200, 303), saved.get_data(as_text=True)[-2000:]
    late = second.post(url, data={**form_2, "street": "泉城路 9 号"}, headers=EN)
    _assert_conflict_screen(late, mine="泉城路 9 号", theirs="经十路 1 号")
    with app.app_context():
        assert db.session.get(Customer, customer_id).street == "经十路 1 号"  # the first edit kept


def test_two_browsers_editing_one_receipt(app, make_user):
    tech = make_user(Role.technician, "tech")
    with app.app_context():
        case = receipt_helpers.job(tech)
        receipt = receipts.receipt_open(case=case, actor=db.session.get(User, tech))
        db.session.commit()
        receipt_id = receipt.id
    first, second = _browser(app, tech), _browser(app, tech)  # the technician's phone and the office PC
    url = f"/receipts/{receipt_id}"
    form_1 = helpers.form_fields(first.get(url, headers=EN).get_data(as_text=True), url)
    form_2 = helpers.form_fields(second.get(url, headers=EN).get_data(as_text=True), url)
    saved = first.post(url, data={**form_1, "fault_cause": "点火针积碳"}, headers=EN)
    assert saved.status_code in (200, 303), saved.get_data(as_text=True)[-2000:]
    late = second.post(url, data={**form_2, "fault_cause": "热电偶老化"}, headers=EN)
    _assert_conflict_screen(late, mine="热电偶老化", theirs="点火针积碳")
    with app.app_context():
        assert db.session.get(RepairReceipt, receipt_id).fault_cause == "点火针积碳"


def test_document_numbers_taken_in_parallel_are_never_duplicated(app):
    threads_count, per_thread = 6, 8
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with app.app_context():
                    # Two numbered documents in one transaction (a customer KH-, a case BX-), as intake does.
                    owner = customer_helpers.customer(f"并发客户{n}-{i}", phone=f"137{n:02d}{i:06d}")
                    case_helpers.new_case(customer=owner, unit=False)
                    db.session.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    total = threads_count * per_thread
    with app.app_context():
        for model in (Customer, RepairCase):
            numbers = list(db.session.scalars(select(model.number)))
            assert len(numbers) == total and not [n for n, k in Counter(numbers).items() if k > 1]
            assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, total + 1))  # no gap either


@pytest.mark.pdf
def test_two_simultaneous_signatures_of_one_receipt(app, make_user):
    tech = make_user(Role.technician, "tech")
    with app.app_context():
        receipt_id = archive_helpers.ready_receipt(tech).id
    browsers = [_browser(app, tech), _browser(app, tech)]  # the tablet and the counter kiosk, say
    start = threading.Barrier(2)
    responses: list = [None, None]
    data = {"signer_name": "王经理", "rating": "5", "comment": "", "strokes": "[]",
            "signature": archive_helpers.data_url(archive_helpers.png())}

    def sign(n: int) -> None:
        start.wait()
        responses[n] = browsers[n].post(f"/receipts/{receipt_id}/sign", data=data, headers=EN)

    threads = [threading.Thread(target=sign, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [303, 409], [r.get_data(as_text=True)[-1500:] for r in responses]
    refused = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "signed already" in refused or "cannot be signed now" in refused
    with app.app_context():
        assert db.session.get(RepairReceipt, receipt_id).state is ReceiptState.signed
        assert db.session.scalar(select(func.count(Signature.id))) == 1
        assert db.session.scalar(select(func.count(ArchivedDocument.id))) == 1
    pdfs = [p for p in __import__("pathlib").Path(app.config["ARCHIVE_DIR"]).rglob("*") if p.is_file()]
    assert len(pdfs) == 1


def test_a_download_logged_while_another_request_writes_waits_its_turn(app, make_user):
    """The download of an archived file writes (its delivery is logged) in a GET: on SQLite it must
    take the write lock at BEGIN, or a write committed between its read and its insert makes it fail
    with "database is locked"."""
    from portal.settings.models import DepartmentSettings

    info = helpers.signed_receipt(app, make_user(Role.technician, "tech"))
    clerk = _browser(app, make_user(Role.clerk, "clerk"))
    locked, done = threading.Event(), threading.Event()

    def writer() -> None:
        with app.app_context():
            db.session.add(DepartmentSettings(company_name="并发写入"))
            db.session.flush()  # holds the write lock (SQLite) until the commit
            locked.set()
            done.wait(timeout=0.6)
            db.session.commit()

    thread = threading.Thread(target=writer)
    thread.start()
    assert locked.wait(timeout=10)
    response = clerk.get(f"/archive/{info['document']}.pdf", headers=EN)
    done.set()
    thread.join()
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    response.close()
