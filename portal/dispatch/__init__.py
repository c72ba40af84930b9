from flask import Blueprint, url_for
from flask_babel import lazy_gettext as _l

from portal.core import nav, templating
from portal.core.roles import Role
from portal.dispatch.models import ContactOutcome
from portal.repairs.actions import Step, register_link, register_section
from portal.repairs.models import CaseState

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")

OFFICE = frozenset({Role.clerk, Role.manager})
SLIP_READERS = OFFICE | {Role.technician}

nav.add("dispatch.my_jobs", _l("My jobs"), {Role.technician}, order=3)
nav.add("dispatch.queue", _l("Dispatch"), OFFICE, order=7)

templating.describe_fields(
    {"technician": _l("Technician"), "technician_id": _l("Technician"), "appointment_at": _l("Appointment"),
     "late_reason": _l("Reason for the later time"), "customer_agreed": _l("Customer agreed"),
     "instructions": _l("Instructions"), "superseded": _l("Replaced by a new dispatch"), "case": _l("Case"),
     "contact_outcome": _l("Call to the customer")},
    {"contact_outcome": ContactOutcome})


def _dispatch_url(case) -> str:
    """The dispatch form while the case can be dispatched; otherwise (a confirmed appointment that
    may go back to dispatched) the slip page, where the job is reassigned."""
    from portal.dispatch import services
    slip = None if case.state in services.DISPATCH_FROM else services.active_slip(case)
    if slip is not None:
        return url_for("dispatch.slip", slip_id=slip.id, _anchor="reassign")
    return url_for("dispatch.new", case_id=case.id)


register_link(Step(target=CaseState.dispatched, label=_l("Dispatch a technician"), roles=OFFICE, url=_dispatch_url,
                   style="button primary", from_states=frozenset({CaseState.waiting_dispatch})))
register_link(Step(target=CaseState.dispatched, label=_l("Dispatch again"), roles=OFFICE, url=_dispatch_url,
                   style="button primary", from_states=frozenset({CaseState.contact_failed})))
register_link(Step(target=CaseState.dispatched, label=_l("Reassign or reschedule"), roles=OFFICE, url=_dispatch_url,
                   from_states=frozenset({CaseState.appointment_confirmed})))
register_section("dispatch/_case_section.html")


@bp.app_context_processor
def _dispatch_helpers():
    from portal.dispatch.views import dispatch_panel
    return {"dispatch_panel": dispatch_panel}


from portal.dispatch import home, views  # noqa: E402,F401
