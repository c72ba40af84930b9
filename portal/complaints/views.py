from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.complaints import CLOSE, REGISTER, WORK, bp, forms, services
from portal.complaints.models import Complaint, ComplaintState, ResponsibleKind
from portal.complaints.printing import complaint_context
from portal.core import audit, htmx
from portal.core.access import roles
from portal.core.pdf import pdf_response, render_pdf
from portal.core.timeutil import as_local, local_now
from portal.core.web import attempt, done, form_status, get_or_404
from portal.customers.models import Customer
from portal.repairs.models import RepairCase


@bp.get("/")
@roles(REGISTER)
def index():
    show = request.args.get("show") if request.args.get("show") in services.LIST_FILTERS else "open"
    q = (request.args.get("q") or "").strip()[:100]
    service_only = request.args.get("service") == "1"
    return htmx.render("complaints/index.html", "complaints/_list.html", show=show, q=q, service_only=service_only,
                       complaints=services.complaint_list(show=show, q=q, service_only=service_only),
                       overdue=services.overdue_count(), states=list(ComplaintState), clock=services.complaint_clock)


@bp.get("/customers")
@roles(REGISTER)
def customer_search():
    q = (request.args.get("q") or "").strip()[:100]
    return htmx.render("complaints/pick_customer.html", "complaints/_customer_results.html", q=q,
                       customers=services.find_customers(q))


def _details_form(form: forms.ComplaintForm, customer: Customer) -> forms.ComplaintForm:
    form.case_id.choices = [("", _("(none)"))] + [
        (c.id, f"{c.number} · {as_local(c.received_at):%Y-%m-%d} · {c.symptom[:30]}") for c in services.customer_cases(customer)]
    form.staff_ids.choices = [(u.id, f"{u.display_name}（{u.role.label}）") for u in services.staff_choices()]
    return form


def _new_defaults() -> dict | None:
    if request.method != "GET":
        return None
    return {"received_at": local_now().replace(second=0, microsecond=0, tzinfo=None),
            "case_id": request.args.get("case_id", type=int), "channel": "call"}


@bp.route("/new", methods=["GET", "POST"])
@roles(REGISTER)
def new():
    case = get_or_404(RepairCase, request.args.get("case_id", type=int)) if request.args.get("case_id") else None
    customer_id = case.customer_id if case else request.args.get("customer_id", type=int)
    if customer_id is None:
        return htmx.render("complaints/pick_customer.html", q="", customers=[])
    customer = get_or_404(Customer, customer_id)
    form = _details_form(forms.ComplaintForm(data=_new_defaults()), customer)
    outcome = attempt(form, lambda: services.complaint_register(
        customer=customer, values=form.values(), staff_ids=form.staff_ids.data or [], actor=current_user))
    if outcome.ok:
        return done(url_for("complaints.show", complaint_id=outcome.result.id),
                    _("Complaint %(number)s registered.", number=outcome.result.number))
    return htmx.render("complaints/form.html", form=form, customer=customer, complaint=None, conflict=None,
                       reply_days=services.reply_days(), status=form_status(outcome))


@bp.route("/<int:complaint_id>/edit", methods=["GET", "POST"])
@roles(WORK)
def edit(complaint_id: int):
    complaint = get_or_404(Complaint, complaint_id)
    form = forms.ComplaintForm(obj=complaint if request.method == "GET" else None)
    if request.method == "GET":
        form.received_at.data = as_local(complaint.received_at).replace(tzinfo=None)
        form.staff_ids.data = [u.id for u in complaint.staff]
    _details_form(form, complaint.customer)
    outcome = attempt(form, lambda: services.complaint_update(
        complaint=complaint, values=form.values(), staff_ids=form.staff_ids.data or [],
        expected_version=form.version.data, actor=current_user), obj=complaint)
    if outcome.ok:
        return done(url_for("complaints.show", complaint_id=complaint.id), _("Changes saved."))
    return htmx.render("complaints/form.html", form=form, customer=complaint.customer, complaint=complaint,
                       conflict=outcome.conflict, reply_days=services.reply_days(), status=form_status(outcome))


def _investigate_form(complaint: Complaint, form: forms.InvestigateForm | None = None) -> forms.InvestigateForm:
    form = form or forms.InvestigateForm(obj=complaint)
    form.responsible_kind.choices = [("", "—")] + [(k.value, k.label) for k in ResponsibleKind]
    form.responsible_user_id.choices = [("", "—")] + [(u.id, u.display_name) for u in services.staff_choices()]
    return form


def _page(complaint: Complaint, *, status: int = 200, **forms_):
    return htmx.render("complaints/show.html", complaint=complaint, clock=services.complaint_clock(complaint),
                       investigate=forms_.get("investigate") or _investigate_form(complaint),
                       opinion=forms_.get("opinion") or forms.OpinionForm(),
                       close=forms_.get("close") or forms.CloseForm(obj=complaint),
                       timeline=audit.timeline(complaint), reply_days=services.reply_days(), status=status)


@bp.get("/<int:complaint_id>")
@roles(REGISTER)
def show(complaint_id: int):
    return _page(get_or_404(Complaint, complaint_id))


@bp.post("/<int:complaint_id>/investigate")
@roles(WORK)
def investigate(complaint_id: int):
    complaint = get_or_404(Complaint, complaint_id)
    form = _investigate_form(complaint, forms.InvestigateForm())
    propose = request.form.get("step") == "propose"
    outcome = attempt(form, lambda: services.complaint_propose(
        complaint=complaint, **form.findings(), solution=form.solution.data or "",
        caused_by_service=form.caused_by_service.data, actor=current_user) if propose else
        services.complaint_investigate(complaint=complaint, **form.findings(), actor=current_user))
    if outcome.ok:
        return done(url_for("complaints.show", complaint_id=complaint.id),
                    _("Solution proposed: record the customer's opinion next.") if propose else _("Investigation saved."))
    return _page(complaint, investigate=form, status=form_status(outcome))


@bp.post("/<int:complaint_id>/opinion")
@roles(WORK)
def opinion(complaint_id: int):
    complaint = get_or_404(Complaint, complaint_id)
    form = forms.OpinionForm()
    outcome = attempt(form, lambda: services.complaint_record_opinion(
        complaint=complaint, satisfied=form.customer_satisfied.data, opinion=form.customer_opinion.data or "",
        actor=current_user))
    if outcome.ok:
        return done(url_for("complaints.show", complaint_id=complaint.id), _("The customer's opinion is recorded."))
    return _page(complaint, opinion=form, status=form_status(outcome))


@bp.post("/<int:complaint_id>/close")
@roles(CLOSE)
def close(complaint_id: int):
    complaint = get_or_404(Complaint, complaint_id)
    form = forms.CloseForm()
    outcome = attempt(form, lambda: services.complaint_close(
        complaint=complaint, compensation_note=form.compensation_note.data or "",
        compensation_amount=form.compensation_amount.data, closing_note=form.closing_note.data or "",
        actor=current_user))
    if outcome.ok:
        return done(url_for("complaints.show", complaint_id=complaint.id), _("Complaint closed."))
    return _page(complaint, close=form, status=form_status(outcome))


@bp.get("/<int:complaint_id>.pdf")
@roles(REGISTER)
def pdf(complaint_id: int):
    complaint = get_or_404(Complaint, complaint_id)
    return pdf_response(render_pdf("print/complaint.html", **complaint_context(complaint)),
                        f"投诉单-{complaint.number}.pdf")
