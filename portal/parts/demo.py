"""Demo fee schedule (收费标准卡) and stock for a stove maker's after-sales department.

Goes through the real services, so the price history, the movement log and the audit trail are
what the portal itself would write. Does nothing when the schedule has parts already. Never
commits: the caller does.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from portal.extensions import db
from portal.parts import services
from portal.parts.models import FeeItem, Part

# code, name, spec, unit, price, stock on hand, reorder level
PARTS = [
    ("DH-001", "点火针", "陶瓷 长 80 mm", "个", "12.00", 60, 20),
    ("DH-002", "脉冲点火器", "DC 1.5 V 单路", "个", "35.00", 24, 10),
    ("DH-003", "脉冲点火器", "DC 3 V 四路（商用）", "个", "68.00", 6, 8),
    ("XH-001", "熄火保护热电偶", "M8 × 1 长 450 mm", "个", "28.00", 45, 15),
    ("XH-002", "熄火保护热电偶", "M6 × 0.75 长 600 mm", "个", "32.00", 3, 10),
    ("FM-001", "电磁阀", "DN15 AC 220 V", "个", "158.00", 12, 5),
    ("FM-002", "燃气比例阀", "DN20 DC 24 V", "个", "420.00", 4, 3),
    ("FM-003", "减压阀", "天然气 2 kPa DN15", "个", "86.00", 10, 4),
    ("FM-004", "水龙头", "304 不锈钢 单冷 4 分", "个", "75.00", 15, 5),
    ("FJ-001", "鼓风机", "370 W 220 V", "台", "580.00", 5, 2),
    ("FJ-002", "轴流风机", "200 mm 220 V", "台", "210.00", 2, 3),
    ("FJ-003", "油烟机电机", "YY6015 180 W", "台", "260.00", 7, 3),
    ("LT-001", "炉头", "铸铁 猛火 φ200 含分火盖", "套", "320.00", 8, 3),
    ("LT-002", "炉芯", "不锈钢 φ120 多孔", "个", "95.00", 20, 6),
    ("LT-003", "耐火砖", "230 × 114 × 65 mm", "块", "18.00", 120, 40),
    ("MB-001", "不锈钢面板", "1.2 mm 1200 × 600", "块", "460.00", 3, 2),
    ("MB-002", "蒸柜门封条", "硅胶 耐高温", "米", "26.00", 80, 30),
    ("DQ-001", "控制主板", "ZG 系列 蒸柜通用", "块", "680.00", 4, 2),
    ("DQ-002", "显示面板", "LED 四键 触摸", "块", "240.00", 1, 2),
    ("DQ-003", "电源适配器", "DC 24 V 2 A", "个", "65.00", 14, 5),
    ("DQ-004", "温控器", "机械式 30–110 ℃", "个", "55.00", 18, 6),
    ("DQ-005", "液位探头", "不锈钢 三针", "个", "48.00", 9, 4),
    ("DQ-006", "接线端子", "5 位 15 A", "个", "5.00", 200, 50),
    ("DQ-007", "保险丝", "5 × 20 mm 10 A", "个", "5.00", 0, 30),
    ("ZQ-001", "蒸汽发生器", "9 kW 380 V", "台", "1800.00", 2, 1),
    ("MF-001", "密封圈", "丁腈橡胶 DN15", "个", "6.00", 150, 40),
    ("MF-002", "燃气软管", "不锈钢波纹管 DN15", "米", "22.00", 60, 20),
]

# code, name, unit, price, is visit fee
FEES = [
    ("FW-001", "上门服务费", "次", "50.00", True),
    ("FW-002", "维修工时费", "小时", "80.00", False),
    ("FW-003", "远程上门附加费", "次", "100.00", False),
    ("FW-004", "清洗保养费", "次", "120.00", False),
]


def load_parts_demo(*, actor: Any = None) -> None:
    """Create the demo fee schedule with opening stock, unless the schedule has parts already."""
    if db.session.scalar(select(func.count(Part.id))):
        return
    for code, name, spec, unit, price, stock, reorder in PARTS:
        part = services.part_create(actor=actor, values={
            "code": code, "name": name, "spec": spec, "unit": unit, "unit_price": Decimal(price),
            "reorder_level": reorder, "active": True})
        if stock:
            services.receive_stock(part=part, quantity=stock, note="期初库存", actor=actor)
    if not db.session.scalar(select(func.count(FeeItem.id))):
        for code, name, unit, price, visit in FEES:
            services.fee_item_create(actor=actor, values={
                "code": code, "name": name, "unit": unit, "unit_price": Decimal(price), "is_visit_fee": visit,
                "active": True})
    db.session.flush()
