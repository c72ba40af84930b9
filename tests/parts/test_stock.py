import pytest
from sqlalchemy import func, select

from portal.core.errors import ValidationFailed
from portal.core.roles import Role
from portal.extensions import db
from portal.parts import services
from portal.parts.models import MovementKind, Part, StockMovement
from tests.parts import helpers

EN = {"Accept-Language": "en"}


def _movements(app, part_id):
    with app.app_context():
        return [(m.kind, m.quantity, m.balance_after) for m in db.session.scalars(
            select(StockMovement).where(StockMovement.part_id == part_id).order_by(StockMovement.id))]


def test_keeper_receives_stock(app, client, login_as):
    with app.app_context():
        part_id = helpers.part("电磁阀", stock=3).id
        helpers.commit()
    keeper = login_as(Role.warehouse)
    response = client.post(f"/parts/stock/{part_id}/receive", data={"receive-quantity": "12", "receive-note": "供应商送货"})
    assert response.status_code == 303
    assert _movements(app, part_id) == [(MovementKind.received, 3, 3), (MovementKind.received, 12, 15)]
    with app.app_context():
        assert db.session.get(Part, part_id).stock_qty == 15
        last = db.session.scalar(select(StockMovement).order_by(StockMovement.id.desc()))
        assert last.by_id == keeper and last.note == "供应商送货"
    page = client.get(f"/parts/stock/{part_id}", headers=EN).get_data(as_text=True)
    assert "+12" in page and "供应商送货" in page


def test_stock_count_sets_the_balance_and_needs_a_note(app, client, login_as):
    with app.app_context():
        part_id = helpers.part("点火针", stock=20).id
        helpers.commit()
    login_as(Role.manager)
    missing = client.post(f"/parts/stock/{part_id}/count", data={"count-counted": "17", "count-note": ""}, headers=EN)
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "Say what was counted and why." in html and 'value="17"' in html
    ok = client.post(f"/parts/stock/{part_id}/count", data={"count-counted": "17", "count-note": "月末盘点 少 3 个"})
    assert ok.status_code == 303
    assert _movements(app, part_id)[-1] == (MovementKind.adjusted, -3, 17)


@pytest.mark.parametrize("value, message", [("-5", "Negative quantities are not allowed."),
                                            ("1.5", "Whole numbers only."), ("0", "At least 1."),
                                            ("", "Enter a quantity."), ("abc", "Enter a whole number.")])
def test_bad_receive_quantity_is_refused_at_the_field(app, client, login_as, value, message):
    with app.app_context():
        part_id = helpers.part("炉芯", stock=4).id
        helpers.commit()
    login_as(Role.warehouse)
    response = client.post(f"/parts/stock/{part_id}/receive", data={"receive-quantity": value, "receive-note": "送货单 88"},
                           headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and 'value="送货单 88"' in html
    assert len(_movements(app, part_id)) == 1


def test_stock_count_cannot_go_negative(app, client, login_as):
    with app.app_context():
        part_id = helpers.part("炉芯", stock=4).id
        helpers.commit()
    login_as(Role.warehouse)
    response = client.post(f"/parts/stock/{part_id}/count", data={"count-counted": "-1", "count-note": "x"}, headers=EN)
    assert response.status_code == 422 and "Negative quantities are not allowed." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Part, part_id).stock_qty == 4
        with pytest.raises(ValidationFailed):
            services.adjust_stock(part=db.session.get(Part, part_id), counted=-1, note="x", actor=None)


def test_stock_page_highlights_low_and_empty_parts(app, client, login_as):
    with app.app_context():
        helpers.part("保险丝", stock=0, reorder=30)
        helpers.part("显示面板", stock=1, reorder=2)
        helpers.part("耐火砖", stock=120, reorder=40)
        helpers.commit()
    login_as(Role.warehouse)
    html = client.get("/parts/stock", headers=EN).get_data(as_text=True)
    assert html.count("stock-out") == 1 and html.count("stock-low") == 1 and "Low stock" in html
    low = client.get("/parts/stock?low=1", headers=EN).get_data(as_text=True)
    assert "保险丝" in low and "显示面板" in low and "耐火砖" not in low


@pytest.mark.parametrize("role", [Role.technician, Role.operator, Role.clerk])
def test_only_keepers_and_manager_handle_stock(app, client, login_as, role):
    with app.app_context():
        part_id = helpers.part("炉芯", stock=4).id
        helpers.commit()
    login_as(role)
    assert client.get("/parts/stock").status_code == 403
    assert client.post(f"/parts/stock/{part_id}/receive", data={"receive-quantity": "1"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(StockMovement.id))) == 1
