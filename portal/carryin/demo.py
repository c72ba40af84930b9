"""Demo data for the carryin family (issue 6 point 7), made through the family's own services.

Walk-in customers bring units to the counter over the last three weeks; each goes as far as its
scenario says: a draft at the counter, a cancelled draft, taken in (two of them long enough ago to
be highlighted on the register), on the bench, repaired, sent back by the inspection, inspected and
waiting for the customer, and handed back (receipt signed, goods receipt void). Deterministic
(seeded) and quick. Never commits: the caller does.
"""
from __future__ import annotations

import json
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.carryin import services
from portal.carryin.models import GoodsReceipt, GoodsState
from portal.core.signatures import drawn_signature
from portal.core.timeutil import as_local, travel, utcnow
from portal.customers.models import Customer, CustomerStatus, Equipment
from portal.extensions import db
from portal.repairs.models import Channel
from portal.repairs.services import case_register

G = GoodsState
# (final state, days ago taken in, what the customer says)
SCENARIOS = [
    (G.draft, 0, "灶具熄火保护失灵，拿来店里修"),
    (G.cancelled, 2, "电磁炉偶尔不加热"),
    (G.taken_in, 1, "点火后火焰发黄，有异味"),
    (G.taken_in, 12, "旋钮断裂，无法调节火力"),
    (G.in_repair, 4, "开机无反应，指示灯不亮"),
    (G.in_repair, 15, "面板裂纹，使用中有异响"),
    (G.repaired, 3, "打火针打不着火"),
    (G.in_repair, 6, "风机噪音大"),       # sent back by the inspection
    (G.inspected, 5, "显示屏乱码"),
    (G.returned, 9, "熄火后仍有燃气味"),
    (G.returned, 18, "点火器无反应"),
]
ACCESSORIES = ["电源线1根", "锅架2个、电源线1根", "遥控器1个", "", "说明书1本、锅架1个"]
SHELVES = ["A-01", "A-02", "A-03", "B-01", "B-02", "C-05"]
WORK = ["拆机检查，清理燃烧器", "更换点火针并调试", "更换熄火保护装置", "检测主板，重新焊接", "试机2小时，观察正常"]


def _signature(rng: random.Random) -> Any:
    from portal.receipts.demo import signature_scribble
    png, strokes = signature_scribble(rng)
    import base64
    return drawn_signature("data:image/png;base64," + base64.b64encode(png).decode(), json.dumps(strokes))


def _sign(rng: random.Random, staff: Any, signer: str, **extra: Any) -> dict[str, Any]:
    from portal.archive.services import verification_url
    return {"signer_name": signer, "comment": "", "image": _signature(rng), "address": "192.168.1.31",
            "user_agent": "Mozilla/5.0 (Linux; Android 13; SM-X200) demo", "device": "staff tablet",
            "staff": staff, "verify_url": verification_url, **extra}


def load_carryin_demo(*, seed: int = 2026, base_url: str = "http://127.0.0.1:5000") -> int:
    """Create the workshop demo when there is none yet; returns how many goods receipts were made."""
    if db.session.scalar(select(func.count(GoodsReceipt.id))):
        return 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    techs = [u for name in ("tech", "tech2") if (u := users.get(name)) is not None]
    clerk, manager = users.get("clerk"), users.get("manager")
    units = list(db.session.scalars(select(Equipment).join(Customer, Customer.id == Equipment.customer_id)
                                    .where(Customer.status == CustomerStatus.active).order_by(Equipment.id).limit(400)))
    if not techs or clerk is None or manager is None or len(units) < len(SCENARIOS):
        return 0
    rng = random.Random(seed)  # nosec B311  # demo data: a seeded, repeatable pick, nothing secret
    chosen = rng.sample(units, len(SCENARIOS))
    made = 0
    with current_app.test_request_context("/", base_url=base_url):
        for index, ((final, days, symptom), unit) in enumerate(zip(SCENARIOS, chosen)):
            _scenario(index, final, days, symptom, unit, tech=techs[index % len(techs)], clerk=clerk,
                      manager=manager, rng=rng)
            made += 1
    return made


def _scenario(index: int, final: GoodsState, days: int, symptom: str, unit: Equipment, *, tech: User, clerk: User,
              manager: User, rng: random.Random) -> None:
    local = as_local(utcnow()).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=days)
    start = local + timedelta(minutes=rng.randint(0, 360))
    if days == 0:
        start = utcnow() - timedelta(minutes=20)
    customer = unit.customer
    contact = customer.contacts[0] if customer.contacts else None
    with travel(start):
        case = case_register(customer=customer, equipment=unit, channel=Channel.visit,
                             caller_name=contact.name if contact else customer.name,
                             caller_phone=contact.phone if contact else "13800000000", symptom=symptom, actor=clerk)
        goods = services.goods_open(case=case, actor=clerk, technician_id=tech.id)
        answers = {item.id: [("issue", "外壳轻微划痕") if i == 0 and rng.random() < 0.4 else ("ok", "")
                             for i, _c in enumerate(item.checks)] for item in goods.items}
        services.goods_save(goods=goods, values={"technician_id": tech.id, "accessories": rng.choice(ACCESSORIES),
                                                 "condition_note": "", "shelf": ""},
                            answers=answers, expected_version=goods.version, actor=clerk)
        if final is G.draft:
            return
        if final is G.cancelled:
            services.goods_cancel(goods=goods, reason="客户决定暂不维修，带回", actor=clerk)
            return
        signer = contact.name if contact else customer.name
        services.goods_take_in(goods=goods, **_sign(rng, clerk, signer))
        services.goods_set_shelf(goods=goods, shelf=SHELVES[index % len(SHELVES)], actor=clerk)
    if final is G.taken_in:
        return
    bench = start + timedelta(hours=rng.randint(2, 20))
    with travel(bench):
        services.goods_start_repair(goods=goods, actor=tech)
        services.labour_add(goods=goods, worked_on=as_local(bench).date(), hours=rng.choice(["1", "1.5", "2"]),
                            work=rng.choice(WORK), actor=tech)
    if final is G.in_repair and index % 2 == 0:
        return
    done = bench + timedelta(hours=rng.randint(3, 30))
    with travel(done):
        services.goods_mark_repaired(goods=goods, actor=tech)
    if final is G.repaired:
        return
    inspected = done + timedelta(hours=rng.randint(1, 6))
    with travel(inspected):
        if final is G.in_repair:
            services.goods_inspect(goods=goods, passed=False, note="试机30分钟后仍有异响，请再检查风机轴承",
                                   actor=manager)
            return
        services.goods_inspect(goods=goods, passed=True, note="试机正常", actor=manager)
        _ready_receipt(goods, tech=tech, rng=rng)
    if final is G.inspected:
        return
    with travel(inspected + timedelta(hours=rng.randint(4, 40))):
        signer = contact.name if contact else customer.name
        services.goods_hand_back(goods=goods, **_sign(rng, clerk, signer, rating=rng.choice((5, 5, 4))))


def _ready_receipt(goods: GoodsReceipt, *, tech: User, rng: random.Random) -> None:
    from portal.parts.models import FeeItem
    from portal.receipts import services as receipts
    receipt = receipts.receipt_open(case=goods.case, actor=tech)
    labour = db.session.scalar(select(FeeItem).where(FeeItem.active.is_(True), FeeItem.is_visit_fee.is_(False))
                               .order_by(FeeItem.id).limit(1))
    if labour is not None:
        receipts.receipt_set_fee(receipt=receipt, fee_item=labour, quantity=services.total_hours(goods) or 1,
                                 actor=tech)
    receipts.receipt_save(receipt=receipt, expected_version=receipt.version, actor=tech, ready=True, values={
        "arrived_at": receipt.arrived_at, "finished_at": utcnow() - timedelta(minutes=5),
        "fault_cause": rng.choice(["点火针积碳", "熄火保护热电偶老化", "主板电容鼓包", "风机轴承磨损"]),
        "solution": "维修后在车间试机正常", "test_run_shown": True, "instructions_given": True, "misuse": False,
        "misuse_reason": "", "customer_consented": True, "collected": receipt.total or Decimal(0),
        "collect_later": False})
