from __future__ import annotations

from typing import Any, Callable

from flask import make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.archive import services as archive_services
from portal.core import audit, handover, htmx
from portal.core.access import roles
from portal.core.errors import ValidationFailed
from portal.core.forms import choices, signature_image
from portal.core.pdf import pdf_response, render_pdf
from portal.core.web import attach_errors, attempt, done, form_status, get_or_404
from portal.customers import services as customers
from portal.customers.models import Customer
from portal.returns import INSPECT, OFFICE, READ, RECEIVE, REQUEST, REVIEW, bp, excel, services
from portal.returns.forms import (ActionForm, CancelForm, InspectForm, ReceiveForm, RequestForm, ResolveForm,
                                  ReturnSignForm, ReviewForm)
from portal.returns.models import ReturnOutcome, ReturnPhoto, ReturnReason, ReturnSlip, ReturnState
from portal.returns.printing import slip_print_context

RS = ReturnState
# Which step forms a role sees on the slip page, by the state the slip is in.
STEP_FORMS = {RS.requested: (("review", ReviewForm, REVIEW), ("cancel", CancelForm, OFFICE)),
              RS.approved: (("receive", ReceiveForm, RECEIVE), ("cancel", CancelForm, OFFICE)),
              RS.received: (("inspect", InspectForm, INSPECT),),
              RS.inspected: (("resolve", ResolveForm, OFFICE),)}


def _user():
    return current_user._get_current_object()


def _request_form(customer: Customer | None, slip: ReturnSlip | None = None) -> RequestForm:
    form = RequestForm(obj=slip) if slip is not None and request.method == "GET" else RequestForm()
    units = [(u.id, f"{u.product_type.name} {u.model} · {u.serial}") for u in (customer.equipment if customer else [])]
    form.equipment_id.choices = choices([("", _("(not a registered unit: type it below)"))] + units)
    form.product_type_id.choices = choices([("", "—")] + [(t.id, t.name) for t in services.product_types()])
    if slip is not None and request.method == "GET":
        form.reason.data, form.outcome.data = slip.reason.value, slip.outcome.value
    return form


def _resolve_form(slip: ReturnSlip, form: ResolveForm | None = None) -> ResolveForm:
    form = form or ResolveForm(formdata=None, resolution={"refund": "refunded", "exchange": "exchanged",
                                                          "repair": "repaired"}[slip.outcome.value])
    form.repair_case_id.choices = choices([("", "—")] + [
        (c.id, f"{c.number} · {c.state.label} · {c.symptom[:30]}") for c in services.customer_cases(slip.customer_id)])
    return form


def _steps(slip: ReturnSlip, **given: Any) -> dict[str, Any]:
    steps = {}
    # The warehouse usually gets what was asked for: the requested quantity is the suggestion.
    defaults = {"receive": {"quantity_received": slip.quantity}}
    for key, form_cls, allowed in STEP_FORMS.get(slip.state, ()):
        if current_user.role in allowed:
            steps[key] = given.get(key) or (form_cls(formdata=None, **defaults.get(key, {}))
                                            if key != "resolve" else None)
    if "resolve" in steps:
        steps["resolve"] = _resolve_form(slip, given.get("resolve"))
    return steps


def _page(slip: ReturnSlip, *, status: int = 200, **given: Any):
    return htmx.render("returns/show.html", status=status, slip=slip, steps=_steps(slip, **given),
                       timeline=audit.timeline(slip), action_form=ActionForm(),
                       document=archive_services.latest_for("return_slip", slip.id),
                       signature=services.signature_for(slip))


def _step(slip_id: int, key: str, target: ReturnState, form: Any, save: Callable[[ReturnSlip], Any], message: str):
    """One workflow step posted from the slip page: refused at once when the state does not allow it."""
    slip = get_or_404(ReturnSlip, slip_id)
    services.ensure_step(slip, target)
    if key == "resolve":
        form = _resolve_form(slip, form)
    outcome = attempt(form, lambda: save(slip))
    if outcome.ok:
        return done(url_for("returns.show", slip_id=slip.id), message % {"number": slip.number})
    return _page(slip, status=form_status(outcome), **{key: form})


# --- list and request ------------------------------------------------------------------------------

@bp.get("/")
@roles(READ)
def index():
    filters = services.Filters.from_args(request.args)
    page = max(request.args.get("page", 1, type=int), 1)
    items, total, pages = services.slip_list(filters, page=page)
    return htmx.render("returns/index.html", "returns/_list.html", slips=items, total=total, page_no=page,
                       pages=pages, filters=filters, states=list(RS), reasons=list(ReturnReason),
                       outcomes=list(ReturnOutcome), product_types=services.product_types())


def _customer_from(value: Any) -> Customer | None:
    return customers.get_customer(int(value)) if str(value or "").isdigit() else None


@bp.route("/new", methods=["GET", "POST"])
@roles(REQUEST)
def new():
    chosen = _customer_from(request.values.get("customer_id"))
    form = _request_form(chosen)
    outcome = attempt(form, lambda: services.slip_create(customer=chosen, values=form.values(),
                                                         uploads=form.uploads(), actor=_user()))
    if outcome.ok:
        return done(url_for("returns.show", slip_id=outcome.result.id),
                    _("Return request %(number)s registered; it waits for the quality review.",
                      number=outcome.result.number))
    return htmx.render("returns/form.html", form=form, chosen=chosen, slip=None, conflict=None,
                       status=form_status(outcome))


@bp.get("/new/customers")
@roles(REQUEST)
def pick_customers():
    q = request.args.get("lookup", "")[:100]
    found = customers.search_customers(customers.Filters(q=q)).items[:8] if q.strip() else []
    return htmx.render("repairs/_intake_customers.html", found=found, q=q, pick_endpoint="returns.pick_customer",
                       none_found=_("No customer found. Register the customer first under Customers."))


@bp.get("/new/customer/<int:customer_id>")
@roles(REQUEST)
def pick_customer(customer_id: int):
    chosen = get_or_404(Customer, customer_id)
    return htmx.render("returns/_chosen.html", chosen=chosen, form=_request_form(chosen), picked=True)


@bp.route("/<int:slip_id>/edit", methods=["GET", "POST"])
@roles(REQUEST)
def edit(slip_id: int):
    slip = get_or_404(ReturnSlip, slip_id)
    services.ensure_editable(slip)
    form = _request_form(slip.customer, slip)
    removing = [int(v) for v in request.form.getlist("remove_photo") if v.isdigit()]
    outcome = attempt(form, lambda: services.slip_update(
        slip=slip, values=form.values(), uploads=form.uploads(), remove_photo_ids=removing,
        expected_version=form.version.data, actor=_user()), obj=slip)
    if outcome.ok:
        return done(url_for("returns.show", slip_id=slip.id), _("Return request saved."))
    return htmx.render("returns/form.html", form=form, chosen=slip.customer, slip=slip, removing=removing,
                       conflict=outcome.conflict, status=form_status(outcome))


@bp.get("/<int:slip_id>")
@roles(READ)
def show(slip_id: int):
    return _page(get_or_404(ReturnSlip, slip_id))


@bp.get("/photos/<int:photo_id>")
@roles(READ)
def photo(photo_id: int):
    item = get_or_404(ReturnPhoto, photo_id)
    response = make_response(item.data)
    response.headers["Content-Type"] = item.mime
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# --- workflow steps ---------------------------------------------------------------------------------

@bp.post("/<int:slip_id>/review")
@roles(REVIEW)
def review(slip_id: int):
    form = ReviewForm()
    approve = request.form.get("decision") != "reject"
    return _step(slip_id, "review", RS.approved if approve else RS.rejected, form, lambda slip: services.slip_review(
        slip=slip, approve=form.decision.data == "approve", note=form.note.data or "", actor=_user()),
        _("Return %(number)s approved: the warehouse may take the goods back.") if approve
        else _("Return %(number)s rejected."))


@bp.post("/<int:slip_id>/receive")
@roles(RECEIVE)
def receive(slip_id: int):
    form = ReceiveForm()
    return _step(slip_id, "receive", RS.received, form, lambda slip: services.slip_receive(
        slip=slip, quantity_received=form.quantity_received.data, condition=form.condition.data or "",
        note=form.note.data or "", actor=_user()), _("Goods of return %(number)s received."))


@bp.post("/<int:slip_id>/inspect")
@roles(INSPECT)
def inspect(slip_id: int):
    form = InspectForm()
    return _step(slip_id, "inspect", RS.inspected, form, lambda slip: services.slip_inspect(
        slip=slip, result=form.inspection_result.data or "", responsibility=form.responsibility.data,
        actor=_user()), _("Inspection of return %(number)s recorded."))


@bp.post("/<int:slip_id>/resolve")
@roles(OFFICE)
def resolve(slip_id: int):
    form = ResolveForm()
    return _step(slip_id, "resolve", RS.resolved, form, lambda slip: services.slip_resolve(
        slip=slip, resolution=form.resolution.data, refund_amount=form.refund_amount.data,
        exchange_serial=form.exchange_serial.data or "", repair_case_id=form.repair_case_id.data,
        note=form.resolution_note.data or "", actor=_user()),
        _("Return %(number)s resolved: the customer signs at the hand-over."))


@bp.post("/<int:slip_id>/cancel")
@roles(OFFICE)
def cancel(slip_id: int):
    form = CancelForm()
    return _step(slip_id, "cancel", RS.cancelled, form, lambda slip: services.slip_cancel(
        slip=slip, reason=form.reason.data or "", actor=_user()), _("Return %(number)s cancelled."))


# --- signing and printing ----------------------------------------------------------------------------

def _sign_page(slip: ReturnSlip, form: ReturnSignForm, *, status: int = 200):
    return htmx.render("returns/sign.html", status=status, slip=slip, sign_form=form)


@bp.route("/<int:slip_id>/sign", methods=["GET", "POST"])
@roles(OFFICE)
def sign(slip_id: int):
    slip = get_or_404(ReturnSlip, slip_id)
    services.ensure_signable(slip)
    form = ReturnSignForm()
    if not form.validate_on_submit():
        return _sign_page(slip, form, status=form_status())
    try:
        document = services.slip_sign(
            slip=slip, signer_name=form.signer_name.data, rating=form.rating.data, comment=form.comment.data,
            image=signature_image(form), address=request.remote_addr, user_agent=request.user_agent.string,
            device=handover.signing_device("staff device"), staff=_user(),
            verify_url=archive_services.verification_url)
    except ValidationFailed as error:
        attach_errors(form, error)
        return _sign_page(slip, form, status=error.status)
    return handover.after_signing(url_for("returns.signed", slip_id=slip.id), _(
        "Signed and archived as %(number)s v%(v)s.", number=document.number, v=document.version))


@bp.get("/<int:slip_id>/signed")
@roles(OFFICE)
def signed(slip_id: int):
    slip = get_or_404(ReturnSlip, slip_id)
    return htmx.render("returns/signed.html", slip=slip, document=archive_services.latest_for("return_slip", slip.id),
                       signature=services.signature_for(slip))


@bp.get("/<int:slip_id>.pdf")
@roles(READ)
def pdf(slip_id: int):
    slip = get_or_404(ReturnSlip, slip_id)
    archived = archive_services.latest_for("return_slip", slip.id)
    if archived is not None:  # a signed slip is the archived file, never a new rendering
        return redirect(url_for("archive.download", document_id=archived.id))
    data = render_pdf("print/return_slip.html", **slip_print_context(slip))
    return pdf_response(data, f"退货单-{slip.number}.pdf")


# --- ledger -------------------------------------------------------------------------------------------

@bp.get("/ledger")
@roles(OFFICE)
def ledger_page():
    query = excel.LedgerQuery.from_args(request.args)
    return htmx.render("returns/ledger.html", "returns/_ledger.html", query=query, book=query.ledger(),
                       product_types=services.product_types())


@bp.get("/ledger.xlsx")
@roles(OFFICE)
def ledger_xlsx():
    query = excel.LedgerQuery.from_args(request.args)
    response = make_response(excel.ledger_workbook(query.ledger()))
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = excel.filename_header(query)
    return response
