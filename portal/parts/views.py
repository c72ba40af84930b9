from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from portal.core import audit, htmx
from portal.core.access import roles
from portal.core.pdf import pdf_response, render_pdf
from portal.core.roles import Role
from portal.core.web import attempt, done, form_status, get_or_404
from portal.parts import (KEEPERS, REQUISITION_LIST, REQUISITION_READ, SCHEDULE_EDIT, SCHEDULE_READ, bp, forms,
                          services)
from portal.parts.models import FeeItem, Part, Requisition, RequisitionState
from portal.parts.printing import fee_schedule_context, requisition_context
from portal.repairs.models import RepairCase
from portal.repairs.services import ensure_can_work_on

R = RequisitionState


# --- fee schedule ------------------------------------------------------------------------------------

@bp.get("/schedule")
@roles(SCHEDULE_READ)
def schedule():
    manager = current_user.role is Role.manager
    parts, fees = services.schedule(include_inactive=manager)
    return htmx.render("parts/schedule.html", parts=parts, fees=fees, manager=manager,
                       effective=services.schedule_effective_date(), part_form=forms.PartForm(prefix="part-"),
                       fee_form=forms.FeeItemForm(prefix="fee-"))


@bp.get("/schedule.pdf")
@roles(SCHEDULE_READ)
def schedule_pdf():
    context = fee_schedule_context()
    return pdf_response(render_pdf("print/fee_schedule.html", **context), f"收费标准卡-{context['effective']}.pdf")


@bp.route("/schedule/parts/new", methods=["GET", "POST"])
@roles(SCHEDULE_EDIT)
def part_new():
    form = forms.PartForm(prefix="part-")
    outcome = attempt(form, lambda: services.part_create(values=form.values() | {"active": True}, actor=current_user))
    if outcome.ok:
        return done(url_for("parts.schedule"), _("%(name)s added to the fee schedule.", name=outcome.result.name))
    return htmx.render("parts/part_form.html", form=form, item=None, conflict=None, status=form_status(outcome))


@bp.route("/schedule/parts/<int:part_id>", methods=["GET", "POST"])
@roles(SCHEDULE_EDIT)
def part_edit(part_id: int):
    part = get_or_404(Part, part_id)
    form = forms.PartForm(obj=part if request.method == "GET" else None)
    outcome = attempt(form, lambda: services.part_update(part=part, values=form.values(), actor=current_user,
                                                         expected_version=form.version.data), obj=part)
    if outcome.ok:
        return done(url_for("parts.schedule"), _("Changes saved."))
    return htmx.render("parts/part_form.html", form=form, item=part, conflict=outcome.conflict,
                       prices=services.price_history(part), timeline=audit.timeline(part), status=form_status(outcome))


@bp.route("/schedule/fees/new", methods=["GET", "POST"])
@roles(SCHEDULE_EDIT)
def fee_new():
    form = forms.FeeItemForm(prefix="fee-")
    outcome = attempt(form, lambda: services.fee_item_create(values=form.values() | {"active": True},
                                                             actor=current_user))
    if outcome.ok:
        return done(url_for("parts.schedule"), _("%(name)s added to the fee schedule.", name=outcome.result.name))
    return htmx.render("parts/fee_form.html", form=form, item=None, conflict=None, status=form_status(outcome))


@bp.route("/schedule/fees/<int:fee_id>", methods=["GET", "POST"])
@roles(SCHEDULE_EDIT)
def fee_edit(fee_id: int):
    fee = get_or_404(FeeItem, fee_id)
    form = forms.FeeItemForm(obj=fee if request.method == "GET" else None)
    outcome = attempt(form, lambda: services.fee_item_update(fee_item=fee, values=form.values(), actor=current_user,
                                                             expected_version=form.version.data), obj=fee)
    if outcome.ok:
        return done(url_for("parts.schedule"), _("Changes saved."))
    return htmx.render("parts/fee_form.html", form=form, item=fee, conflict=outcome.conflict,
                       prices=services.price_history(fee), timeline=audit.timeline(fee), status=form_status(outcome))


# --- stock -------------------------------------------------------------------------------------------

@bp.get("/stock")
@roles(KEEPERS)
def stock():
    low = request.args.get("low") == "1"
    return htmx.render("parts/stock.html", parts=services.stock_list(low_only=low), low=low,
                       stock_state=services.stock_state)


def _stock_page(part: Part, *, receive=None, count=None, status: int = 200):
    return htmx.render("parts/stock_part.html", part=part, movements=services.movements(part),
                       state=services.stock_state(part), receive=receive or forms.ReceiveForm(prefix="receive-"),
                       count=count or forms.CountForm(prefix="count-"), timeline=audit.timeline(part), status=status)


@bp.get("/stock/<int:part_id>")
@roles(KEEPERS)
def stock_part(part_id: int):
    return _stock_page(get_or_404(Part, part_id))


@bp.post("/stock/<int:part_id>/receive")
@roles(KEEPERS)
def stock_receive(part_id: int):
    part = get_or_404(Part, part_id)
    form = forms.ReceiveForm(prefix="receive-")
    outcome = attempt(form, lambda: services.receive_stock(part=part, quantity=form.quantity.data,
                                                           note=form.note.data or "", actor=current_user))
    if outcome.ok:
        return done(url_for("parts.stock_part", part_id=part.id),
                    _("Received. %(name)s: %(n)s on hand.", name=part.name, n=part.stock_qty))
    return _stock_page(part, receive=form, status=form_status(outcome))


@bp.post("/stock/<int:part_id>/count")
@roles(KEEPERS)
def stock_count(part_id: int):
    part = get_or_404(Part, part_id)
    form = forms.CountForm(prefix="count-")
    outcome = attempt(form, lambda: services.adjust_stock(part=part, counted=form.counted.data,
                                                          note=form.note.data or "", actor=current_user))
    if outcome.ok:
        return done(url_for("parts.stock_part", part_id=part.id),
                    _("Stock count saved. %(name)s: %(n)s on hand.", name=part.name, n=part.stock_qty))
    return _stock_page(part, count=form, status=form_status(outcome))


# --- requisitions ------------------------------------------------------------------------------------

@bp.get("/requisitions")
@roles(REQUISITION_LIST)
def requisitions():
    mine = current_user.id if current_user.role is Role.technician else None
    return htmx.render("parts/requisitions.html", queue=services.requisition_queue(technician_id=mine),
                       mine=mine is not None)


def _part_choices() -> list[tuple[int, str]]:
    return [(p.id, _("%(code)s %(name)s %(spec)s · on hand %(n)s", code=p.code, name=p.name, spec=p.spec,
                     n=p.stock_qty)) for p in services.active_parts()]


def _compact_lines(formdata: MultiDict) -> MultiDict:
    """Drop requisition rows left entirely blank and renumber the rest."""
    rows: dict[int, dict[str, str]] = {}
    kept = MultiDict()
    for key, value in formdata.items(multi=True):
        parts = key.split("-", 2)
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
            rows.setdefault(int(parts[1]), {})[parts[2]] = value
        else:
            kept.add(key, value)
    filled = [row for _i, row in sorted(rows.items()) if any((v or "").strip() for v in row.values())]
    for index, row in enumerate(filled[:forms.MAX_LINES]):
        for name, value in row.items():
            kept.add(f"lines-{index}-{name}", value)
    return kept


def _requisition_form() -> forms.RequisitionForm:
    form = forms.RequisitionForm(formdata=_compact_lines(request.form) if request.method == "POST" else None)
    while request.method == "GET" and len(form.lines.entries) < 3:
        form.lines.append_entry()
    form.set_part_choices(_part_choices())
    return form


@bp.route("/case/<int:case_id>/requisitions/new", methods=["GET", "POST"])
@roles(Role.technician)
def requisition_new(case_id: int):
    case = get_or_404(RepairCase, case_id)
    ensure_can_work_on(case, current_user)
    services.ensure_case_takes_parts(case)
    form = _requisition_form()
    outcome = attempt(form, lambda: services.requisition_create(
        case=case, technician=current_user, lines=form.line_values(), note=form.note.data or "", actor=current_user))
    if outcome.ok:
        return done(url_for("parts.requisition_show", requisition_id=outcome.result.id),
                    _("Requisition %(number)s sent to the warehouse.", number=outcome.result.number))
    return htmx.render("parts/requisition_form.html", form=form, case=case, status=form_status(outcome))


@bp.get("/requisitions/line-row")
@roles(Role.technician)
def line_row():
    index = min(max(request.args.get("index", 1, type=int), 0), forms.MAX_LINES)
    return htmx.render("parts/_line_row.html", row=forms.line_row(index, _part_choices()), index=index,
                       next_index=index + 1)


def _numbers(form, prefix: str) -> dict[int, int | None]:
    return {int(field.name.rsplit("_", 1)[1]): field.data for field in form if field.name.startswith(prefix + "_")}


def _show_page(requisition: Requisition, *, status: int = 200, **submitted):
    keeper, drawer = current_user.role in KEEPERS, current_user.id == requisition.technician_id
    action_forms = {
        "issue": forms.issue_form(requisition) if keeper and requisition.state is R.requested else None,
        "report": forms.report_form(requisition) if drawer and requisition.state is R.issued else None,
        "confirm": forms.ReasonForm() if keeper and requisition.state is R.reported else None,
        "cancel": forms.ReasonForm() if (keeper or drawer) and requisition.state is R.requested else None,
    } | submitted
    if request.method == "GET":
        forms.prefill(requisition, action_forms)
    return htmx.render("parts/requisition.html", requisition=requisition, timeline=audit.timeline(requisition),
                       stock_state=services.stock_state, status=status, **action_forms)


@bp.get("/requisitions/<int:requisition_id>")
@roles(REQUISITION_READ)
def requisition_show(requisition_id: int):
    requisition = get_or_404(Requisition, requisition_id)
    services.ensure_can_see(requisition, current_user)
    return _show_page(requisition)


@bp.get("/requisitions/<int:requisition_id>.pdf")
@roles(REQUISITION_READ)
def requisition_pdf(requisition_id: int):
    requisition = get_or_404(Requisition, requisition_id)
    services.ensure_can_see(requisition, current_user)
    data = render_pdf("print/requisition.html", **requisition_context(requisition))
    return pdf_response(data, f"零配件领料单-{requisition.number}.pdf")


@bp.post("/requisitions/<int:requisition_id>/issue")
@roles(KEEPERS)
def requisition_issue(requisition_id: int):
    requisition = get_or_404(Requisition, requisition_id)
    services.require_state(requisition, R.requested, R.issued)
    form = forms.issue_form(requisition)
    outcome = attempt(form, lambda: services.requisition_issue(requisition=requisition, actor=current_user,
                                                               issued=_numbers(form, "issued")))
    if outcome.ok:
        return done(url_for("parts.requisition_show", requisition_id=requisition.id),
                    _("Requisition %(number)s issued.", number=requisition.number))
    return _show_page(requisition, issue=form, status=form_status(outcome))


@bp.post("/requisitions/<int:requisition_id>/report")
@roles(Role.technician)
def requisition_report(requisition_id: int):
    requisition = get_or_404(Requisition, requisition_id)
    services.ensure_drawer(requisition, current_user)
    services.require_state(requisition, R.issued, R.reported)
    form = forms.report_form(requisition)
    outcome = attempt(form, lambda: services.requisition_report_use(
        requisition=requisition, used=_numbers(form, "used"), returned=_numbers(form, "returned"), actor=current_user))
    if outcome.ok:
        return done(url_for("parts.requisition_show", requisition_id=requisition.id),
                    _("Use reported. Hand the returned parts to the warehouse."))
    return _show_page(requisition, report=form, status=form_status(outcome))


@bp.post("/requisitions/<int:requisition_id>/confirm")
@roles(KEEPERS)
def requisition_confirm(requisition_id: int):
    requisition = get_or_404(Requisition, requisition_id)
    services.requisition_confirm_returns(requisition=requisition, actor=current_user)
    return done(url_for("parts.requisition_show", requisition_id=requisition.id),
                _("Returns confirmed; requisition %(number)s closed.", number=requisition.number))


@bp.post("/requisitions/<int:requisition_id>/send-back")
@roles(KEEPERS)
def requisition_send_back(requisition_id: int):
    requisition = get_or_404(Requisition, requisition_id)
    services.require_state(requisition, R.reported, R.issued)
    form = forms.ReasonForm()
    outcome = attempt(form, lambda: services.requisition_send_back(requisition=requisition,
                                                                   reason=form.reason.data or "", actor=current_user))
    if outcome.ok:
        return done(url_for("parts.requisition_show", requisition_id=requisition.id),
                    _("Sent back to the technician to correct the report."))
    return _show_page(requisition, confirm=form, status=form_status(outcome))


@bp.post("/requisitions/<int:requisition_id>/cancel")
@roles(KEEPERS | {Role.technician})
def requisition_cancel(requisition_id: int):
    requisition = get_or_404(Requisition, requisition_id)
    services.ensure_drawer(requisition, current_user)
    form = forms.ReasonForm()
    form.validate()
    services.requisition_cancel(requisition=requisition, note=form.reason.data or "", actor=current_user)
    return done(url_for("parts.requisition_show", requisition_id=requisition.id),
                _("Requisition %(number)s cancelled.", number=requisition.number))
