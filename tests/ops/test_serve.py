"""`make serve`: gunicorn with deploy/gunicorn.conf.py, started as a real process on a free port."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.ops.helpers import ROOT, environment, free_port

GUNICORN = Path(sys.executable).with_name("gunicorn")


def _get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_until_up(process: subprocess.Popen, url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}")
        try:
            _get(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer in time")


@pytest.fixture
def served_database(database_url, tmp_path):
    """SQLite: a new file upgraded by `flask db upgrade` as `make serve` does; PostgreSQL: the
    suite's database (already upgraded), to show the same command works unchanged on it."""
    if database_url.startswith("postgresql"):
        return database_url
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    env = environment(DATABASE_URL=url, SECRET_KEY="serve-test", PORTAL_ARCHIVE_DIR=str(tmp_path / "archive"))
    subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "app", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    return url


def test_gunicorn_serves_the_login_page_and_the_health_check(served_database, tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = environment(DATABASE_URL=served_database, SECRET_KEY="serve-test", HOST="127.0.0.1", PORT=str(port),
                      WEB_CONCURRENCY="2", PORTAL_ARCHIVE_DIR=str(tmp_path / "archive"))
    with open(log, "wb") as output:
        process = subprocess.Popen([str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "app:app"], cwd=ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, f"{base}/healthz", time.monotonic() + 60)
        status, body = _get(f"{base}/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok", "database": "ok"}
        status, body = _get(f"{base}/login")
        assert status == 200 and 'name="password"' in body and 'name="csrf_token"' in body
        status, _body = _get(f"{base}/cases/")
        assert status == 200  # the login page again, after the redirect: nothing is shown to strangers
        request = urllib.request.Request(f"{base}/login", data=b"username=a&password=b", method="POST")
        try:
            urllib.request.urlopen(request, timeout=5)
            raise AssertionError("a POST without a CSRF token was accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 400  # CSRF is on in production
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    text = log.read_text()
    assert process.returncode == 0, text[-3000:]
    assert text.count("Booting worker with pid") == 2 and "Using worker: sync" in text
    assert "Traceback" not in text, text[-3000:]
