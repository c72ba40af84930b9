"""Plain data for the printed complaint form (投诉单 / 顾客信息反馈记录表); always in Chinese."""
from __future__ import annotations

from portal.complaints.models import Complaint, ComplaintState, ResponsibleKind
from portal.complaints.services import complaint_clock, reply_days
from portal.core.timeutil import as_local, local_now
from portal.repairs.models import Channel
from portal.settings.services import letterhead

STATE_NAMES = {ComplaintState.received: "已受理", ComplaintState.investigating: "调查中",
               ComplaintState.solution_proposed: "已提出解决方案", ComplaintState.opinion_recorded: "已记录客户意见",
               ComplaintState.closed: "已结案"}
CHANNEL_NAMES = {Channel.call: "来电", Channel.letter: "来函", Channel.visit: "来人"}
KIND_NAMES = {ResponsibleKind.department: "部门", ResponsibleKind.person: "个人", ResponsibleKind.external: "外部",
              ResponsibleKind.undetermined: "未能确定（召集相关部门）"}


def _time(moment) -> str:
    local = as_local(moment)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def complaint_context(complaint: Complaint) -> dict:
    clock = complaint_clock(complaint)
    party = [KIND_NAMES[complaint.responsible_kind]] if complaint.responsible_kind else []
    party += [p for p in (complaint.responsible_party,
                          complaint.responsible_user.display_name if complaint.responsible_user else "") if p]
    reply = {"done": "按期答复", "late": "逾期答复", "red": "已逾期，尚未答复", "amber": "即将到期", "ok": "未到期"}[clock.level]
    return {
        "letterhead": letterhead(), "title": "客户投诉单", "number": complaint.number, "draft": False,
        "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
        "state": STATE_NAMES[complaint.state], "channel": CHANNEL_NAMES[complaint.channel],
        "received_at": _time(complaint.received_at), "customer": complaint.customer.name,
        "customer_number": complaint.customer.number, "address": complaint.customer.address,
        "phone": complaint.customer.primary_phone, "complainant": complaint.complainant,
        "case": complaint.case.number if complaint.case else "",
        "staff": "、".join(u.display_name for u in complaint.staff),
        "content": complaint.content, "party": " · ".join(party), "notes": complaint.investigation_notes,
        "solution": complaint.solution, "reply_days": reply_days(), "due_at": _time(clock.due_at),
        "replied_at": _time(complaint.first_reply_at), "reply_status": reply, "overdue": clock.level in ("red", "late"),
        "satisfied": {True: "满意", False: "不满意", None: ""}[complaint.customer_satisfied],
        "opinion": complaint.customer_opinion, "service": complaint.caused_by_service,
        "compensation": complaint.compensation_note,
        "amount": f"¥{complaint.compensation_amount:.2f}" if complaint.compensation_amount is not None else "",
        "closed_at": _time(complaint.closed_at), "closing_note": complaint.closing_note,
        "registered_by": complaint.registered_by.display_name if complaint.registered_by else "",
    }
