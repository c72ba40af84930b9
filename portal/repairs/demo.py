"""Demo repair cases spread over the last three months, in every state this issue reaches.

Each case goes through the real services of every family (intake, dispatch, contact attempts,
requisitions, receipts) with the portal's clock travelled to the moment each step happens, so
timestamps, deadlines, numbers and the audit trail look like three months of real work and the
KPI pages of later issues have figures to show. Never commits: the caller does.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.roles import Role
from portal.core.timeutil import as_local, local_zone, travel, utcnow
from portal.customers.models import Customer, CustomerStatus
from portal.extensions import db
from portal.repairs import services
from portal.repairs.models import CaseState, Channel, RepairCase, Urgency

S = CaseState
SYMPTOMS = [
    ("打不着火，点火时有啪啪声但不出火", "点火针积碳或位置偏移", "点火针"),
    ("火焰发黄、冒黑烟", "风门调节不当或炉头堵塞", "炉头"),
    ("点着后几秒就熄火", "熄火保护热电偶老化", "熄火保护热电偶"),
    ("鼓风机噪音很大，风力小", "鼓风机轴承磨损", "鼓风机"),
    ("有燃气味", "管路接头松动或软管老化", "燃气软管、密封圈"),
    ("蒸柜不上汽", "蒸汽发生器结垢或液位探头故障", "液位探头"),
    ("显示屏不亮，按键无反应", "电源适配器损坏", "电源适配器"),
    ("油烟净化器吸力变小", "滤网油污堵塞，需要清洗保养", ""),
    ("电磁阀不开，没有火", "电磁阀线圈烧坏", "电磁阀"),
    ("炉膛耐火砖开裂", "长期高温使用老化", "耐火砖"),
]
CAUSES = ["点火针积碳，位置偏离炉头 3 mm", "热电偶老化，电动势不足", "电磁阀线圈开路", "风机轴承磨损",
          "燃气软管老化开裂", "液位探头结垢误报", "电源适配器输出电压为零", "炉头出火孔被油污堵塞"]
SOLUTIONS = ["更换点火针并调整间隙，试机十次均一次点着", "更换热电偶，试机保持火焰正常", "更换电磁阀，试机正常",
             "更换鼓风机，噪音消失、风力恢复", "更换燃气软管和密封圈，肥皂水检漏无泄漏", "清洗并更换液位探头，上汽正常",
             "更换电源适配器，显示与按键恢复", "拆洗炉头、疏通出火孔，火焰恢复蓝色"]


@dataclass
class Cast:
    operator: User
    clerk: User
    keeper: User
    technicians: list[User]


def _cast() -> Cast | None:
    users = {u.username: u for u in db.session.scalars(select(User))}
    techs = [u for u in users.values() if u.role is Role.technician and u.active]
    needed = ("operator", "clerk", "warehouse")
    if not techs or any(name not in users for name in needed):
        return None
    return Cast(users["operator"], users["clerk"], users["warehouse"], sorted(techs, key=lambda u: u.id))


def _plan(rng: random.Random, now: datetime) -> list[tuple[datetime, CaseState]]:
    """(call time, final state) for every demo case: history over 90 days, live work today."""
    plan: list[tuple[datetime, CaseState]] = []
    local_now = now.astimezone(local_zone())
    for day in range(90, 0, -1):
        date = (local_now - timedelta(days=day)).date()
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            start = datetime(date.year, date.month, date.day, rng.randint(8, 17), rng.randint(0, 59),
                             tzinfo=local_zone())
            final = rng.choices([S.awaiting_signature, S.closed, S.cancelled], weights=[80, 14, 6])[0]
            plan.append((start, final))
    live = [(timedelta(minutes=3), S.registered), (timedelta(minutes=14), S.waiting_dispatch),
            (timedelta(minutes=8), S.waiting_dispatch), (timedelta(minutes=40), S.phone_guided),
            (timedelta(hours=1, minutes=20), S.dispatched), (timedelta(hours=3, minutes=30), S.dispatched),
            (timedelta(hours=2), S.appointment_confirmed), (timedelta(hours=5), S.contact_failed),
            (timedelta(hours=2, minutes=40), S.on_site), (timedelta(hours=26), S.appointment_confirmed)]
    plan += [(now - ago, state) for ago, state in live]
    return sorted(plan)


def load_case_demo(*, seed: int = 2026) -> int:
    """Create the demo cases when there are none yet; returns how many were made."""
    if db.session.scalar(select(func.count(RepairCase.id))):
        return 0
    cast = _cast()
    customers = list(db.session.scalars(select(Customer).where(Customer.status == CustomerStatus.active)
                                        .order_by(Customer.id)))
    if cast is None or not customers:
        return 0
    rng, now = random.Random(seed), utcnow()  # nosec B311  # demo data: seeded on purpose, no secrets
    made = 0
    for start, final in _plan(rng, now):
        _Story(rng=rng, cast=cast, customer=rng.choice(customers), start=start, final=final, now=now).tell()
        made += 1
    return made


class _Story:
    def __init__(self, *, rng: random.Random, cast: Cast, customer: Customer, start: datetime, final: CaseState,
                 now: datetime):
        self.rng, self.cast, self.customer, self.final, self.now = rng, cast, customer, final, now
        self.at = start
        self.case: RepairCase | None = None
        self.tech = rng.choice(cast.technicians)

    def step(self, minutes: float) -> bool:
        """Move the story's clock on; False when that would pass the present."""
        later = self.at + timedelta(minutes=minutes)
        if later > self.now - timedelta(minutes=1):
            return False
        self.at = later
        return True

    def tell(self) -> None:
        with travel(self.at):
            self._register()
        if self.final is S.registered or not self.step(self.rng.uniform(1, 4)):
            return
        with travel(self.at):
            if self.final in (S.phone_guided, S.closed) and self.rng.random() < 0.9:
                services.case_guide_by_phone(case=self.case, actor=self.cast.operator,
                                             guidance_notes="指导客户关闭总阀、清理喷嘴后重新点火，已恢复")
                return self._close_after_guidance()
            services.case_hand_over(case=self.case, actor=self.cast.operator)
        if self.final is S.cancelled:
            if self.step(self.rng.uniform(3, 60)):
                with travel(self.at):
                    services.case_transition(case=self.case, target=S.cancelled, actor=self.cast.clerk,
                                             note=self.rng.choice(["客户自行修好", "客户改期后取消报修", "重复报修"]))
            return
        if self.final is S.waiting_dispatch or not self.step(self.rng.choice((2, 4, 6, 8, 9, 12, 18, 25))):
            return
        self._dispatch()
        if self.final is S.dispatched or not self.step(self.rng.uniform(5, 25)):
            return
        if not self._contact() or self.final is S.appointment_confirmed:
            return
        self._on_site()

    def _register(self) -> None:
        symptom, cause, parts = self.rng.choice(SYMPTOMS)
        units = self.customer.equipment
        contact = self.customer.contacts[0]
        self.case = services.case_register(
            customer=self.customer, equipment=self.rng.choice(units) if units else None,
            channel=self.rng.choices(list(Channel), weights=[90, 3, 7])[0], caller_name=contact.name,
            caller_phone=contact.phone, symptom=symptom, probable_cause=cause, parts_to_prepare=parts,
            urgency=Urgency.urgent if self.rng.random() < 0.12 else Urgency.normal, received_at=self.at,
            actor=self.cast.operator)

    def _close_after_guidance(self) -> None:
        if self.final is S.closed and self.step(self.rng.uniform(60, 170)):
            with travel(self.at):
                services.case_transition(case=self.case, target=S.closed, actor=self.cast.clerk,
                                         note="回访：客户确认已恢复正常使用")

    def _dispatch(self) -> None:
        from portal.dispatch import services as dispatch
        late = self.rng.random() < 0.08
        appointment = self.at + timedelta(minutes=self.rng.choice((40, 60, 90, 120, 150)) + (240 if late else 0))
        with travel(self.at):
            dispatch.dispatch_case(case=self.case, technician=self.tech, appointment_at=appointment,
                                   late_reason="客户要求下午上门" if late else "", customer_agreed=late,
                                   instructions="带好收费标准卡和回执单", actor=self.cast.clerk)

    def _contact(self) -> bool:
        from portal.dispatch import services as dispatch
        failures = 3 if self.final is S.contact_failed else (1 if self.rng.random() < 0.15 else 0)
        for _ in range(failures):
            with travel(self.at):
                dispatch.record_contact(case=self.case, outcome="no_answer", note="无人接听", actor=self.tech)
            if not self.step(11):
                return False
        if self.final is S.contact_failed:
            return False
        with travel(self.at):
            dispatch.record_contact(case=self.case, outcome="reached", note="已约好时间", actor=self.tech)
        return True

    def _on_site(self) -> None:
        from portal.parts import services as parts
        from portal.parts.models import Part
        stocked = [p for p in db.session.scalars(select(Part).where(Part.active.is_(True), Part.stock_qty > 2))]
        requisition = None
        if stocked and self.rng.random() < 0.75 and self.step(5):
            chosen = self.rng.sample(stocked, k=min(len(stocked), self.rng.choice((1, 1, 2, 3))))
            with travel(self.at):
                requisition = parts.requisition_create(case=self.case, technician=self.tech, actor=self.tech,
                                                       lines=[(p.id, self.rng.choice((1, 1, 2))) for p in chosen])
            if self.step(self.rng.uniform(5, 20)):
                with travel(self.at):
                    parts.requisition_issue(requisition=requisition, actor=self.cast.keeper,
                                            issued={line.id: line.requested_qty for line in requisition.lines})
            else:
                return
        appointment = as_local(self.case.appointment_at)
        arrive = max(self.at, appointment + timedelta(minutes=self.rng.choice((-15, -10, -5, 0, 5, 20, 45))))
        if arrive > self.now - timedelta(minutes=1):
            return
        self.at = arrive
        with travel(self.at):
            services.case_transition(case=self.case, target=S.on_site, actor=self.tech)
        if self.final is S.on_site or not self.step(self.rng.uniform(30, 110)):
            return
        self._finish(requisition)

    def _finish(self, requisition: Any) -> None:
        from portal.parts import services as parts
        from portal.parts.models import RequisitionState
        from portal.receipts import services as receipts
        with travel(self.at):
            if requisition is not None and requisition.state is RequisitionState.issued:
                used = {line.id: max(0, line.issued_qty - (1 if line.issued_qty > 1 else 0)) for line in requisition.lines}
                parts.requisition_report_use(requisition=requisition, used=used, actor=self.tech,
                                             returned={line.id: line.issued_qty - used[line.id] for line in requisition.lines})
            receipt = receipts.receipt_open(case=self.case, actor=self.tech)
            receipts.receipt_load_parts(receipt=receipt, actor=self.tech)
            visit = next((f for f in receipts.fee_items() if f.is_visit_fee), None)
            if visit is not None and receipt.category.value != "C":
                receipts.receipt_set_fee(receipt=receipt, fee_item=visit, quantity=1, actor=self.tech)
            total = receipts.priced_total(receipt, receipts.reprice(receipt))
            later = total > 0 and self.rng.random() < 0.2
            receipts.receipt_save(receipt=receipt, expected_version=receipt.version, actor=self.tech, ready=True, values={
                "arrived_at": as_local(self.case.on_site_at), "finished_at": self.at,
                "fault_cause": self.rng.choice(CAUSES), "solution": self.rng.choice(SOLUTIONS),
                "test_run_shown": True, "instructions_given": True, "misuse": False, "misuse_reason": "",
                "customer_consented": True, "collected": Decimal(0) if later else total, "collect_later": later})
        if requisition is not None and self.step(self.rng.uniform(60, 600)):
            with travel(self.at):
                parts.requisition_confirm_returns(requisition=requisition, actor=self.cast.keeper)
