from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.extensions import db
from portal.parts import services
from portal.parts.models import FeeItem, Part, PriceChange
from tests.parts import helpers

EN = {"Accept-Language": "en"}


def _part_form(prefix: str = "part-", **changes):
    data = {"code": "dh-001", "name": "点火针", "spec": "陶瓷 长 80 mm", "unit": "个", "unit_price": "12.50",
            "reorder_level": "5"}
    data.update(changes)
    return {f"{prefix}{k}": v for k, v in data.items()}


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_manager_adds_a_part_and_a_fee_item(app, client, login_as):
    login_as(Role.manager)
    assert client.post("/parts/schedule/parts/new", data=_part_form()).status_code == 303
    fee = {"fee-code": "FW-001", "fee-name": "上门服务费", "fee-unit": "次", "fee-unit_price": "50",
           "fee-is_visit_fee": "y"}
    assert client.post("/parts/schedule/fees/new", data=fee).status_code == 303
    with app.app_context():
        part = db.session.scalar(select(Part))
        assert (part.code, part.unit_price, part.reorder_level, part.stock_qty, part.active) == (
            "DH-001", Decimal("12.50"), 5, 0, True)
        item = db.session.scalar(select(FeeItem))
        assert item.is_visit_fee and item.unit_price == Decimal("50.00")
        # the first price is history too, so the schedule knows from when it is in force
        assert db.session.scalar(select(func.count(PriceChange.id))) == 2
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.entity_type == "part")) == "part.created"
    html = client.get("/parts/schedule", headers=EN).get_data(as_text=True)
    assert "点火针" in html and "¥12.50" in html and "上门服务费" in html and "/parts/schedule/parts/" in html


@pytest.mark.parametrize("role", [Role.operator, Role.clerk, Role.technician, Role.warehouse])
def test_only_the_manager_maintains_the_schedule_but_staff_read_it(app, client, login_as, role):
    with app.app_context():
        part = helpers.part("点火针", price="12.00")
        helpers.commit()
        part_id = part.id
    login_as(role)
    page = client.get("/parts/schedule", headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "点火针" in html and "¥12.00" in html
    assert "Add a part" not in html and f"/parts/schedule/parts/{part_id}" not in html
    assert client.post("/parts/schedule/parts/new", data=_part_form(code="X-1")).status_code == 403
    assert client.post(f"/parts/schedule/parts/{part_id}", data=_part_form("", unit_price="1")).status_code == 403
    assert client.get(f"/parts/schedule/parts/{part_id}").status_code == 403
    assert _count(app, Part) == 1


def test_price_change_keeps_history_and_audit(app, client, login_as):
    manager_id = login_as(Role.manager)
    with app.app_context():
        part = helpers.part("电磁阀", price="158.00", code="FM-001")
        helpers.commit()
        part_id = part.id
    data = _part_form("", code="FM-001", name="电磁阀", unit_price="168.00", active="y", version="1")
    assert client.post(f"/parts/schedule/parts/{part_id}", data=data).status_code == 303
    with app.app_context():
        part = db.session.get(Part, part_id)
        assert part.unit_price == Decimal("168.00")
        history = db.session.scalars(select(PriceChange).where(PriceChange.part_id == part_id)
                                     .order_by(PriceChange.id)).all()
        assert [(h.old_price, h.new_price) for h in history] == [(None, Decimal("158.00")),
                                                                 (Decimal("158.00"), Decimal("168.00"))]
        assert history[-1].by_id == manager_id and history[-1].at is not None
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "part.updated"))
        assert entry.changes["unit_price"] == ["158.00", "168.00"] and "¥158.00" in entry.note
    page = client.get(f"/parts/schedule/parts/{part_id}", headers=EN).get_data(as_text=True)
    assert "Price history" in page and "¥158.00" in page and "¥168.00" in page


def test_an_edit_without_a_new_price_writes_no_price_change(app, client, login_as):
    login_as(Role.manager)
    with app.app_context():
        part_id = helpers.part("炉头", price="320.00", code="LT-001").id
        helpers.commit()
    data = _part_form("", code="LT-001", name="炉头 猛火", unit_price="320", active="y", version="1")
    assert client.post(f"/parts/schedule/parts/{part_id}", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(PriceChange.id))) == 1
        assert db.session.get(Part, part_id).name == "炉头 猛火"


def test_deactivated_part_leaves_the_schedule_but_not_the_manager_list(app, client, login_as):
    login_as(Role.manager)
    with app.app_context():
        part_id = helpers.part("保险丝", price="5.00", code="DQ-007").id
        helpers.commit()
    data = _part_form("", code="DQ-007", name="保险丝", unit_price="5.00", version="1")  # active unticked
    assert client.post(f"/parts/schedule/parts/{part_id}", data=data).status_code == 303
    with app.app_context():
        assert db.session.get(Part, part_id).active is False
        assert services.schedule()[0] == []
    assert "保险丝" in client.get("/parts/schedule").get_data(as_text=True)
    login_as(Role.technician)
    assert "保险丝" not in client.get("/parts/schedule").get_data(as_text=True)


@pytest.mark.parametrize("changes, message", [
    ({"unit_price": "-1"}, "The price must be between 0 and 99999999.99."),
    ({"unit_price": "12.345"}, "At most two decimal places (fen)."),
    ({"unit_price": "abc"}, "Enter the price, e.g. 12.50."),
    ({"reorder_level": "1.5"}, "Whole numbers only."),
    ({"reorder_level": "-3"}, "Negative quantities are not allowed."),
    ({"code": "点火"}, "Letters, digits and - . / _ only, at most 30."),
    ({"name": ""}, "Enter a name."),
])
def test_bad_schedule_input_is_refused_and_kept(app, client, login_as, changes, message):
    login_as(Role.manager)
    response = client.post("/parts/schedule/parts/new", data=_part_form(**changes, spec="保留的规格"), headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and 'value="保留的规格"' in html
    assert _count(app, Part) == 0 and _count(app, PriceChange) == 0


def test_duplicate_code_and_second_visit_fee_are_refused(app, client, login_as):
    with app.app_context():
        helpers.part("点火针", code="DH-001")
        helpers.fee("上门服务费", visit=True)
        helpers.commit()
    login_as(Role.manager)
    dup = client.post("/parts/schedule/parts/new", data=_part_form(code=" dh-001 "), headers=EN)
    assert dup.status_code == 422 and "Code DH-001 is already used by 点火针." in dup.get_data(as_text=True)
    fee = {"fee-code": "FW-009", "fee-name": "夜间上门费", "fee-unit": "次", "fee-unit_price": "80",
           "fee-is_visit_fee": "y"}
    second = client.post("/parts/schedule/fees/new", data=fee, headers=EN)
    assert second.status_code == 422 and "上门服务费 is already the visit fee" in second.get_data(as_text=True)
    assert _count(app, Part) == 1 and _count(app, FeeItem) == 1


def test_stale_edit_is_a_conflict(app, client, login_as):
    login_as(Role.manager)
    with app.app_context():
        part_id = helpers.part("温控器", price="55.00", code="DQ-004").id
        helpers.commit()
    first = _part_form("", code="DQ-004", name="温控器", unit_price="60.00", active="y", version="1")
    assert client.post(f"/parts/schedule/parts/{part_id}", data=first).status_code == 303
    stale = client.post(f"/parts/schedule/parts/{part_id}", data={**first, "unit_price": "58.00"}, headers=EN)
    assert stale.status_code == 409 and 'value="58.00"' in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Part, part_id).unit_price == Decimal("60.00")
        assert db.session.scalar(select(func.count(PriceChange.id))) == 2


def test_stock_movements_do_not_turn_a_price_edit_into_a_conflict(app, client, login_as):
    login_as(Role.manager)
    with app.app_context():
        part = helpers.part("密封圈", price="6.00", code="MF-001", stock=5)
        services.receive_stock(part=part, quantity=10, note="", actor=None)
        helpers.commit()
        part_id, version = part.id, part.version
    data = _part_form("", code="MF-001", name="密封圈", unit_price="7.00", active="y", version=str(version))
    assert client.post(f"/parts/schedule/parts/{part_id}", data=data).status_code == 303
