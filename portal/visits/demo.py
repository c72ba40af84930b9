"""Demo data for the visits family, made through the family's own services.

Key customers of the demo archive get schedules (monthly, quarterly, every 45 days); visits over the
last three months are recorded with the portal's clock travelled to the visit day, so some schedules
are up to date, some due this month and some overdue. A few key customers stay unscheduled.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.errors import ValidationFailed
from portal.core.timeutil import from_local, local_today, travel
from portal.customers.models import Customer, CustomerStatus
from portal.extensions import db
from portal.visits import services
from portal.visits.models import VisitFrequency, VisitSchedule

USAGE = ["每天早午晚三餐满负荷运行，主灶火力正常", "周末客流大，蒸柜使用频繁，其余设备使用正常",
         "食堂两班倒，炒灶每天连续使用约 8 小时", "设备使用正常，操作人员已熟悉日常清洁保养",
         "一台副灶因装修停用两周，其余正常使用"]
DESIGN = ["希望炒灶增加定时熄火功能", "操作面板位置偏低，厨师弯腰不便", "建议风门调节改为旋钮，便于单手操作",
          "", "希望蒸柜门把手加隔热套"]
ASSEMBLY = ["个别面板螺丝松动，已当场紧固", "", "灶台与墙面之间缝隙偏大，油污不易清理", "", "燃气软管走线较乱"]
PROCESS = ["不锈钢台面焊缝处有轻微发黄", "", "喷涂层耐高温较好，无起皮", "炉膛耐火砖接缝不够平整", ""]
ACTIONS = ["寄送新款隔热把手样品", "安排技术员上门调整风门", "提供燃气软管规范走线方案", "反馈设计部评估定时熄火功能",
           "下次回访带上保养手册"]


def _at(day: date, hour: int = 10) -> datetime:
    return from_local(datetime(day.year, day.month, day.day, hour, 0))


def load_visits_demo(*, seed: int = 2027) -> int:
    """Create schedules and visits once; returns the number of visits recorded."""
    if db.session.scalar(select(func.count(VisitSchedule.id))):
        return 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    if not {"clerk", "manager", "tech"} <= set(users):
        return 0
    rng = random.Random(seed)
    clerk, manager, tech = users["clerk"], users["manager"], users["tech"]
    visitors = [clerk, tech] + ([users["tech2"]] if "tech2" in users else [])
    customers = [c for c in db.session.scalars(select(Customer).where(
        Customer.key_customer.is_(True), Customer.status == CustomerStatus.active).order_by(Customer.id)) if c.equipment]
    today = local_today()
    made = 0
    # The last two key customers are left without a schedule, to show the "set up a schedule" list.
    for index, customer in enumerate(customers[:-2] if len(customers) > 4 else customers):
        frequency = [VisitFrequency.monthly, VisitFrequency.quarterly, VisitFrequency.monthly,
                     VisitFrequency.custom][index % 4]
        start = today - timedelta(days=rng.randint(95, 120))
        since = services.known_since(customer)
        with travel(_at(start, 9)):
            schedule = services.schedule_create(customer=customer, actor=manager, values={
                "frequency": frequency, "interval_days": 45 if frequency is VisitFrequency.custom else None,
                "starts_on": start + timedelta(days=rng.randint(0, 10)), "responsible_id": rng.choice(visitors).id,
                "active": True, "notes": "交付一年内每月回访" if frequency is VisitFrequency.monthly else ""})
        # Every third schedule falls behind: its visits stop early, so it shows up overdue.
        stop = today - timedelta(days=70 if index % 3 == 2 else rng.randint(0, 12))
        day = schedule.next_due_on + timedelta(days=rng.randint(-2, 4))
        while day <= stop:
            if day >= since:
                made += _visit(customer, day, rng, visitors, clerk)
            day = services.due_after(frequency, schedule.interval_days, day) + timedelta(days=rng.randint(-3, 5))
    return made


def _visit(customer: Customer, day: date, rng: random.Random, visitors: list[User], clerk: User) -> int:
    team = rng.sample(visitors, k=rng.choice((1, 2)))
    pick = rng.randrange(len(USAGE))
    actions = []
    if rng.random() < 0.5:
        owner = rng.choice(team)
        actions.append(services.ActionInput(rng.choice(ACTIONS), owner.id, day + timedelta(days=rng.randint(5, 20))))
    with travel(_at(day, rng.randint(9, 16))):
        try:
            visit = services.visit_record(customer=customer, visitor_ids=[u.id for u in team], actions=actions,
                                          actor=clerk, today=day, values={
                                              "visited_on": day, "people_met": rng.choice(["王厨师长", "后勤刘主任", "采购部李经理"]),
                                              "other_visitors": "销售部小周" if rng.random() < 0.2 else "",
                                              "equipment_usage": USAGE[pick], "design_opinion": DESIGN[pick],
                                              "assembly_opinion": ASSEMBLY[(pick + 1) % 5],
                                              "process_opinion": PROCESS[(pick + 2) % 5], "other_feedback": "",
                                              "followup_needed": bool(actions) and rng.random() < 0.5})
        except ValidationFailed:
            return 0
    for action in visit.actions:
        if action.due_on and action.due_on < local_today() and rng.random() < 0.6:
            with travel(_at(action.due_on, 15)):
                services.action_done(action=action, note="已完成", actor=clerk)
    return 1
