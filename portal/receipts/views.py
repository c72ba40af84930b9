from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.archive import services as archive_services
from portal.core import audit, htmx
from portal.core.access import roles
from portal.core.forms import choices, signature_image
from portal.core.pdf import pdf_response, render_pdf
from portal.core.roles import Role
from portal.core.timeutil import local_today
from portal.core.errors import ValidationFailed
from portal.core.web import attach_errors, attempt, done, form_status, get_or_404
from portal.customers.warranty import equipment_status
from portal.extensions import db
from portal.parts.models import FeeItem
from portal.receipts import READ, bp, handover, services
from portal.receipts.forms import ActionForm, CollectForm, FeeForm, ReceiptForm, SignForm
from portal.receipts.models import Collection, RepairReceipt
from portal.receipts.printing import receipt_print_context
from portal.repairs.models import RepairCase
from portal.repairs.services import ensure_can_work_on


def _visible(receipt_id: int) -> RepairReceipt:
    receipt = get_or_404(RepairReceipt, receipt_id)
    services.ensure_can_see(receipt, current_user)
    return receipt


def _fee_form() -> FeeForm:
    form = FeeForm()
    form.fee_item_id.choices = choices([("", "—")] + [
        (f.id, f"{f.name} · ¥{f.unit_price}/{f.unit}") for f in services.fee_items()])
    return form


def _context(receipt: RepairReceipt, **extra) -> dict:
    unit = receipt.case.equipment
    charged = services.parts_charged_elsewhere(receipt)
    return {"receipt": receipt, "case": receipt.case, "checks": services.checklist(receipt),
            "used": services.parts_due(receipt, charged=charged), "charged_elsewhere": charged,
            "workshop": services.is_workshop_job(receipt), "editable": services.can_edit(receipt, current_user),
            "warranty": equipment_status(unit, today=local_today()) if unit else None,
            "fee_form": extra.pop("fee_form", None) or _fee_form(), "action_form": ActionForm(),
            "timeline": audit.timeline(receipt), **extra}


def _page(receipt: RepairReceipt, form: ReceiptForm | None = None, *, status: int = 200, conflict=None):
    template = "receipts/form.html" if services.can_edit(receipt, current_user) else "receipts/show.html"
    return htmx.render(template, status=status, **_context(receipt, form=form, conflict=conflict))


def _lines_changed(receipt: RepairReceipt, message: str):
    """Fee and parts buttons: htmx swaps the line table (checklist and version out of band)."""
    if not htmx.is_partial():
        return done(url_for("receipts.show", receipt_id=receipt.id, _anchor="lines"), message)
    db.session.commit()
    flash(message, "success")
    return htmx.render("receipts/_lines.html", oob=True, **_context(receipt))


@bp.post("/case/<int:case_id>")
@roles(Role.technician)
def case_receipt(case_id: int):
    case = get_or_404(RepairCase, case_id)
    ensure_can_work_on(case, current_user)
    receipt = services.receipt_open(case=case, actor=current_user)
    return done(url_for("receipts.show", receipt_id=receipt.id))


@bp.route("/<int:receipt_id>", methods=["GET", "POST"])
@roles(READ)
def show(receipt_id: int):
    receipt = _visible(receipt_id)
    if request.method == "POST":
        services.ensure_editable(receipt, current_user)
    form = ReceiptForm.for_receipt(receipt, submitted=request.method == "POST",
                                   workshop=services.is_workshop_job(receipt))
    form.stamp_now(request.form.get("now"))
    ready = request.form.get("action") == "ready"
    outcome = attempt(form, lambda: services.receipt_save(receipt=receipt, values=form.values(), ready=ready,
                                                          expected_version=form.version.data, actor=current_user),
                      obj=receipt)
    if outcome.ok:
        return done(url_for("receipts.show", receipt_id=receipt.id),
                    _("Ready for the customer's signature.") if ready else _("Receipt saved."))
    return _page(receipt, form, status=form_status(outcome), conflict=outcome.conflict)


@bp.post("/<int:receipt_id>/fees")
@roles(Role.technician)
def fee_set(receipt_id: int):
    receipt = _visible(receipt_id)
    services.ensure_editable(receipt, current_user)
    form = _fee_form()
    outcome = attempt(form, lambda: services.receipt_set_fee(
        receipt=receipt, fee_item=db.session.get(FeeItem, form.fee_item_id.data or 0), quantity=form.quantity.data,
        actor=current_user))
    if outcome.ok:
        return _lines_changed(receipt, _("Fee added."))
    return htmx.render("receipts/form.html", "receipts/_lines.html", status=htmx.VALIDATION_STATUS,
                       **_context(receipt, fee_form=form, form=ReceiptForm.for_receipt(
                                      receipt, submitted=False, workshop=services.is_workshop_job(receipt)),
                                  conflict=None))


@bp.post("/<int:receipt_id>/lines/<int:line_id>/remove")
@roles(Role.technician)
def fee_remove(receipt_id: int, line_id: int):
    receipt = _visible(receipt_id)
    ActionForm().validate()
    services.receipt_remove_fee(receipt=receipt, line_id=line_id, actor=current_user)
    return _lines_changed(receipt, _("Fee removed."))


@bp.post("/<int:receipt_id>/load-parts")
@roles(Role.technician)
def load_parts(receipt_id: int):
    receipt = _visible(receipt_id)
    ActionForm().validate()
    count = services.receipt_load_parts(receipt=receipt, actor=current_user)
    if count:
        message = _("%(count)s used part(s) loaded from the requisitions.", count=count)
    elif services.parts_charged_elsewhere(receipt):
        message = _("The parts used on this case are all on other signed receipts: none left to load.")
    else:
        message = _("No used parts are reported on this case's requisitions.")
    return _lines_changed(receipt, message)


@bp.post("/<int:receipt_id>/reopen")
@roles(Role.technician)
def reopen(receipt_id: int):
    receipt = _visible(receipt_id)
    ActionForm().validate()
    services.receipt_reopen(receipt=receipt, actor=current_user)
    return done(url_for("receipts.show", receipt_id=receipt.id), _("The receipt is a draft again."))


@bp.get("/<int:receipt_id>.pdf")
@roles(READ)
def pdf(receipt_id: int):
    receipt = _visible(receipt_id)
    from portal.archive.services import latest_for
    archived = latest_for("repair_receipt", receipt.id)
    if archived is not None:  # a signed receipt is the archived file, never a new rendering
        return redirect(url_for("archive.download", document_id=archived.id))
    data = render_pdf("print/repair_receipt.html", **receipt_print_context(receipt))
    return pdf_response(data, f"维修服务回执单-{receipt.number}.pdf")


@bp.get("/collections")
@roles(READ)
def collections():
    return htmx.render("receipts/collections.html", items=services.open_collections(actor=current_user),
                       today=local_today(), form=CollectForm(), mine=services.is_technician(current_user))


@bp.get("/collections/mine")
@roles(Role.technician)
def my_collections():
    return collections()


@bp.post("/collections/<int:item_id>/collected")
@roles(READ)
def collected(item_id: int):
    item = get_or_404(Collection, item_id)
    form = CollectForm()
    form.validate()
    services.collection_done(item=item, note=form.note.data or "", actor=current_user)
    return done(url_for("receipts.collections"), _("¥%(amount)s marked as collected.", amount=item.amount))


def _sign_page(receipt: RepairReceipt, form: SignForm, *, status: int = 200):
    return htmx.render("receipts/sign.html", status=status, sign_form=form, **_context(receipt))


@bp.route("/<int:receipt_id>/sign", methods=["GET", "POST"])
@roles(Role.technician, Role.clerk, Role.manager)
def sign(receipt_id: int):
    receipt = _visible(receipt_id)
    services.ensure_signable(receipt)
    form = SignForm()
    if not form.validate_on_submit():
        return _sign_page(receipt, form, status=form_status())
    try:
        image = signature_image(form)
        document = services.receipt_sign(
            receipt=receipt, signer_name=form.signer_name.data, rating=form.rating.data, comment=form.comment.data,
            image=image, address=request.remote_addr, user_agent=request.user_agent.string, device=handover.signing_device(),
            staff=current_user._get_current_object(), verify_url=archive_services.verification_url)
    except ValidationFailed as error:
        attach_errors(form, error)
        return _sign_page(receipt, form, status=error.status)
    return done(url_for("receipts.signed", receipt_id=receipt.id), _("Signed and archived as %(number)s v%(v)s.",
                                                                       number=document.number, v=document.version))



@bp.get("/<int:receipt_id>/signed")
@roles(Role.technician, Role.clerk, Role.manager)
def signed(receipt_id: int):
    receipt = _visible(receipt_id)
    from portal.archive.services import latest_for
    return htmx.render("receipts/signed.html", receipt=receipt, document=latest_for("repair_receipt", receipt.id),
                       signature=services.signature_for(receipt))
