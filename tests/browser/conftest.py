"""Real-browser tests: Debian's Chromium driven by Playwright against a live server thread."""
from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TABLET = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 2, "has_touch": True,
          "is_mobile": False, "locale": "zh-CN"}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **TABLET}


@pytest.fixture
def live_server(app):
    """The test's app served on a free loopback port, in a thread of this process."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def wait_htmx_ready(page, selector: str) -> None:
    """Wait until htmx has processed the element that carries the hx-* attributes.

    After a boosted click the URL is pushed before the new content is swapped in and processed, so
    typing straight away can land on an input whose triggers are not wired yet.
    """
    page.wait_for_function(
        "s => { const e = document.querySelector(s); return !!(e && e['htmx-internal-data'] && e['htmx-internal-data'].initHash); }",
        arg=selector)
