"""Full page vs fragment, Vary, HX-Location after POST, the validation status, flash OOB."""
from portal.core.roles import Role


def test_full_page_fragment_and_boosted(client, login_as):
    login_as(Role.admin)
    full = client.get("/admin/users")
    fragment = client.get("/admin/users", headers={"HX-Request": "true"})
    boosted = client.get("/admin/users", headers={"HX-Request": "true", "HX-Boosted": "true"})
    restore = client.get("/admin/users", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in full.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True) and 'id="users-table"' in fragment.get_data(as_text=True)
    assert "<html" in boosted.get_data(as_text=True)
    assert "<html" in restore.get_data(as_text=True)
    for response in (full, fragment, boosted):
        assert "HX-Request" in response.headers["Vary"]


def test_post_success_is_200_with_hx_location_for_htmx_and_303_otherwise(client, login_as, make_user):
    login_as(Role.admin)
    other = make_user(Role.clerk, "wang")
    plain = client.post(f"/admin/users/{other}/active")
    assert plain.status_code == 303
    htmx = client.post(f"/admin/users/{other}/active", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "HX-Location" in htmx.headers and "Location" not in htmx.headers


def test_validation_errors_use_422_everywhere(client, login_as):
    login_as(Role.admin)
    assert client.post("/admin/users/new", data={}).status_code == 422
    assert client.post("/admin/users/new", data={}, headers={"HX-Request": "true", "HX-Boosted": "true"}).status_code == 422


def test_flash_arrives_out_of_band_on_fragments(app, client, login_as):
    from flask import flash

    from portal.core import htmx
    from portal.core.access import staff

    @staff
    def ping():
        flash("已保存", "success")
        return htmx.render("errors/error.html", "layout/_flash.html", messages=[], status=200)
    app.add_url_rule("/ping", "ping", ping)
    login_as(Role.clerk)
    body = client.get("/ping", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-swap-oob="true"' in body and "已保存" in body


def test_base_page_has_csrf_hx_headers_on_main_and_vendored_htmx(client, login_as):
    login_as(Role.clerk)
    html = client.get("/").get_data(as_text=True)
    assert '<main id="main"' in html and "hx-headers='{&#34;X-CSRFToken&#34;" in html or 'hx-headers=\'{"X-CSRFToken"' in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    static = client.get("/static/vendor/htmx/htmx.min.js")
    assert static.status_code == 200
    static.close()


def test_vendored_files_are_the_pinned_versions():
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent / "static/vendor"
    assert 'version:"2.0.11"' in (root / "htmx/htmx.min.js").read_text()
    assert (root / "htmx/LICENSE").exists() and (root / "signature_pad/LICENSE").exists()
    assert "5.1.4" in (root / "signature_pad/signature_pad.umd.min.js").read_text()[:300]
