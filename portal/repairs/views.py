from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import audit, htmx
from portal.core.access import roles
from portal.core.forms import choices
from portal.core.timeutil import local_now, local_today
from portal.core.web import attempt, done, form_status, get_or_404
from portal.customers import services as customers
from portal.customers.models import Customer
from portal.customers.warranty import equipment_status
from portal.repairs import INTAKE, OFFICE, READ, actions, bp, services
from portal.repairs.forms import IntakeForm, ReasonForm
from portal.repairs.models import CaseState, RepairCase
from portal.settings.services import get_settings


@bp.get("/")
@roles(INTAKE)
def index():
    state, q = request.args.get("state", "open"), request.args.get("q", "")[:100]
    page = max(request.args.get("page", 1, type=int), 1)
    items, total = services.case_list(state=state, q=q, page=page)
    pages = max(1, -(-min(total, services.COUNT_CAP) // 25))
    return htmx.render("repairs/index.html", "repairs/_list.html", cases=items, total=total, page_no=min(page, pages),
                       pages=pages, capped=total > services.COUNT_CAP, state=state, q=q, states=list(CaseState),
                       clock=services.running_clock)


def _intake_form() -> IntakeForm:
    form = IntakeForm()
    if request.method == "GET":
        form.received_at.data = local_now().replace(second=0, microsecond=0, tzinfo=None)
    customer = customers.get_customer(int(form.customer_id.data)) if (form.customer_id.data or "").isdigit() else None
    form.equipment_id.choices = _unit_choices(customer)
    form.new_product_type_id.choices = choices([("", "—")] + [(t.id, t.name) for t in customers.product_types()])
    return form


def _unit_choices(customer: Customer | None):
    units = [(u.id, f"{u.product_type.name} {u.model} · {u.serial}") for u in (customer.equipment if customer else [])]
    return choices([("", _("(no particular unit)"))] + units + [("new", _("+ a unit not yet registered"))])


@bp.route("/intake", methods=["GET", "POST"])
@roles(INTAKE)
def intake():
    form = _intake_form()
    outcome = attempt(form, lambda: services.intake(values=form.data, actor=current_user))
    if outcome.ok:
        case = outcome.result
        return done(url_for("repairs.show", case_id=case.id),
                    _("Repair call %(number)s registered: %(state)s.", number=case.number, state=case.state.label))
    chosen = customers.get_customer(int(form.customer_id.data)) if (form.customer_id.data or "").isdigit() else None
    return htmx.render("repairs/intake.html", form=form, greeting=get_settings().hotline_greeting, chosen=chosen,
                       status=form_status(outcome))


@bp.get("/intake/customers")
@roles(INTAKE)
def intake_customers():
    q = request.args.get("lookup", "")[:100]
    found = customers.search_customers(customers.Filters(q=q)).items[:8] if q.strip() else []
    return htmx.render("repairs/_intake_customers.html", found=found, q=q)


@bp.get("/intake/customer/<int:customer_id>")
@roles(INTAKE)
def intake_customer(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = _intake_form()
    form.customer_id.data = str(customer.id)
    form.equipment_id.choices = _unit_choices(customer)
    today = local_today()
    return htmx.render("repairs/_intake_chosen.html", chosen=customer, form=form,
                       statuses={u.id: equipment_status(u, today=today) for u in customer.equipment})


@bp.get("/<int:case_id>")
@roles(READ)
def show(case_id: int):
    case = get_or_404(RepairCase, case_id)
    services.ensure_can_work_on(case, current_user)
    status = equipment_status(case.equipment, today=local_today()) if case.equipment else None
    return htmx.render("repairs/show.html", "repairs/_status_panel.html", case=case, warranty=status,
                       steps=actions.steps_for(case, current_user), clock=services.running_clock(case),
                       timeline=audit.timeline(case), reason_form=ReasonForm())


@bp.post("/<int:case_id>/transition")
@roles(READ)
def transition(case_id: int):
    case = get_or_404(RepairCase, case_id)
    services.ensure_can_work_on(case, current_user)
    form = ReasonForm()
    target = CaseState.__members__.get(form.target.data or "")
    if target is None:
        abort(400)
    # A step the workflow allows but this role has no button for is refused; a step the workflow
    # does not allow goes to the service, whose 409 says what is allowed instead.
    if actions.button_for(case, target, current_user) is None and target in RepairCase.workflow.allowed(case.state):
        abort(403)
    services.case_transition(case=case, target=target, actor=current_user, note=form.reason.data)
    return done(url_for("repairs.show", case_id=case.id), _("Case %(number)s: %(state)s.", number=case.number,
                                                            state=case.state.label))


@bp.get("/overdue")
@roles(OFFICE)
def overdue():
    limit = min(max(request.args.get("limit", 0, type=int), 0), 100)  # the home page's panel shows the first few
    return htmx.render("repairs/overdue.html", "repairs/_overdue_board.html", clocks=services.overdue_board(),
                       now=local_now(), limit=limit)
