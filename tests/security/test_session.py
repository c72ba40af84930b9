"""Session cookies and the end of an idle staff session (kiosks and hand-over included)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from portal.core import session as staff_session
from portal.core.access import PUBLIC, declared_access
from portal.core.roles import Role
from portal.core.timeutil import travel
from tests.conftest import TEST_PASSWORD

EN = {"Accept-Language": "en"}
START = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _sign_in(client, username):
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD}, headers=EN)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


def _set_cookie_flags(response, name="session"):
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}="))
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}, header


def test_session_cookie_is_httponly_and_samesite_but_not_secure_over_plain_http(client, make_user):
    make_user(Role.clerk, "lina")
    flags, header = _set_cookie_flags(_sign_in(client, "lina"))
    assert "httponly" in flags and "samesite=lax" in header.lower() and "secure" not in flags


def test_an_https_public_url_makes_the_cookies_secure(make_app, make_user):
    app = make_app(PUBLIC_URL="https://service.example.cn")
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    make_user(Role.clerk, "lina")
    flags, _header = _set_cookie_flags(_sign_in(app.test_client(), "lina"))
    assert {"secure", "httponly"} <= flags


def test_the_flag_decides_outright(make_app, monkeypatch):
    assert make_app(PUBLIC_URL="http://10.0.0.5").config["SESSION_COOKIE_SECURE"] is False
    assert make_app(SESSION_COOKIE_SECURE=True).config["SESSION_COOKIE_SECURE"] is True
    # Behind a TLS proxy without a public address: the environment switches it on...
    monkeypatch.setenv("PORTAL_SESSION_COOKIE_SECURE", "true")
    assert make_app().config["SESSION_COOKIE_SECURE"] is True
    # ...or off, even with an https:// address (a test install reached over plain HTTP).
    monkeypatch.setenv("PORTAL_SESSION_COOKIE_SECURE", "false")
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://service.example.cn")
    assert make_app().config["SESSION_COOKIE_SECURE"] is False


def test_idle_minutes_come_from_the_environment(make_app, monkeypatch):
    assert make_app().config["IDLE_MINUTES"] == 30
    monkeypatch.setenv("PORTAL_IDLE_MINUTES", "5")
    assert make_app().config["IDLE_MINUTES"] == 5


def test_an_idle_session_ends_and_the_sign_in_page_leads_back(client, make_user):
    make_user(Role.clerk, "lina")
    with travel(START):
        _sign_in(client, "lina")
        assert client.get("/customers/", headers=EN).status_code == 200
    with travel(START + timedelta(minutes=29)):
        assert client.get("/customers/?q=x", headers=EN).status_code == 200  # activity restarts the clock
    with travel(START + timedelta(minutes=29 + 30, seconds=30)):
        response = client.get("/customers/?q=%E5%BC%A0", headers=EN)
        assert response.status_code == 303
        assert response.headers["Location"] == "/login?next=/customers/?q%3D%25E5%25BC%25A0"
        login = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
        assert "signed out after 30 minutes without activity" in login
        # Signed out for real: no page, and the old cookie does not come back to life.
        assert client.get("/", headers=EN).status_code == 302
        with client.session_transaction() as session:
            assert "_user_id" not in session and staff_session.SEEN_KEY not in session
        again = client.post("/login", data={"username": "lina", "password": TEST_PASSWORD,
                                            "next": "/customers/"}, headers=EN)
        assert again.headers["Location"] == "/customers/"
        assert client.get("/customers/", headers=EN).status_code == 200  # a fresh sign-in: a fresh clock


def test_htmx_requests_get_hx_redirect_and_posts_keep_nothing(app, client, make_user):
    make_user(Role.clerk, "lina")
    with travel(START):
        _sign_in(client, "lina")
        client.get("/customers/")
    with travel(START + timedelta(hours=2)):
        response = client.get("/customers/?q=x", headers={**EN, "HX-Request": "true",
                                                         "HX-Current-URL": "http://localhost/customers/?q=x"})
        assert response.status_code == 200 and response.get_data() == b""
        assert response.headers["HX-Redirect"] == "/login?next=/customers/?q%3Dx"
    with travel(START):
        _sign_in(client, "lina")
    with travel(START + timedelta(hours=2)):
        response = client.post("/customers/new", data={"name": "张伟"}, headers={**EN, "Referer": "http://localhost/customers/new"})
        assert response.status_code == 303 and response.headers["Location"] == "/login?next=/customers/new"
    with app.app_context():
        from sqlalchemy import func, select
        from portal.customers.models import Customer
        from portal.extensions import db
        assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_polling_does_not_keep_a_session_alive(client, make_user):
    make_user(Role.manager, "wang")
    with travel(START):
        _sign_in(client, "wang")
        assert client.get("/cases/overdue").status_code == 200
    for minute in range(5, 30, 5):  # the overdue board refreshing itself
        with travel(START + timedelta(minutes=minute)):
            assert client.get("/cases/overdue", headers={"HX-Request": "true"}).status_code == 200
    with travel(START + timedelta(minutes=31)):
        response = client.get("/cases/overdue", headers={"HX-Request": "true"})
        assert "HX-Redirect" in response.headers


def test_the_stamp_is_not_rewritten_on_every_request(client, make_user):
    make_user(Role.clerk, "lina")
    with travel(START):
        _sign_in(client, "lina")
        client.get("/")
    with travel(START + timedelta(seconds=20)):
        assert not any(h.startswith("session=") for h in client.get("/").headers.getlist("Set-Cookie"))


def test_zero_minutes_means_never(make_app, make_user):
    app = make_app(IDLE_MINUTES=0)
    client = app.test_client()
    make_user(Role.clerk, "lina")
    with travel(START):
        _sign_in(client, "lina")
    with travel(START + timedelta(days=3)):
        assert client.get("/").status_code == 200


def test_a_new_sign_in_starts_a_fresh_clock_after_a_sign_out(client, make_user):
    make_user(Role.clerk, "lina")
    make_user(Role.clerk, "zhao")
    with travel(START):
        _sign_in(client, "lina")
        client.get("/")
    with travel(START + timedelta(minutes=40)):
        _sign_in(client, "zhao")  # the public sign-in page is not checked; the sign-in restamps
        assert client.get("/").status_code == 200


def test_a_kiosk_has_no_staff_session_to_expire(app, make_user):
    from tests.archive.test_kiosk import _pair
    with travel(START):
        device, _response = _pair(app, make_user)
        assert device.get("/kiosk", headers=EN).status_code == 200
    with travel(START + timedelta(days=3)):
        page = device.get("/kiosk", headers=EN)
        assert page.status_code == 200 and "Welcome" in page.get_data(as_text=True)
        assert device.get("/kiosk/screen?showing=0", headers={**EN, "HX-Request": "true"}).status_code == 204


def test_a_handed_over_tablet_expires_without_showing_anything(app, client, login_as):
    from tests.archive import helpers
    with travel(START):
        tech = login_as(Role.technician, username="tech", language="en")
        with app.app_context():
            receipt = helpers.ready_receipt(tech)
            receipt_id, number = receipt.id, receipt.number
        client.get("/")
        assert client.post(f"/receipts/{receipt_id}/handover").status_code == 303
        assert client.get("/customers/").status_code == 423  # locked to signing
    with travel(START + timedelta(minutes=20)):
        assert client.get(f"/receipts/{receipt_id}/sign").status_code == 200  # the customer reading
    with travel(START + timedelta(minutes=51)):
        for path in (f"/receipts/{receipt_id}/sign", "/receipts/handover", "/customers/"):
            response = client.get(path, headers=EN)
            assert response.status_code in (302, 303) and response.headers["Location"].startswith("/login")
            body = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
            assert number not in body and "Accept and sign" not in body
        with client.session_transaction() as session:
            assert "handover" not in session and "_user_id" not in session
        # Unlocking with the password is no way back in: that takes a sign-in.
        response = client.post("/receipts/handover/unlock", data={"password": TEST_PASSWORD}, headers=EN)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        assert client.get("/customers/").status_code == 302


def test_every_polled_endpoint_is_declared_background(app):
    """A page that refreshes itself (hx-trigger="every …") must not keep its desk signed in."""
    polled = set()
    for path in TEMPLATES.rglob("*.html"):
        for tag in re.findall(r"<[^>]*hx-trigger=\"[^\"]*every [^>]*>", path.read_text(encoding="utf-8")):
            endpoint = re.search(r"url_for\('([\w.]+)'", tag)
            assert endpoint, f"{path}: a polling element whose address is not a url_for: {tag}"
            polled.add(endpoint.group(1))
    assert polled
    with app.test_request_context():
        undeclared = {e for e in polled if declared_access(e) != PUBLIC} - staff_session.BACKGROUND_ENDPOINTS
    assert not undeclared, f"declare with portal.core.session.background(): {sorted(undeclared)}"
