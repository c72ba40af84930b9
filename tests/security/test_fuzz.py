"""Hostile and random form posts to every POST endpoint, as every role (issue 8, point 4).

For each endpoint of the URL map that accepts POST, and for everyone who can send it (anonymous,
each role, a paired counter kiosk), the campaign posts hostile values (very long strings, control
characters, NUL, emoji, HTML and SQL fragments, wrong types, lists, missing and extra fields) and
hypothesis-generated ones, each with a valid CSRF token, to the field names the portal's own pages
show for that address. Every answer must be below 500 and must not contain the raw payload
`<script>alert(1)</script>`; a rejected post (4xx) must leave the database exactly as it was
(row count, latest updated_at and sum of versions of every table). Those who may not use the
endpoint get one hostile post each and must be refused without a change. Afterwards every page is
fetched again as every role: nothing stored during the campaign may come back unescaped.

The campaign runs once per module (a fixture) on a small dataset (tests/security/world.py) so the
addresses carry real ids; each endpoint then has its own test, which reports what the campaign
found for it. Deterministic: hypothesis derandomized, no example database.
"""
from __future__ import annotations

import json
import secrets
import time
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import product
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import String, cast, func, literal, select, text, union_all
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from portal import create_app
from portal.archive import kiosks
from portal.core.access import PUBLIC, declared_access
from portal.core.roles import Role
from portal.extensions import db
from tests.conftest import _empty_tables, base_config
from tests.security.world import World, build

PAYLOAD = "<script>alert(1)</script>"
PAYLOAD2 = '"><svg onload=alert(2)>'
RAW_MARKERS = (PAYLOAD, "<svg onload=alert(2)>")
HOSTILE = [
    PAYLOAD, PAYLOAD2, "' OR 1=1 --", "'; DROP TABLE customer; --", "1; SELECT pg_sleep(5)",
    "x" * 10_000, "测" * 3000, "9" * 400, "\x00", "a\x00b", "\x01\x02\x1b[31m\x7f", "\r\n\r\nX-Injected: 1",
    "\u202e\u200b\ufeff", "😀👍🏻🇨🇳", "𠀀𪚥", "-1", "0", "-0", "1e309", "NaN", "inf", "0x10", "1.5", "１２３", "٣",
    "2026-02-30", "2026-13-01T25:61", "9999-12-31", "0001-01-01", "2026-11-21T10:00", "true", "null", "[]",
    "{}", "%s%n%x", "../../etc/passwd", " ", "", "on", "repair_receipt", "https://evil.example.com/",
]
EXTRA_NAMES = ["id", "user_id", "role", "state", "active", "is_admin", "version", "amount", "customer_id",
               "__proto__", "next", "csrf_token_x"]
# Nothing is left out of the campaign: an endpoint that takes a file is fuzzed here without one
# (it must still answer properly), and its files go through one of the parsers that
# tests/security/test_fuzz_files.py fuzzes (hypothesis-mutated files) and sends hostile files to.
# The kiosk device endpoints are reached by the "kiosk" sender, a client holding a paired kiosk's
# cookie. Every file input a page shows must be listed here with the parser it goes through.
FILE_UPLOADS = {
    "customers.import_upload": "excel.read_upload",
    "returns.new": "photos.checked_photo", "returns.edit": "photos.checked_photo",
    "carryin.show": "photos.checked_photo", "carryin.take_in": "signatures.seal_photo",
    "carryin.hand_back": "signatures.seal_photo", "receipts.sign": "signatures.seal_photo",
    "returns.sign": "signatures.seal_photo", "archive.kiosk_sign": "signatures.seal_photo",
    "archive.verify": "a SHA-256 of the bytes, nothing parsed",
}
# POST endpoints whose form no page of the dataset shows, with the fields that form has.
UNLINKED: dict[str, dict[str, set[str]]] = {
    # Shown only on a tablet in hand-over mode, which the crawl does not enter (the campaign does:
    # the technician's posts come from a tablet handed over, see HANDED_OVER).
    "receipts.handover_unlock": {"password": {"secret-pass-1"}},
    "receipts.handover_language": {"lang": {"zh_CN", "en"}, "next": {"/receipts/handover"}},
    # The import preview offers "commit" only for a file without errors; the dataset's token holds
    # the empty template. The form is the CSRF token alone.
    "customers.import_commit": {},
    # Offered on a void receipt only; voiding renders and archives PDFs, too slow for the dataset.
    # The form is the CSRF token alone.
    "receipts.amend": {},
}
HANDED_OVER = {"receipts.handover_unlock", "receipts.handover_language"}
GUESSED_FIELDS = ("name", "note", "reason", "comment", "description", "version", "password", "lang", "next")
KIOSK = "kiosk"
ANONYMOUS = "anonymous"
SENDERS = [ANONYMOUS, *[role.value for role in Role], KIOSK]
# Pages not crawled: files rather than pages (PDF, Excel, photos), each slow to make and holding no form.
NOT_PAGES = (".pdf", ".xlsx", ".jpg", ".<fmt>")
EXAMPLES = 3
CRAWL_IDS = 5  # records per page crawled (the states a list of ids covers)


# Endpoints that end a record's life run last, so the others still find their records in the
# states the dataset built (a cancelled goods receipt offers nothing to fuzz).
FINAL_VERBS = ("cancel", "void", "revoke", "withdraw", "merge", "toggle_active", "close", "remove", "logout",
               "send_back", "kiosk_pair", "reopen", "amend")


def _post_endpoints() -> list[str]:
    app = create_app(base_config("sqlite://"))
    names = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    return sorted(names, key=lambda name: (name.endswith(FINAL_VERBS), name))


POST_ENDPOINTS = _post_endpoints()


# --- pages: forms and their fields ------------------------------------------------------------------

class _Forms(HTMLParser):
    """The POST forms of a page: where each posts to, and its field names with the values shown."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[set[str], dict[str, set[str]]]] = []
        self._form: tuple[set[str], dict[str, set[str]]] | None = None
        self._select: str | None = None
        self.file_fields: set[tuple[str, str]] = set()  # (target, name) of <input type=file>

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            targets = set()
            if a.get("method", "get").lower() == "post":
                targets.add(a.get("action", ""))
            if "hx-post" in a:
                targets.add(a["hx-post"])
            self._form = (targets, {})
            self.forms.append(self._form)
            return
        if self._form is None:
            if "hx-post" in a:  # a lone button posting by itself
                self.forms.append(({a["hx-post"]}, {a["name"]: {a.get("value", "")}} if a.get("name") else {}))
            return
        targets, fields = self._form
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind == "file":
                self.file_fields.update((target, name) for target in targets)
                return
            fields.setdefault(name, set()).add(a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "textarea" and name:
            fields.setdefault(name, set()).add("")
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, set())
        elif tag == "option" and self._select:
            fields[self._select].add(a.get("value", ""))
        elif tag == "button":
            if name:
                fields.setdefault(name, set()).add(a.get("value", ""))
            for attr in ("formaction", "hx-post"):
                if a.get(attr):
                    targets.add(a[attr])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@dataclass
class Target:
    urls: set[str] = field(default_factory=set)
    fields: dict[str, set[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)  # file inputs: fuzzed by test_fuzz_files.py


@dataclass
class Campaign:
    targets: dict[str, Target]
    failures: dict[str, list[str]] = field(default_factory=dict)
    posts: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    page_failures: list[str] = field(default_factory=list)
    world: World | None = None
    seconds: float = 0.0


def _access(app, endpoint: str):
    with app.test_request_context():
        return declared_access(endpoint)


def _may_send(app, endpoint: str, sender: str) -> bool:
    access = _access(app, endpoint)
    if access == PUBLIC:
        return True
    return sender in {role.value for role in (access or ())}


def _urls_for(app, world: World, endpoint: str) -> list[str]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    options = [[(param, value) for value in (world.candidates(endpoint, param) or [987654])]
               for param in sorted(rule.arguments)]
    urls = []
    adapter = app.url_map.bind("localhost")
    for combination in product(*options):
        urls.append(adapter.build(endpoint, dict(combination)))
    return urls


def _client(app, world: World, sender: str, endpoint: str = ""):
    """A fresh browser for one sender: its own session, signed in (or a kiosk), with a CSRF token;
    for the hand-over screens, a technician's tablet handed over to the customer."""
    client = app.test_client()
    raw = secrets.token_hex(20)
    with client.session_transaction() as session:
        session["csrf_token"] = raw
        if sender in world.users:
            session["_user_id"] = str(world.users[sender])
            session["_fresh"] = True
    if sender == KIOSK and world.kiosk_token:
        client.set_cookie(kiosks.COOKIE, world.kiosk_token)
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(raw)
    if endpoint in HANDED_OVER and sender == "technician":
        client.post(f"/receipts/{world.ids['ready_receipt_id']}/handover", data={"csrf_token": token}).close()
    return client, token


def _endpoint_of(app, url: str, method: str = "POST") -> str | None:
    parts = urlsplit(url)
    try:
        endpoint, _args = app.url_map.bind("localhost").match(parts.path, method=method)
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None
    return endpoint


def _page_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and not rule.rule.endswith(NOT_PAGES) \
                and "photos" not in rule.rule and rule.endpoint != "returns.photo":
            yield rule


def _text(response) -> str:
    try:
        return response.get_data().decode("utf-8", "replace")  # PDFs and images are answers too
    finally:
        response.close()  # a file sent from a temporary file (a batch print) is closed here


def _unescaped(body: str) -> str | None:
    return next((marker for marker in RAW_MARKERS if marker in body), None)


def crawl(app, world: World, campaign: Campaign | None, *, label: str) -> list[str]:
    """GET every page as everyone who may see it; collect forms; report 5xx and raw payloads."""
    problems = []
    for rule in sorted(_page_rules(app), key=lambda r: r.rule):
        for sender in SENDERS:
            if not _may_send(app, rule.endpoint, sender) or (sender == ANONYMOUS and rule.endpoint == "accounts.home"):
                continue
            if sender == KIOSK and rule.endpoint not in ("archive.kiosk", "archive.kiosk_screen"):
                continue
            extra = [page for page in world.ids.get("pages", []) if _endpoint_of(app, page, "GET") == rule.endpoint]
            for url in _urls_for(app, world, rule.endpoint)[:CRAWL_IDS] + extra:
                client, _token = _client(app, world, sender)
                try:
                    response = client.get(url, headers={"Accept-Language": "en"})
                except Exception:  # noqa: BLE001 - a crash is the finding
                    problems.append(f"{label}: GET {url} as {sender}: {traceback.format_exc(limit=-3)}")
                    continue
                body = _text(response)
                if response.status_code >= 500:
                    problems.append(f"{label}: GET {url} as {sender}: {response.status_code}")
                if (marker := _unescaped(body)) is not None:
                    at = body.index(marker)
                    problems.append(f"{label}: GET {url} as {sender} shows {marker!r} raw: …{body[max(0, at - 200):at + 60]!r}")
                if campaign is None or response.mimetype != "text/html":
                    continue
                parser = _Forms()
                parser.feed(body)
                for target, name in parser.file_fields:
                    endpoint = _endpoint_of(app, urljoin(f"http://localhost{url}", target or url))
                    if endpoint is not None:
                        campaign.targets.setdefault(endpoint, Target()).files.add(name)
                for targets, fields in parser.forms:
                    for target in targets:
                        absolute = urljoin(f"http://localhost{url}", target or url)
                        endpoint = _endpoint_of(app, absolute)
                        if endpoint is None:
                            continue
                        found = campaign.targets.setdefault(endpoint, Target())
                        parts = urlsplit(absolute)
                        found.urls.add(parts.path + (f"?{parts.query}" if parts.query else ""))
                        for name, values in fields.items():
                            found.fields.setdefault(name, set()).update(values)
    return problems


def reflected(app, world: World) -> list[str]:
    """Search boxes and filters: hostile query strings on every page without ids."""
    problems = []
    query = urlencode({"q": PAYLOAD, "page": PAYLOAD2, "state": PAYLOAD, "status": "\x00", "role": "' OR 1=1 --",
                       "region": "测" * 500, "show": "-1", "from": "2026-02-30", "to": "9" * 50, "next": PAYLOAD})
    for rule in sorted(_page_rules(app), key=lambda r: r.rule):
        if rule.arguments:
            continue
        for sender in (ANONYMOUS, *[role.value for role in Role]):
            if not _may_send(app, rule.endpoint, sender):
                continue
            client, _token = _client(app, world, sender)
            for headers in ({}, {"HX-Request": "true"}):
                try:
                    response = client.get(f"{rule.rule}?{query}", headers=headers)
                except Exception:  # noqa: BLE001
                    problems.append(f"GET {rule.rule}?… as {sender}: {traceback.format_exc(limit=-3)}")
                    continue
                body = _text(response)
                if response.status_code >= 500 or _unescaped(body):
                    problems.append(f"GET {rule.rule}?… as {sender} {headers}: {response.status_code} "
                                    f"{'raw payload' if _unescaped(body) else ''}")
    return problems


# --- the database's fingerprint ------------------------------------------------------------------

_FINGERPRINT_SQL: dict[str, Any] = {}


def fingerprint(app) -> dict[str, tuple]:
    """Per table: row count, latest updated_at, sum of versions. One statement for all tables,
    compiled once (it runs after every post)."""
    with app.app_context():
        engine = db.engine
        statement = _FINGERPRINT_SQL.get(engine.url.render_as_string())
        if statement is None:
            parts = []
            for table in db.metadata.sorted_tables:
                updated = cast(func.max(table.c.updated_at), String) if "updated_at" in table.c else literal("", String)
                version = cast(func.sum(table.c.version), String) if "version" in table.c else literal("", String)
                parts.append(select(literal(table.name, String), cast(func.count(), String), updated, version)
                             .select_from(table))
            sql = str(union_all(*parts).compile(engine, compile_kwargs={"literal_binds": True}))
            statement = _FINGERPRINT_SQL.setdefault(engine.url.render_as_string(), text(sql))
        with engine.connect() as connection:
            rows = connection.execute(statement).all()
    return {name: (count, updated, versions) for name, count, updated, versions in rows}


def _difference(before: dict, after: dict) -> str:
    return ", ".join(f"{t}: {before.get(t)} → {after.get(t)}" for t in sorted(set(before) | set(after))
                     if before.get(t) != after.get(t))


# --- what is sent ----------------------------------------------------------------------------------

def _value(options: list[str]):
    choices = [st.sampled_from(HOSTILE), st.text(max_size=40), st.integers(-10**15, 10**15).map(str)]
    if options:
        choices.insert(0, st.sampled_from(options))
    one = st.one_of(*choices)
    return st.one_of(st.none(), one, one, st.lists(one, min_size=2, max_size=3))


def _form_strategy(fields: dict[str, set[str]]):
    names = sorted(n for n in fields if n != "csrf_token")
    fixed = st.fixed_dictionaries({name: _value(sorted(fields[name])) for name in names})
    extra = st.dictionaries(st.sampled_from(EXTRA_NAMES), st.sampled_from(HOSTILE), max_size=2)
    return st.tuples(fixed, extra, st.booleans())


def _fixed_cases(fields: dict[str, set[str]]) -> list[tuple[dict, dict, bool]]:
    names = [n for n in fields if n != "csrf_token"]
    shown = {n: sorted(v)[0] if v else "" for n, v in fields.items() if n != "csrf_token"}
    return [
        ({n: PAYLOAD for n in names}, {}, False),                       # every field: the script
        ({n: PAYLOAD2 for n in names}, {}, True),                       # every field: markup, as htmx
        ({}, {}, False),                                                # every field missing
        ({n: "\x00" + "😀" * 3000 + "\u202e" for n in names}, {"id": "1"}, False),  # long, NUL, emoji
        # As the page shows it (so it may pass), with SQL in the free-text fields.
        ({**shown, **{n: f"{shown[n]}' OR 1=1 --" for n in names if len(fields[n]) <= 1}}, {"role": "admin"}, False),
        ({n: ["1", PAYLOAD] for n in names}, {}, False),                # lists where one value is expected
    ]


# --- one post and its checks ------------------------------------------------------------------------

class Finding(AssertionError):
    pass


def _follow(client, response) -> str:
    location = response.headers.get("Location")
    if not location and response.headers.get("HX-Location"):
        try:
            location = json.loads(response.headers["HX-Location"]).get("path")
        except ValueError:
            location = response.headers["HX-Location"]
    location = location or response.headers.get("HX-Redirect")
    if not location:
        return ""
    parts = urlsplit(location)
    if parts.netloc and parts.netloc != "localhost":
        raise Finding(f"redirected off-site to {location}")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        followed = client.get(path)
    except Exception as error:  # noqa: BLE001 - a 500 in a TESTING app is raised
        raise Finding(f"the page after the post ({path}) crashed: {type(error).__name__}: {error}") from None
    if followed.status_code >= 500:
        raise Finding(f"the page after the post ({path}) answered {followed.status_code}")
    return _text(followed)


def post_once(app, world: World, sender: str, url: str, data: dict, extra: dict, htmx: bool,
              state: dict, *, allowed: bool) -> bool:
    """Post; raise Finding on a broken rule. Returns True when the post was accepted."""
    client, token = _client(app, world, sender, state.get("endpoint", ""))
    form = {k: v for k, v in data.items() if v is not None}
    form.update({k: v for k, v in extra.items() if k not in form})
    form["csrf_token"] = token
    headers = {"Accept-Language": "en", **({"HX-Request": "true"} if htmx else {})}
    before = state["fingerprint"]
    try:
        response = client.post(url, data=form, headers=headers)
    except Exception as error:  # noqa: BLE001 - a 500 in a TESTING app is raised
        raise Finding(f"crashed: {type(error).__name__}: {error}\n{traceback.format_exc(limit=-4)}") from None
    body = _text(response)
    if response.status_code >= 500:
        raise Finding(f"answered {response.status_code}")
    if (marker := _unescaped(body)) is not None:
        at = body.index(marker)
        raise Finding(f"answer shows {marker!r} raw: …{body[max(0, at - 200):at + 60]!r}")
    state.setdefault("statuses", {}).setdefault(state.get("endpoint"), []).append(response.status_code)
    rejected = response.status_code >= 400
    if not allowed and not (rejected or response.status_code in (302, 303)
                            and "/login" in response.headers.get("Location", "")):
        raise Finding(f"a sender without access got {response.status_code}")
    if not rejected and (followed := _follow(client, response)) and (marker := _unescaped(followed)):
        raise Finding(f"the page after the post shows {marker!r} raw")
    after = fingerprint(app)
    state["fingerprint"] = after
    if (rejected or not allowed) and after != before:
        raise Finding(f"rejected ({response.status_code}) but the database changed: {_difference(before, after)}")
    return not rejected and allowed


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 60:
        return value[:40] + f"…({len(value)} chars)"
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    return value


def fuzz_endpoint(app, world: World, campaign: Campaign, endpoint: str, state: dict) -> None:
    target = campaign.targets.get(endpoint) or Target()
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    chosen = any(f"{endpoint}.{param}" in world.ids for param in rule.arguments)
    urls = (_urls_for(app, world, endpoint)[:1] if chosen else []) or sorted(target.urls)[:2] \
        or _urls_for(app, world, endpoint)[:1]
    fields = target.fields or (UNLINKED[endpoint] if endpoint in UNLINKED else {name: set() for name in GUESSED_FIELDS})
    failures = campaign.failures.setdefault(endpoint, [])
    state["endpoint"] = endpoint
    counts = {"posts": 0, "accepted": 0}

    def attempt(sender, url, data, extra, htmx, allowed):
        counts["posts"] += 1
        try:
            if post_once(app, world, sender, url, data, extra, htmx, state, allowed=allowed):
                counts["accepted"] += 1
        except Finding as finding:
            failures.append(f"POST {url} as {sender} htmx={htmx} {_shorten({**data, **extra})}: {finding}")
            state["fingerprint"] = fingerprint(app)
            raise

    for sender in SENDERS:
        allowed = _may_send(app, endpoint, sender)
        if sender == KIOSK and _access(app, endpoint) != PUBLIC:
            continue
        url = urls[0]
        if not allowed:
            try:
                attempt(sender, url, {n: PAYLOAD for n in fields}, {}, False, False)
            except Finding:
                pass
            continue
        # The first sender allowed gets every fixed case and EXAMPLES random ones; the others (the
        # same code behind another role's checks) the two harshest cases and one random post.
        primary = not state.setdefault("primary_done", set()) & {endpoint}
        state["primary_done"].add(endpoint)
        cases = _fixed_cases(fields) if primary else _fixed_cases(fields)[:3:2]
        for url in (urls if primary else urls[:1]):
            for data, extra, htmx in cases:
                try:
                    attempt(sender, url, data, extra, htmx, True)
                except Finding:
                    pass

        @settings(max_examples=EXAMPLES if primary else 1, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @given(_form_strategy(fields))
        def random_posts(case):
            data, extra, htmx = case
            attempt(sender, urls[0], data, extra, htmx, True)

        try:
            random_posts()
        except Finding:
            pass
        except Exception:  # noqa: BLE001 - hypothesis itself failing is a finding too
            failures.append(f"hypothesis run for {sender}: {traceback.format_exc(limit=-3)}")
    campaign.posts[endpoint] = counts["posts"]
    campaign.accepted[endpoint] = counts["accepted"]


# --- the campaign --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def campaign(database_url, tmp_path_factory):
    started = time.monotonic()
    app = create_app(base_config(database_url, ARCHIVE_DIR=str(tmp_path_factory.mktemp("fuzz-archive")),
                                 WTF_CSRF_ENABLED=True))
    try:
        with app.app_context():
            world = build()
        result = Campaign(targets={}, world=world)
        result.page_failures += crawl(app, world, result, label="before")
        state = {"fingerprint": fingerprint(app)}
        for endpoint in POST_ENDPOINTS:
            fuzz_endpoint(app, world, result, endpoint, state)
        result.page_failures += crawl(app, world, None, label="after the campaign")
        result.page_failures += reflected(app, world)
        result.seconds = time.monotonic() - started
        yield result
    finally:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


def test_the_dataset_gives_every_address_a_real_record(campaign):
    assert not campaign.world.problems, "\n".join(campaign.world.problems)


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_hostile_posts(campaign, endpoint):
    failures = campaign.failures.get(endpoint, [])
    assert campaign.posts.get(endpoint, 0) > 0
    assert not failures, f"{len(failures)} finding(s):\n" + "\n".join(failures[:8])


def test_every_post_endpoint_had_its_form_fields_from_a_page(campaign):
    """Field names come from the pages; an endpoint no page offers a form for would be fuzzed with
    guessed names only, so it must be listed in UNLINKED with its fields and the reason."""
    unreached = sorted(set(POST_ENDPOINTS) - set(campaign.targets) - set(UNLINKED))
    assert not unreached, f"no page offers a form for: {unreached}"


def test_every_file_input_goes_through_a_fuzzed_parser(campaign):
    with_files = {endpoint for endpoint, target in campaign.targets.items() if target.files}
    assert with_files, "the crawl found no file input at all"
    unlisted = sorted(with_files - set(FILE_UPLOADS))
    assert not unlisted, f"file inputs not in FILE_UPLOADS (which parser reads them?): {unlisted}"


def test_pages_stay_whole_and_escaped_after_the_campaign(campaign):
    assert not campaign.page_failures, "\n".join(campaign.page_failures[:20])


def test_the_campaign_is_quick_enough(campaign):
    print(f"fuzz campaign: {sum(campaign.posts.values())} posts ({sum(campaign.accepted.values())} accepted) "
          f"in {campaign.seconds:.0f} s")
    assert campaign.seconds < 240


def test_the_checks_catch_what_they_are_for(app):
    """The campaign's checks, on three broken endpoints: raw output, a half-saved rejected post, a crash."""
    from flask import request

    from portal.accounts import services as accounts
    from portal.core.access import public

    @public
    def leaky():
        return f"<p>{request.form.get('name')}</p>", 200

    @public
    def half_saved():
        accounts.user_create(username="half", display_name="x", role=Role.clerk, password="secret-pass-1")
        db.session.commit()
        return "refused", 422

    @public
    def crashing():
        raise ZeroDivisionError

    for name, view in (("leaky", leaky), ("half_saved", half_saved), ("crashing", crashing)):
        app.add_url_rule(f"/canary/{name}", f"canary_{name}", view, methods=["POST"])
    world = World()
    state = {"fingerprint": fingerprint(app)}
    for name, expected in (("leaky", "raw"), ("half_saved", "database changed"), ("crashing", "crashed")):
        with pytest.raises(Finding, match=expected):
            post_once(app, world, ANONYMOUS, f"/canary/{name}", {"name": PAYLOAD}, {}, False, state, allowed=True)
        state["fingerprint"] = fingerprint(app)
    assert post_once(app, world, ANONYMOUS, "/login", {"username": "x", "password": "y"}, {}, False, state,
                     allowed=True) is False  # a refused sign-in: rejected, nothing changed, no finding
