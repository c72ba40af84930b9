import os
import stat

from portal import config as portal_config
from portal import create_app
from tests.conftest import base_config


def test_config_mapping_wins(app):
    assert app.config["TESTING"] is True
    assert app.config["SECRET_KEY"] == "test-secret"


def test_environment_prefix_and_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/portal")
    monkeypatch.setenv("PORTAL_MAX_CONTENT_LENGTH", "1234")
    monkeypatch.setenv("PORTAL_COMPANY_MOTTO", "信息准确")
    found = portal_config.from_environment(os.environ)
    assert found["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/portal"
    assert found["MAX_CONTENT_LENGTH"] == 1234
    assert found["COMPANY_MOTTO"] == "信息准确"


def test_secret_key_generated_once_with_private_mode(tmp_path):
    first = portal_config.instance_secret_key(tmp_path)
    second = portal_config.instance_secret_key(tmp_path)
    assert first == second and len(first) == 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_archive_folder_created(app, app_config):
    assert os.path.isdir(app.config["ARCHIVE_DIR"])


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(tmp_path):
    broken = create_app(base_config(f"sqlite:///{tmp_path}/missing/dir/portal.sqlite3"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_secret_key_race_gives_every_worker_the_same_key(tmp_path):
    import threading
    keys = []
    threads = [threading.Thread(target=lambda: keys.append(portal_config.instance_secret_key(tmp_path)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]


def test_proxy_fix_takes_the_client_address_from_the_proxy(database_url):
    app = create_app(base_config(database_url, PROXY_FIX=1))

    @app.get("/addr")
    def addr():
        from flask import request
        return request.remote_addr or ""
    addr.portal_access = "public"
    response = app.test_client().get("/addr", headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.get_data(as_text=True) == "198.51.100.7"
