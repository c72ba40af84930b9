"""Demo data for the returns family (issue 6 point 7), made through the family's own services.

Fifteen returns of the demo customers spread over the last five months, at least one in every
state: waiting for review, approved, rejected, received, inspected, resolved (left for someone to
sign in the demo), closed with the customer's signature and the archived PDF, and cancelled. The
portal's clock is travelled to each step's moment, so timelines and the ledger read naturally.
Deterministic (seeded) and never commits: the caller does.
"""
from __future__ import annotations

import io
import json
import random
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.archive import services as archive_services
from portal.core.signatures import drawn_signature
from portal.core.timeutil import as_local, from_local, local_now, travel
from portal.customers.models import Customer
from portal.extensions import db
from portal.repairs.models import RepairCase
from portal.returns import services
from portal.returns.models import ReturnSlip, ReturnState

RS = ReturnState
USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"

# (final state, reason, requested outcome, days ago, quantity sold, quantity returned)
PLAN = [
    (RS.closed, "quality_defect", "exchange", 140, 1, 1),
    (RS.closed, "transport_damage", "refund", 118, 4, 2),
    (RS.closed, "quality_defect", "repair", 96, 1, 1),
    (RS.rejected, "misuse", "refund", 90, 1, 1),
    (RS.closed, "wrong_item", "exchange", 71, 2, 2),
    (RS.cancelled, "other", "refund", 60, 1, 1),
    (RS.inspected, "quality_defect", "exchange", 41, 3, 1),
    (RS.rejected, "other", "refund", 35, 2, 2),
    (RS.received, "transport_damage", "exchange", 22, 6, 3),
    (RS.resolved, "quality_defect", "refund", 16, 1, 1),
    (RS.inspected, "quality_defect", "repair", 12, 1, 1),
    (RS.approved, "wrong_item", "exchange", 7, 2, 1),
    (RS.approved, "quality_defect", "exchange", 5, 1, 1),
    (RS.requested, "transport_damage", "refund", 2, 5, 2),
    (RS.requested, "quality_defect", "exchange", 1, 1, 1),
]
DESCRIPTIONS = {
    "quality_defect": ["使用一周后点火困难，打火针无火花", "开机显示E1故障码，不出热水", "炉头火焰发黄，有异味",
                       "控制面板按键失灵"],
    "transport_damage": ["到货时外箱破损，面板玻璃碎裂", "机身侧面凹陷，运输挤压所致"],
    "wrong_item": ["订购JSQ25型，实际送货为JSQ20型", "颜色与订单不符（订白色，到货黑色）"],
    "misuse": ["客户自行改装燃气接口后无法点火"],
    "other": ["客户重复下单，多订一台", "客户装修延期，暂不需要"],
}
CONDITIONS = ["外包装完好，配件齐全", "外箱有挤压痕迹，机身面板破损", "包装已拆，说明书缺失，机身无明显损伤"]
INSPECTIONS = {
    "quality_defect": ("点火模块损坏，属产品质量问题", "manufacturer"),
    "transport_damage": ("面板受外力挤压破裂，承运商责任", "transport"),
    "wrong_item": ("仓库发货型号错误，产品本身无故障", "manufacturer"),
    "misuse": ("燃气接口被改装，人为损坏", "customer"),
    "other": ("产品完好，可二次销售", "undetermined"),
}
REJECTIONS = {"misuse": "经检查燃气接口被私自改装，属人为损坏，不符合退货条件；可按有偿维修处理。",
              "other": "已超过7天无理由退货期限，且包装已拆封使用，不予退货。"}
SIGNERS = ["王建国", "刘芳", "陈经理", "赵丽", "孙强"]


def _photo(rng: random.Random) -> bytes:
    """A plain stand-in for a phone photo: a box on a table, drawn."""
    image = Image.new("RGB", (800, 600), (rng.randint(180, 220), rng.randint(170, 210), rng.randint(150, 190)))
    draw = ImageDraw.Draw(image)
    x, y = rng.randint(120, 220), rng.randint(100, 180)
    draw.rectangle([x, y, x + 420, y + 300], fill=(236, 236, 232), outline=(90, 90, 90), width=6)
    draw.line([(x + 60, y + 40), (x + 200, y + 220), (x + 260, y + 120)], fill=(120, 30, 30), width=8)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _office_moment(day: date, hour: float) -> datetime:
    return from_local(datetime(day.year, day.month, day.day) + timedelta(hours=hour))


def _later(moment: datetime, days: float, rng: random.Random) -> datetime:
    """`days` on, at a time the office is at work (9:00–17:00 local)."""
    day = as_local(moment + timedelta(days=days)).date()
    later = _office_moment(day, 9 + rng.uniform(0, 8))
    return later if later > moment else _office_moment(day + timedelta(days=1), 9 + rng.uniform(0, 8))


def load_returns_demo(*, seed: int = 2026, base_url: str = "http://127.0.0.1:5000") -> int:
    if db.session.scalar(select(func.count(ReturnSlip.id))):
        return 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    clerk, manager = users.get("clerk"), users.get("manager")
    warehouse, tech = users.get("warehouse"), users.get("tech")
    customers = list(db.session.scalars(select(Customer).where(Customer.merged_into_id.is_(None))
                                        .order_by(Customer.id).limit(60)))
    customers = [c for c in customers if c.equipment]
    if not (clerk and manager and warehouse and tech and customers):
        return 0
    with_cases = set(db.session.scalars(select(RepairCase.customer_id)))
    repairable = [c for c in customers if c.id in with_cases] or customers
    rng, today = random.Random(seed), local_now().date()  # nosec B311  # demo data: seeded and repeatable
    made = 0
    with current_app.test_request_context("/", base_url=base_url):
        for index, (state, reason, outcome, days_ago, sold, returned) in enumerate(PLAN):
            pool = repairable if outcome == "repair" else customers
            customer = pool[(index * 7) % len(pool)]
            if _one(customer, index=index, state=state, reason=reason, outcome=outcome, sold=sold,
                    returned=returned, day=today - timedelta(days=days_ago), rng=rng,
                    people=(clerk, manager, warehouse, tech)):
                made += 1
    return made


def _one(customer: Customer, *, index: int, state: ReturnState, reason: str, outcome: str, sold: int, returned: int,
         day: date, rng: random.Random, people: tuple[Any, ...]) -> bool:
    clerk, manager, warehouse, tech = people
    unit = customer.equipment[index % len(customer.equipment)]
    moment = _office_moment(day, 9 + rng.uniform(0, 6))
    values = {"equipment_id": unit.id if sold == 1 else None, "product_type_id": unit.product_type_id,
              "model": unit.model, "serial": unit.serial if sold == 1 else "",
              "sale_reference": f"XS{as_local(moment):%Y%m}-{300 + index * 17:04d}",
              "sale_date": day - timedelta(days=rng.randint(3, 25)), "quantity_sold": sold, "quantity": returned,
              "reason": reason, "description": rng.choice(DESCRIPTIONS[reason]), "outcome": outcome}
    uploads = [(_photo(rng), f"IMG_{2026_0000 + index * 10 + n}.jpg") for n in range(rng.randint(0, 2))]
    with travel(moment):
        slip = services.slip_create(customer=customer, values=values, uploads=uploads, actor=clerk, today=day)
    if state is RS.requested:
        return True
    moment = _later(moment, rng.uniform(0, 1), rng)
    with travel(moment):
        if state is RS.cancelled:
            services.slip_cancel(slip=slip, reason="客户来电撤回退货申请，产品继续使用", actor=clerk)
            return True
        if state is RS.rejected:
            services.slip_review(slip=slip, approve=False, note=REJECTIONS.get(reason, REJECTIONS["other"]),
                                 actor=manager)
            return True
        services.slip_review(slip=slip, approve=True, note="同意退货，通知仓库收货" if rng.random() < .5 else "",
                             actor=manager)
    if state is RS.approved:
        return True
    moment = _later(moment, rng.uniform(1, 3), rng)
    with travel(moment):
        services.slip_receive(slip=slip, quantity_received=returned, condition=rng.choice(CONDITIONS), note="",
                              actor=warehouse)
    if state is RS.received:
        return True
    moment = _later(moment, rng.uniform(0.5, 2), rng)
    result, responsibility = INSPECTIONS[reason]
    with travel(moment):
        services.slip_inspect(slip=slip, result=result, responsibility=responsibility, actor=tech)
    if state is RS.inspected:
        return True
    moment = _later(moment, rng.uniform(0.5, 2), rng)
    with travel(moment):
        _resolve(slip, outcome=outcome, rng=rng, clerk=clerk)
    if state is RS.resolved:
        return True
    moment = _later(moment, rng.uniform(0, 1.5), rng)
    with travel(moment):
        _sign(slip, rng=rng, clerk=clerk)
    return True


def _resolve(slip: ReturnSlip, *, outcome: str, rng: random.Random, clerk: Any) -> None:
    if outcome == "repair":
        case = db.session.scalar(select(RepairCase).where(RepairCase.customer_id == slip.customer_id)
                                 .order_by(RepairCase.id.desc()).limit(1))
        if case is not None:
            services.slip_resolve(slip=slip, resolution="repaired", repair_case_id=case.id, actor=clerk,
                                  note="更换点火模块后试机正常，送还客户")
            return
        services.slip_resolve(slip=slip, resolution="exchanged", exchange_serial=f"HX{rng.randint(100000, 999999)}",
                              note="无对应维修单，改为换新", actor=clerk)
        return
    if outcome == "refund":
        services.slip_resolve(slip=slip, resolution="refunded", actor=clerk,
                              refund_amount=f"{rng.choice([1280, 1680, 2399, 899]) * slip.quantity}.00")
        return
    services.slip_resolve(slip=slip, resolution="exchanged", exchange_serial=f"HX{rng.randint(100000, 999999)}",
                          actor=clerk)


def _sign(slip: ReturnSlip, *, rng: random.Random, clerk: Any) -> None:
    from portal.receipts.demo import _b64, signature_scribble

    signer = slip.customer.contacts[0].name if slip.customer.contacts else rng.choice(SIGNERS)
    png, strokes = signature_scribble(rng, characters=max(2, min(len(signer), 3)))
    image = drawn_signature("data:image/png;base64," + _b64(png), json.dumps(strokes))
    rating = rng.choices((5, 4, 3), weights=(60, 30, 10))[0]
    services.slip_sign(slip=slip, signer_name=signer, rating=rating, comment=rng.choice(["处理及时", "", "满意"]),
                       image=image, address="192.168.10.8", user_agent=USER_AGENT, device="counter PC", staff=clerk,
                       verify_url=archive_services.verification_url)
