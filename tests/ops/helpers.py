"""Shared by the ops tests: a signed receipt with its archived PDF, free ports, a second database,
and the fields of a form read off a page."""
from __future__ import annotations

import contextlib
import os
import socket
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal.extensions import db
from tests.archive import helpers as archive_helpers

ROOT = Path(__file__).resolve().parents[2]
EN = {"Accept-Language": "en"}


def sign(receipt, *, signer: str = "王经理"):
    """receipt_sign as the signing view calls it; the caller commits."""
    from portal.core.signatures import drawn_signature
    from portal.receipts import services as receipts

    return receipts.receipt_sign(receipt=receipt, signer_name=signer, rating=5, comment="", device="test",
                                 image=drawn_signature(archive_helpers.data_url(archive_helpers.png())),
                                 address="127.0.0.1", user_agent="pytest", staff=None,
                                 verify_url=lambda n, c: f"https://portal.example/verify/{n}?code={c}")


def signed_receipt(app, technician_id: int) -> dict[str, object]:
    """A receipt signed through the service, so the archive holds its PDF; committed."""
    with app.test_request_context(method="POST", headers=EN):
        receipt = archive_helpers.ready_receipt(technician_id)
        document = sign(receipt)
        db.session.commit()
        return {"receipt": receipt.id, "number": receipt.number, "document": document.id, "path": document.path,
                "sha256": document.sha256}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def second_database(url: str, directory: Path) -> Iterator[str]:
    """An empty database beside the suite's: a new SQLite file, or a new PostgreSQL database on the
    suite's server (dropped afterwards)."""
    if not url.startswith("postgresql"):
        yield f"sqlite:///{directory / f'second-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"portal_second_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class _FormReader(HTMLParser):
    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action", "") == self.action or a.get("hx-post", "") == self.action
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name] = a.get("value", "y")
            else:
                self.fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, action: str) -> dict[str, str]:
    """The values a browser would post from the form whose action (or hx-post) is `action`."""
    reader = _FormReader(action)
    reader.feed(html)
    if not reader.fields:
        raise AssertionError(f"no form posting to {action} on the page")
    return reader.fields


def environment(**extra: str) -> dict[str, str]:
    """The environment for a child process of the portal: no settings leaking in from the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(extra)
    return env
