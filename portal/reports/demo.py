"""Demo data for the KPI pages: fills only what the other families' demos leave empty.

The repairs, receipts, visits and complaints demos already give three months of on-site jobs,
ratings, follow-ups and complaints through their services, so most figures have values. What can be
missing is a complaint rate: the complaints demo marks only a few recent complaints as caused by the
service. For each of the last three months that has cases but no service-caused complaint, one
complaint about a late technician is taken through the complaints services (registered, investigated,
found caused by the service, answered, closed), with the portal's clock travelled to each step.
Idempotent: a month that has one is left alone. Never commits: the caller does.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.complaints import services as complaints
from portal.complaints.models import ResponsibleKind
from portal.core.timeutil import local_today, travel, utcnow
from portal.extensions import db
from portal.repairs.models import Channel, RepairCase
from portal.reports.services import add_months, day_number, day_start, kpi_summary, month_bounds

MONTHS = 3
CONTENT = "技术员比约定时间晚到两个多小时，也没有提前打电话说明，耽误了午市营业"


def load_reports_demo() -> int:
    """Add what the KPIs of the last three months lack; returns how many records were added."""
    clerk, manager, operator = (accounts.find_by_username(n) for n in ("clerk", "manager", "operator"))
    if None in (clerk, manager, operator):
        return 0
    added = 0
    this_month = local_today().replace(day=1)
    for back in range(MONTHS - 1, -1, -1):
        start, end = month_bounds(add_months(this_month, -back))
        figure = kpi_summary(start=start, end=end).department["complaints"]
        if figure.denominator and not figure.numerator:
            added += _late_arrival_complaint(start, end, clerk=clerk, manager=manager, operator=operator)
    return added


def _late_arrival_complaint(start, end, *, clerk: User, manager: User, operator: User) -> int:
    """A complaint about one of the month's on-site jobs (a late one if there is), caused by the service;
    the job is old enough for every step to lie in the past, and the complaint falls in the same month."""
    c = RepairCase
    now = utcnow()
    month_end = day_start(end + timedelta(days=1))
    candidates = db.session.scalars(
        select(c).where(c.kpi_day.between(day_number(start), day_number(end)), c.kpi_ontime.is_not(None),
                        c.technician_id.is_not(None), c.on_site_at < now - timedelta(days=4))
        .order_by(c.kpi_ontime, c.received_at.desc(), c.id.desc()))
    case = next((x for x in candidates if x.on_site_at + timedelta(hours=5) < month_end), None)
    if case is None:
        return 0
    received = case.on_site_at + timedelta(hours=5)
    technician = db.session.get(User, case.technician_id)
    findings = {"responsible_kind": ResponsibleKind.person, "responsible_party": "",
                "responsible_user_id": technician.id, "notes": "已电话回访客户并与当事技术员核实：出发晚、路上未告知客户"}
    with travel(received + timedelta(minutes=5)):
        complaint = complaints.complaint_register(customer=case.customer, staff_ids=[technician.id], actor=operator,
                                                  values={"channel": Channel.call, "received_at": received,
                                                          "complainant": case.caller_name, "content": CONTENT,
                                                          "case_id": case.id, "caused_by_service": False})
    with travel(received + timedelta(hours=3)):
        complaints.complaint_investigate(complaint=complaint, actor=clerk, **findings)
    with travel(received + timedelta(hours=26)):
        complaints.complaint_propose(complaint=complaint, actor=manager, caused_by_service=True, **findings,
                                     solution="向客户致歉，免收本次上门费；技术员按时到达纳入本月考核")
    with travel(received + timedelta(hours=50)):
        complaints.complaint_record_opinion(complaint=complaint, actor=clerk, satisfied=True, opinion="接受道歉和处理方案")
    with travel(received + timedelta(hours=74)):
        complaints.complaint_close(complaint=complaint, actor=manager, closing_note="",
                                   compensation_note="免收上门费 50 元，已报销售部备案", compensation_amount=Decimal("50"))
    return 1
