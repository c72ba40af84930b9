"""Security headers on every answer, and pages the CSP can run as they are: no inline script."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from portal.core.access import PUBLIC, declared_access
from portal.core.roles import Role

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_headers_on_a_page_an_error_and_a_static_file(client, login_as):
    login_as(Role.clerk)
    for path in ("/", "/no-such-page", "/static/css/app.css"):
        response = client.get(path)
        response.close()  # a static file is sent from an open file
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be ignored, and wrong
    page = client.get("/")
    assert "no-store" in page.headers["Cache-Control"]
    static = client.get("/static/css/app.css")
    static.close()
    assert "no-store" not in (static.headers.get("Cache-Control") or "")


def test_hsts_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://portal.example.cn")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_hsts_behind_a_tls_proxy_with_proxy_fix(make_app):
    app = make_app(PROXY_FIX=1)
    client = app.test_client()
    plain = client.get("/login", headers={"X-Forwarded-For": "10.0.0.9"})
    assert "Strict-Transport-Security" not in plain.headers
    proxied = client.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.9"})
    assert "Strict-Transport-Security" in proxied.headers


INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_no_template_has_inline_script_or_handlers():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text, re.I):
            if "src=" not in match.group(1):
                offenders.append(f"{path.relative_to(TEMPLATES)}: inline <script>")
        for bad, why in ((INLINE_HANDLER, "on*= handler"), (re.compile(r"javascript:", re.I), "javascript: URL"),
                         (re.compile(r"\shx-on[:-]", re.I), "hx-on (needs eval)")):
            if bad.search(text):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {why}")
    assert not offenders, offenders


class _ScriptAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            if value and name in ("href", "src", "action", "formaction") and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:>")
        if tag == "script":
            if not names.get("src"):
                self.problems.append("inline <script>")
            elif not names["src"].startswith("/static/"):
                self.problems.append(f"script from {names['src']}")
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("script body")


def _plain_get_endpoints(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            yield rule


@pytest.mark.parametrize("role", [None, *Role])
def test_rendered_pages_carry_no_inline_script(app, client, login_as, role):
    if role is not None:
        login_as(role)
    seen = 0
    with app.app_context():
        rules = list(_plain_get_endpoints(app))
    for rule in rules:
        with app.test_request_context():
            access = declared_access(rule.endpoint)
        if role is None and access != PUBLIC or role is not None and access != PUBLIC and role not in access:
            continue
        response = client.get(rule.rule)
        assert response.status_code < 500, rule.rule
        if response.mimetype != "text/html":
            continue
        audit = _ScriptAudit()
        audit.feed(response.get_data(as_text=True))
        assert not audit.problems, (rule.rule, audit.problems)
        seen += 1
    assert seen >= 2
