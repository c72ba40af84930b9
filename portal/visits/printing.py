"""Plain-data contexts for the visit record (回访档案), the clerk's monthly visit summary
(重点客户走访月度汇总) and the follow-up record (回访记录单); always printed in Chinese."""
from __future__ import annotations

from portal.core.signing import RATINGS
from portal.core.timeutil import as_local, local_now, local_today
from portal.settings.services import letterhead
from portal.visits.models import FollowUp, FollowUpKind, FollowUpState, Visit, VisitFrequency
from portal.visits.services import Summary

FREQUENCY_NAMES = {VisitFrequency.monthly: "每月一次", VisitFrequency.quarterly: "每季一次",
                   VisitFrequency.custom: "每 {n} 天一次"}


def frequency_text(frequency: VisitFrequency, interval_days: int | None) -> str:
    return FREQUENCY_NAMES[frequency].format(n=interval_days or "")


def _day(value) -> str:
    return value.isoformat() if value else ""


def _action(action) -> dict:
    done_at = as_local(action.done_at)
    return {"description": action.description, "owner": action.owner.display_name if action.owner else "",
            "due_on": _day(action.due_on), "done_on": done_at.strftime("%Y-%m-%d") if done_at else "",
            "overdue": action.done_at is None and action.due_on is not None and action.due_on < local_today(),
            "visit": action.visit.number, "customer": action.visit.customer.name}


def visit_context(visit: Visit) -> dict:
    customer = visit.customer
    schedule = visit.schedule
    return {
        "letterhead": letterhead(), "title": "重点客户回访档案", "number": visit.number, "draft": False,
        "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
        "customer": customer.name, "customer_number": customer.number, "address": customer.address,
        "region": visit.region, "phone": customer.primary_phone,
        "visited_on": _day(visit.visited_on), "visitors": visit.visitor_names, "people_met": visit.people_met,
        "frequency": frequency_text(schedule.frequency, schedule.interval_days) if schedule else "",
        "next_due": _day(schedule.next_due_on) if schedule else "",
        "usage": visit.equipment_usage,
        "units": [{"unit": f"{u.equipment.product_type.name} {u.equipment.model} · {u.equipment.serial}",
                   "usage": u.usage} for u in visit.unit_usage],
        "opinions": [("设计", visit.design_opinion), ("装配", visit.assembly_opinion), ("工艺", visit.process_opinion)],
        "other": visit.other_feedback, "followup": visit.followup_needed,
        "actions": [_action(a) for a in visit.actions],
        "recorded_by": visit.recorded_by.display_name if visit.recorded_by else "",
    }


def summary_context(summary: Summary) -> dict:
    return {
        "letterhead": letterhead(), "title": "重点客户走访月度汇总",
        "number": f"ZFHZ-{summary.year:04d}{summary.month:02d}", "draft": summary.last >= local_today(),
        "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
        "month": f"{summary.year} 年 {summary.month} 月", "first": _day(summary.first), "last": _day(summary.last),
        "total": summary.total, "by_region": summary.by_region, "by_staff": summary.by_staff,
        "missed": [{"customer": s.customer.name, "region": s.customer.region, "due": _day(due),
                    "responsible": s.responsible.display_name if s.responsible else ""} for s, due in summary.missed],
        "visits": [{"number": v.number, "day": _day(v.visited_on), "customer": v.customer.name, "region": v.region,
                    "visitors": v.visitor_names, "usage": v.equipment_usage,
                    "opinions": [(name, text) for name, text in (("设计", v.design_opinion), ("装配", v.assembly_opinion),
                                                                ("工艺", v.process_opinion),
                                                                ("其他", v.other_feedback)) if text],
                    "followup": v.followup_needed} for v in summary.visits],
        "actions": [_action(a) for a in summary.open_actions],
    }


KIND_NAMES = {FollowUpKind.service: "服务完成后回访", FollowUpKind.guidance: "电话指导后回访"}


def _minute_text(moment) -> str:
    local = as_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def followup_context(followup: FollowUp) -> dict:
    """回访记录单: an open follow-up prints with blank answers, as the sheet for the call."""
    case = followup.case
    unit = case.equipment
    recorded = followup.state is not FollowUpState.open
    outcome = ""
    if followup.state is FollowUpState.unreachable:
        outcome = f"连续 {len(followup.calls)} 次无人接听，联系不上"
    elif followup.state is FollowUpState.done:
        outcome = ("问题已解决，客户满意，结案" if followup.solved and followup.satisfied
                   else "客户未满意，重新派工跟踪服务")
    return {
        "letterhead": letterhead(), "title": "回访记录单", "number": followup.number, "draft": False,
        "printed_at": local_now().strftime("%Y-%m-%d %H:%M"), "recorded": recorded,
        "customer": case.customer.name, "customer_number": case.customer.number, "address": case.customer.address,
        "phone": case.caller_phone or case.customer.primary_phone, "caller": case.caller_name,
        "case_number": case.number, "received_at": _minute_text(case.received_at), "symptom": case.symptom,
        "unit": f"{unit.product_type.name} {unit.model} · {unit.serial}" if unit else "",
        "kind": KIND_NAMES[followup.kind], "attempt": followup.attempt,
        "service_ended_at": _minute_text(followup.service_ended_at),
        "served_by": followup.served_by.display_name if followup.served_by else "",
        "due_at": _minute_text(followup.due_at), "done_at": _minute_text(followup.done_at),
        "on_time": None if followup.done_at is None else followup.done_at <= followup.due_at,
        "calls": [{"at": _minute_text(c.called_at), "staff": c.staff.display_name if c.staff else "", "note": c.note}
                  for c in followup.calls],
        "reached_name": followup.reached_name, "solved": followup.solved, "rating": followup.rating,
        "ratings": sorted(RATINGS.items(), reverse=True), "notes": followup.notes, "outcome": outcome,
        "staff": followup.staff.display_name if followup.staff else "",
    }
