"""The home page per role (core/home.py panels) and the grouped top bar (core/nav.py)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from portal.core import nav
from portal.core.roles import Role
from portal.core.timeutil import travel
from portal.extensions import db
from tests.dispatch import helpers as dispatch_helpers
from tests.receipts import helpers as receipt_helpers
from tests.repairs import helpers as repair_helpers

EN = {"Accept-Language": "en"}


def panels(html: str) -> list[str]:
    return re.findall(r'id="panel-([a-z_]+)"', html)


def test_each_role_gets_its_panels(client, login_as):
    expected = {
        Role.operator: ["calls_today"],
        Role.clerk: ["to_dispatch", "followups", "overdue", "kiosks", "complaints"],
        Role.technician: ["jobs_today", "my_collections"],
        Role.warehouse: ["requisitions", "low_stock"],
        Role.manager: ["kpis", "overdue", "complaints"],
    }
    for role, names in expected.items():
        login_as(role)
        html = client.get("/", headers=EN).get_data(as_text=True)
        for name in names:
            assert name in panels(html), (role, name)


def test_admin_without_panels_gets_the_tiles(client, login_as):
    login_as(Role.admin)
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert panels(html) == []
    assert 'class="tile"' in html and "/admin/users" in html


def test_operator_sees_todays_calls(app, client, login_as):
    operator = login_as(Role.operator)
    with app.app_context():
        mine = repair_helpers.new_case(actor=repair_helpers.user(operator), symptom="炉头红火")
        repair_helpers.case_in(repair_helpers.CaseState.phone_guided)
        db.session.commit()
        number = mine.number
    html = client.get("/", headers=EN).get_data(as_text=True)
    assert number in html and "炉头红火" in html
    assert re.search(r"<strong>2</strong> calls", html)
    assert re.search(r"<strong>1</strong> taken by you", html)
    assert re.search(r"<strong>1</strong> solved by phone", html)
    assert re.search(r"<strong>1</strong> not yet handled", html)


def test_clerk_sees_cases_to_dispatch(app, client, login_as):
    login_as(Role.clerk)
    with app.app_context():
        number = dispatch_helpers.waiting_case().number
        db.session.commit()
    html = client.get("/", headers=EN).get_data(as_text=True)
    section = html.split('id="panel-to_dispatch"', 1)[1].split("</section>", 1)[0]
    assert number in section and "To dispatch" in section


def test_technician_sees_only_todays_jobs(app, client, login_as):
    tech = login_as(Role.technician)
    # Mid-morning local time, so "an hour from now" is still today whenever the suite runs.
    with travel(datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)), app.app_context():
        today, _ = dispatch_helpers.dispatched_case(tech)
        later = dispatch_helpers.waiting_case()
        dispatch_helpers.dispatched(later, tech, hours=24 * 3, late_reason="客户出差", customer_agreed=True)
        db.session.commit()
        today_id, later_id = today.id, later.id
    with travel(datetime(2026, 11, 20, 2, 5, tzinfo=timezone.utc)):
        html = client.get("/", headers=EN).get_data(as_text=True)
    section = html.split('id="panel-jobs_today"', 1)[1].split("</section>", 1)[0]
    assert section.count("hp-job") == 1
    assert f"/{today_id}" in section and f"/{later_id}\"" not in section
    assert "1 later" in section


def test_keeper_sees_low_stock(app, client, login_as):
    login_as(Role.warehouse)
    with app.app_context():
        part = receipt_helpers.part("密封圈")
        part.stock_qty, part.reorder_level = 2, 5
        db.session.commit()
    html = client.get("/", headers=EN).get_data(as_text=True)
    section = html.split('id="panel-low_stock"', 1)[1].split("</section>", 1)[0]
    assert "密封圈" in section and "2 left" in section


def test_menus_gather_a_managers_pages_and_single_entries_stay_links(app):
    with app.test_request_context(headers=EN):
        layout = nav.layout_for(Role.manager)
        menus = {entry.key: entry.endpoints for entry in layout if isinstance(entry, nav.Menu)}
        assert "repairs.index" in menus["repairs"] and "dispatch.queue" in menus["repairs"]
        assert len(layout) <= 8
        # A warehouse keeper has one returns page: it stays a plain link.
        keeper = nav.layout_for(Role.warehouse)
        assert any(isinstance(e, nav.NavItem) and e.endpoint == "returns.index" for e in keeper)
        # Every page a role may open is still reachable from the bar.
        for role in Role:
            flat = {item.endpoint for item in nav.for_role(role)}
            reachable = set()
            for entry in nav.layout_for(role):
                reachable |= set(entry.endpoints) if isinstance(entry, nav.Menu) else {entry.endpoint}
            assert flat == reachable, role


def test_current_page_marks_its_menu(client, login_as):
    login_as(Role.manager)
    html = client.get("/dispatch/", headers=EN).get_data(as_text=True)
    assert re.search(r'<summary class="current">Repairs</summary>', html)
