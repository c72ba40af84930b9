from __future__ import annotations

from flask import abort, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.archive import services as archive_services
from portal.carryin import OFFICE, READ, SIGNERS, bp, services
from portal.carryin.forms import (ActionForm, ChecklistForm, DraftForm, InspectForm, ItemForm, LabourForm, OpenForm,
                                  ReasonForm, RegisterFilterForm, ReturnSignForm, ShelfForm, TakeInSignForm,
                                  WalkInForm)
from portal.carryin.models import GoodsPhoto, GoodsReceipt, GoodsState
from portal.carryin.printing import card_print_context, goods_print_context
from portal.core import audit, handover, htmx
from portal.core.access import roles
from portal.core.errors import ValidationFailed
from portal.core.forms import choices, signature_image
from portal.core.pdf import pdf_response, render_pdf
from portal.core.roles import Role
from portal.core.timeutil import local_today
from portal.core.web import attach_errors, attempt, done, form_status, get_or_404
from portal.customers import services as customers
from portal.customers.models import ProductType
from portal.repairs.models import RepairCase
from portal.repairs.services import ensure_can_work_on

STATE_CHOICES = [("in", "in"), ("all", "all")]


def _visible(goods_id: int) -> GoodsReceipt:
    goods = get_or_404(GoodsReceipt, goods_id)
    services.ensure_can_see(goods, current_user)
    return goods


def _tech_choices(blank: bool = True):
    return choices(([("", "—")] if blank else []) + [(t.id, t.display_name) for t in services.technicians()])


def _type_choices():
    return choices([("", "—")] + [(t.id, t.name) for t in customers.product_types()])


# --- the register (客户商品进出登记簿) ------------------------------------------------------------------

def _filters(form: RegisterFilterForm) -> services.RegisterFilters:
    form.validate()
    return services.RegisterFilters(state=form.state.data or "in", technician_id=form.technician_id.data,
                                    date_from=form.date_from.data if not form.date_from.errors else None,
                                    date_to=form.date_to.data if not form.date_to.errors else None,
                                    q=(form.q.data or "")[:100], overdue=bool(form.overdue.data))


@bp.get("/")
@roles(READ)
def index():
    form = RegisterFilterForm(request.args)
    form.state.choices = choices([("in", _("In the workshop")), ("all", _("All"))]
                                 + [(s.value, s.label) for s in GoodsState])
    form.technician_id.choices = _tech_choices()
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total = services.register(_filters(form), actor=current_user, page=page)
    return htmx.render("carryin/index.html", "carryin/_register.html", rows=rows, total=total, form=form,
                       page_no=page, pages=max(1, -(-total // 50)), limit=services.overdue_days(),
                       today=local_today(), days_in=services.days_in, is_overdue=services.is_overdue)


@bp.get("/<string:number>")
@roles(READ)
def by_number(number: str):
    """The repair card's QR code: the number opens the job."""
    goods = services.by_number(number)
    if goods is None:
        abort(404)
    services.ensure_can_see(goods, current_user)
    return redirect(url_for("carryin.show", goods_id=goods.id))


# --- opening: walk-in or from a case -----------------------------------------------------------------

def _walk_in_form() -> WalkInForm:
    form = WalkInForm()
    customer = customers.get_customer(int(form.customer_id.data)) if (form.customer_id.data or "").isdigit() else None
    from portal.repairs.views import _unit_choices
    form.equipment_id.choices = _unit_choices(customer)
    form.new_product_type_id.choices = _type_choices()
    form.technician_id.choices = _tech_choices()
    return form


@bp.route("/walk-in", methods=["GET", "POST"])
@roles(OFFICE)
def walk_in():
    form = _walk_in_form()
    outcome = attempt(form, lambda: services.walk_in(values=form.data, actor=current_user))
    if outcome.ok:
        goods = outcome.result
        return done(url_for("carryin.show", goods_id=goods.id),
                    _("Case %(case)s registered; goods receipt %(number)s opened.", case=goods.case.number,
                      number=goods.number))
    chosen = customers.get_customer(int(form.customer_id.data)) if (form.customer_id.data or "").isdigit() else None
    return htmx.render("carryin/walk_in.html", form=form, chosen=chosen, status=form_status(outcome))


@bp.route("/case/<int:case_id>/open", methods=["GET", "POST"])
@roles(SIGNERS)
def open_for_case(case_id: int):
    case = get_or_404(RepairCase, case_id)
    ensure_can_work_on(case, current_user)
    existing = services.open_goods_for(case)
    if existing is not None:
        return redirect(url_for("carryin.show", goods_id=existing.id))
    if not services.can_open_for(case, current_user):
        abort(403)
    form = OpenForm()
    form.technician_id.choices = _tech_choices()
    if request.method == "GET":
        form.technician_id.data = current_user.id if current_user.role is Role.technician else case.technician_id
    own = current_user.id if current_user.role is Role.technician else None
    outcome = attempt(form, lambda: services.goods_open(case=case, actor=current_user,
                                                        technician_id=own or form.technician_id.data))
    if outcome.ok:
        return done(url_for("carryin.show", goods_id=outcome.result.id), _("Goods receipt %(number)s opened.",
                                                                            number=outcome.result.number))
    return htmx.render("carryin/open.html", form=form, case=case, status=form_status(outcome))


# --- the goods receipt page ----------------------------------------------------------------------------

def _answers(goods: GoodsReceipt, posted: bool) -> dict[int, list[tuple[str, str]]]:
    if not posted:
        return {item.id: [(c.get("result", ""), c.get("note", "")) for c in item.checks or []] for item in goods.items}
    return {item.id: [(request.form.get(f"check-{item.id}-{i}", ""), request.form.get(f"note-{item.id}-{i}", ""))
                      for i in range(len(item.checks or []))] for item in goods.items}


def _photos() -> list[tuple[str, bytes]]:
    return [(f.filename or "", f.read()) for f in request.files.getlist("photos") if f and f.filename]


def _context(goods: GoodsReceipt, **extra) -> dict:
    from portal.archive.models import ArchivedDocument
    from sqlalchemy import select
    from portal.extensions import db
    documents = list(db.session.scalars(select(ArchivedDocument).where(
        ArchivedDocument.document_type.in_((services.DOC_RECEIPT, services.DOC_RETURN)),
        ArchivedDocument.document_id == goods.id).order_by(ArchivedDocument.version)))
    return {"goods": goods, "case": goods.case, "action_form": ActionForm(), "timeline": audit.timeline(goods),
            "take_in_gaps": services.take_in_gaps(goods), "hand_back_gaps": services.hand_back_gaps(goods),
            "receipt": services.case_receipt(goods), "parts": services.parts_for(goods), "documents": documents,
            "days": services.days_in(goods), "limit": services.overdue_days(),
            "total_hours": services.total_hours(goods), "can_work": services.is_own(goods, current_user)
            or current_user.role is Role.manager, **extra}


def _draft_forms(goods: GoodsReceipt, posted: bool):
    form = DraftForm(obj=None if posted else goods)
    form.technician_id.choices = _tech_choices(blank=False)
    item_form = ItemForm(formdata=request.form if posted else None)
    item_form.item_product_type_id.choices = _type_choices()
    return form, item_form


@bp.route("/<int:goods_id>", methods=["GET", "POST"])
@roles(READ)
def show(goods_id: int):
    goods = _visible(goods_id)
    if goods.state is not GoodsState.draft:
        return htmx.render("carryin/show.html", **_context(goods, shelf_form=ShelfForm(obj=goods),
                                                             labour_form=LabourForm(worked_on=local_today()),
                                                             inspect_form=InspectForm()))
    if current_user.role not in SIGNERS:
        abort(403)
    posted = request.method == "POST"
    form, item_form = _draft_forms(goods, posted)
    action = request.form.get("action", "save")
    outcome = attempt(form, lambda: services.goods_draft_submit(
        goods=goods, values=form.data, answers=_answers(goods, True), photos=_photos(), action=action,
        item=services.ItemInput(item_form.item_description.data, item_form.item_product_type_id.data,
                                item_form.item_model.data, item_form.item_serial.data, item_form.item_quantity.data),
        expected_version=form.version.data, actor=current_user), obj=goods)
    if outcome.ok:
        target = "carryin.take_in" if action == "sign" else "carryin.show"
        return done(url_for(target, goods_id=goods.id), None if action == "sign" else _("Goods receipt saved."))
    return htmx.render("carryin/draft.html", status=form_status(outcome), **_context(
        goods, form=form, item_form=item_form, answers=_answers(goods, posted), conflict=outcome.conflict,
        reason_form=ReasonForm()))


@bp.get("/<int:goods_id>/photos/<int:photo_id>.jpg")
@roles(READ)
def photo(goods_id: int, photo_id: int):
    goods = _visible(goods_id)
    row = get_or_404(GoodsPhoto, photo_id)
    if row.receipt_id != goods.id:
        abort(404)
    response = make_response(row.data)
    response.headers["Content-Type"] = row.mime
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/<int:goods_id>/cancel")
@roles(SIGNERS)
def cancel(goods_id: int):
    goods = _visible(goods_id)
    form = ReasonForm()
    outcome = attempt(form, lambda: services.goods_cancel(goods=goods, reason=form.reason.data, actor=current_user))
    if outcome.ok:
        return done(url_for("repairs.show", case_id=goods.case_id), _("Goods receipt %(number)s cancelled.",
                                                                       number=goods.number))
    posted_form, item_form = _draft_forms(goods, False)
    return htmx.render("carryin/draft.html", status=form_status(outcome), **_context(
        goods, form=posted_form, item_form=item_form, answers=_answers(goods, False), conflict=None,
        reason_form=form))


# --- signing: take-in (签认) and hand-back (签章) ----------------------------------------------------------

def _sign_page(template: str, goods: GoodsReceipt, form, status: int = 200):
    return htmx.render(template, status=status, sign_form=form, **_context(goods))


def _signing(goods: GoodsReceipt, form, sign, template: str, success: str):
    if not form.validate_on_submit():
        return _sign_page(template, goods, form, status=form_status())
    try:
        document = sign(goods=goods, signer_name=form.signer_name.data, comment=form.comment.data,
                        rating=form.rating.data if "rating" in form else None, image=signature_image(form),
                        address=request.remote_addr, user_agent=request.user_agent.string,
                        device=handover.signing_device(), staff=current_user._get_current_object(),
                        verify_url=archive_services.verification_url)
    except ValidationFailed as error:
        attach_errors(form, error)
        return _sign_page(template, goods, form, status=error.status)
    return handover.after_signing(url_for("carryin.show", goods_id=goods.id),
                                  success % {"number": document.number, "v": document.version})


@bp.route("/<int:goods_id>/take-in", methods=["GET", "POST"])
@roles(SIGNERS)
def take_in(goods_id: int):
    goods = _visible(goods_id)
    if request.method == "GET" and goods.state is not GoodsState.draft:  # signed meanwhile, e.g. on a kiosk
        return redirect(url_for("carryin.show", goods_id=goods.id))
    services.ensure_signable(goods)
    return _signing(goods, TakeInSignForm(), services.goods_take_in, "carryin/take_in.html",
                    _("Taken in: the customer signed; %(number)s v%(v)s is archived. Print the repair card."))


@bp.route("/<int:goods_id>/hand-back", methods=["GET", "POST"])
@roles(SIGNERS)
def hand_back(goods_id: int):
    goods = _visible(goods_id)
    if request.method == "GET" and goods.state is GoodsState.returned:  # signed meanwhile, e.g. on a kiosk
        return redirect(url_for("carryin.show", goods_id=goods.id))
    services.ensure_can_hand_back(goods)
    return _signing(goods, ReturnSignForm(), services.goods_hand_back, "carryin/hand_back.html",
                    _("Handed back: the customer signed the return (%(number)s v%(v)s); the goods receipt is void."))


# --- in the workshop -------------------------------------------------------------------------------------

def _workshop_page(goods: GoodsReceipt, status: int, **forms):
    defaults = {"shelf_form": ShelfForm(formdata=None, obj=goods), "inspect_form": InspectForm(formdata=None),
                "labour_form": LabourForm(formdata=None, worked_on=local_today())}
    return htmx.render("carryin/show.html", status=status, **_context(goods, **{**defaults, **forms}))


@bp.post("/<int:goods_id>/shelf")
@roles(SIGNERS)
def shelf(goods_id: int):
    goods = _visible(goods_id)
    form = ShelfForm()
    outcome = attempt(form, lambda: services.goods_set_shelf(goods=goods, shelf=form.shelf.data, actor=current_user))
    if outcome.ok:
        return done(url_for("carryin.show", goods_id=goods.id), _("Shelf location saved."))
    return _workshop_page(goods, form_status(outcome), shelf_form=form)


@bp.post("/<int:goods_id>/start")
@roles(Role.technician, Role.manager)
def start(goods_id: int):
    goods = _visible(goods_id)
    services.ensure_can_work(goods, current_user)
    ActionForm().validate()
    services.goods_start_repair(goods=goods, actor=current_user)
    return done(url_for("carryin.show", goods_id=goods.id), _("Repair started."))


@bp.post("/<int:goods_id>/labour")
@roles(Role.technician, Role.manager)
def labour(goods_id: int):
    goods = _visible(goods_id)
    services.ensure_can_work(goods, current_user)
    form = LabourForm()
    outcome = attempt(form, lambda: services.labour_add(goods=goods, worked_on=form.worked_on.data,
                                                        hours=form.hours.data, work=form.work.data, actor=current_user))
    if outcome.ok:
        return done(url_for("carryin.show", goods_id=goods.id, _anchor="ci-card"), _("Repair time recorded."))
    return _workshop_page(goods, form_status(outcome), labour_form=form)


@bp.post("/<int:goods_id>/labour/<int:entry_id>/remove")
@roles(Role.technician, Role.manager)
def labour_remove(goods_id: int, entry_id: int):
    goods = _visible(goods_id)
    services.ensure_can_work(goods, current_user)
    ActionForm().validate()
    services.labour_remove(goods=goods, entry_id=entry_id, actor=current_user)
    return done(url_for("carryin.show", goods_id=goods.id, _anchor="ci-card"), _("Repair time removed."))


@bp.post("/<int:goods_id>/repaired")
@roles(Role.technician, Role.manager)
def repaired(goods_id: int):
    goods = _visible(goods_id)
    services.ensure_can_work(goods, current_user)
    ActionForm().validate()
    try:
        services.goods_mark_repaired(goods=goods, actor=current_user)
    except ValidationFailed as error:
        form = LabourForm(formdata=None, worked_on=local_today())
        attach_errors(form, error)
        return _workshop_page(goods, error.status, labour_form=form)
    return done(url_for("carryin.show", goods_id=goods.id), _("Repaired: waiting for the manager's inspection."))


@bp.post("/<int:goods_id>/inspect")
@roles(Role.manager)
def inspect(goods_id: int):
    goods = _visible(goods_id)
    form = InspectForm()
    outcome = attempt(form, lambda: services.goods_inspect(goods=goods, passed=form.result.data == "pass",
                                                           note=form.note.data, actor=current_user))
    if outcome.ok:
        return done(url_for("carryin.show", goods_id=goods.id),
                    _("Inspected (验讫): ready to hand back.") if form.result.data == "pass"
                    else _("Not passed: back to the technician."))
    return _workshop_page(goods, form_status(outcome), inspect_form=form)


# --- printing --------------------------------------------------------------------------------------------

def _archived_or(document_type: str, goods: GoodsReceipt):
    archived = archive_services.latest_for(document_type, goods.id)
    return redirect(url_for("archive.download", document_id=archived.id)) if archived is not None else None


@bp.get("/<int:goods_id>.pdf")
@roles(READ)
def pdf(goods_id: int):
    goods = _visible(goods_id)
    archived = _archived_or(services.DOC_RECEIPT, goods)
    if archived is not None:  # a signed receipt is the archived file, never a new rendering
        return archived
    data = render_pdf("print/goods_receipt.html", **goods_print_context(goods))
    return pdf_response(data, f"客户商品领取收据-{goods.number}.pdf")


@bp.get("/<int:goods_id>/return.pdf")
@roles(READ)
def return_pdf(goods_id: int):
    goods = _visible(goods_id)
    archived = _archived_or(services.DOC_RETURN, goods)
    if archived is None:
        abort(404)
    return archived


@bp.get("/<int:goods_id>/card.pdf")
@roles(READ)
def card(goods_id: int):
    goods = _visible(goods_id)
    if goods.state in (GoodsState.draft, GoodsState.cancelled):
        abort(404)
    data = render_pdf("print/repair_card.html", **card_print_context(goods, parts=services.parts_for(goods)))
    return pdf_response(data, f"修护卡-{goods.number}.pdf")


# --- condition checklists per product type (manager) -------------------------------------------------------

@bp.get("/checklists")
@roles(Role.manager)
def checklists():
    types = customers.product_types(include_inactive=True)
    return htmx.render("carryin/checklists.html", types=types, checks={t.id: services.checklist_for(t.id) for t in types},
                       own={t.id: services.has_own_checklist(t.id) for t in types}, defaults=services.DEFAULT_CHECKS)


@bp.route("/checklists/<int:type_id>", methods=["GET", "POST"])
@roles(Role.manager)
def checklist_edit(type_id: int):
    product_type = get_or_404(ProductType, type_id)
    form = ChecklistForm()
    if request.method == "GET":
        form.checks.data = "\n".join(services.checklist_for(type_id)) if services.has_own_checklist(type_id) else ""
    outcome = attempt(form, lambda: services.checklist_save(product_type=product_type, text=form.checks.data or "",
                                                            actor=current_user))
    if outcome.ok:
        return done(url_for("carryin.checklists"), _("Checklist for %(name)s saved.", name=product_type.name))
    return htmx.render("carryin/checklist_edit.html", form=form, product_type=product_type,
                       defaults=services.DEFAULT_CHECKS, status=form_status(outcome))
