"""Demo data for the visits family, made through the family's own services.

Key customers of the demo archive get schedules (monthly, quarterly, every 45 days); visits over the
last three months are recorded with the portal's clock travelled to the visit day, so some schedules
are up to date, some due this month and some overdue. A few key customers stay unscheduled.

Follow-up calls: the earlier demos' signings and phone guidance created them (through the case
workflow); here the clerk records them over the same three months: most on time and satisfied,
some late, a few unsatisfied (the case reopened, dispatched again, signed again and followed up
again), one customer unreachable after three calls. The last day's follow-ups stay open, so the
queue has calls due now and overdue.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.errors import ValidationFailed
from portal.core.timeutil import as_local, from_local, local_today, travel, utcnow
from portal.customers.models import Customer, CustomerStatus
from portal.extensions import db
from portal.receipts.services import used_parts
from portal.repairs.models import CaseState, RepairCase
from portal.visits import followups, services
from portal.visits.models import FollowUp, FollowUpKind, FollowUpState, VisitFrequency, VisitSchedule

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
    """Create schedules and visits once, and record the follow-up calls; returns the number of visits recorded."""
    load_followup_demo()
    if db.session.scalar(select(func.count(VisitSchedule.id))):
        return 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    if not {"clerk", "manager", "tech"} <= set(users):
        return 0
    rng = random.Random(seed)  # nosec B311  # demo data: seeded on purpose, no secrets
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


# --- follow-up calls ---------------------------------------------------------------------------------

SATISFIED_NOTES = ["已恢复正常使用", "客户表示满意，感谢师傅", "", "火力正常，没有再出现问题", "", "客户说师傅讲解很清楚",
                   "使用正常，提醒定期清洗炉头"]
UNSATISFIED_NOTES = ["修完第二天又打不着火，希望再派师傅看看", "灶头还是有异响", "漏水问题没有彻底解决，地面仍有积水"]
SECOND_VISIT_CAUSES = ["首次维修时点火针间隙调整不当", "电磁阀接线端子松动", "密封圈未完全压紧"]
SECOND_VISIT_SOLUTIONS = ["重新调整点火针间隙并紧固，试机二十次均正常", "重新压接端子并紧固，试机正常",
                          "更换密封圈并重新紧固，检漏无渗漏"]


def _office(moment: datetime, rng: random.Random) -> datetime:
    """The next moment the office is at work (8:30–17:30 local)."""
    local = as_local(moment)
    if local.hour < 8 or (local.hour == 8 and local.minute < 30):
        local = local.replace(hour=8, minute=30) + timedelta(minutes=rng.uniform(0, 60))
    elif local.hour > 17 or (local.hour == 17 and local.minute >= 30):
        local = (local + timedelta(days=1)).replace(hour=8, minute=30) + timedelta(minutes=rng.uniform(0, 60))
    return local


def load_followup_demo(*, seed: int = 2028) -> int:
    """Record the open follow-ups of the demo once (nothing recorded yet); returns how many were recorded."""
    if db.session.scalar(select(func.count(FollowUp.id)).where(FollowUp.state != FollowUpState.open)):
        return 0
    users = {u.username: u for u in db.session.scalars(select(User))}
    clerk = users.get("clerk")
    if clerk is None:
        return 0
    rng, now = random.Random(seed), utcnow()  # nosec B311  # demo data: seeded on purpose, no secrets
    _schedule_missing(clerk)
    pending = list(db.session.scalars(select(FollowUp).where(FollowUp.state == FollowUpState.open)
                                      .order_by(FollowUp.due_at, FollowUp.id)))
    serviced = [f for f in pending if f.kind is FollowUpKind.service and f.case.state is not CaseState.closed
                and f.due_at < now + timedelta(days=1)]
    # The clerk is behind on the last three service calls (due now, overdue) and got an unhappy
    # answer on the one before, shortly before now: that case waits in the dispatch queue.
    behind = {f.id for f in serviced[-3:]}
    reopen_now = serviced[-4] if len(serviced) >= 4 else None
    older = [f for f in pending if f.id not in behind and f is not reopen_now and f.due_at < now]
    candidates = [f for f in older if f.kind is FollowUpKind.service and f.case.state is not CaseState.closed
                  and now - timedelta(days=20) < f.due_at < now - timedelta(days=2)]
    forgotten = {f.id for f in candidates[-2:]}  # two calls nobody made: overdue by days
    unreachable = candidates[-3] if len(candidates) >= 3 else None
    # The unhappy ones are jobs done without parts, which keeps the demo's second visit short: a new
    # dispatch and a receipt with no requisition of its own (tests/receipts/test_parts_reopened.py
    # covers a second visit after parts were charged on the first).
    partless = [f for f in older if f.kind is FollowUpKind.service and f.case.state is not CaseState.closed
                and f not in candidates[-3:] and f.due_at < now - timedelta(days=4) and not used_parts(f.case)]
    unhappy = {f.id for f in partless[1::max(1, len(partless) // 3)][:3]}
    done = 0
    for followup in older:
        if followup.id in forgotten:
            continue
        if followup is unreachable:
            done += _unreachable(followup, clerk, rng, now)
        elif followup.id in unhappy:
            done += _record(followup, clerk, rng, now, satisfied=False)
            if followup.case.state is CaseState.waiting_dispatch:
                done += _second_visit(followup.case, users, clerk, rng, now)
        else:
            done += _record(followup, clerk, rng, now, satisfied=True, missed_first=rng.random() < 0.08)
    if reopen_now is not None:
        done += _record(reopen_now, clerk, rng, now, satisfied=False, at=_latest_office_moment(now, rng))
    return done


def _latest_office_moment(now: datetime, rng: random.Random) -> datetime:
    """A quarter to three quarters of an hour ago, or late on the last working afternoon."""
    moment = as_local(now) - timedelta(minutes=rng.uniform(15, 45))
    if moment.hour < 8 or (moment.hour == 8 and moment.minute < 45):
        moment = (moment - timedelta(days=1)).replace(hour=17, minute=0) + timedelta(minutes=rng.uniform(0, 20))
    elif moment.hour >= 18:
        moment = moment.replace(hour=17, minute=0) + timedelta(minutes=rng.uniform(0, 20))
    return moment


def _schedule_missing(clerk: User) -> None:
    """Cases waiting for a follow-up without one (a database from before follow-ups existed)."""
    waiting = db.session.scalars(select(RepairCase).outerjoin(FollowUp, FollowUp.case_id == RepairCase.id).where(
        RepairCase.state.in_(followups.AWAITING), FollowUp.id.is_(None)).order_by(RepairCase.id))
    for case in waiting:
        guided = case.state is CaseState.phone_guided
        ended = (case.handed_over_at if guided else case.signed_at) or case.state_changed_at
        with travel(ended):
            followups.followup_schedule(case=case, kind=FollowUpKind.guidance if guided else FollowUpKind.service,
                                        ended_at=ended, actor=clerk)


def _call_time(followup: FollowUp, rng: random.Random, *, late: bool) -> datetime:
    """When the clerk called: usually well within the limit, in office hours."""
    ended, due = as_local(followup.service_ended_at), as_local(followup.due_at)
    case = followup.case
    if followup.kind is FollowUpKind.guidance and case.state is CaseState.closed and case.closed_at:
        return max(as_local(case.closed_at) - timedelta(minutes=rng.uniform(1, 5)), ended + timedelta(minutes=20))
    if late:
        return _office(due + timedelta(hours=rng.uniform(1, 20)), rng)
    window = (due - ended).total_seconds() / 3600
    return _office(ended + timedelta(hours=rng.uniform(0.3, 0.9) * window), rng)


def _record(followup: FollowUp, clerk: User, rng: random.Random, now: datetime, *, satisfied: bool,
            at: datetime | None = None, missed_first: bool = False) -> int:
    """The clerk calls at `at` (or a time picked here) and types it in a little later."""
    case = followup.case
    called = as_local(at) if at else _call_time(followup, rng, late=rng.random() < 0.12)
    if missed_first:
        first = called - timedelta(minutes=rng.uniform(30, 90))
        if first > as_local(followup.service_ended_at):
            _typed_in(followup, first, now, rng, clerk, reached=False, notes="无人接听")
    notes = rng.choice(UNSATISFIED_NOTES) if not satisfied else rng.choice(SATISFIED_NOTES)
    solved = satisfied or rng.random() < 0.4
    rating = rng.choice((5, 5, 4)) if satisfied else (rng.choice((2, 3)) if solved else rng.choice((1, 2, 3, 5)))
    return _typed_in(followup, called, now, rng, clerk, reached=True, solved=solved, rating=rating, notes=notes,
                     name=case.caller_name or case.customer.name)


def _typed_in(followup: FollowUp, called: datetime, now: datetime, rng: random.Random, clerk: User, **answers) -> int:
    typed = max(called, as_local(followup.case.state_changed_at)) + timedelta(minutes=rng.uniform(1, 12))
    if typed > now - timedelta(minutes=1) or called > now - timedelta(minutes=2):
        return 0
    with travel(typed):
        try:
            followups.followup_record(followup=followup, done_at=called, reached=answers.pop("reached"),
                                      reached_name=answers.pop("name", ""), actor=clerk, **answers)
        except ValidationFailed:
            return 0
    return 1


def _unreachable(followup: FollowUp, clerk: User, rng: random.Random, now: datetime) -> int:
    called = as_local(followup.due_at) - timedelta(hours=3)
    for gap in (0, 1.5, 2.5):  # each try after the one before, in office hours
        called = _office(called + timedelta(hours=gap), rng)
        _typed_in(followup, called, now, rng, clerk, reached=False,
                  notes=rng.choice(["无人接听", "电话关机", "无人接听"]))
    return 1


def _second_visit(case: RepairCase, users: dict[str, User], clerk: User, rng: random.Random, now: datetime) -> int:
    """跟踪服务: the reopened case is dispatched again, repaired, signed and followed up again."""
    from flask import current_app

    from portal.dispatch import services as dispatch
    from portal.receipts import services as receipts
    from portal.receipts.demo import _sign
    from portal.repairs.services import case_transition

    techs = sorted((u for u in users.values() if u.role.value == "technician" and u.active), key=lambda u: u.id)
    if not techs:
        return 0
    tech, at = rng.choice(techs), as_local(case.state_changed_at) + timedelta(minutes=rng.uniform(3, 9))
    appointment = at + timedelta(minutes=rng.choice((60, 90, 120)))
    finished = appointment + timedelta(minutes=rng.uniform(40, 80))
    if finished + timedelta(minutes=15) > now:
        return 0
    with travel(at):
        dispatch.dispatch_case(case=case, technician=tech, appointment_at=appointment, late_reason="",
                               customer_agreed=False, instructions="回访客户不满意，再次上门跟踪服务", actor=clerk)
    with travel(at + timedelta(minutes=12)):
        dispatch.record_contact(case=case, outcome="reached", note="已约好时间", actor=tech)
    with travel(appointment - timedelta(minutes=5)):
        case_transition(case=case, target=CaseState.on_site, actor=tech)
    with travel(finished):
        receipt = receipts.receipt_open(case=case, actor=tech)
        total = receipts.priced_total(receipt, receipts.reprice(receipt))
        pick = rng.randrange(len(SECOND_VISIT_CAUSES))
        receipts.receipt_save(receipt=receipt, expected_version=receipt.version, actor=tech, ready=True, values={
            "arrived_at": as_local(case.on_site_at), "finished_at": finished, "fault_cause": SECOND_VISIT_CAUSES[pick],
            "solution": SECOND_VISIT_SOLUTIONS[pick], "test_run_shown": True, "instructions_given": True,
            "misuse": False, "misuse_reason": "", "customer_consented": True, "collected": total,
            "collect_later": False})
    with current_app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        if not _sign(receipt, rng=rng, now=now):
            return 0
    second = followups.open_followups(case)
    if not second:
        return 0
    return _record(second[0], clerk, rng, now, satisfied=True)
