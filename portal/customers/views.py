from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.core import audit, htmx
from portal.core.access import roles
from portal.core.forms import choices
from portal.core.pdf import pdf_response, render_pdf
from portal.core.roles import Role
from portal.core.timeutil import local_today
from portal.core.web import attempt, done, form_status, get_or_404
from portal.customers import EDIT, OFFICE, READ, bp, phones, services
from portal.customers.forms import (CancelForm, ContactForm, ContractForm, CustomerForm, EquipmentForm,
                                    MergeForm, MismatchForm, ProductTypeForm, ResolveForm)
from portal.customers.printing import customer_info_context
from portal.customers.models import (Customer, CustomerKind, DataCorrection, Equipment, ProductType,
                                     ServiceContract, WarrantyKind)
from portal.customers.warranty import equipment_status
from portal.extensions import db


# --- list and search ---------------------------------------------------------------------------

@bp.get("/")
@roles(READ)
def index():
    filters = services.Filters.from_args(request.args)
    page = services.search_customers(filters, page=request.args.get("page", 1, type=int))
    return htmx.render("customers/index.html", "customers/_results.html", filters=filters, result=page,
                       regions=services.regions(), kinds=list(CustomerKind), warranty_kinds=list(WarrantyKind))


# --- customer create / edit / show ---------------------------------------------------------------

def _compact_contacts(formdata: MultiDict) -> MultiDict:
    """Drop contact rows left entirely blank and renumber the rest, so an unused row is no error."""
    rows: dict[int, dict[str, str]] = {}
    kept = MultiDict()
    for key, value in formdata.items(multi=True):
        parts = key.split("-", 2)
        if parts[0] == "contacts" and len(parts) == 3 and parts[1].isdigit():
            rows.setdefault(int(parts[1]), {})[parts[2]] = value
        else:
            kept.add(key, value)
    filled = [row for _i, row in sorted(rows.items()) if any(v.strip() for v in row.values())]
    for index, row in enumerate(filled):
        for name, value in row.items():
            kept.add(f"contacts-{index}-{name}", value)
    return kept


def _customer_form(obj=None) -> CustomerForm:
    if request.method == "POST":
        return CustomerForm(formdata=_compact_contacts(request.form))
    return CustomerForm(obj=obj)


def _contact_inputs(form: CustomerForm) -> list[services.ContactInput]:
    return [services.ContactInput(name=e.form.name.data or "", title=e.form.title.data or "",
                                  phone=e.form.phone.data or "", alt_phone=e.form.alt_phone.data or "")
            for e in form.contacts.entries]


@bp.route("/new", methods=["GET", "POST"])
@roles(EDIT)
def new():
    form = _customer_form()
    outcome = attempt(form, lambda: services.customer_create(values=form.values(), contacts=_contact_inputs(form),
                                                             actor=current_user))
    if outcome.ok:
        return done(url_for("customers.show", customer_id=outcome.result.id),
                    _("Customer %(number)s created.", number=outcome.result.number))
    return htmx.render("customers/form.html", form=form, customer=None, conflict=None, status=form_status(outcome))


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@roles(EDIT)
def edit(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = _customer_form(customer)
    outcome = attempt(form, lambda: services.customer_update(
        customer=customer, values=form.values(), contacts=_contact_inputs(form), expected_version=form.version.data,
        actor=current_user), obj=customer)
    if outcome.ok:
        return done(url_for("customers.show", customer_id=customer.id), _("Changes saved."))
    return htmx.render("customers/form.html", form=form, customer=customer, conflict=outcome.conflict,
                       status=form_status(outcome))


@bp.get("/contact-row")
@roles(EDIT)
def contact_row():
    index = min(max(request.args.get("index", 1, type=int), 0), 50)
    row = ContactForm(prefix=f"contacts-{index}-")
    return htmx.render("customers/_contact_row.html", row=row, index=index, oob_next=index + 1)


@bp.get("/<int:customer_id>")
@roles(READ)
def show(customer_id: int):
    return _show_page(get_or_404(Customer, customer_id))


def _show_page(customer: Customer, *, mismatch_form: MismatchForm | None = None, status: int = 200):
    today = local_today()
    units = [(unit, equipment_status(unit, today=today)) for unit in customer.equipment]
    return htmx.render("customers/show.html", "customers/_mismatch_form.html", customer=customer, units=units,
                       today=today, timeline=audit.timeline(customer), status=status,
                       mismatch_form=mismatch_form or _mismatch_form(customer))


# --- inline checks -----------------------------------------------------------------------------

@bp.get("/check-phone")
@roles(EDIT)
def check_phone():
    raw = next((v for k, v in request.args.items() if k.endswith("phone")), "")
    if not raw.strip():
        return ""
    try:
        phone = phones.normalise(raw)
    except phones.PhoneError as error:
        return htmx.render("customers/_check.html", level="error", message=str(error.message))
    owner = services.phone_owner(phone.normal, exclude_customer_id=request.args.get("customer_id", type=int))
    return htmx.render("customers/_check.html", level="warn" if owner else "ok", owner=owner, phone=phone,
                       message=_("This phone already belongs to customer") if owner else _("Phone OK: %(phone)s", phone=phone.normal))


@bp.get("/check-serial")
@roles(EDIT)
def check_serial():
    serial = (request.args.get("serial") or "").strip()
    type_id = request.args.get("product_type_id", type=int)
    if not serial or not type_id:
        return ""
    unit = services.serial_owner(product_type_id=type_id, serial=serial,
                                 exclude_equipment_id=request.args.get("equipment_id", type=int))
    if unit is None:
        return htmx.render("customers/_check.html", level="ok", message=_("Serial not registered yet."))
    return htmx.render("customers/_check.html", level="warn", owner=unit.customer,
                       message=_("Serial already registered to"))


# --- equipment ---------------------------------------------------------------------------------

def _equipment_form(unit: Equipment | None = None) -> EquipmentForm:
    form = EquipmentForm(obj=unit if request.method == "GET" else None)
    form.product_type_id.choices = choices([(0, "—")] + [(t.id, _("%(name)s (%(months)s months)", name=t.name,
                                                                    months=t.default_warranty_months))
                                                         for t in services.product_types()])
    form.agent_id.choices = choices([("", _("(none)"))] + [(a.id, f"{a.number} {a.name}") for a in services.agents()])
    return form


@bp.route("/<int:customer_id>/equipment/new", methods=["GET", "POST"])
@roles(EDIT)
def equipment_new(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = _equipment_form()
    outcome = attempt(form, lambda: services.equipment_create(customer=customer, values=form.values(), actor=current_user))
    if outcome.ok:
        return done(url_for("customers.show", customer_id=customer.id, _anchor="equipment"),
                    _("Unit %(serial)s added.", serial=outcome.result.serial))
    return htmx.render("customers/equipment_form.html", form=form, customer=customer, unit=None, conflict=None,
                       today_iso=local_today().isoformat(), status=form_status(outcome))


@bp.route("/equipment/<int:unit_id>/edit", methods=["GET", "POST"])
@roles(EDIT)
def equipment_edit(unit_id: int):
    unit = get_or_404(Equipment, unit_id)
    form = _equipment_form(unit)
    outcome = attempt(form, lambda: services.equipment_update(unit=unit, values=form.values(), actor=current_user,
                                                              expected_version=form.version.data), obj=unit)
    if outcome.ok:
        return done(url_for("customers.show", customer_id=unit.customer_id, _anchor="equipment"), _("Changes saved."))
    return htmx.render("customers/equipment_form.html", form=form, customer=unit.customer, unit=unit,
                       conflict=outcome.conflict, timeline=audit.timeline(unit), today_iso=local_today().isoformat(),
                       status=form_status(outcome))


# --- contracts ---------------------------------------------------------------------------------

def _contract_form(customer: Customer, contract: ServiceContract | None = None) -> ContractForm:
    form = ContractForm(obj=contract if request.method == "GET" else None)
    form.equipment_ids.choices = choices((u.id, f"{u.product_type.name} {u.model} · {u.serial}") for u in customer.equipment)
    if request.method == "GET" and contract is not None:
        form.equipment_ids.data = [u.id for u in contract.equipment]
    return form


@bp.route("/<int:customer_id>/contracts/new", methods=["GET", "POST"])
@roles(OFFICE)
def contract_new(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = _contract_form(customer)
    outcome = attempt(form, lambda: services.contract_create(customer=customer, values=form.values(), actor=current_user))
    if outcome.ok:
        return done(url_for("customers.show", customer_id=customer.id, _anchor="contracts"),
                    _("Contract %(number)s saved.", number=outcome.result.number))
    return htmx.render("customers/contract_form.html", form=form, customer=customer, contract=None, conflict=None,
                       status=form_status(outcome))


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@roles(OFFICE)
def contract_edit(contract_id: int):
    contract = get_or_404(ServiceContract, contract_id)
    form = _contract_form(contract.customer, contract)
    outcome = attempt(form, lambda: services.contract_update(contract=contract, values=form.values(), actor=current_user,
                                                             expected_version=form.version.data), obj=contract)
    if outcome.ok:
        return done(url_for("customers.show", customer_id=contract.customer_id, _anchor="contracts"), _("Changes saved."))
    return htmx.render("customers/contract_form.html", form=form, customer=contract.customer, contract=contract,
                       conflict=outcome.conflict, cancel_form=CancelForm(), timeline=audit.timeline(contract),
                       status=form_status(outcome))


@bp.post("/contracts/<int:contract_id>/cancel")
@roles(OFFICE)
def contract_cancel(contract_id: int):
    contract = get_or_404(ServiceContract, contract_id)
    form = CancelForm()
    form.validate()
    services.contract_cancel(contract=contract, reason=form.reason.data or "", actor=current_user)
    return done(url_for("customers.show", customer_id=contract.customer_id, _anchor="contracts"),
                _("Contract %(number)s cancelled.", number=contract.number))


# --- product types -----------------------------------------------------------------------------

@bp.route("/product-types", methods=["GET", "POST"])
@roles(READ)
def product_types():
    form = ProductTypeForm()
    if request.method == "POST" and current_user.role is not Role.manager:
        abort(403)
    outcome = attempt(form, lambda: services.product_type_save(
        product_type=None, name=form.name.data, active=True, expected_version=None,
        default_warranty_months=form.default_warranty_months.data, actor=current_user))
    if outcome.ok:
        return done(url_for("customers.product_types"), _("Product type added."))
    return htmx.render("customers/product_types.html", form=form, types=services.product_types(include_inactive=True),
                       status=form_status(outcome))


@bp.route("/product-types/<int:type_id>", methods=["GET", "POST"])
@roles(Role.manager)
def product_type_edit(type_id: int):
    product_type = get_or_404(ProductType, type_id)
    form = ProductTypeForm(obj=product_type if request.method == "GET" else None)
    outcome = attempt(form, lambda: services.product_type_save(
        product_type=product_type, name=form.name.data, active=form.active.data, actor=current_user,
        default_warranty_months=form.default_warranty_months.data, expected_version=form.version.data), obj=product_type)
    if outcome.ok:
        return done(url_for("customers.product_types"), _("Changes saved."))
    return htmx.render("customers/product_type_form.html", form=form, product_type=product_type,
                       conflict=outcome.conflict, timeline=audit.timeline(product_type), status=form_status(outcome))


# --- data corrections and merging ------------------------------------------------------------------

def _mismatch_form(customer: Customer) -> MismatchForm:
    form = MismatchForm()
    form.equipment_id.choices = choices([("", _("(no particular unit)"))] + [(u.id, f"{u.product_type.name} · {u.serial}")
                                                                          for u in customer.equipment])
    return form


@bp.post("/<int:customer_id>/mismatch")
@roles(Role.technician)
def report_mismatch(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    form = _mismatch_form(customer)
    if not form.validate_on_submit():
        return _show_page(customer, mismatch_form=form, status=htmx.VALIDATION_STATUS)
    unit = db.session.get(Equipment, form.equipment_id.data) if form.equipment_id.data else None
    services.report_mismatch(customer=customer, equipment=unit, field=form.field.data,
                             description=form.description.data, actor=current_user)
    return done(url_for("customers.show", customer_id=customer.id),
                _("Thank you: the office will correct it today."))


@bp.get("/corrections")
@roles(OFFICE)
def corrections():
    return htmx.render("customers/corrections.html", items=services.open_corrections(), today=local_today(),
                       form=ResolveForm())


@bp.post("/corrections/<int:item_id>")
@roles(OFFICE)
def correction_resolve(item_id: int):
    item = get_or_404(DataCorrection, item_id)
    form = ResolveForm()
    form.validate()
    services.correction_resolve(item=item, resolution=form.resolution.data or "", actor=current_user)
    return done(url_for("customers.corrections"), _("Marked as corrected."))


@bp.route("/<int:customer_id>/merge", methods=["GET", "POST"])
@roles(Role.manager)
def merge(customer_id: int):
    survivor = get_or_404(Customer, customer_id)
    form = MergeForm()
    duplicate = None
    if form.validate_on_submit():
        duplicate = db.session.scalar(select(Customer).where(Customer.number == form.other.data.strip().upper()))
        if duplicate is None:
            form.other.errors.append(_("No customer with this number."))
        elif not form.confirm.data:
            form.confirm.errors.append(_("Check both records, then tick this box."))
        else:
            services.customer_merge(survivor=survivor, duplicate=duplicate, actor=current_user)
            return done(url_for("customers.show", customer_id=survivor.id),
                        _("%(dup)s merged into %(number)s.", dup=duplicate.number, number=survivor.number))
    return htmx.render("customers/merge.html", form=form, survivor=survivor, duplicate=duplicate, status=form_status())


@bp.get("/<int:customer_id>/info.pdf")
@roles(READ)
def info_pdf(customer_id: int):
    customer = get_or_404(Customer, customer_id)
    data = render_pdf("print/customer_info.html", **customer_info_context(customer, today=local_today()))
    return pdf_response(data, f"客户信息登记表-{customer.number}.pdf")
