"""Real PDFs from WeasyPrint, checked with poppler (pdffonts, pdftotext, pdfinfo)."""
import subprocess

import pytest

from portal.core.pdf import BASE_URL, FetchRefused, PortalURLFetcher, render_pdf
from portal.core.roles import Role

pytestmark = pytest.mark.pdf


def _tool(name, pdf_path, *args):
    return subprocess.run([name, *args, str(pdf_path), "-"] if name == "pdftotext" else [name, *args, str(pdf_path)],
                          check=True, capture_output=True, text=True).stdout


def _text(pdf_path) -> str:
    """pdftotext output without white space: letter-spacing and layout split words apart."""
    return "".join(_tool("pdftotext", pdf_path, "-raw").split())


def _context(**extra):
    context = {"letterhead": {"company_name": "谁与争锋节能灶具有限公司", "company_address": "济南市", "hotline": "400-000-0000"},
               "printed_at": "2026-11-21 10:00", "title": "打印机测试页", "number": "TEST-20261121", "draft": False}
    context.update(extra)
    return context


def test_printer_test_page_prints_chinese_with_the_embedded_cjk_font(client, login_as, tmp_path):
    login_as(Role.admin)
    response = client.get("/settings/printer-test.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    pdf = tmp_path / "printer-test.pdf"
    pdf.write_bytes(response.data)
    fonts = _tool("pdffonts", pdf)
    assert "Noto-Sans-CJK-SC" in fonts
    for line in fonts.splitlines()[2:]:
        assert " yes " in line  # every font embedded
    text = _text(pdf)
    for expected in ("打印机测试页", "谁与争锋", "℃", "¥", "★", "非常满意", "第1页/共1页"):
        assert expected in text, expected
    assert "Pages:           1" in _tool("pdfinfo", pdf)


def test_printer_test_page_is_for_admins_only(client, login_as):
    login_as(Role.manager)
    assert client.get("/settings/printer-test.pdf").status_code == 403


@pytest.mark.parametrize("flags,mark", [({"draft": True}, "草稿"), ({"void": True}, "作废")])
def test_draft_watermark_and_void_stamp(app, tmp_path, flags, mark):
    with app.test_request_context():
        data = render_pdf("print/printer_test.html", **_context(**flags))
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(data)
    assert mark in _text(pdf)


def test_no_mark_on_a_plain_document(app, tmp_path):
    with app.test_request_context():
        data = render_pdf("print/printer_test.html", **_context())
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(data)
    text = _text(pdf)
    assert "草稿" not in text and "作废" not in text


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.com/logo.png",
    "https://portal.invalid.evil.com/static/css/print.css",
    "https://portal.invalid/static/../../etc/passwd",
    "https://portal.invalid/static/%2e%2e/pyproject.toml",
    "https://portal.invalid/admin/users",
    "https://portal.invalid/static/css/missing.css",
])
def test_url_fetcher_refuses_local_files_and_outside_hosts(app, url):
    fetcher = PortalURLFetcher(app.static_folder)
    with pytest.raises((FetchRefused, ValueError)):
        fetcher.fetch(url)


def test_url_fetcher_serves_static_files_and_data_urls(app):
    fetcher = PortalURLFetcher(app.static_folder)
    css = fetcher.fetch(f"{BASE_URL}static/css/print.css")
    assert b"@page" in css.read() and css.content_type == "text/css"
    css.close()
    pixel = fetcher.fetch("data:text/plain;base64,5Lit")
    assert pixel.read() == "中".encode()
    pixel.close()


def test_a_document_cannot_read_local_files(app, tmp_path):
    from portal.core.pdf import html_to_pdf
    html = ('<html lang="zh-CN"><body><p>x</p><img src="file:///etc/hostname">'
            '<link rel="stylesheet" href="http://127.0.0.1:9/x.css"></body></html>')
    with app.app_context():
        data = html_to_pdf(html)
    assert data.startswith(b"%PDF")


def test_print_stylesheet_is_parsed_once_and_again_after_a_change(app, tmp_path, monkeypatch):
    import gc
    import os
    import shutil

    from portal.core import pdf

    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    monkeypatch.setattr(app, "static_folder", str(static))
    monkeypatch.setattr(pdf, "_stylesheet", None)
    with app.test_request_context():
        fetcher = PortalURLFetcher(app.static_folder)
        first = pdf.print_stylesheet(fetcher)
        assert pdf.print_stylesheet(fetcher) is first
        css = static / "css" / "print.css"
        css.write_text(css.read_text(encoding="utf-8") + "\n.changed { color: red; }\n", encoding="utf-8")
        os.utime(css, (css.stat().st_atime, css.stat().st_mtime + 5))
        assert pdf.print_stylesheet(fetcher) is not first
        data = render_pdf("print/printer_test.html", **_context())
    assert data.startswith(b"%PDF") and gc.isenabled()  # the collector is back on after a render


def test_html_preview_links_the_stylesheet_and_the_pdf_gets_it_parsed(app):
    from flask import render_template

    with app.test_request_context():
        assert "css/print.css" in render_template("print/printer_test.html", **_context())
