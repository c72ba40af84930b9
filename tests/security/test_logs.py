"""No personal data in logs: the portal's own lines, database errors, and web servers' request lines."""
from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from werkzeug.serving import make_server

from portal.core.logmask import QueryStringMask, install, mask_query
from portal.core.roles import Role
from portal.core.timeutil import local_now
from portal.customers.models import Customer
from portal.extensions import db
from tests.archive import helpers as archive_helpers

EN = {"Accept-Language": "en"}
NAME, PHONE, STREET = "欧阳娜娜", "13912345678", "幸福路 88 号"
SIGNER = "司马相如"
PASSWORD = "Geheim-Pass-42!"


@pytest.fixture(autouse=True)
def loggers_enabled():
    """The migrations run by conftest configure logging from alembic.ini, which disables every
    logger that existed then (werkzeug's among them); a real server process never runs them."""
    loggers = [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    disabled = [logger for logger in loggers if logger.disabled]
    for logger in disabled:
        logger.disabled = False
    yield
    for logger in disabled:
        logger.disabled = True


def _everything(caplog):
    texts = []
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_info:
            texts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(texts)


def _assert_clean(caplog, *secrets):
    logged = _everything(caplog)
    for secret in secrets:
        assert secret not in logged, f"{secret!r} was logged"


def test_a_working_day_logs_no_names_phones_or_passwords(app, client, login_as, make_user, caplog):
    caplog.set_level(logging.DEBUG)  # everything any logger says...
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # ...SQL statements too, as an operator might
    tech = make_user(Role.technician, "tech")
    with app.app_context():
        receipt = archive_helpers.ready_receipt(tech)
        receipt_id = receipt.id
    # A failed sign-in, with the password typed into the wrong box as well.
    client.post("/login", data={"username": "tech", "password": PASSWORD}, headers=EN)
    client.post("/login", data={"username": PASSWORD, "password": PASSWORD}, headers=EN)
    login_as(Role.clerk)
    response = client.post("/customers/new", headers=EN, data={
        "name": NAME, "kind": "end_customer", "province": "山东省", "city": "济南市", "district": "历下区",
        "street": STREET, "region": "", "notes": "", "contacts-0-name": NAME, "contacts-0-title": "",
        "contacts-0-phone": PHONE, "contacts-0-alt_phone": ""})
    assert response.status_code == 303
    client.get(f"/customers/?q={PHONE}")
    with app.app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.name == NAME))
    login_as(Role.operator)
    response = client.post("/cases/intake", headers=EN, data={
        "customer_id": customer_id, "channel": "call", "received_at": local_now().strftime("%Y-%m-%dT%H:%M"),
        "caller_name": NAME, "caller_phone": PHONE, "symptom": "点不着火", "probable_cause": "", "parts_to_prepare": "",
        "urgency": "normal", "outcome": "on_site", "guidance_notes": "", "equipment_id": ""})
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    response = client.post(f"/receipts/{receipt_id}/sign", headers=EN, data={
        "signer_name": SIGNER, "rating": "5", "comment": "", "signature": archive_helpers.data_url(archive_helpers.png()),
        "strokes": "[]"})
    assert response.status_code == 303
    assert any("INSERT INTO customer" in r.getMessage() for r in caplog.records)  # the capture works
    _assert_clean(caplog, NAME, PHONE, STREET, SIGNER, PASSWORD, "13912345678")


def test_a_sign_in_rate_limit_logs_no_typed_username(client, caplog):
    caplog.set_level(logging.DEBUG)
    for _attempt in range(7):  # past the limit of 5 failures: Flask-Limiter logs the breach and its key
        client.post("/login", data={"username": PASSWORD, "password": "x"}, headers=EN)
    assert any("exceeded" in record.getMessage() for record in caplog.records)
    _assert_clean(caplog, PASSWORD, PASSWORD.lower())


def test_a_database_error_does_not_carry_the_values(app, caplog):
    with app.app_context():
        db.session.execute(text("INSERT INTO customer_fts (rowid, tokens) VALUES (1, 'x')")
                           if db.engine.dialect.name == "sqlite" else text("SELECT 1"))
        try:
            db.session.execute(text('INSERT INTO "user" (id, username, display_name, role, active, password_hash, '
                                    'version, created_at, updated_at) VALUES (:id, :u, :n, :r, true, :p, 1, :t, :t)'),
                               [{"id": 7, "u": "dup", "n": NAME, "r": "clerk", "p": PHONE, "t": local_now()},
                                {"id": 7, "u": "dup", "n": NAME, "r": "clerk", "p": PHONE, "t": local_now()}])
        except IntegrityError:
            app.logger.exception("save failed")  # what Flask does with an unhandled error
        db.session.rollback()
    assert "save failed" in caplog.text
    _assert_clean(caplog, NAME, PHONE)


def test_request_lines_lose_their_query_values():
    assert mask_query('"GET /customers/?q=13912345678&page=2 HTTP/1.1"') == '"GET /customers/?q=***&page=*** HTTP/1.1"'
    assert mask_query("GET /customers/42 HTTP/1.1") == "GET /customers/42 HTTP/1.1"
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s -', ("127.0.0.1", "GET /x?q=张伟 HTTP/1.1", 200), None)
    QueryStringMask().filter(record)
    assert record.getMessage() == '127.0.0.1 - - "GET /x?q=*** HTTP/1.1" 200 -'


def test_the_development_server_logs_no_search_terms(app, caplog):
    install()
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/customers/?q={PHONE}&name=%E6%AC%A7%E9%98%B3"
        try:
            urllib.request.urlopen(url, timeout=10).close()  # nosec B310  # our own loopback server
        except urllib.error.HTTPError:
            pass
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/customers/?q=***&name=***" in line for line in lines), lines
    _assert_clean(caplog, PHONE, "欧阳", "%E6%AC%A7")


def test_gunicorn_access_log_lines_lose_their_query_values(capsys):
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    install()
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s q=%(q)s ref=%(f)s %({referer}i)s')
    logger = Logger(config)  # writes to stdout, as deploy/gunicorn.conf.py has it
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/customers/?q={PHONE}", "PATH_INFO": "/customers/",
               "QUERY_STRING": f"q={PHONE}", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.9",
               "HTTP_REFERER": f"https://portal/customers/?q={PHONE}"}
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", f"https://portal/customers/?q={PHONE}")])
    logger.access(response, request, environ, timedelta(milliseconds=5))
    line = capsys.readouterr().out
    assert '"GET /customers/?q=*** HTTP/1.1"' in line and "q=q=***" in line and "ref=https://portal/customers/?q=***" in line
    assert PHONE not in line
