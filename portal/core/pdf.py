"""The one PDF renderer: WeasyPrint, A4, Noto Sans CJK SC, with a locked-down URL fetcher.

Print templates get plain data (dicts built by each family), never ORM objects, so what is printed
is frozen at render time. The fetcher serves the app's static files and data: URLs only: no
file:, no other host, so a customer's text can never make the server read a local file or call out.

WeasyPrint (with fontTools, tinycss2 and pydyf, some 26 MB per process) is imported on the first
render, not with the app: most gunicorn workers serve pages only and stay that much smaller.
"""
from __future__ import annotations

import gc
import mimetypes
from contextlib import contextmanager
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import unquote, urlsplit

from flask import current_app, g, render_template, url_for

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

BASE_URL = "https://portal.invalid/"
_font_config: FontConfiguration | None = None
_font_lock = Lock()
PRINT_CSS = "css/print.css"
_stylesheet: tuple[float, CSS] | None = None
_fetcher_class: type | None = None


class FetchRefused(ValueError):
    pass


def font_config() -> FontConfiguration:
    # One per process: building it scans fontconfig, which costs more than a whole receipt.
    global _font_config
    with _font_lock:
        if _font_config is None:
            from weasyprint.text.fonts import FontConfiguration

            _font_config = FontConfiguration()
        return _font_config


def _portal_url_fetcher() -> type:
    """PortalURLFetcher, defined on first use (it subclasses WeasyPrint's fetcher)."""
    global _fetcher_class
    if _fetcher_class is not None:
        return _fetcher_class
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PortalURLFetcher(URLFetcher):
        """Serves /static/ files from disk and data: URLs; refuses everything else."""

        def __init__(self, static_folder: str):
            super().__init__(timeout=2, allowed_protocols=("data",), allow_redirects=False)
            self.static_root = Path(static_folder).resolve()

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}/" != BASE_URL or not parts.path.startswith("/static/"):
                raise FetchRefused(f"refused to fetch {url!r}")
            target = (self.static_root / unquote(parts.path.removeprefix("/static/"))).resolve()
            if self.static_root not in target.parents or not target.is_file():
                raise FetchRefused(f"refused to fetch {url!r}")
            mime = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=target.read_bytes(), headers={"Content-Type": mime})

    _fetcher_class = PortalURLFetcher
    return _fetcher_class


def __getattr__(name: str) -> Any:
    # `from portal.core.pdf import PortalURLFetcher` keeps working without importing WeasyPrint early.
    if name == "PortalURLFetcher":
        return _portal_url_fetcher()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def print_stylesheet(fetcher: URLFetcher) -> CSS:
    """print.css parsed once per process (and again when the file changes): parsing it on every
    render cost a sixth of a receipt."""
    global _stylesheet
    path = Path(current_app.static_folder) / PRINT_CSS
    mtime = path.stat().st_mtime
    fonts = font_config()
    with _font_lock:
        if _stylesheet is None or _stylesheet[0] != mtime:
            from weasyprint import CSS

            _stylesheet = (mtime, CSS(string=path.read_text(encoding="utf-8"), base_url=f"{BASE_URL}static/{PRINT_CSS}",
                                      url_fetcher=fetcher, font_config=fonts))
        return _stylesheet[1]


@contextmanager
def collector_paused() -> Iterator[None]:
    # A render allocates some hundred thousand short-lived objects; in a process with a large heap
    # the collector's full passes over everything else cost more than the render itself. The
    # garbage is collected normally once the collector is back on.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def html_to_pdf(html: str, *, stylesheets: list[CSS] | None = None) -> bytes:
    from weasyprint import HTML

    fetcher = _portal_url_fetcher()(current_app.static_folder)
    with collector_paused():
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
        return document.write_pdf(stylesheets=stylesheets, font_config=font_config())


def render_pdf(template: str, **context: Any) -> bytes:
    """Render a print template (templates/print/...) to PDF bytes."""
    g.rendering_pdf = True
    try:
        html = render_template(template, **context)
    finally:
        g.rendering_pdf = False
    # The print templates link print.css for the HTML preview only; the PDF gets the parsed copy.
    return html_to_pdf(html, stylesheets=[print_stylesheet(_portal_url_fetcher()(current_app.static_folder))])


def asset_url(path: str) -> str:
    """A static file's URL in a print template: the fetcher's host in a PDF, /static/ in a preview."""
    if g.get("rendering_pdf"):
        return f"{BASE_URL}static/{path}"
    return url_for("static", filename=path)


def pdf_response(data: bytes, filename: str, *, inline: bool = True):
    from flask import make_response
    from urllib.parse import quote
    response = make_response(data)
    response.mimetype = "application/pdf"
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response
