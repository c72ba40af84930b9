"""The archive browser: filters and their checks, open/download/print logged, batch printing."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from portal.archive import browse
from portal.archive import services as archive
from portal.archive.models import ArchivedDocument, ArchiveStatus
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.extensions import db
from tests.customers import helpers as customer_helpers

EN = {"Accept-Language": "en"}
SHANGHAI = timezone(timedelta(hours=8))


def _pdf(pages: int, width: int) -> bytes:
    """A PDF of blank pages whose width tells the documents apart after merging."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=width, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _store(customer, *, number: str, signed: datetime, technician_id: int | None, pages: int = 1, width: int = 595,
           status: ArchiveStatus = ArchiveStatus.valid) -> ArchivedDocument:
    document = archive.store(data=_pdf(pages, width), document_type="repair_receipt", document_id=1, number=number,
                             code=archive.new_code(), customer=customer, technician_id=technician_id,
                             signed_at=signed.astimezone(timezone.utc))
    document.status = status
    return document


@pytest.fixture
def docs(app, make_user):
    """Five archived files: two customers, two technicians, signed over two years."""
    li = make_user(Role.technician, "li", display_name="李师傅")
    wang = make_user(Role.technician, "wang", display_name="王师傅")
    with app.app_context():
        hotel = customer_helpers.customer("泉城大酒店", "13912345678")
        school = customer_helpers.customer("历下实验学校")
        made = [
            _store(hotel, number="HZ-2024-000007", signed=datetime(2024, 5, 3, 10, 0, tzinfo=SHANGHAI),
                   technician_id=li, pages=2, width=600),
            _store(hotel, number="HZ-2025-000001", signed=datetime(2025, 3, 1, 9, 0, tzinfo=SHANGHAI),
                   technician_id=li, pages=1, width=610),
            _store(school, number="HZ-2025-000002", signed=datetime(2025, 3, 1, 23, 30, tzinfo=SHANGHAI),
                   technician_id=wang, pages=3, width=620),
            _store(school, number="HZ-2025-000003", signed=datetime(2025, 3, 2, 0, 30, tzinfo=SHANGHAI),
                   technician_id=wang, pages=1, width=630, status=ArchiveStatus.void),
            _store(hotel, number="HZ-2025-000004", signed=datetime(2025, 6, 9, 15, 0, tzinfo=SHANGHAI),
                   technician_id=wang, pages=2, width=640),
        ]
        db.session.commit()
        return {"ids": [d.id for d in made], "numbers": [d.number for d in made], "li": li, "wang": wang}


def _listed(client, **args) -> tuple[int, str]:
    response = client.get("/archive", query_string=args, headers=EN)
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.technician, Role.operator, Role.warehouse, Role.admin])
def test_only_clerks_and_managers_browse_the_archive(app, client, login_as, role):
    login_as(role)
    assert client.get("/archive", headers=EN).status_code == 403
    assert client.post("/archive/print", data={"scope": "all"}, headers=EN).status_code == 403
    assert client.get("/archive/1", headers=EN).status_code == 403
    assert ">Archive</a>" not in client.get("/", headers=EN).get_data(as_text=True)


def test_the_archive_lists_and_filters(app, client, login_as, docs):
    login_as(Role.clerk)
    status, page = _listed(client)
    assert status == 200 and "5 documents" in page and ">Archive</a>" in page
    assert all(number in page for number in docs["numbers"])
    assert page.index("HZ-2025-000004") < page.index("HZ-2024-000007")  # newest first
    status, page = _listed(client, number="2025-00000")
    assert "4 documents" in page and "HZ-2024-000007" not in page
    status, page = _listed(client, number="hz-2024")  # any case
    assert "1 document" in page and "HZ-2024-000007" in page
    status, page = _listed(client, customer="实验学校")
    assert "2 documents" in page and "HZ-2025-000002" in page and "HZ-2025-000001" not in page
    status, page = _listed(client, customer="12345678")  # the customer's search: part of the phone
    assert "3 documents" in page and "HZ-2025-000002" not in page
    status, page = _listed(client, technician=str(docs["wang"]))
    assert "3 documents" in page and "HZ-2025-000001" not in page
    # Signed dates are local days: 23:30 on 1 March and 00:30 on 2 March fall on either side.
    status, page = _listed(client, date_from="2025-03-01", date_to="2025-03-01")
    assert "2 documents" in page and "HZ-2025-000003" not in page
    status, page = _listed(client, date_from="2025-03-02")
    assert "2 documents" in page and "HZ-2025-000003" in page and "HZ-2025-000004" in page
    status, page = _listed(client, status="void")
    assert "1 document" in page and "HZ-2025-000003" in page
    status, page = _listed(client, document_type="repair_receipt", customer="泉城", technician=str(docs["li"]))
    assert status == 200 and "2 documents" in page
    status, page = _listed(client, date_from="2020-06-09", date_to="2025-06-09")  # exactly five years: fine
    assert status == 200 and "5 documents" in page


@pytest.mark.parametrize("args,field,message", [
    ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, "date_to", "The end date is before the start date."),
    ({"date_from": "2020-01-01", "date_to": "2025-01-02"}, "date_to", "At most 5 years at a time"),
    ({"date_from": "2025-13-01"}, "date_from", "Enter a date such as 2025-03-01."),
    ({"document_type": "love_letter"}, "document_type", "Choose a document type from the list."),
    ({"technician": "999999"}, "technician", "Choose a technician from the list."),
    ({"technician": "abc"}, "technician", "Choose a technician from the list."),
    ({"status": "lost"}, "status", "Choose a status from the list."),
])
def test_bad_filters_are_refused_at_the_field_and_kept(app, client, login_as, docs, args, field, message):
    login_as(Role.manager)
    status, page = _listed(client, number="HZ-2025", **args)
    assert status == 422
    assert f'id="{field}-error"' in page and message in page
    assert 'value="HZ-2025"' in page  # what was typed stays
    for name, value in args.items():
        if name.startswith("date"):
            assert f'value="{value}"' in page
    assert "HZ-2025-000001" not in page  # no results under a bad filter


def test_pages_of_25(app, client, login_as, make_user):
    with app.app_context():
        owner = customer_helpers.customer("泉城大酒店")
        for n in range(1, 28):
            _store(owner, number=f"HZ-2025-{n:06d}", signed=datetime(2025, 1, 1, tzinfo=SHANGHAI) + timedelta(hours=n),
                   technician_id=None)
        db.session.commit()
    login_as(Role.clerk)
    status, page = _listed(client)
    assert "27 documents" in page and page.count('name="ids"') == 25 and "Page 1 of 2" in page
    status, page = _listed(client, page=2)
    assert page.count('name="ids"') == 2 and "HZ-2025-000001" in page and "HZ-2025-000027" not in page


def test_open_download_and_print_are_logged(app, client, login_as, docs):
    clerk = login_as(Role.clerk)
    document_id = docs["ids"][1]
    with app.app_context():
        data = archive.file_path(db.session.get(ArchivedDocument, document_id)).read_bytes()
    for args, action, disposition in (({}, "opened", "inline"), ({"download": "1"}, "downloaded", "attachment"),
                                      ({"print": "1"}, "printed", "inline")):
        response = client.get(f"/archive/{document_id}.pdf", query_string=args)
        assert response.status_code == 200 and response.data == data
        assert response.headers["Content-Disposition"].startswith(disposition)
        response.close()
        with app.app_context():
            entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
            assert (entry.action, entry.entity_type, entry.entity_id) == (f"archived_document.{action}",
                                                                          "archived_document", document_id)
            assert entry.actor_id == clerk and entry.address == "127.0.0.1"
    page = client.get(f"/archive/{document_id}", headers=EN).get_data(as_text=True)
    assert "downloaded" in page and "printed" in page and "opened" in page and "HZ-2025-000001" in page


def _pages_and_widths(data: bytes) -> list[int]:
    return [round(float(page.mediabox.width)) for page in PdfReader(io.BytesIO(data)).pages]


def test_batch_print_of_ticked_documents_in_date_order(app, client, login_as, docs):
    manager = login_as(Role.manager)
    picked = [docs["ids"][4], docs["ids"][0], docs["ids"][2]]  # ticked in any order
    response = client.post("/archive/print", data={"scope": "selected", "ids": [str(i) for i in picked]}, headers=EN)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    widths = _pages_and_widths(response.data)
    response.close()
    with app.app_context():
        expected = sum(len(PdfReader(archive.file_path(db.session.get(ArchivedDocument, i))).pages) for i in picked)
        assert len(widths) == expected == 7
        assert widths == [600, 600, 620, 620, 620, 640, 640]  # signed 2024-05, 2025-03, 2025-06
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "archived_document.printed")).all()
        assert sorted(e.entity_id for e in entries) == sorted(picked)
        assert all(e.note == "batch" and e.actor_id == manager and e.address == "127.0.0.1" for e in entries)


def test_batch_print_of_everything_the_filter_matches(app, client, login_as, docs):
    login_as(Role.clerk)
    response = client.post("/archive/print", headers=EN, data={
        "scope": "all", "customer": "泉城", "date_from": "2025-01-01", "date_to": "2025-12-31"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert _pages_and_widths(response.data) == [610, 640, 640]
    response.close()
    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="archived_document.printed").count() == 2


def test_batch_print_refusals_keep_the_page(app, client, login_as, docs, monkeypatch):
    login_as(Role.clerk)
    response = client.post("/archive/print", data={"scope": "selected", "number": "HZ-2025"}, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="ids-error"' in page and "Tick the documents to print" in page
    assert 'value="HZ-2025"' in page and "4 documents" in page
    response = client.post("/archive/print", data={"scope": "all", "number": "NOPE"}, headers=EN)
    assert response.status_code == 422 and "No document matches the filter" in response.get_data(as_text=True)
    monkeypatch.setattr(browse, "BATCH_LIMIT", 3)
    response = client.post("/archive/print", data={"scope": "all"}, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "5 documents match the filter, but one batch prints at most 3" in page
    response = client.post("/archive/print", headers=EN, data={
        "scope": "selected", "ids": [str(docs["ids"][0])], "date_from": "2025-02-01", "date_to": "2024-01-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="date_to-error"' in page and 'value="2025-02-01"' in page
    assert "checked" not in page  # no list under a bad filter
    response = client.post("/archive/print", data={"scope": "all", "ids": [str(docs["ids"][0])]}, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'value="{docs["ids"][0]}" checked' in page  # the ticks stay
    response = client.post("/archive/print", data={"scope": "selected", "ids": ["999999"]}, headers=EN)
    assert response.status_code == 422 and "no longer exist" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(AuditEntry).filter(AuditEntry.action.like("archived_document.%")).count() == 0


def test_an_altered_file_is_never_batch_printed(app, client, login_as, docs):
    login_as(Role.clerk)
    with app.app_context():
        path = archive.file_path(db.session.get(ArchivedDocument, docs["ids"][1]))
    path.write_bytes(path.read_bytes() + b"%")
    response = client.post("/archive/print", data={"scope": "all"}, headers=EN)
    assert response.status_code == 409 and "HZ-2025-000001 v1" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(AuditEntry).filter(AuditEntry.action.like("archived_document.%")).count() == 0


def test_a_missing_document_page_is_404(app, client, login_as):
    login_as(Role.manager)
    assert client.get("/archive/4242", headers=EN).status_code == 404
