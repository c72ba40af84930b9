"""Factory helpers for repair-case tests (call inside an app context)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from portal.accounts.models import User
from portal.core.timeutil import utcnow
from portal.extensions import db
from portal.repairs import services
from portal.repairs.models import CaseState, Channel, RepairCase, Urgency
from tests.customers import helpers as customer_helpers


def new_case(*, customer=None, unit: bool = True, bought: date = date(2025, 3, 2), months: int | None = None,
             received_at: datetime | None = None, actor=None, symptom: str = "点不着火，有燃气味") -> RepairCase:
    customer = customer or customer_helpers.customer("张伟")
    equipment = customer_helpers.unit(customer, bought=bought, months=months) if unit else None
    return services.case_register(customer=customer, equipment=equipment, channel=Channel.call, caller_name="张伟",
                                  caller_phone="13812345678", symptom=symptom, urgency=Urgency.normal,
                                  received_at=received_at, actor=actor)


def case_in(state: CaseState, *, technician_id: int | None = None, **kwargs) -> RepairCase:
    """A case walked through the workflow to `state` (dispatch fields set directly where the
    dispatch family would set them)."""
    case = new_case(**kwargs)
    path = {
        CaseState.registered: [],
        CaseState.phone_guided: [CaseState.phone_guided],
        CaseState.waiting_dispatch: [CaseState.waiting_dispatch],
        CaseState.dispatched: [CaseState.waiting_dispatch, CaseState.dispatched],
        CaseState.appointment_confirmed: [CaseState.waiting_dispatch, CaseState.dispatched,
                                          CaseState.appointment_confirmed],
        CaseState.contact_failed: [CaseState.waiting_dispatch, CaseState.dispatched, CaseState.contact_failed],
        CaseState.on_site: [CaseState.waiting_dispatch, CaseState.dispatched, CaseState.appointment_confirmed,
                            CaseState.on_site],
        CaseState.awaiting_signature: [CaseState.waiting_dispatch, CaseState.dispatched,
                                       CaseState.appointment_confirmed, CaseState.on_site,
                                       CaseState.awaiting_signature],
        CaseState.cancelled: [CaseState.cancelled],
    }[state]
    for target in path:
        if target is CaseState.dispatched:
            case.technician_id = technician_id
            case.appointment_at = utcnow() + timedelta(hours=1)
        if target is CaseState.phone_guided:
            case.guidance_notes = "指导客户清理喷嘴"
        note = "测试原因" if target is CaseState.cancelled else None
        services.case_transition(case=case, target=target, actor=None, note=note)
    return case


def user(user_id: int) -> User:
    return db.session.get(User, user_id)
