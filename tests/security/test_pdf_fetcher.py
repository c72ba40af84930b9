"""The WeasyPrint URL fetcher: a printed document can load the portal's own static files, and
nothing else: no local file is opened, no connection is made, whatever the template contains."""
from __future__ import annotations

import gc
import socket
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from portal.core import pdf
from portal.core.pdf import BASE_URL, PortalURLFetcher, html_to_pdf

_watch: list[tuple[str, str]] | None = None


def _audit(event: str, args) -> None:
    # A process-wide audit hook cannot be removed; it records only while a test watches.
    if _watch is None:
        return
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        _watch.append(("open", str(args[0])))
    elif event in ("socket.connect", "socket.getaddrinfo"):
        _watch.append((event, repr(args)[:200]))
    elif event == "urllib.Request" and not str(args[0]).startswith("data:"):  # data: URLs are decoded in place
        _watch.append((event, str(args[0])[:200]))


sys.addaudithook(_audit)


@contextmanager
def watching():
    global _watch
    _watch = []
    try:
        yield _watch
    finally:
        _watch = None


class _Trap(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def trap():
    """A local web server the document points at: it must never be asked for anything."""
    _Trap.hits = []
    server = HTTPServer(("127.0.0.1", 0), _Trap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Trap.hits
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


HOSTILE = [
    "file:///etc/passwd", "/etc/passwd", "../../../../../etc/passwd", "file:/etc/hostname",
    "http://example.com/x.png", "https://example.com/x.css", "//example.com/x.png",
    "{trap}/static/css/app.css", "{trap}/x.png", "http://127.0.0.1:5000/static/css/print.css",
    "http://localhost/admin/users", "ftp://example.com/x.png", "https://portal.invalid.example.com/static/css/print.css",
    "https://portal.invalid/static/../../../etc/passwd", "https://portal.invalid/static/%2e%2e/%2e%2e/etc/passwd",
    "https://portal.invalid/static/..%2f..%2fpyproject.toml", "https://portal.invalid/admin/users",
    "https://user:pw@portal.invalid/static/css/print.css@evil",
]


@pytest.fixture
def own_fonts(monkeypatch):
    """A font configuration of the test's own: the hostile @font-face rules must not stay in the
    process-wide one (its temporary folder would outlive the interpreter's shutdown)."""
    monkeypatch.setattr(pdf, "_font_config", None)
    yield
    configuration = pdf._font_config
    pdf._font_config = None
    del configuration
    gc.collect()


@pytest.mark.parametrize("url", HOSTILE)
def test_a_document_pointing_anywhere_else_reads_and_calls_nothing(app, trap, own_fonts, url):
    trap_url, hits = trap
    url = url.format(trap=trap_url)
    html = (f'<html lang="zh-CN"><head><link rel="stylesheet" href="{url}"><style>@import url("{url}");'
            f'@font-face {{ font-family: x; src: url("{url}"); }} body {{ background: url("{url}"); }}</style></head>'
            f'<body><p>客户</p><img src="{url}"><object data="{url}"></object><iframe src="{url}"></iframe>'
            f'<embed src="{url}"><a href="{url}">x</a></body></html>')
    calls: list[tuple[str, str]] = []
    fetched: list[tuple[str, bool]] = []
    original = PortalURLFetcher.fetch

    def spy(self, target, headers=None):
        try:
            response = original(self, target, headers)
        except Exception:
            fetched.append((target, False))
            raise
        fetched.append((target, True))
        return response

    PortalURLFetcher.fetch = spy
    try:
        with app.app_context(), watching() as calls:
            data = html_to_pdf(html)
    finally:
        PortalURLFetcher.fetch = original
    assert data.startswith(b"%PDF")
    assert not hits
    assert not [c for c in calls if c[0] != "open"], calls
    opened = [path for kind, path in calls if kind == "open"]
    assert not [p for p in opened if "passwd" in p or "hostname" in p or "pyproject" in p], opened
    assert fetched and not any(ok for _url, ok in fetched), fetched  # every attempt refused


def test_the_portals_own_static_files_and_data_urls_still_load(app):
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
             "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
    html = (f'<html lang="zh-CN"><head><link rel="stylesheet" href="{BASE_URL}static/css/print.css"></head>'
            f'<body><p>客户</p><img src="{pixel}"></body></html>')
    seen: list[str] = []
    original = PortalURLFetcher.fetch

    def spy(self, target, headers=None):
        response = original(self, target, headers)
        seen.append(target)
        return response

    PortalURLFetcher.fetch = spy
    try:
        with app.app_context(), watching() as calls:
            data = html_to_pdf(html)
    finally:
        PortalURLFetcher.fetch = original
    assert data.startswith(b"%PDF") and b"/Subtype /Image" in data
    assert f"{BASE_URL}static/css/print.css" in seen and any(s.startswith("data:") for s in seen)
    assert not [c for c in calls if c[0] != "open"], calls
    static = str(app.static_folder)
    assert any(path.startswith(static) for kind, path in calls if kind == "open")


def test_socket_audit_hook_sees_connections():
    """The hook above would notice a connection (so the tests above are not vacuous)."""
    with watching() as calls:
        sock = socket.socket()
        sock.settimeout(0.2)
        try:
            sock.connect(("127.0.0.1", 9))
        except OSError:
            pass
        finally:
            sock.close()
    assert any(kind == "socket.connect" for kind, _ in calls)
