"""Load benchmark (issue 8): the portal under gunicorn on the large data set, 50 users at once.

`make bench` runs it from bench/run.py; BENCH_ONLY=load runs only this section, and
`.venv/bin/python bench/load.py` runs it alone. Prints `name: value` lines and a table, and saves
them with the machine's description to bench/results/load-<date>.txt.

  1. The data set of bench/dataset.py (1 000 000 cases, 100 000 customers, 200 000 units, slips,
     receipts) is copied to a temporary folder (the load writes to it); bench users get known
     passwords, and 40 receipts get an archived PDF (one real rendering, stored through
     portal.archive.services.store) for the downloads.
  2. gunicorn serves the copy with deploy/gunicorn.conf.py, exactly as `make serve` does.
  3. Single user, no load: every page of the mix SINGLE_N times in a row -> page_<name>_p50_ms/p95_ms.
  4. Load: USERS virtual users (half technicians, then clerks, operators, managers: see ROLES) each
     log in, then loop for SECONDS: pick an action their role does (home page, case list with a
     state filter, search by name/number as typed, case page, customer search, KPI page, customer
     edit = form + htmx POST with the CSRF token + the page it leads to, archived PDF download),
     then think THINK seconds. 50 users clicking every 2 s on average is ~25 requests/s.
     Keep-alive where the server allows it (sync workers close each connection, so the client opens
     a new one, as nginx does towards gunicorn). The client is CLIENT_PROCESSES processes of
     threads; its CPU time is measured and printed, so it is seen not to starve the server.
  5. The same users, seeds and think times against a bare Flask app (a catch-all route answering
     each request with a body of the same size as the portal's answer to it) under the same
     gunicorn settings: load_vs_bare_ratio = load_p95_ms / bare_load_p95_ms.
  6. worker_rss_mb: the largest resident set any of the portal's workers reached during the load
     (sampled every 2 s).

Environment: BENCH_LOAD_USERS (50), BENCH_LOAD_SECONDS (120), BENCH_LOAD_THINK ("1-3" seconds),
BENCH_LOAD_SINGLE_N (30), BENCH_LOAD_DB (a SQLite file to use instead of bench/dataset.py's).
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import html
import http.client
import json
import multiprocessing
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from bench.common import Emit, percentile  # noqa: E402

USERS = int(os.environ.get("BENCH_LOAD_USERS") or 50)
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS") or 120)
THINK = tuple(float(x) for x in (os.environ.get("BENCH_LOAD_THINK") or "1-3").split("-", 1))
SINGLE_N = int(os.environ.get("BENCH_LOAD_SINGLE_N") or 30)
CLIENT_PROCESSES = 2
ARCHIVED = 40
PASSWORD = "bench-load-pass-1"  # nosec B105 - users of a throwaway copy
TARGET_P95_MS, TARGET_RATIO, TARGET_RSS_MB = 150.0, 2.0, 120.0
GUNICORN = Path(sys.executable).with_name("gunicorn")

# Share of the users per role, about the department's own (the data set has 20 technicians, 4
# clerks, 3 operators, 1 manager), with the office roles doubled: 25 technicians, 12 clerks,
# 8 operators and 5 managers of 50. What each role does (weights):
ROLES = [("technician", 0.50), ("clerk", 0.24), ("operator", 0.16), ("manager", 0.10)]
ACTIONS: dict[str, list[tuple[str, int]]] = {
    "clerk": [("home", 10), ("case_list", 20), ("case_search", 12), ("case_page", 25), ("customer_search", 13),
              ("customer_edit", 10), ("pdf", 10)],
    "operator": [("home", 15), ("case_list", 20), ("case_search", 10), ("customer_search", 30), ("case_page", 25)],
    "technician": [("home", 40), ("case_page", 45), ("pdf", 15)],
    "manager": [("home", 15), ("kpi", 20), ("case_list", 25), ("case_page", 25), ("pdf", 15)],
}
# Request names in the table, in order.
PAGES = [("home_clerk", "home page, clerk"), ("home_operator", "home page, operator"),
         ("home_technician", "home page, technician"), ("home_manager", "home page, manager"),
         ("case_list", "case list, state filter"), ("case_search", "case search as typed"),
         ("case_page", "case page"), ("customer_search", "customer search as typed"), ("kpi", "KPI page"),
         ("customer_form", "customer edit form"), ("customer_post", "customer edit POST"),
         ("customer_page", "customer page after save"), ("pdf", "archived PDF download")]
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}
PARTIAL = {"HX-Request": "true"}
INVALID = "the load run had errors (see load_errors, load_error_examples, server_tracebacks)"


# --- data -------------------------------------------------------------------------------------------

@dataclass
class Samples:
    """What the virtual users pick from (ids and terms that exist in the data)."""
    case_ids: list[int] = field(default_factory=list)
    tech_case_ids: list[int] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)
    case_terms: list[str] = field(default_factory=list)
    customer_terms: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)
    logins: dict[str, str] = field(default_factory=dict)  # role -> username
    counts: dict[str, int] = field(default_factory=dict)


def dataset_source(emit: Emit, workdir: Path) -> Path:
    """bench/dataset.py's cached data set; BENCH_LOAD_DB names another SQLite file."""
    override = os.environ.get("BENCH_LOAD_DB")
    if override:
        emit("load_dataset", f"{override} (BENCH_LOAD_DB)")
        return Path(override)
    try:
        from bench.dataset import ensure_dataset
    except ImportError:
        emit("load_dataset", "demo data only (bench/dataset.py missing): figures NOT representative")
        return _demo_database(workdir)
    path = ensure_dataset()
    emit("load_dataset", f"bench/dataset.py ({Path(path).name})")
    return Path(path)


def _demo_database(workdir: Path) -> Path:
    from portal import create_app
    from portal.demo import load_demo
    from portal.extensions import db

    path = workdir / "demo.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench",
                      "ARCHIVE_DIR": str(workdir / "demo-archive")})
    with app.app_context():
        common.quiet_upgrade()
        load_demo()
        db.session.remove()
        db.engine.dispose()
    return path


def work_copy(source: Path, workdir: Path) -> Path:
    """A private copy: the load writes (customer edits, download log) and must not touch the cache."""
    connection = sqlite3.connect(source)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    target = workdir / "load.sqlite3"
    shutil.copyfile(source, target)
    return target


def prepare(url: str, archive_dir: Path) -> Samples:
    """Bench logins, the samples, and archived PDFs for the downloads, in the work copy."""
    from sqlalchemy import func, select

    from portal import create_app
    from portal.accounts import services as accounts
    from portal.accounts.models import User
    from portal.archive import services as archive
    from portal.archive.models import ArchivedDocument
    from portal.core.pdf import render_pdf
    from portal.core.roles import Role
    from portal.customers.models import Contact, Customer, Equipment
    from portal.extensions import db
    from portal.receipts.models import RepairReceipt
    from portal.receipts.printing import receipt_print_context
    from portal.repairs.models import CaseState, RepairCase

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-load", "ARCHIVE_DIR": str(archive_dir),
                      "SERVER_NAME": "127.0.0.1:5000"})
    rng = random.Random(8)
    samples = Samples()
    with app.app_context():
        common.quiet_upgrade()
        for model, name in ((RepairCase, "cases"), (Customer, "customers"), (Equipment, "units"),
                            (RepairReceipt, "receipts")):
            samples.counts[name] = db.session.scalar(select(func.count(model.id))) or 0

        def user(role: Role) -> User:
            username = f"bench_{role.value}"
            found = accounts.find_by_username(username)
            return found or accounts.user_create(username=username, display_name=f"压测{role.value}", role=role,
                                                 password=PASSWORD)

        for role in (Role.clerk, Role.operator, Role.manager):
            samples.logins[role.value] = user(role).username
        # The technician with the most cases: his home page and his case pages are real work.
        busiest = db.session.execute(select(RepairCase.technician_id, func.count()).where(
            RepairCase.technician_id.is_not(None)).group_by(RepairCase.technician_id)
            .order_by(func.count().desc(), RepairCase.technician_id).limit(1)).first()
        technician = db.session.get(User, busiest[0]) if busiest else user(Role.technician)
        technician.password_hash = accounts.hash_password(PASSWORD)
        technician.active = True
        samples.logins["technician"] = technician.username

        def sample_ids(model, n: int, *where) -> list[int]:
            low, high = db.session.execute(select(func.min(model.id), func.max(model.id)).where(*where)).one()
            if low is None:
                return []
            ids: set[int] = set()
            for _ in range(5):
                wanted = [rng.randint(low, high) for _ in range(n * 2)]
                ids.update(db.session.scalars(select(model.id).where(model.id.in_(wanted), *where)))
                if len(ids) >= n:
                    break
            return sorted(ids)[:n] if len(ids) <= n else rng.sample(sorted(ids), n)

        samples.case_ids = sample_ids(RepairCase, 1000)
        samples.tech_case_ids = list(db.session.scalars(
            select(RepairCase.id).where(RepairCase.technician_id == technician.id)
            .order_by(RepairCase.id.desc()).limit(300)))
        samples.customer_ids = sample_ids(Customer, 1000)
        customers = db.session.scalars(select(Customer).where(Customer.id.in_(samples.customer_ids[:300]))).all()
        names = [c.name for c in customers if c.name]
        phones = [p for p in db.session.scalars(select(Contact.phone).where(
            Contact.customer_id.in_(samples.customer_ids[:300]))) if p and len(p) >= 7]
        serials = [s for s in db.session.scalars(select(Equipment.serial).where(
            Equipment.customer_id.in_(samples.customer_ids[:300]))) if s]
        # As typed into the search boxes: a name, part of a phone number, a serial.
        samples.customer_terms = ([n[:2] for n in names[:100]] + [p[-7:] for p in phones[:100]] + serials[:100])
        numbers = list(db.session.scalars(select(RepairCase.number).where(RepairCase.id.in_(samples.case_ids[:200]))))
        samples.case_terms = [n[-6:] for n in numbers[:100]] + [n[:2] for n in names[:100]]
        samples.states = ["open", "open", "open", "all", CaseState.waiting_dispatch.value, CaseState.dispatched.value,
                          CaseState.on_site.value, CaseState.closed.value]

        # Archived PDFs: one real rendering of a receipt, stored once per receipt as the signing
        # service stores it, for the technician's receipts first (so he may download them).
        receipts = list(db.session.scalars(select(RepairReceipt).join(RepairCase)
                                           .where(RepairCase.technician_id == technician.id)
                                           .order_by(RepairReceipt.id.desc()).limit(ARCHIVED)))
        if len(receipts) < ARCHIVED:
            receipts += list(db.session.scalars(select(RepairReceipt).order_by(RepairReceipt.id.desc())
                                                .limit(ARCHIVED - len(receipts))))
        if receipts:
            with app.test_request_context():
                data = render_pdf("print/repair_receipt.html", **receipt_print_context(receipts[0]))
            for receipt in receipts:
                document = archive.store(data=data, document_type="repair_receipt", document_id=receipt.id,
                                         number=receipt.number, code=archive.new_code(), customer=receipt.case.customer,
                                         technician_id=technician.id, signed_at=None, note="bench")
                samples.document_ids.append(document.id)
        db.session.commit()
        samples.counts["archived"] = db.session.scalar(select(func.count(ArchivedDocument.id))) or 0
        db.session.remove()
        db.engine.dispose()
    return samples


# --- servers ----------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(app_spec: str, env: dict[str, str], log: Path) -> Server:
    port = free_port()
    env = dict(env, HOST="127.0.0.1", PORT=str(port))
    with open(log, "wb") as output:
        process = subprocess.Popen([str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), app_spec],
                                   cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                expected = int(env.get("WEB_CONCURRENCY") or 0)
                while expected and len(server.workers()) < expected and time.monotonic() < deadline:
                    time.sleep(0.1)
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("gunicorn did not answer")


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "BENCH_")) and k != "DATABASE_URL"}
    env.update(extra)
    return env


def bare_app():
    """The comparison: a bare Flask app that answers /bare/<name> with a body of the size the
    portal answered that request with (BENCH_BARE_SIZES, JSON name -> bytes)."""
    from flask import Flask, Response

    sizes = json.loads(os.environ.get("BENCH_BARE_SIZES") or "{}")
    app = Flask("bare")
    bodies = {name: ("<!doctype html><html><body>" + "x" * max(size - 40, 0) + "</body></html>").encode()
              for name, size in sizes.items()}

    @app.route("/healthz")
    def healthz():
        return "ok"

    @app.route("/bare/<name>", methods=["GET", "POST"])
    def bare(name: str):
        if name == "customer_post":
            return Response(b"", headers={"HX-Location": json.dumps({"path": "/bare/customer_page"})})
        mimetype = "application/pdf" if name == "pdf" else "text/html"
        return Response(bodies.get(name, b"x"), mimetype=mimetype)

    return app


# --- client -----------------------------------------------------------------------------------------

class _FormReader(HTMLParser):
    """The fields a browser posts from the page's main form (hidden, text, checked, selected)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.depth = 0
        self.done = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and a.get("method", "").lower() == "post" and not a.get("action"):
            self.depth = 1
            return
        if not self.depth:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields[name] = a.get("value") or ("y" if a.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self.fields[name] = name, ""

    def handle_data(self, data):
        if self.depth and self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth, self.done = 0, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


CSRF_META = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Failed(Exception):
    pass


class Browser:
    """One user's keep-alive connection and cookies."""

    def __init__(self, port: int, record: Callable[[str, int, float, int, str], None]) -> None:
        self.port, self.record = port, record
        self.connection: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        return self.connection

    def request(self, name: str, method: str, path: str, *, headers: dict[str, str] | None = None,
                body: bytes | None = None, expect: int = 200) -> tuple[int, dict[str, str], bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        status, data, response_headers = 0, b"", {}
        error = ""
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                status = response.status
                response_headers = {k.lower(): v for k, v in response.getheaders()}
                for value in response.headers.get_all("Set-Cookie") or []:
                    pair = value.split(";", 1)[0]
                    key, _, cookie = pair.partition("=")
                    self.cookies[key.strip()] = cookie.strip()
                if response.will_close:
                    connection.close()
                    self.connection = None
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as problem:
                # The server closed a kept-alive connection between two requests: open a new one.
                connection.close()
                self.connection = None
                if attempt == 2:
                    error = type(problem).__name__
                else:
                    started = time.perf_counter()
            except (OSError, http.client.HTTPException) as problem:
                connection.close()
                self.connection = None
                error = type(problem).__name__
                break
        elapsed = (time.perf_counter() - started) * 1000
        if not error and status != expect:
            error = f"HTTP {status}"
        self.record(name, status, elapsed, len(data), error)
        if error:
            raise Failed(f"{name} {path}: {error}")
        return status, response_headers, data

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _form(data: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(data).encode()


def login(browser: Browser, username: str) -> None:
    _status, _h, page = browser.request("login_form", "GET", "/login")
    text = page.decode()
    match = CSRF_INPUT.search(text)
    token = (match.group(1) or match.group(2)) if match else ""
    _status, headers, _body = browser.request("login", "POST", "/login", expect=303, body=_form(
        {"csrf_token": html.unescape(token), "username": username, "password": PASSWORD}))
    _status, _h, home = browser.request("login_home", "GET", "/", headers=BOOSTED)
    found = CSRF_META.search(html.unescape(home.decode()))
    if not found:
        raise Failed(f"no CSRF token on the home page of {username}")
    browser.csrf = found.group(1)


@dataclass
class User:
    number: int
    role: str
    seed: int


def _pick(rng: random.Random, role: str) -> str:
    actions = ACTIONS[role]
    return rng.choices([a for a, _w in actions], weights=[w for _a, w in actions])[0]


def perform(browser: Browser, user: User, action: str, rng: random.Random, samples: Samples, bare: bool) -> None:
    """One click of `user`: one request, three for the customer edit (form, POST, page it leads to)."""
    role = user.role
    if bare:
        names = {"home": [f"home_{role}"], "customer_edit": ["customer_form", "customer_post", "customer_page"]}
        for name in names.get(action, [action]):
            browser.request(name, "POST" if name == "customer_post" else "GET", f"/bare/{name}",
                            body=b"x=1" if name == "customer_post" else None)
        return
    if action == "home":
        browser.request(f"home_{role}", "GET", "/", headers=BOOSTED)
    elif action == "case_list":
        browser.request("case_list", "GET", f"/cases/?state={rng.choice(samples.states)}", headers=BOOSTED)
    elif action == "case_search":
        from urllib.parse import quote
        term = rng.choice(samples.case_terms)
        state = rng.choice(("open", "all"))  # the list's state filter stays as the user left it
        browser.request("case_search", "GET", f"/cases/?state={state}&q={quote(term)}", headers=PARTIAL)
    elif action == "case_page":
        ids = samples.tech_case_ids if role == "technician" else samples.case_ids
        browser.request("case_page", "GET", f"/cases/{rng.choice(ids)}", headers=BOOSTED)
    elif action == "customer_search":
        from urllib.parse import quote
        browser.request("customer_search", "GET", f"/customers/?q={quote(rng.choice(samples.customer_terms))}",
                        headers=PARTIAL)
    elif action == "kpi":
        browser.request("kpi", "GET", "/reports/", headers=BOOSTED)
    elif action == "pdf":
        browser.request("pdf", "GET", f"/archive/{rng.choice(samples.document_ids)}.pdf")
    elif action == "customer_edit":
        customer = rng.choice(samples.customer_ids)
        path = f"/customers/{customer}/edit"
        _s, _h, page = browser.request("customer_form", "GET", path, headers=BOOSTED)
        reader = _FormReader()
        reader.feed(page.decode())
        fields = dict(reader.fields)
        fields["notes"] = f"压测回访记录 {datetime.now():%H:%M:%S}"
        _s, headers, _b = browser.request("customer_post", "POST", path, body=_form(fields),
                                          headers={**BOOSTED, "X-CSRFToken": browser.csrf})
        location = json.loads(headers.get("hx-location") or "{}").get("path")
        if not location:
            raise Failed("the customer edit did not lead anywhere (no HX-Location)")
        browser.request("customer_page", "GET", location, headers=BOOSTED)


@dataclass
class Plan:
    port: int
    bare: bool
    users: list[User]
    samples: Samples
    logins: dict[str, str]
    start_at: float
    stop_at: float
    think: tuple[float, float]


def run_users(plan: Plan) -> tuple[list[tuple], float, list[str]]:
    """A client process: one thread per user. Returns (records, CPU seconds used, failures)."""
    records: list[tuple] = []
    failures: list[str] = []
    lock = threading.Lock()
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)

    def user_loop(user: User) -> None:
        rng = random.Random(user.seed)
        measuring = [False]

        def record(name: str, status: int, ms: float, size: int, error: str) -> None:
            if measuring[0]:
                with lock:
                    records.append((name, status, ms, size, error, user.role))

        browser = Browser(plan.port, record)
        try:
            if not plan.bare:
                login(browser, plan.logins[user.role])
        except Failed as problem:
            with lock:
                failures.append(f"login {user.role}: {problem}")
            return
        time.sleep(max(0.0, plan.start_at - time.time()) + rng.uniform(0, plan.think[1]))
        measuring[0] = True
        while time.time() < plan.stop_at:
            action = _pick(rng, user.role)
            try:
                perform(browser, user, action, rng, plan.samples, plan.bare)
            except Failed as problem:
                with lock:
                    failures.append(str(problem))
            time.sleep(rng.uniform(*plan.think))
        browser.close()

    threads = [threading.Thread(target=user_loop, args=(user,)) for user in plan.users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_end = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_end.ru_utime - cpu_start.ru_utime) + (cpu_end.ru_stime - cpu_start.ru_stime)
    return records, cpu, failures


def make_users(count: int) -> list[User]:
    users, n = [], 0
    for role, share in ROLES:
        for _ in range(max(1, round(count * share))):
            users.append(User(n, role, 1000 + n))
            n += 1
    return users[:count] if len(users) > count else users


def login_seconds(users: list[User], *, bare: bool) -> float:
    """Time given to the users to sign in before the measured run starts together."""
    return 0 if bare else 2 + 0.15 * len(users)


def run_load(port: int, *, bare: bool, samples: Samples, users: list[User], seconds: float,
             think: tuple[float, float]) -> tuple[list[tuple], float, float, list[str]]:
    """USERS users against the server on `port` for `seconds`; returns (records, client CPU s, wall s, failures)."""
    start_at = time.time() + login_seconds(users, bare=bare)
    plans = [Plan(port, bare, users[i::CLIENT_PROCESSES], samples, samples.logins, start_at, start_at + seconds,
                  think) for i in range(CLIENT_PROCESSES)]
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(max_workers=CLIENT_PROCESSES, mp_context=context) as pool:
        results = list(pool.map(run_users, plans))
    records = [r for part in results for r in part[0]]
    cpu = sum(part[1] for part in results)
    failures = [f for part in results for f in part[2]]
    return records, cpu, seconds, failures


# --- measuring --------------------------------------------------------------------------------------

def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_cpu(server: Server) -> float:
    """CPU seconds of gunicorn so far: the master, its live workers, and the workers it replaced
    (max_requests) and reaped, whose time the kernel adds to the master's children's time."""
    ticks = 0
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = _stat(server.process.pid)
        ticks += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    for pid in server.workers():
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat(pid)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class MemoryWatch:
    """The largest resident set each worker reaches while the load runs (sampled every 2 s): a
    worker is measured at its fullest, not just after a replacement by max_requests. Sampling
    starts `after` seconds, when the users have signed in: a password check (scrypt) holds 32 MiB
    for its 50 ms, a moment's peak, not what a worker keeps."""

    def __init__(self, server: Server, *, after: float = 0.0) -> None:
        self.server, self.peak, self.pss = server, {}, {}
        self.start_at = time.time() + after
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for pid in self.server.workers():
            rss, pss = memory_mb(pid)
            if rss >= self.peak.get(pid, 0):
                self.peak[pid], self.pss[pid] = rss, pss

    def _run(self) -> None:
        while not self.stopped.wait(2.0):
            if time.time() >= self.start_at:
                self._sample()

    def __enter__(self) -> "MemoryWatch":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()
        self._sample()


def machine_busy() -> tuple[float, float]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MB; PSS shares the pages it shares with the other workers."""
    rss = pss = 0.0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) / 1024
    return rss, pss


def single_user(port: int, samples: Samples, n: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Every page of the mix n times in a row by one user of the right role (after 3 unmeasured).
    Returns the timings and the mean answer size per request name (for the bare app)."""
    timings: dict[str, list[float]] = {}
    sizes: dict[str, list[int]] = {}
    measuring = [False]

    def record(name: str, status: int, ms: float, size: int, error: str) -> None:
        if error:
            raise Failed(f"{name}: {error}")
        sizes.setdefault(name, []).append(size)
        if measuring[0]:
            timings.setdefault(name, []).append(ms)

    rng = random.Random(5)
    plan = [("clerk", ["home", "case_list", "case_search", "case_page", "customer_search", "customer_edit", "pdf"]),
            ("operator", ["home"]), ("technician", ["home"]), ("manager", ["home", "kpi"])]
    for role, actions in plan:
        browser = Browser(port, record)
        login(browser, samples.logins[role])
        user = User(0, role, 0)
        for action in actions:
            measuring[0] = False
            for _ in range(3):
                perform(browser, user, action, rng, samples, False)
            measuring[0] = True
            for _ in range(n):
                perform(browser, user, action, rng, samples, False)
        browser.close()
    return timings, {name: int(statistics.mean(values)) for name, values in sizes.items()}


def _exception_lines(log: str) -> list[str]:
    """The exception line that ends each traceback in a gunicorn log."""
    found = []
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = [line for line in block.splitlines() if line and not line.startswith((" ", "\t", "["))]
        if lines:
            found.append(lines[0][:200])
    return found


def gunicorn_settings() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile((ROOT / "deploy" / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # nosec B102
    return {"workers": namespace["workers"], "threads": namespace.get("threads", 1),
            "worker_class": namespace["worker_class"]}


def run(emit: Emit) -> bool:
    """The whole load bench; False when a figure is invalid (errors, a server that did not start)."""
    started = time.perf_counter()
    emit("load_average", common.load_average())
    settings = gunicorn_settings()
    emit("load_gunicorn", f"{settings['workers']} workers x {settings['threads']} threads ({settings['worker_class']})")
    emit("load_users", USERS)
    emit("load_seconds", f"{SECONDS:.0f}")
    emit("load_think_s", f"{THINK[0]:g}-{THINK[1]:g}")
    with tempfile.TemporaryDirectory(prefix="portal-load-") as tmp:
        workdir = Path(tmp)
        source = dataset_source(emit, workdir)
        copy_started = time.perf_counter()
        database = work_copy(source, workdir)
        emit("load_dataset_mb", f"{database.stat().st_size / 1e6:.0f}")
        url = f"sqlite:///{database}"
        archive_dir = workdir / "archive"
        samples = prepare(url, archive_dir)
        emit("load_prepare_s", f"{time.perf_counter() - copy_started:.1f}")
        emit("load_data", ", ".join(f"{k} {v}" for k, v in samples.counts.items()))
        env = server_env(DATABASE_URL=url, SECRET_KEY="bench-load", PORTAL_ARCHIVE_DIR=str(archive_dir),
                         WEB_CONCURRENCY=str(settings["workers"]))
        server = start_server("app:app", env, workdir / "gunicorn.log")
        try:
            timings, sizes = single_user(server.port, samples, SINGLE_N)
            for name, _label in PAGES:
                if name in timings:
                    emit(f"page_{name}_p50_ms", f"{percentile(timings[name], 50):.1f}")
                    emit(f"page_{name}_p95_ms", f"{percentile(timings[name], 95):.1f}")
            users = make_users(USERS)
            busy_0, cpu_0 = machine_busy(), server_cpu(server)
            with MemoryWatch(server, after=login_seconds(users, bare=False)) as memory:
                records, client_cpu, wall, failures = run_load(server.port, bare=False, samples=samples,
                                                               users=users, seconds=SECONDS, think=THINK)
            busy_1, cpu_1 = machine_busy(), server_cpu(server)
        finally:
            server.stop()
        log_text = server.log.read_text(errors="replace")
        bare_env = server_env(BENCH_BARE_SIZES=json.dumps(sizes), WEB_CONCURRENCY=str(settings["workers"]),
                              PYTHONPATH=str(ROOT))
        bare = start_server("bench.load:bare_app()", bare_env, workdir / "bare.log")
        try:
            bare_cpu_0 = server_cpu(bare)
            bare_records, bare_client_cpu, _wall, bare_failures = run_load(
                bare.port, bare=True, samples=samples, users=users, seconds=SECONDS, think=THINK)
            bare_cpu_1 = server_cpu(bare)
        finally:
            bare.stop()

    errors = [r for r in records if r[4]]
    all_ms = [r[2] for r in records]
    bare_ms = [r[2] for r in bare_records]
    load_p95, bare_p95 = percentile(all_ms, 95), percentile(bare_ms, 95)
    emit("load_requests", len(records))
    emit("load_errors", len(errors) + sum(1 for f in failures if f.startswith("login")))
    emit("load_rps", f"{len(records) / wall:.1f}")
    emit("load_p50_ms", f"{percentile(all_ms, 50):.1f}")
    emit("load_p95_ms", f"{load_p95:.1f}")
    emit("load_p99_ms", f"{percentile(all_ms, 99):.1f}")
    emit("load_max_ms", f"{max(all_ms, default=float('nan')):.1f}")
    pages_ms = [r[2] for r in records if r[0] not in ("pdf", "customer_post")]
    emit("load_page_p95_ms", f"{percentile(pages_ms, 95):.1f}")
    for name, _label in PAGES:
        values = [r[2] for r in records if r[0] == name]
        if values:
            emit(f"load_{name}_p50_ms", f"{percentile(values, 50):.1f}")
            emit(f"load_{name}_p95_ms", f"{percentile(values, 95):.1f}")
            emit(f"load_{name}_requests", len(values))
    emit("bare_load_requests", len(bare_records))
    emit("bare_load_errors", sum(1 for r in bare_records if r[4]))
    emit("bare_load_p50_ms", f"{percentile(bare_ms, 50):.1f}")
    emit("bare_load_p95_ms", f"{bare_p95:.1f}")
    emit("load_vs_bare_ratio", f"{load_p95 / bare_p95:.1f}")
    emit("load_vs_bare_p50_ratio", f"{percentile(all_ms, 50) / percentile(bare_ms, 50):.1f}")
    rss = list(memory.peak.values())
    pss = [memory.pss[pid] for pid in memory.peak]
    emit("worker_rss_mb", f"{max(rss, default=0):.0f}")
    emit("worker_rss_mb_each", " ".join(f"{x:.0f}" for x in rss))
    emit("worker_pss_mb_each", " ".join(f"{x:.0f}" for x in pss))
    emit("workers_seen", len(memory.peak))
    emit("server_cpu_pct", f"{100 * (cpu_1 - cpu_0) / wall:.0f}")
    emit("bare_server_cpu_pct", f"{100 * (bare_cpu_1 - bare_cpu_0) / wall:.0f}")
    emit("client_cpu_pct", f"{100 * client_cpu / wall:.1f}")
    emit("bare_client_cpu_pct", f"{100 * bare_client_cpu / wall:.1f}")
    machine = 100 * (busy_1[0] - busy_0[0]) / max(busy_1[1] - busy_0[1], 1)
    emit("machine_cpu_busy_pct", f"{machine:.0f} % of all {os.cpu_count()} CPUs (other processes included)")
    if errors or failures:
        kinds: dict[str, int] = {}
        for f in failures:
            kinds[f.split(":")[0][:80]] = kinds.get(f.split(":")[0][:80], 0) + 1
        emit("load_error_examples", "; ".join(f"{k} x{v}" for k, v in list(kinds.items())[:8]))
    tracebacks = log_text.count("Traceback")
    emit("server_tracebacks", tracebacks)
    if tracebacks:
        emit("server_error_examples", "; ".join(sorted(set(_exception_lines(log_text)))[:5]))
    emit("load_bench_seconds", f"{time.perf_counter() - started:.0f}")
    return not errors and not failures and not bare_failures and tracebacks == 0


# --- report -----------------------------------------------------------------------------------------

def summary(values: dict[str, str]) -> list[str]:
    def number(name: str) -> float | None:
        try:
            return float(values[name].split()[0])
        except (KeyError, ValueError, IndexError):
            return None

    def cell(prefix: str, name: str) -> str:
        p50, p95 = number(f"{prefix}{name}_p50_ms"), number(f"{prefix}{name}_p95_ms")
        return "-" if p50 is None else f"{p50:7.1f} / {p95:7.1f}"

    rows = [f"load: {values.get('load_users')} users for {values.get('load_seconds')} s, think "
            f"{values.get('load_think_s')} s, gunicorn {values.get('load_gunicorn')}; data: {values.get('load_data')}",
            "",
            f"{'request (ms)':<28}{'single user p50 / p95':<24}{'under load p50 / p95':<24}{'requests':>9}",
            "-" * 85]
    for name, label in PAGES:
        count = values.get(f"load_{name}_requests", "-")
        rows.append(f"{label:<28}{cell('page_', name):<24}{cell('load_', name):<24}{count:>9}")
    rows.append("-" * 85)

    def verdict(good: bool) -> str:
        return "ok" if good else "MISSED"

    p95, ratio, rss = number("load_p95_ms"), number("load_vs_bare_ratio"), number("worker_rss_mb")
    errors = number("load_errors")
    rows += [
        f"all requests under load: p50 {values.get('load_p50_ms')} ms, p95 {values.get('load_p95_ms')} ms, "
        f"{values.get('load_requests')} requests ({values.get('load_rps')}/s), {values.get('load_errors')} errors",
        f"bare Flask route, same load and sizes: p50 {values.get('bare_load_p50_ms')} ms, p95 "
        f"{values.get('bare_load_p95_ms')} ms; ratio p95 {values.get('load_vs_bare_ratio')}x, "
        f"p50 {values.get('load_vs_bare_p50_ratio')}x",
        f"CPU: gunicorn {values.get('server_cpu_pct')} % of one core, load client "
        f"{values.get('client_cpu_pct')} %, machine busy {values.get('machine_cpu_busy_pct')}",
        f"worker RSS at its largest {values.get('worker_rss_mb_each')} MB (PSS {values.get('worker_pss_mb_each')} MB)",
        "slowest pages for a single user (p50): " + ", ".join(
            f"{label} {p50:.0f} ms" for p50, label in sorted(
                ((number(f"page_{name}_p50_ms"), label) for name, label in PAGES
                 if number(f"page_{name}_p50_ms") is not None), reverse=True)[:3]),
        "targets: "
        f"errors 0: {verdict(errors == 0)}; p95 <= {TARGET_P95_MS:.0f} ms: {verdict(p95 is not None and p95 <= TARGET_P95_MS)}; "
        f"<= {TARGET_RATIO:.0f}x bare: {verdict(ratio is not None and ratio <= TARGET_RATIO)}; "
        f"worker RSS <= {TARGET_RSS_MB:.0f} MB: {verdict(rss is not None and rss <= TARGET_RSS_MB)}",
    ]
    return rows


def machine_header() -> str:
    memory = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    import gunicorn

    return common.header("load", [common.cpu_model("unknown CPU"), f"{os.cpu_count()} cores", f"RAM {memory}",
                                  f"{platform.system()} {platform.release()} {platform.machine()}",
                                  f"python {platform.python_version()}", f"sqlite {sqlite3.sqlite_version}",
                                  f"gunicorn {gunicorn.__version__}"])


def code_version() -> str:
    return common.code_version("portal", "templates", "deploy", "migrations", count=True)


def main() -> int:
    return 0 if common.run_section("load", sys.modules[__name__]) else 1


if __name__ == "__main__":
    sys.exit(main())
