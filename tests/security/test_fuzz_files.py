"""Hostile files: what the form fuzz cannot send (issue 8, point 4, the uploads).

The parsers every upload goes through (photos, the signature pad's PNG, a seal photo, an Excel
import) get hypothesis-mutated versions of good files and must only ever refuse with a message
(ValidationFailed, or an import preview listing the file's errors), never raise anything else.
Then each upload endpoint gets hostile files through HTTP: below 500, no raw payload, a refused
upload stores nothing.
"""
from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image
from sqlalchemy import func, select

from portal.core.errors import ValidationFailed
from portal.core.photos import checked_photo
from portal.core.roles import Role
from portal.core.signatures import drawn_signature, seal_photo
from portal.customers import excel
from portal.extensions import db
from tests.archive import helpers as archive_helpers
from tests.security.test_fuzz import PAYLOAD, _Forms, _text, _unescaped, fingerprint

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
EN = {"Accept-Language": "en"}


def _image(fmt: str, size=(320, 240), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 40, 40) if mode == "RGB" else (200, 40, 40, 255)).save(buffer, fmt)
    return buffer.getvalue()


GOOD = {"JPEG": _image("JPEG"), "PNG": _image("PNG"), "WEBP": _image("WEBP")}


def _bomb() -> bytes:
    """A small PNG whose header declares 30000 × 30000 pixels (a decompression bomb's promise)."""
    data = bytearray(_image("PNG", size=(100, 100)))
    data[16:24] = struct.pack(">II", 30000, 30000)  # IHDR width, height
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # IHDR's CRC over type + data
    return bytes(data)


@st.composite
def mutated(draw, original: bytes):
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 12))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data[at:at] = draw(st.binary(max_size=64))
    return bytes(data)


@pytest.mark.parametrize("fmt", sorted(GOOD))
def test_photo_check_only_ever_refuses_with_a_message(app, fmt):
    @FUZZ
    @given(mutated(GOOD[fmt]))
    def check(data):
        try:
            photo = checked_photo(data, name="x.jpg")
        except ValidationFailed as error:
            assert error.errors.get("photos")
        else:
            assert photo.data.startswith(b"\xff\xd8")  # whatever came in, a JPEG is kept

    with app.test_request_context(headers=EN):
        check()


def test_photo_check_refuses_a_decompression_bomb_and_non_images(app):
    with app.test_request_context(headers=EN):
        for data in (_bomb(), b"", b"GIF89a" + b"\x00" * 100, b"<svg onload=alert(1)>", b"%PDF-1.7\n",
                     _image("GIF"), _image("PNG", size=(50, 50))):
            with pytest.raises(ValidationFailed):
                checked_photo(data)


def _png_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def test_signature_pad_image_only_ever_refuses_with_a_message(app):
    good = archive_helpers.png()

    @FUZZ
    @given(mutated(good), st.text(max_size=40))
    def check(data, strokes):
        try:
            drawn_signature(_png_url(data), strokes)
        except ValidationFailed as error:
            assert error.errors.get("signature")

    with app.test_request_context(headers=EN):
        check()
        for url in ("data:image/png;base64,!!!!", "data:image/svg+xml;base64,PHN2Zz4=", _png_url(_bomb()),
                    "data:image/png;base64," + "A" * 2_000_000, "javascript:alert(1)", PAYLOAD):
            with pytest.raises(ValidationFailed):
                drawn_signature(url, "")


def test_seal_photo_only_ever_refuses_with_a_message(app):
    @FUZZ
    @given(st.sampled_from(["JPEG", "PNG"]).flatmap(lambda fmt: mutated(GOOD[fmt])))
    def check(data):
        try:
            seal_photo(data)
        except ValidationFailed as error:
            assert error.errors.get("signature")

    with app.test_request_context(headers=EN):
        check()


def _workbook_with(rows: list[list[str]]) -> bytes:
    from openpyxl import load_workbook
    workbook = load_workbook(io.BytesIO(excel.template_workbook()))
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HOSTILE_ROW = [PAYLOAD, "=cmd|' /C calc'!A0", "\u202e\u200b\ufeff", "😀" * 500, "' OR 1=1 --", "-1", "2026-02-30",
               "x" * 5000, "<img src=x onerror=alert(1)>", "NaN", "13812345678", "１３８"]


def test_excel_import_only_ever_lists_file_errors(app):
    with app.app_context():
        good = _workbook_with([HOSTILE_ROW])

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutated(good))
    def check(data):
        preview = excel.read_upload(io.BytesIO(data), "x.xlsx")
        assert preview.file_errors or preview.rows is not None

    with app.test_request_context(headers=EN):
        check()
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as archive:
            archive.writestr("[Content_Types].xml", "<not-xml")
            archive.writestr("xl/workbook.xml", PAYLOAD)
        for data in (b"", b"PK\x03\x04" + b"\x00" * 40, zipped.getvalue(), b"\xd0\xcf\x11\xe0" + b"\x00" * 100,
                     "姓名,电话\n<script>,1\n".encode(), b"\x00" * 1000):
            preview = excel.read_upload(io.BytesIO(data), PAYLOAD)
            assert preview.file_errors


# --- through HTTP -------------------------------------------------------------------------------

def hostile_files() -> list[tuple[str, bytes]]:
    return [
        ("garbage.xlsx", b"\x00\x01\x02" * 100),
        ("<script>alert(1)</script>.jpg", b"<script>alert(1)</script>"),
        ("../../etc/passwd\x00.png", _image("PNG")[:60]),
        ("bomb.png", _bomb()),
        ("x.svg.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("table.xlsx", _workbook_with([HOSTILE_ROW])),
        ("ok.jpg", _image("JPEG")),
        ("fake.pdf", b"%PDF-1.7\n" + b"\x00" * 200),
    ]


def _page_fields(client, page: str, action: str) -> dict[str, str]:
    response = client.get(page, headers=EN)
    assert response.status_code == 200, (page, response.status_code)
    parser = _Forms()
    parser.feed(_text(response))
    for targets, fields in parser.forms:
        if any(action in target for target in targets) or (not any(targets) and page.startswith(action)):
            return {name: sorted(values)[0] if values else "" for name, values in fields.items()
                    if name != "csrf_token"}
    raise AssertionError(f"no form posting to {action} on {page}")


def _post_files(app, client, url: str, fields: dict, file_field: str):
    before = fingerprint(app)
    with app.app_context():
        files = hostile_files()
    for name, content in files:
        data = {**fields, file_field: [(io.BytesIO(content), name), (io.BytesIO(content), name)]}
        response = client.post(url, data=data, headers=EN, content_type="multipart/form-data")
        body = _text(response)
        assert response.status_code < 500, (url, name)
        assert not _unescaped(body), (url, name)
        if response.status_code >= 400:
            after = fingerprint(app)
            assert after == before, (url, name, response.status_code)
        before = fingerprint(app)


def test_hostile_excel_uploads(app, client, login_as):
    login_as(Role.clerk)
    _post_files(app, client, "/customers/import", _page_fields(client, "/customers/import", "/customers/import"),
                "file")
    # A preview of the hostile table shows the cells escaped.
    with app.app_context():
        table = _workbook_with([HOSTILE_ROW])
    response = client.post("/customers/import", data={"file": (io.BytesIO(table), "t.xlsx")},
                           headers=EN, content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code < 500 and not _unescaped(_text(response))


def test_hostile_photos_on_a_goods_receipt_and_a_return(app, client, login_as):
    from tests.carryin import helpers as carryin_helpers
    from tests.customers import helpers as customer_helpers
    tech = login_as(Role.technician)
    with app.app_context():
        goods = carryin_helpers.draft(tech)
        goods_id = goods.id
        owner = customer_helpers.customer("泉城大酒店")
        customer_helpers.product_type("燃气热水器")
        db.session.commit()
        owner_id = owner.id
    page = f"/carryin/{goods_id}"
    _post_files(app, client, page, _page_fields(client, page, page), "photos")
    login_as(Role.clerk)
    page = f"/returns/new?customer_id={owner_id}"
    fields = _page_fields(client, page, "/returns/new")
    fields.update({"sale_date": "2026-10-02", "quantity_sold": "3", "quantity": "1", "reason": "quality_defect",
                   "outcome": "exchange", "description": "开机后显示E1", "sale_reference": "FP-1"})
    _post_files(app, client, "/returns/new", fields, "photos")
    with app.app_context():
        from portal.returns.models import ReturnSlip
        slips = db.session.scalar(select(func.count(ReturnSlip.id)))
    assert slips <= 1  # only the post with a readable photo may have been accepted


def test_hostile_signatures_and_seals(app, client, login_as):
    tech = login_as(Role.technician)
    with app.app_context():
        receipt_id = archive_helpers.ready_receipt(tech).id
    page = f"/receipts/{receipt_id}/sign"
    fields = _page_fields(client, page, page)
    for signature in ("data:image/png;base64,!!!", _png_url(_bomb()), _png_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50),
                      _png_url(archive_helpers.png()[:200]), PAYLOAD):
        fields.update({"signer_name": PAYLOAD, "rating": "5", "signature": signature, "strokes": PAYLOAD})
        _post_files(app, client, page, fields, "seal")


def test_hostile_pdfs_to_the_public_verification_page(app, client, make_user):
    from portal.archive.models import ArchivedDocument
    from portal.receipts import services
    from tests.carryin.helpers import sign_kwargs
    tech = make_user(Role.technician)
    with app.app_context():
        receipt = archive_helpers.ready_receipt(tech)
        services.receipt_sign(receipt=receipt, rating=5, **sign_kwargs(db.session.get(
            __import__("portal.accounts.models", fromlist=["User"]).User, tech)))
        db.session.commit()
        number = db.session.scalar(select(ArchivedDocument.number))
    page = f"/verify/{number}"
    _post_files(app, client, page, {"code": PAYLOAD}, "pdf")
