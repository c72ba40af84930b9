from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime, VersionedMixin
from portal.core.workflow import StateMachine
from portal.customers.models import Customer, Equipment, _enum
from portal.extensions import db


class CaseState(enum.StrEnum):
    registered = "registered"
    phone_guided = "phone_guided"
    waiting_dispatch = "waiting_dispatch"
    dispatched = "dispatched"
    appointment_confirmed = "appointment_confirmed"
    contact_failed = "contact_failed"
    on_site = "on_site"
    in_workshop = "in_workshop"
    awaiting_signature = "awaiting_signature"
    signed = "signed"
    archived = "archived"
    followup_due = "followup_due"
    closed = "closed"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return str(CASE_STATE_LABELS[self])

    @property
    def css_class(self) -> str:
        return {"contact_failed": "bad", "cancelled": "off", "closed": "off", "signed": "ok", "archived": "ok",
                "awaiting_signature": "warn", "in_workshop": "warn", "followup_due": "warn",
                "phone_guided": "warn"}.get(self.value, "info")


CASE_STATE_LABELS = {
    CaseState.registered: _l("Registered"),
    CaseState.phone_guided: _l("Guided by phone"),
    CaseState.waiting_dispatch: _l("Waiting for dispatch"),
    CaseState.dispatched: _l("Dispatched"),
    CaseState.appointment_confirmed: _l("Appointment confirmed"),
    CaseState.contact_failed: _l("Contact failed"),
    CaseState.on_site: _l("On site"),
    CaseState.in_workshop: _l("In the workshop"),
    CaseState.awaiting_signature: _l("Awaiting signature"),
    CaseState.signed: _l("Signed"),
    CaseState.archived: _l("Archived"),
    CaseState.followup_due: _l("Follow-up due"),
    CaseState.closed: _l("Closed"),
    CaseState.cancelled: _l("Cancelled"),
}

S = CaseState
CASE_WORKFLOW = StateMachine(
    {
        # in_workshop: a walk-in customer's unit taken in at the counter (carry-in family).
        S.registered: {S.phone_guided, S.waiting_dispatch, S.in_workshop, S.cancelled},
        S.phone_guided: {S.closed, S.waiting_dispatch, S.cancelled},
        S.waiting_dispatch: {S.dispatched, S.in_workshop, S.cancelled},
        S.dispatched: {S.appointment_confirmed, S.contact_failed, S.on_site, S.waiting_dispatch, S.cancelled},
        S.contact_failed: {S.dispatched, S.waiting_dispatch, S.cancelled},
        S.appointment_confirmed: {S.on_site, S.contact_failed, S.dispatched, S.waiting_dispatch, S.cancelled},
        # Not repairable on site: the unit is taken away to the workshop (W2 step 5).
        S.on_site: {S.awaiting_signature, S.waiting_dispatch, S.in_workshop},
        S.in_workshop: {S.awaiting_signature},
        S.awaiting_signature: {S.on_site, S.in_workshop, S.signed},
        S.signed: {S.archived},
        S.archived: {S.followup_due},
        S.followup_due: {S.closed, S.waiting_dispatch},
        S.closed: {S.waiting_dispatch},
        S.cancelled: set(),
    },
    timestamps={S.phone_guided: "handed_over_at", S.waiting_dispatch: "handed_over_at", S.dispatched: "dispatched_at",
                S.appointment_confirmed: "confirmed_at", S.on_site: "on_site_at", S.in_workshop: "in_workshop_at",
                S.awaiting_signature: "completed_at", S.signed: "signed_at", S.archived: "archived_at",
                S.closed: "closed_at", S.cancelled: "cancelled_at"},
)
# Going back to an earlier step from a later one is a reopen and needs a reason.
REOPENS = frozenset({(S.phone_guided, S.waiting_dispatch), (S.followup_due, S.waiting_dispatch),
                     (S.closed, S.waiting_dispatch), (S.on_site, S.waiting_dispatch)})
OPEN_STATES = frozenset({S.registered, S.waiting_dispatch, S.dispatched, S.appointment_confirmed, S.contact_failed,
                         S.on_site, S.in_workshop, S.awaiting_signature})


class Channel(enum.StrEnum):
    call = "call"
    letter = "letter"
    visit = "visit"

    @property
    def label(self) -> str:
        return str({Channel.call: _l("Phone call"), Channel.letter: _l("Letter"), Channel.visit: _l("Visit")}[self])


class Urgency(enum.StrEnum):
    normal = "normal"
    urgent = "urgent"

    @property
    def label(self) -> str:
        return str({Urgency.normal: _l("Normal"), Urgency.urgent: _l("Urgent")}[self])


def _ts():
    return mapped_column(UTCDateTime(), nullable=True)


class RepairCase(TimestampMixin, VersionedMixin, db.Model):
    """One repair call from intake to follow-up (报修信息记录本 F01 / 叫修登记簿 F12)."""
    __tablename__ = "repair_case"
    __table_args__ = (Index("ix_repair_case_state_due", "state", "dispatch_due_at"),
                      Index("ix_repair_case_tech_state", "technician_id", "state"))
    workflow = CASE_WORKFLOW

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel), default=Channel.call)
    caller_name: Mapped[str] = mapped_column(String(40), default="")
    caller_phone: Mapped[str] = mapped_column(String(24), default="")
    symptom: Mapped[str] = mapped_column(Text)
    probable_cause: Mapped[str] = mapped_column(Text, default="")
    parts_to_prepare: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency), default=Urgency.normal)
    guidance_notes: Mapped[str] = mapped_column(Text, default="")
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    state: Mapped[CaseState] = mapped_column(_enum(CaseState), default=CaseState.registered, index=True)
    state_changed_at: Mapped[datetime | None] = _ts()
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    registered_at: Mapped[datetime | None] = _ts()
    handed_over_at: Mapped[datetime | None] = _ts()
    dispatched_at: Mapped[datetime | None] = _ts()
    confirmed_at: Mapped[datetime | None] = _ts()
    on_site_at: Mapped[datetime | None] = _ts()
    in_workshop_at: Mapped[datetime | None] = _ts()
    completed_at: Mapped[datetime | None] = _ts()
    signed_at: Mapped[datetime | None] = _ts()
    archived_at: Mapped[datetime | None] = _ts()
    closed_at: Mapped[datetime | None] = _ts()
    cancelled_at: Mapped[datetime | None] = _ts()
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    # SLA clocks, from the department settings at the moment the clock starts.
    answer_due_at: Mapped[datetime | None] = _ts()
    dispatch_due_at: Mapped[datetime | None] = _ts()
    onsite_due_at: Mapped[datetime | None] = _ts()
    followup_due_at: Mapped[datetime | None] = _ts()

    # The current assignment, kept in step with the active dispatch slip for "my jobs" and workload.
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    appointment_at: Mapped[datetime | None] = _ts()
    failed_contacts: Mapped[int] = mapped_column(Integer, default=0)

    customer: Mapped[Customer] = relationship()
    equipment: Mapped[Equipment | None] = relationship()
    technician = relationship("User", foreign_keys=[technician_id])
    registered_by = relationship("User", foreign_keys=[registered_by_id])
