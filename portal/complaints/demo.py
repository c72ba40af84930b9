"""Demo data for the complaints family, made through the family's own services.

Complaints in every state over the last weeks, each step taken with the portal's clock travelled to
its moment: one has gone unanswered for more than the reply limit (red), one is on its last day,
some are caused by service (they count in the complaint rate), one customer was not satisfied and
the complaint went back to investigation, and closed ones carry a compensation note.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.complaints import services
from portal.complaints.models import Complaint, ResponsibleKind
from portal.core.timeutil import travel, utcnow
from portal.extensions import db
from portal.repairs.models import Channel, RepairCase

# (days ago received, channel, content, caused by service, how far it goes)
STORIES = [
    (10, Channel.call, "师傅上门比约定时间晚了三个小时，也没有提前打电话说明", True, "received"),
    (6.6, Channel.letter, "来函：维修后一周内同一故障（点不着火）再次出现，要求更换整机", False, "investigating"),
    (1, Channel.call, "客服电话连续两天打不通，报修无人受理", True, "received"),
    (5, Channel.visit, "客户到公司反映：收取的配件费与收费标准卡不一致", True, "proposed"),
    (12, Channel.call, "技术员维修时与厨师发生口角，态度恶劣", True, "reinvestigating"),
    (18, Channel.letter, "来函：蒸柜门密封条老化过快，质疑产品质量", False, "opinion"),
    (30, Channel.call, "维修后灶台周围油污未清理就离开", True, "closed"),
    (45, Channel.visit, "新购炒灶安装后火力不足，安装人员说是燃气压力问题，客户不认可", False, "closed"),
]


def load_complaints_demo() -> int:
    """Create the demo complaints once; returns how many were made."""
    if db.session.scalar(select(func.count(Complaint.id))):
        return 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    if not {"clerk", "manager", "operator", "tech"} <= set(users):
        return 0
    cases = list(db.session.scalars(select(RepairCase).where(RepairCase.technician_id.is_not(None))
                                    .order_by(RepairCase.received_at.desc()).limit(300)))
    clerk, manager, operator = users["clerk"], users["manager"], users["operator"]
    now, used, made = utcnow(), set(), 0
    for days_ago, channel, content, by_service, until in STORIES:
        received = now - timedelta(days=days_ago)
        # A complaint about a job comes after the call; skip a few cases so they are not all neighbours.
        candidates = [c for c in cases if c.id not in used and c.received_at < received - timedelta(hours=6)]
        if not candidates:
            continue
        case = candidates[min(2, len(candidates) - 1)]
        used.add(case.id)
        made += 1
        _story(case, received, channel, content, by_service, until, clerk=clerk, manager=manager, operator=operator)
    return len(STORIES)


def _story(case: RepairCase, received: datetime, channel: Channel, content: str, by_service: bool, until: str, *,
           clerk: User, manager: User, operator: User) -> None:
    staff = [case.technician_id] if case.technician_id else []
    with travel(received + timedelta(minutes=5)):
        complaint = services.complaint_register(customer=case.customer, staff_ids=staff, actor=operator, values={
            "channel": channel, "received_at": received, "complainant": case.caller_name, "content": content,
            "case_id": case.id, "caused_by_service": False})
    if until == "received":
        return
    technician = db.session.get(User, case.technician_id) if case.technician_id else None
    findings = {"responsible_kind": ResponsibleKind.person if by_service else ResponsibleKind.department,
                "responsible_party": "" if by_service else "生产部",
                "responsible_user_id": technician.id if by_service and technician else None,
                "notes": "已电话回访客户并与当事人核实情况" if by_service else "已调取生产批次记录，会同生产部分析原因"}
    if by_service and technician is None:
        findings["responsible_party"] = "售后服务部"
    step = received + timedelta(hours=20)
    with travel(step):
        services.complaint_investigate(complaint=complaint, actor=clerk, **findings)
    if until == "investigating":
        return
    step += timedelta(days=2)
    with travel(step):
        services.complaint_propose(complaint=complaint, actor=manager, caused_by_service=by_service, **findings,
                                   solution="向客户致歉，免收本次上门费，并安排技术员回访确认" if by_service
                                   else "免费更换密封条/配件，由生产部改进工艺后回复客户")
    if until == "proposed":
        return
    step += timedelta(days=1)
    satisfied = until != "reinvestigating"
    with travel(step):
        services.complaint_record_opinion(complaint=complaint, actor=clerk, satisfied=satisfied,
                                          opinion="接受处理方案" if satisfied else "客户认为仅道歉不够，要求更换维修人员")
    if until == "reinvestigating":
        with travel(step + timedelta(hours=3)):
            services.complaint_investigate(complaint=complaint, actor=clerk, **findings)
        return
    if until == "opinion":
        return
    with travel(step + timedelta(days=1)):
        services.complaint_close(complaint=complaint, actor=manager, closing_note="",
                                 compensation_note="免收上门费 50 元，已报销售部备案" if by_service else "免费更换炉头一套",
                                 compensation_amount=Decimal("50") if by_service else None)
