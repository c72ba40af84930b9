"""Excel import (template, preview, all-or-nothing commit, cancel) and export (xlsx, CSV)."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.core.roles import Role
from portal.customers import excel, services
from portal.customers.models import Customer, CustomerKind, Equipment
from portal.extensions import db

EN = {"Accept-Language": "en"}
HEADERS = [column.header for column in excel.COLUMNS]


def _row(**values) -> list:
    base = {"name": "张伟", "contact_name": "张伟", "phone": "13812345678"}
    base.update(values)
    return [base.get(column.key) for column in excel.COLUMNS]


def _xlsx(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = excel.DATA_SHEET
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(client, data: bytes, filename: str = "客户.xlsx"):
    return client.post("/customers/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", headers=EN)


def _token(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert "/customers/import/" in location
    return location.rstrip("/").rsplit("/", 1)[1]


def _count(app, model=Customer) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _preview_file(app, token: str) -> Path:
    return Path(app.config["ARCHIVE_DIR"]).parent / "imports" / f"{token}.json"


@pytest.fixture
def types(app):
    with app.app_context():
        for name, months in (("节能灶", 12), ("商用灶", 24)):
            services.product_type_save(product_type=None, name=name, default_warranty_months=months, active=True,
                                       expected_version=None, actor=None)
        db.session.commit()


def _customer(app, name: str, phone: str, serial: str | None = None) -> None:
    with app.app_context():
        customer = services.customer_create(values={"name": name, "kind": CustomerKind.end_customer},
                                            contacts=[services.ContactInput(name=name, phone=phone)], actor=None)
        if serial:
            kind = next(t for t in services.product_types() if t.name == "节能灶")
            services.equipment_create(customer=customer, actor=None, values={
                "product_type_id": kind.id, "serial": serial, "purchase_date": date(2025, 3, 2),
                "warranty_months": None})
        db.session.commit()


# --- template and a clean import ------------------------------------------------------------------

def test_template_downloads_and_reimports_cleanly(app, client, login_as, types):
    login_as(Role.clerk)
    response = client.get("/customers/import/template.xlsx")
    assert response.status_code == 200 and response.mimetype == excel.XLSX_MIMETYPE
    assert "filename*=UTF-8''" + quote("客户导入模板.xlsx") in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == [excel.DATA_SHEET, excel.HELP_SHEET]
    help_values = [cell for row in workbook[excel.HELP_SHEET].iter_rows(values_only=True) for cell in row]
    assert "节能灶" in help_values and "商用灶" in help_values
    sheet = workbook[excel.DATA_SHEET]
    assert [cell.value for cell in sheet[1]] == HEADERS
    for index, value in enumerate(_row(phone="138 1234 5678", is_organisation="否", kind="终端客户", province="山东省",
                                       city="济南市", street="经十路 100 号", key_customer="是", product_type="节能灶",
                                       serial="SN-001", purchase_date=datetime(2025, 3, 2), warranty_months=18),
                                  start=1):
        sheet.cell(row=2, column=index, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)

    token = _token(_upload(client, buffer.getvalue()))
    preview = client.get(f"/customers/import/{token}", headers=EN).get_data(as_text=True)
    assert "1 row,\n    0 with errors" in preview and "Import 1 customer<" in preview
    assert client.post(f"/customers/import/{token}/commit", headers=EN).status_code == 303
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert customer.name == "张伟" and customer.key_customer and customer.province == "山东省"
        assert customer.contacts[0].phone == "13812345678"
        unit = customer.equipment[0]
        assert (unit.serial, unit.purchase_date, unit.warranty_months) == ("SN-001", date(2025, 3, 2), 18)
        assert unit.warranty_ends_on == date(2026, 9, 1)
        assert "sn-001" in customer.search_text
    assert not _preview_file(app, token).exists()


def test_commit_groups_rows_of_one_customer(app, client, login_as, types):
    login_as(Role.clerk)
    data = _xlsx([
        _row(product_type="节能灶", serial="A-1", purchase_date="2025-01-05", notes="厨房"),
        _row(product_type="商用灶", serial="B-1", purchase_date="2025/2/6", contact_name="张伟"),
        _row(name="李娜", contact_name="李娜", phone="0531-88881234", notes="老客户"),
    ])
    token = _token(_upload(client, data))
    html = client.get(f"/customers/import/{token}", headers=EN).get_data(as_text=True)
    assert "3 rows,\n    0 with errors" in html and "2 customers,\n    2 units" in html and "same customer as row 2" in html
    response = client.post(f"/customers/import/{token}/commit", headers={**EN, "HX-Request": "true"})
    assert response.status_code == 200 and "/customers/" in response.headers["HX-Location"]
    with app.app_context():
        customers = {c.name: c for c in db.session.scalars(select(Customer))}
        assert set(customers) == {"张伟", "李娜"}
        assert sorted(u.serial for u in customers["张伟"].equipment) == ["A-1", "B-1"]
        assert customers["张伟"].equipment[0].notes == "厨房" and customers["张伟"].notes == ""
        assert customers["李娜"].equipment == [] and customers["李娜"].notes == "老客户"
        assert customers["李娜"].contacts[0].phone == "0531-88881234"
    assert not _preview_file(app, token).exists()
    # The same token cannot be committed twice.
    assert client.post(f"/customers/import/{token}/commit", headers=EN).status_code == 404
    assert _count(app) == 2


# --- nothing is half-written ----------------------------------------------------------------------

def test_bad_row_is_shown_in_the_preview_and_nothing_is_written(app, client, login_as, types):
    login_as(Role.clerk)
    data = _xlsx([
        _row(),
        _row(name="王芳", contact_name="王芳", phone="12345"),
        _row(name="赵强", contact_name="赵强", phone="13900000001", product_type="电饭煲", serial="X", purchase_date="2025-01-01"),
    ])
    token = _token(_upload(client, data))
    html = client.get(f"/customers/import/{token}", headers=EN).get_data(as_text=True)
    assert "3 rows,\n    2 with errors" in html
    assert 'id="row-3" class="has-error"' in html and "电话 (phone):" in html
    assert "Unknown product type 电饭煲" in html
    assert "/commit" not in html  # no import button while there are errors
    only = client.get(f"/customers/import/{token}?show=errors", headers=EN).get_data(as_text=True)
    assert 'id="row-2"' not in only and 'id="row-3"' in only
    response = client.post(f"/customers/import/{token}/commit", headers=EN)
    assert response.status_code == 422 and "nothing was imported" in response.get_data(as_text=True)
    assert _count(app) == 0 and _count(app, Equipment) == 0


def test_a_failure_at_commit_time_rolls_back_every_row(app, client, login_as, types):
    login_as(Role.clerk)
    data = _xlsx([_row(product_type="节能灶", serial="A-1", purchase_date="2025-01-05"),
                  _row(name="李娜", contact_name="李娜", phone="13900000002")])
    token = _token(_upload(client, data))
    assert "0 with errors" in client.get(f"/customers/import/{token}", headers=EN).get_data(as_text=True)
    _customer(app, "别人", "13900000002")  # someone registers row 3's phone meanwhile
    response = client.post(f"/customers/import/{token}/commit", headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "1 row failed when saving, so nothing was imported." in html and "This phone already belongs" in html
    with app.app_context():
        assert [c.name for c in db.session.scalars(select(Customer))] == ["别人"]
        assert db.session.scalar(select(func.count()).select_from(Equipment)) == 0
    # The preview is kept, with the error, and can be cancelled.
    assert "This phone already belongs" in client.get(f"/customers/import/{token}", headers=EN).get_data(as_text=True)
    assert client.post(f"/customers/import/{token}/cancel", headers=EN).status_code == 303


def test_cancel_writes_nothing_and_deletes_the_preview(app, client, login_as, types):
    login_as(Role.clerk)
    token = _token(_upload(client, _xlsx([_row()])))
    assert _preview_file(app, token).exists()
    response = client.post(f"/customers/import/{token}/cancel", headers=EN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/customers/import")
    assert not _preview_file(app, token).exists()
    assert "Import cancelled: nothing was saved." in client.get("/customers/import", headers=EN).get_data(as_text=True)
    missing = client.get(f"/customers/import/{token}", headers=EN)
    assert missing.status_code == 404 and "no longer available" in missing.get_data(as_text=True)
    assert _count(app) == 0


def test_a_preview_belongs_to_its_uploader(app, client, login_as, types):
    login_as(Role.clerk)
    token = _token(_upload(client, _xlsx([_row()])))
    login_as(Role.manager)
    assert client.get(f"/customers/import/{token}").status_code == 404
    assert client.post(f"/customers/import/{token}/commit").status_code == 404
    assert client.post(f"/customers/import/{token}/cancel").status_code == 404
    assert _preview_file(app, token).exists() and _count(app) == 0
    assert client.get("/customers/import/..%2F..%2Fsecret_key").status_code == 404


# --- bad files ----------------------------------------------------------------------------------

def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize("data,filename,message", [
    (b"just some text\n", "notes.xlsx", "This is not an Excel .xlsx file"),
    ("客户名称,电话\r\n张伟,13812345678\r\n".encode("utf-8-sig"), "customers.csv", "Choose an Excel workbook (.xlsx)"),
    ("客户名称,电话\r\n张伟,13812345678\r\n".encode("utf-8-sig"), "customers.xlsx", "This is not an Excel .xlsx file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "old.xlsx", "old Excel .xls file"),
    (_zip_without_workbook(), "zip.xlsx", "could not be read as an Excel workbook"),
    (b"", "empty.xlsx", "The file is empty."),
    (_xlsx([]), "headers-only.xlsx", "no customer rows"),
    (_xlsx([], headers=[]), "blank.xlsx", "The first sheet is empty"),
    (_xlsx([["张伟", "13812345678"]], headers=["姓名", "电话 (phone)"]), "wrong.xlsx", "Unknown column headings: 姓名"),
])
def test_bad_files_get_a_message_at_the_field(app, client, login_as, types, data, filename, message):
    login_as(Role.clerk)
    response = _upload(client, data, filename)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="file-error"' in html and message in html
    assert not list((Path(app.config["ARCHIVE_DIR"]).parent / "imports").glob("*.json"))


def test_wrong_headings_list_the_missing_and_expected_columns(client, login_as, types):
    login_as(Role.clerk)
    html = _upload(client, _xlsx([["张伟"]], headers=["客户名称"])).get_data(as_text=True)
    assert "Missing columns: 是否单位 (company or unit)" in html and "电话 (phone)" in html
    assert "in any order" in html


def test_no_file_chosen(client, login_as):
    login_as(Role.clerk)
    response = client.post("/customers/import", data={}, content_type="multipart/form-data", headers=EN)
    assert response.status_code == 422 and "Choose the Excel file to import." in response.get_data(as_text=True)


def test_file_over_the_size_limit(app, client, login_as, types, monkeypatch):
    login_as(Role.clerk)
    data = _xlsx([_row()])
    monkeypatch.setattr(excel, "MAX_UPLOAD_BYTES", len(data) - 1)
    response = _upload(client, data)
    assert response.status_code == 422 and 'id="file-error"' in response.get_data(as_text=True)
    assert "The file is larger than" in response.get_data(as_text=True)
    # Larger than the whole request may be (MAX_CONTENT_LENGTH): still the form, not a 413 page.
    monkeypatch.undo()
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = _upload(client, data)
    assert response.status_code == 422 and "The file is larger than" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_too_many_rows(client, login_as, types, monkeypatch):
    login_as(Role.clerk)
    monkeypatch.setattr(excel, "MAX_ROWS", 2)
    data = _xlsx([_row(phone=f"1390000000{i}", name=f"客户{i}") for i in range(3)])
    response = _upload(client, data)
    assert response.status_code == 422 and "more than 2 rows" in response.get_data(as_text=True)


# --- row rules ----------------------------------------------------------------------------------

def _parse(app, rows):
    with app.test_request_context(headers=EN):
        preview = excel.parse_workbook(_xlsx(rows))
        assert not preview.file_errors, preview.file_errors
        return {row.number: row.errors for row in preview.rows}, preview


def test_row_rules(app, types):
    _customer(app, "老客户", "13700000000", serial="OLD-1")
    future = (date.today() + timedelta(days=3)).isoformat()
    errors, preview = _parse(app, [
        _row(phone="137 0000 0000"),                                                     # 2: phone owned
        _row(name="甲", phone="13900000001", product_type="节能灶", serial="OLD-1", purchase_date="2025-01-01"),
        _row(name="乙", phone="13900000002", product_type="节能灶", serial="N-1", purchase_date=future),
        _row(name="乙", phone="13900000002", product_type="节能灶", serial="n-1", purchase_date="2025-02-30",
             warranty_months=121),                                                       # 5: dup serial, bad date
        _row(name="丙", contact_name=None, phone="13900000003", serial="S-9"),              # 6: no contact, no type
        _row(name="丁", phone="13900000001"),                                             # 7: phone of row 3
        _row(name="甲", phone="13900000001", city="青岛市", key_customer="也许", kind="客户"),  # 8: differs, bad values
        _row(name="戊", phone="13900000005", product_type="商用灶", serial="S-5", warranty_months="十二",
             purchase_date="2025-01-01"),
        [None] * len(excel.COLUMNS),                                                    # blank row: skipped
        _row(name="己", phone="13900000006", alt_phone="13900000006", notes="x" * 1001),
        _row(name="庚", phone="13900000007") + ["多余"],                                   # 12: data without heading
    ])
    assert "电话 (phone): This phone already belongs to customer" in errors[2][0]
    assert errors[3] == ["序列号 (serial): Serial OLD-1 is already registered to "
                         f"{preview_number(app)} 老客户."]
    assert errors[4] == ["购买日期 (purchase date): The date cannot be in the future."]
    assert "序列号 (serial): Serial n-1 is already in row 4." in errors[5]
    assert "购买日期 (purchase date): Not a date: write YYYY-MM-DD, e.g. 2025-03-15." in errors[5]
    assert "保修月数 (warranty months): Between 0 and 120 months." in errors[5]
    assert "联系人 (contact name): This cell is required." in errors[6]
    assert "产品类型 (product type): Fill in the product type, or leave all unit columns empty." in errors[6]
    assert "购买日期 (purchase date): Enter the purchase or installation date." in errors[6]
    assert any("Row 3 has the same phone for another customer" in e for e in errors[7])
    assert "市 (city): Differs from row 3 of the same customer (same customer name and phone)." in errors[8]
    assert "重点客户 (key customer): Write 是 or 否." in errors[8]
    assert "客户类别 (kind): Write 终端客户 or 代理商." in errors[8]
    assert errors[9] == ["保修月数 (warranty months): A whole number of months, e.g. 12."]
    assert 10 not in errors
    assert "其他电话 (other phone): The same phone is listed twice." in errors[11]
    assert "备注 (notes): At most 1000 characters." in errors[11]
    assert errors[12] == ["There is data in column S, which has no heading."]
    assert preview.rows[2].group == preview.rows[3].group != preview.rows[1].group


def preview_number(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Customer.number).where(Customer.name == "老客户"))


def test_headings_may_be_chinese_or_english_only_in_any_order(app, types):
    headers = [column.zh if index % 2 else column.en.upper() for index, column in enumerate(excel.COLUMNS)]
    headers.reverse()
    with app.test_request_context(headers=EN):
        preview = excel.parse_workbook(_xlsx([list(reversed(_row(product_type="节能灶", serial="Z-1",
                                                                     purchase_date=date(2025, 1, 1))))], headers))
    assert not preview.file_errors and preview.ok and preview.rows[0].unit["serial"] == "Z-1"


# --- export -------------------------------------------------------------------------------------

def _export_data(app):
    _customer(app, "张伟", "13812345678", serial="SN-ZW")
    _customer(app, "李娜", "13912345678")
    _customer(app, "=HYPERLINK(\"x\")", "13512345678")


def test_export_xlsx_respects_the_filters(app, client, login_as, types):
    _export_data(app)
    login_as(Role.clerk)
    response = client.get("/customers/export.xlsx?q=张")
    assert response.status_code == 200 and response.mimetype == excel.XLSX_MIMETYPE
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" + quote("客户-") in disposition
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "客户编号 (customer no.)" and len(rows) == 2
    names = [row[1] for row in rows[1:]]
    assert names == ["张伟"] and "SN-ZW" in rows[1]
    everything = load_workbook(io.BytesIO(client.get("/customers/export.xlsx").data)).active
    cells = {cell.value: cell for row in everything.iter_rows() for cell in row}
    assert {"张伟", "李娜"} <= set(cells)
    assert cells['=HYPERLINK("x")'].data_type == "s"  # stays text, never a formula


def test_export_csv_has_a_bom_and_respects_the_filters(app, client, login_as, types):
    _export_data(app)
    login_as(Role.manager)
    response = client.get("/customers/export.csv?q=张")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf") and b"\r\n" in response.data
    text = response.data.decode("utf-8-sig")
    assert "张伟" in text and "李娜" not in text and "SN-ZW" in text
    everything = client.get("/customers/export.csv").data.decode("utf-8-sig")
    assert "李娜" in everything and "'=HYPERLINK" in everything
    assert client.get("/customers/export.pdf").status_code == 404


# --- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.technician, Role.operator, Role.warehouse])
def test_only_the_office_imports_and_exports(client, login_as, role):
    login_as(role)
    for url in ("/customers/import", "/customers/import/template.xlsx", "/customers/export.xlsx",
                "/customers/export.csv"):
        assert client.get(url).status_code == 403, url
    assert _upload(client, _xlsx([_row()])).status_code == 403
