from sqlalchemy import func, select

from portal.parts import services
from portal.parts.demo import load_parts_demo
from portal.parts.models import FeeItem, Part, PriceChange, StockMovement


def test_demo_schedule_is_realistic_and_loaded_once(db):
    load_parts_demo()
    load_parts_demo()
    db.commit()
    parts, fees = services.schedule()
    assert len(parts) >= 25 and len(fees) == 4
    assert {p.unit for p in parts} >= {"个", "套", "米", "块"}
    assert min(p.unit_price for p in parts) >= 5 and max(p.unit_price for p in parts) <= 1800
    assert [f.name for f in fees if f.is_visit_fee] == ["上门服务费"]
    assert any(services.stock_state(p) == "low" for p in parts) and any(services.stock_state(p) == "out" for p in parts)
    assert db.scalar(select(func.count(PriceChange.id))) == len(parts) + len(fees)
    assert db.scalar(select(func.count(StockMovement.id))) == sum(1 for p in parts if p.stock_qty)
    assert db.scalar(select(func.count(Part.id))) == len(parts) and db.scalar(select(func.count(FeeItem.id))) == 4
