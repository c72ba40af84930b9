from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.models import User
from portal.core import audit, htmx
from portal.core.access import roles
from portal.core.forms import choices
from portal.core.pdf import pdf_response, render_pdf
from portal.core.roles import Role
from portal.core.timeutil import as_local, local_now, local_today
from portal.core.web import attempt, done, form_status, get_or_404
from portal.customers.warranty import equipment_status
from portal.dispatch import OFFICE, SLIP_READERS, bp, services
from portal.dispatch.forms import ContactForm, DispatchForm, ReassignForm, RescheduleForm, WrongDataForm
from portal.dispatch.models import ContactOutcome, DispatchSlip
from portal.dispatch.printing import slip_context
from portal.extensions import db
from portal.repairs.models import CaseState, RepairCase
from portal.repairs.services import ensure_can_work_on, running_clock


def _user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id else None


def _default_appointment():
    """A suggestion for the form: an hour from now, on the next quarter hour (local, naive)."""
    soon = local_now().replace(second=0, microsecond=0, tzinfo=None) + timedelta(hours=1)
    return soon + timedelta(minutes=(-soon.minute) % 15)


def _slip_for(user: Any, slip_id: int) -> DispatchSlip:
    """The office sees every slip; a technician only the current slip of their own job."""
    slip = get_or_404(DispatchSlip, slip_id)
    ensure_can_work_on(slip.case, user)
    if user.role is Role.technician and slip.technician_id != user.id:
        abort(403)
    return slip


# --- the office's queue and the dispatch form -----------------------------------------------------

@bp.get("/")
@roles(OFFICE)
def queue():
    return htmx.render("dispatch/queue.html", cases=services.dispatch_queue(), clock=running_clock, now=local_now())


def _case_summary(case: RepairCase) -> dict[str, Any]:
    return {"case": case, "clock": running_clock(case), "deadline": services.onsite_deadline(case),
            "warranty": equipment_status(case.equipment, today=local_today()) if case.equipment else None,
            "loads": services.workload(day=local_today()), "slip": services.active_slip(case)}


@bp.route("/case/<int:case_id>/new", methods=["GET", "POST"])
@roles(OFFICE)
def new(case_id: int):
    case = get_or_404(RepairCase, case_id)
    services.check_dispatchable(case)
    form = DispatchForm(data={"appointment_at": _default_appointment()} if request.method == "GET" else None)
    outcome = attempt(form, lambda: services.dispatch_case(
        case=case, technician=_user(form.technician_id.data), appointment_at=form.appointment_utc(),
        late_reason=form.late_reason.data or "", customer_agreed=form.customer_agreed.data,
        instructions=form.instructions.data or "", actor=current_user))
    if outcome.ok:
        return done(url_for("repairs.show", case_id=case.id), _("Slip %(number)s: %(name)s dispatched.",
                    number=outcome.result.number, name=outcome.result.technician.display_name))
    return htmx.render("dispatch/new.html", form=form, status=form_status(outcome), **_case_summary(case))


# --- the slip page: history, reschedule, reassign, PDF --------------------------------------------

def _slip_page(slip: DispatchSlip, *, reschedule_form: RescheduleForm | None = None,
               reassign_form: ReassignForm | None = None, conflict=None, status: int = 200):
    if reschedule_form is None:
        reschedule_form = RescheduleForm(prefix="reschedule", data={
            "appointment_at": as_local(slip.appointment_at).replace(tzinfo=None), "version": slip.version})
    reassign_form = reassign_form or ReassignForm(prefix="reassign", data={"version": slip.version})
    reassign_form.technician_id.choices = choices([("", "—")] + [(t.id, t.display_name) for t in services.technicians()])
    return htmx.render("dispatch/slip.html", slip=slip, case=slip.case, reschedule_form=reschedule_form,
                       reassign_form=reassign_form, conflict=conflict, timeline=audit.timeline(slip),
                       changeable=not slip.superseded and slip.case.state in services.CHANGE_FROM,
                       attempts=services.contact_attempts(slip.case), status=status)


@bp.get("/slips/<int:slip_id>")
@roles(SLIP_READERS)
def slip(slip_id: int):
    return _slip_page(_slip_for(current_user, slip_id))


@bp.post("/slips/<int:slip_id>/reschedule")
@roles(OFFICE)
def reschedule(slip_id: int):
    slip = get_or_404(DispatchSlip, slip_id)
    form = RescheduleForm(prefix="reschedule")
    outcome = attempt(form, lambda: services.reschedule(
        slip=slip, appointment_at=form.appointment_utc(), reason=form.reason.data or "",
        customer_agreed=form.customer_agreed.data, expected_version=form.version.data, actor=current_user), obj=slip)
    if outcome.ok:
        return done(url_for("dispatch.slip", slip_id=slip.id), _("New appointment saved."))
    return _slip_page(slip, reschedule_form=form, conflict=outcome.conflict, status=form_status(outcome))


@bp.post("/slips/<int:slip_id>/reassign")
@roles(OFFICE)
def reassign(slip_id: int):
    slip = get_or_404(DispatchSlip, slip_id)
    form = ReassignForm(prefix="reassign")
    outcome = attempt(form, lambda: services.reassign(
        slip=slip, technician=_user(form.technician_id.data), reason=form.reason.data or "",
        expected_version=form.version.data, actor=current_user), obj=slip)
    if outcome.ok:
        return done(url_for("dispatch.slip", slip_id=slip.id), _("Job handed to %(name)s.",
                                                                  name=outcome.result.to_technician.display_name))
    return _slip_page(slip, reassign_form=form, conflict=outcome.conflict, status=form_status(outcome))


@bp.get("/slips/<int:slip_id>.pdf")
@roles(SLIP_READERS)
def slip_pdf(slip_id: int):
    slip = _slip_for(current_user, slip_id)
    data = render_pdf("print/dispatch_slip.html", **slip_context(slip, today=local_today()))
    return pdf_response(data, f"售后派工单-{slip.number}.pdf")


# --- the technician: my jobs, calls to the customer, wrong data -----------------------------------

@bp.get("/my-jobs")
@roles(Role.technician)
def my_jobs():
    from portal.carryin import services as carryin
    # Carried-in units are bench work, not visits: their own "Workshop" group, not the on-site list.
    workshop = carryin.workshop_jobs(technician=current_user)
    in_workshop = {goods.case_id for goods in workshop}
    jobs = [case for case in services.my_jobs(technician=current_user) if case.id not in in_workshop]
    return htmx.render("dispatch/my_jobs.html", jobs=jobs, clock=running_clock, workshop=workshop,
                       days_in=carryin.days_in, overdue_limit=carryin.overdue_days(), is_overdue=carryin.is_overdue)


def dispatch_panel(case: RepairCase, forms: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the case page's dispatch section shows (templates/dispatch/_case_section.html)."""
    forms = forms or {}
    slips, attempts = services.case_slips(case), services.contact_attempts(case)
    mine = current_user.role is Role.technician and case.technician_id == current_user.id
    slip = next((s for s in slips if not s.superseded), None)
    return {"slip": slip, "earlier": [s for s in slips if s.superseded],
            "attempts": attempts, "office": current_user.role in OFFICE,
            "can_open": slip is not None and (current_user.role in OFFICE or (mine and slip.technician_id == current_user.id)),
            "can_contact": mine and case.state in services.CONTACT_FROM, "can_report": mine,
            "next_call": services.next_call_after(case, attempts), "max_failed": services.MAX_FAILED_CONTACTS,
            "contact_form": forms.get("contact") or ContactForm(prefix="contact"),
            "wrong_form": forms.get("wrong") or WrongDataForm(prefix="wrong"),
            "visible": bool(slips or attempts)}


def _contact_message(case: RepairCase, outcome: ContactOutcome) -> str:
    if outcome is ContactOutcome.reached:
        return _("Call logged: the customer was reached.")
    if case.state is CaseState.contact_failed:
        return _("Third failed call: the case went back to the office (contact failed).")
    return _("Call logged (%(count)s failed of %(max)s). Call again in 10 minutes.",
             count=case.failed_contacts, max=services.MAX_FAILED_CONTACTS)


@bp.post("/case/<int:case_id>/contact")
@roles(Role.technician)
def contact(case_id: int):
    case = get_or_404(RepairCase, case_id)
    ensure_can_work_on(case, current_user)
    form = ContactForm(prefix="contact")
    outcome = attempt(form, lambda: services.record_contact(case=case, outcome=form.outcome.data,
                                                            note=form.note.data or "", actor=current_user))
    if outcome.ok:
        return done(url_for("repairs.show", case_id=case.id), _contact_message(case, outcome.result.outcome))
    return htmx.render("dispatch/case_forms.html", "dispatch/_case_section.html", case=case,
                       dispatch_forms={"contact": form}, status=form_status(outcome))


@bp.post("/case/<int:case_id>/wrong-data")
@roles(Role.technician)
def wrong_data(case_id: int):
    case = get_or_404(RepairCase, case_id)
    ensure_can_work_on(case, current_user)
    form = WrongDataForm(prefix="wrong")
    outcome = attempt(form, lambda: services.report_wrong_address(case=case, field=form.field.data,
                                                                  description=form.description.data, actor=current_user))
    if outcome.ok:
        return done(url_for("repairs.show", case_id=case.id), _("Thank you: the office will correct it today."))
    return htmx.render("dispatch/case_forms.html", "dispatch/_case_section.html", case=case,
                       dispatch_forms={"wrong": form}, status=form_status(outcome))
