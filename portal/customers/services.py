"""Customer archive verbs. Each checks, mutates, flushes and audits; the view commits once."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Sequence

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.core import audit
from portal.core.conflicts import apply_update, check_version
from portal.core.errors import DomainError, FrozenRecord, ValidationFailed
from portal.core.numbering import next_number
from portal.core.timeutil import local_today, utcnow
from portal.customers import phones, search
from portal.customers.models import (ContractStatus, CorrectionStatus, Customer, CustomerKind, CustomerStatus,
                                     Contact, DataCorrection, Equipment, LabourTerms, PartsTerms, ProductType,
                                     ServiceContract, WarrantyKind, contract_equipment)
from portal.customers.warranty import warranty_end
from portal.extensions import db

PAGE_SIZE = 25
CUSTOMER_FIELDS = ("name", "is_organisation", "kind", "province", "city", "district", "street", "region",
                   "key_customer", "notes")
MAX_WARRANTY_MONTHS = 120


@dataclass(frozen=True)
class ContactInput:
    name: str
    phone: str
    title: str = ""
    alt_phone: str = ""


# --- reads -------------------------------------------------------------------------------------

def get_customer(customer_id: int) -> Customer | None:
    return db.session.get(Customer, customer_id)


def phone_owner(phone: str, *, exclude_customer_id: int | None = None) -> Customer | None:
    """The active customer that already has this (normalised) phone, if any."""
    query = (select(Customer).join(Contact).where(or_(Contact.phone == phone, Contact.alt_phone == phone),
                                                   Customer.status == CustomerStatus.active))
    if exclude_customer_id:
        query = query.where(Customer.id != exclude_customer_id)
    return db.session.scalars(query.limit(1)).first()


def serial_owner(*, product_type_id: int, serial: str, exclude_equipment_id: int | None = None) -> Equipment | None:
    query = select(Equipment).where(Equipment.product_type_id == product_type_id,
                                    func.lower(Equipment.serial) == serial.strip().lower())
    if exclude_equipment_id:
        query = query.where(Equipment.id != exclude_equipment_id)
    return db.session.scalars(query.limit(1)).first()


def product_types(*, include_inactive: bool = False) -> list[ProductType]:
    query = select(ProductType).order_by(ProductType.name)
    if not include_inactive:
        query = query.where(ProductType.active.is_(True))
    return list(db.session.scalars(query))


def agents() -> list[Customer]:
    return list(db.session.scalars(select(Customer).where(Customer.kind == CustomerKind.agent,
                                                          Customer.status == CustomerStatus.active)
                                   .order_by(Customer.name)))


_regions_cache: dict[str, tuple[float, list[str]]] = {}
REGIONS_TTL_SECONDS = 60


def regions() -> list[str]:
    """The regions in use, for the filter; a DISTINCT over the whole archive, so kept a minute."""
    key = str(db.session.get_bind().url)
    cached = _regions_cache.get(key)
    if cached and time.monotonic() - cached[0] < REGIONS_TTL_SECONDS:
        return cached[1]
    found = list(db.session.scalars(select(Customer.region).where(Customer.region != "").distinct()
                                    .order_by(Customer.region)))
    _regions_cache[key] = (time.monotonic(), found)
    return found


@dataclass
class Filters:
    q: str = ""
    kind: str = ""
    region: str = ""
    key: str = ""
    warranty: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        return cls(**{name: (args.get(name) or "").strip()[:100] for name in ("q", "kind", "region", "key", "warranty")})

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def _active_contract_covers(today: date):
    return (select(contract_equipment.c.equipment_id)
            .join(ServiceContract, ServiceContract.id == contract_equipment.c.contract_id)
            .where(ServiceContract.status == ContractStatus.active, ServiceContract.start_date <= today,
                   ServiceContract.end_date >= today))


def search_terms(q: str) -> list[str]:
    digits = phones.digits_fragment(q)
    if digits:
        return [digits]
    return [term.lower() for term in q.split() if term][:5]


def customer_query(filters: Filters, *, today: date | None = None):
    today = today or local_today()
    query = select(Customer).where(Customer.status == CustomerStatus.active)
    terms = search_terms(filters.q)
    if terms:
        candidates = search.candidate_ids(terms)
        if candidates is not None:
            query = query.where(Customer.id.in_(candidates))
    for term in terms:
        query = query.where(Customer.search_text.contains(term, autoescape=True))
    if filters.kind in CustomerKind.__members__:
        query = query.where(Customer.kind == CustomerKind(filters.kind))
    if filters.region:
        query = query.where(Customer.region == filters.region)
    if filters.key in ("yes", "no"):
        query = query.where(Customer.key_customer.is_(filters.key == "yes"))
    if filters.warranty in WarrantyKind.__members__:
        covered = Equipment.id.in_(_active_contract_covers(today))
        unit = select(Equipment.id).where(Equipment.customer_id == Customer.id)
        if filters.warranty == WarrantyKind.under_contract:
            unit = unit.where(covered)
        elif filters.warranty == WarrantyKind.in_warranty:
            unit = unit.where(Equipment.warranty_ends_on >= today, ~covered)
        else:
            unit = unit.where(or_(Equipment.warranty_ends_on.is_(None), Equipment.warranty_ends_on < today), ~covered)
        query = query.where(exists(unit))
    return query


COUNT_CAP = 1000  # counting every match of a one-letter search costs more than the page itself


@dataclass
class Page:
    items: list[Customer]
    page: int
    total: int

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_CAP) // PAGE_SIZE))


def search_customers(filters: Filters, *, page: int = 1) -> Page:
    query = customer_query(filters)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).limit(COUNT_CAP + 1).subquery()))
    page = min(max(1, page), max(1, -(-min(total, COUNT_CAP) // PAGE_SIZE)))
    items = list(db.session.scalars(query.options(selectinload(Customer.contacts))
                                    .order_by(Customer.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
    return Page(items, page, total)


# --- customers ---------------------------------------------------------------------------------

def _normal_contacts(contacts: Sequence[ContactInput], *, customer_id: int | None) -> list[ContactInput]:
    errors: dict[str, list[str]] = {}
    result, seen = [], set()
    for index, contact in enumerate(contacts):
        normal = {}
        for field in ("phone", "alt_phone"):
            raw = getattr(contact, field)
            if not raw and field == "alt_phone":
                normal[field] = ""
                continue
            try:
                normal[field] = phones.normalise(raw).normal
            except phones.PhoneError as error:
                errors.setdefault(f"contacts-{index}-{field}", []).append(str(error.message))
                continue
            owner = phone_owner(normal[field], exclude_customer_id=customer_id)
            if owner is not None:
                errors.setdefault(f"contacts-{index}-{field}", []).append(
                    _("This phone already belongs to customer %(number)s %(name)s.", number=owner.number, name=owner.name))
            if normal[field] in seen:
                errors.setdefault(f"contacts-{index}-{field}", []).append(_("The same phone is listed twice."))
            seen.add(normal[field])
        if not contact.name.strip():
            errors.setdefault(f"contacts-{index}-name", []).append(_("Enter the contact's name."))
        result.append(ContactInput(name=contact.name.strip(), title=contact.title.strip(),
                                   phone=normal.get("phone", ""), alt_phone=normal.get("alt_phone", "")))
    if not contacts:
        errors["contacts"] = [_("Add at least one contact with a phone number.")]
    if errors:
        raise ValidationFailed(_("Please correct the contacts."), errors=errors)
    return result


def _contacts_text(contacts: Iterable[Any]) -> str:
    return "；".join(f"{c.name} {c.phone}" + (f" / {c.alt_phone}" if c.alt_phone else "") for c in contacts)


def _set_contacts(customer: Customer, contacts: list[ContactInput]) -> None:
    customer.contacts[:] = [Contact(position=i, name=c.name, title=c.title, phone=c.phone, alt_phone=c.alt_phone)
                            for i, c in enumerate(contacts)]


def _check_editable(customer: Customer) -> None:
    if customer.status is CustomerStatus.merged:
        raise FrozenRecord(_("This customer was merged into another record and can no longer be changed."))


def customer_create(*, values: dict[str, Any], contacts: Sequence[ContactInput], actor: Any) -> Customer:
    normal = _normal_contacts(contacts, customer_id=None)
    customer = Customer(number=next_number("KH"), **{k: values[k] for k in CUSTOMER_FIELDS if k in values})
    _set_contacts(customer, normal)
    customer.search_text = search_text_for(customer)
    _regions_cache.clear()
    db.session.add(customer)
    db.session.flush()
    search.store([(customer.id, customer.search_text)])
    audit.record_created(customer, actor=actor, fields=("number",) + CUSTOMER_FIELDS)
    return customer


def customer_update(*, customer: Customer, values: dict[str, Any], contacts: Sequence[ContactInput],
                    expected_version: int | None, actor: Any) -> dict:
    _check_editable(customer)
    fields = {k: values[k] for k in CUSTOMER_FIELDS if k in values}
    check_version(customer, fields, expected_version=expected_version)
    normal = _normal_contacts(contacts, customer_id=customer.id)
    before, after = _contacts_text(customer.contacts), _contacts_text(normal)
    if before != after:
        _set_contacts(customer, normal)
        customer.updated_at = utcnow()  # the contacts belong to the record: a change bumps its version
        audit.record("customer.contacts_changed", customer, actor=actor, changes={"contacts": [before, after]})
    changes = apply_update(customer, fields, expected_version=None, actor=actor)
    if "region" in changes:
        _regions_cache.clear()
    db.session.flush()
    refresh_search_text(customer)
    return changes


def search_text_for(customer: Customer) -> str:
    return search.search_text_from(
        customer.number, customer.name, customer.address, customer.region,
        [(c.name, c.title, c.phone, c.alt_phone) for c in customer.contacts],
        [(u.serial, u.model) for u in customer.equipment])


def refresh_search_text(customer: Customer) -> None:
    """Recompute the derived search column and the n-gram index (portal.customers.search).

    Written with a plain UPDATE, so adding a unit does not bump the customer's version and cause
    a false edit conflict. The customer must be flushed (have an id)."""
    text = search_text_for(customer)
    if customer.search_text != text:
        db.session.execute(update(Customer).where(Customer.id == customer.id).values(search_text=text)
                           .execution_options(synchronize_session=False))
        set_committed_value(customer, "search_text", text)
    search.store([(customer.id, text)])


# --- equipment ---------------------------------------------------------------------------------

def _equipment_values(values: dict[str, Any], *, today: date) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    purchase = values.get("purchase_date")
    if purchase is None:
        errors["purchase_date"] = [_("Enter the purchase or installation date.")]
    elif purchase > today:
        errors["purchase_date"] = [_("The date cannot be in the future.")]
    months = values.get("warranty_months")
    if months is not None and not 0 <= months <= MAX_WARRANTY_MONTHS:
        errors["warranty_months"] = [_("Between 0 and 120 months.")]
    product_type = db.session.get(ProductType, values.get("product_type_id") or 0)
    if product_type is None:
        errors["product_type_id"] = [_("Choose a product type.")]
    agent_id = values.get("agent_id") or None
    if agent_id:
        agent = db.session.get(Customer, agent_id)
        if agent is None or agent.kind is not CustomerKind.agent:
            errors["agent_id"] = [_("Choose an agent from the list.")]
    serial = (values.get("serial") or "").strip()
    if not serial:
        errors["serial"] = [_("Enter the serial number.")]
    if errors:
        raise ValidationFailed(_("Please correct the unit."), errors=errors)
    return {"product_type_id": product_type.id, "model": (values.get("model") or "").strip(), "serial": serial,
            "purchase_date": purchase, "warranty_months": months, "agent_id": agent_id,
            "notes": (values.get("notes") or "").strip()}


def _check_serial_free(*, product_type_id: int, serial: str, exclude_equipment_id: int | None) -> None:
    owner = serial_owner(product_type_id=product_type_id, serial=serial, exclude_equipment_id=exclude_equipment_id)
    if owner is not None:
        message = _("Serial %(serial)s is already registered to %(number)s %(name)s.",
                    serial=owner.serial, number=owner.customer.number, name=owner.customer.name)
        raise ValidationFailed(message, errors={"serial": [message]})


def _refresh_warranty_end(unit: Equipment) -> None:
    product_type = unit.product_type or db.session.get(ProductType, unit.product_type_id)
    months = unit.warranty_months if unit.warranty_months is not None else product_type.default_warranty_months
    unit.warranty_ends_on = warranty_end(unit.purchase_date, months)


def equipment_create(*, customer: Customer, values: dict[str, Any], actor: Any, today: date | None = None) -> Equipment:
    _check_editable(customer)
    clean = _equipment_values(values, today=today or local_today())
    _check_serial_free(product_type_id=clean["product_type_id"], serial=clean["serial"], exclude_equipment_id=None)
    unit = Equipment(customer=customer, **clean)
    db.session.add(unit)
    _refresh_warranty_end(unit)
    db.session.flush()
    refresh_search_text(customer)
    audit.record_created(unit, actor=actor, fields=tuple(clean))
    audit.record("customer.equipment_added", customer, actor=actor, note=f"{unit.serial}")
    return unit


def equipment_update(*, unit: Equipment, values: dict[str, Any], expected_version: int | None, actor: Any,
                     today: date | None = None) -> dict:
    _check_editable(unit.customer)
    clean = _equipment_values(values, today=today or local_today())
    _check_serial_free(product_type_id=clean["product_type_id"], serial=clean["serial"], exclude_equipment_id=unit.id)
    product_type = db.session.get(ProductType, clean["product_type_id"])
    months = clean["warranty_months"] if clean["warranty_months"] is not None else product_type.default_warranty_months
    clean["warranty_ends_on"] = warranty_end(clean["purchase_date"], months)
    changes = apply_update(unit, clean, expected_version=expected_version, actor=actor)
    refresh_search_text(unit.customer)
    return changes


def product_type_save(*, product_type: ProductType | None, name: str, default_warranty_months: int, active: bool,
                      expected_version: int | None, actor: Any) -> ProductType:
    if not 0 <= default_warranty_months <= MAX_WARRANTY_MONTHS:
        raise ValidationFailed(_("Between 0 and 120 months."), errors={"default_warranty_months": [_("Between 0 and 120 months.")]})
    clash = db.session.scalar(select(ProductType).where(func.lower(ProductType.name) == name.strip().lower()))
    if clash is not None and clash is not product_type:
        raise ValidationFailed(_("This product type exists already."), errors={"name": [_("This product type exists already.")]})
    values = {"name": name.strip(), "default_warranty_months": default_warranty_months, "active": active}
    if product_type is None:
        product_type = ProductType(**values)
        db.session.add(product_type)
        db.session.flush()
        audit.record_created(product_type, actor=actor, fields=tuple(values))
        return product_type
    months_changed = product_type.default_warranty_months != default_warranty_months
    apply_update(product_type, values, expected_version=expected_version, actor=actor)
    if months_changed:
        # Units that follow the type's default get their warranty end recomputed.
        for unit in db.session.scalars(select(Equipment).where(Equipment.product_type_id == product_type.id,
                                                                Equipment.warranty_months.is_(None))):
            _refresh_warranty_end(unit)
    db.session.flush()
    return product_type


# --- contracts ---------------------------------------------------------------------------------

def _contract_values(customer: Customer, values: dict[str, Any]) -> tuple[dict[str, Any], list[Equipment]]:
    errors: dict[str, list[str]] = {}
    start, end = values.get("start_date"), values.get("end_date")
    if start is None:
        errors["start_date"] = [_("Enter the start date.")]
    if end is None:
        errors["end_date"] = [_("Enter the end date.")]
    if start and end and end < start:
        errors["end_date"] = [_("The contract cannot end before it starts.")]
    parts_terms = PartsTerms(values.get("parts_terms") or PartsTerms.free)
    discount = Decimal(values.get("parts_discount_pct") or 0)
    if parts_terms is PartsTerms.discount and not Decimal(0) < discount <= Decimal(100):
        errors["parts_discount_pct"] = [_("A discount between 0 and 100 %.")]
    labour_terms = LabourTerms(values.get("labour_terms") or LabourTerms.free)
    fee = Decimal(values.get("labour_fee") or 0)
    if labour_terms is LabourTerms.fixed and fee < 0:
        errors["labour_fee"] = [_("The fee cannot be negative.")]
    own_ids = {unit.id for unit in customer.equipment}
    wanted = [int(i) for i in values.get("equipment_ids") or []]
    if not wanted:
        errors["equipment_ids"] = [_("Choose the units the contract covers.")]
    elif set(wanted) - own_ids:
        errors["equipment_ids"] = [_("A contract covers only this customer's own units.")]
    if errors:
        raise ValidationFailed(_("Please correct the contract."), errors=errors)
    clean = {"start_date": start, "end_date": end, "parts_terms": parts_terms,
             "parts_discount_pct": discount if parts_terms is PartsTerms.discount else Decimal(0),
             "labour_terms": labour_terms, "labour_fee": fee if labour_terms is LabourTerms.fixed else Decimal(0),
             "notes": (values.get("notes") or "").strip()}
    return clean, [unit for unit in customer.equipment if unit.id in wanted]


def contract_create(*, customer: Customer, values: dict[str, Any], actor: Any) -> ServiceContract:
    _check_editable(customer)
    clean, units = _contract_values(customer, values)
    contract = ServiceContract(number=next_number("HT"), customer=customer, equipment=units, **clean)
    db.session.add(contract)
    db.session.flush()
    audit.record_created(contract, actor=actor, fields=tuple(clean), note=", ".join(u.serial for u in units))
    return contract


def contract_update(*, contract: ServiceContract, values: dict[str, Any], expected_version: int | None,
                    actor: Any) -> dict:
    _check_editable(contract.customer)
    if contract.status is ContractStatus.cancelled:
        raise FrozenRecord(_("A cancelled contract cannot be changed."))
    clean, units = _contract_values(contract.customer, values)
    before = ", ".join(u.serial for u in contract.equipment)
    changes = apply_update(contract, clean, expected_version=expected_version, actor=actor)
    after = ", ".join(u.serial for u in units)
    if before != after:
        contract.equipment = units
        audit.record("service_contract.units_changed", contract, actor=actor, changes={"equipment": [before, after]})
    db.session.flush()
    return changes


def contract_cancel(*, contract: ServiceContract, reason: str, actor: Any) -> None:
    if contract.status is ContractStatus.cancelled:
        raise DomainError(_("This contract is cancelled already."))
    if not reason.strip():
        raise ValidationFailed(_("Give a reason."), errors={"reason": [_("Give a reason.")]})
    contract.status = ContractStatus.cancelled
    audit.record("service_contract.cancelled", contract, actor=actor, changes={"status": ["active", "cancelled"]},
                 note=reason.strip())
    db.session.flush()


# --- corrections and merging ----------------------------------------------------------------------

def report_mismatch(*, customer: Customer, equipment: Equipment | None, field: str, description: str,
                    actor: Any) -> DataCorrection:
    if not description.strip():
        raise ValidationFailed(_("Describe what is wrong."), errors={"description": [_("Describe what is wrong.")]})
    if equipment is not None and equipment.customer_id != customer.id:
        raise ValidationFailed(_("That unit is not this customer's."), errors={"equipment_id": [_("That unit is not this customer's.")]})
    item = DataCorrection(customer=customer, equipment=equipment, field=field, description=description.strip(),
                          reported_by_id=actor.id, due_on=local_today())
    db.session.add(item)
    db.session.flush()
    audit.record("customer.mismatch_reported", customer, actor=actor, note=f"{field}: {item.description}")
    return item


def open_corrections() -> list[DataCorrection]:
    return list(db.session.scalars(select(DataCorrection).where(DataCorrection.status == CorrectionStatus.open)
                                   .options(selectinload(DataCorrection.customer))
                                   .order_by(DataCorrection.due_on, DataCorrection.id)))


def correction_resolve(*, item: DataCorrection, resolution: str, actor: Any) -> None:
    if item.status is CorrectionStatus.fixed:
        raise DomainError(_("This correction is done already."))
    if not resolution.strip():
        raise ValidationFailed(_("Say what was corrected."), errors={"resolution": [_("Say what was corrected.")]})
    item.status, item.resolution = CorrectionStatus.fixed, resolution.strip()
    item.resolved_by_id, item.resolved_at = actor.id, utcnow()
    audit.record("customer.mismatch_fixed", item.customer, actor=actor, note=item.resolution)
    db.session.flush()


def customer_merge(*, survivor: Customer, duplicate: Customer, actor: Any) -> None:
    """Move the duplicate's contacts, units, contracts and corrections to the survivor and mark the
    duplicate merged (kept, never deleted). Later families add their records here too."""
    if survivor.id == duplicate.id:
        raise DomainError(_("Choose two different customers."))
    for record in (survivor, duplicate):
        _check_editable(record)
    moved_units = [unit.serial for unit in duplicate.equipment]
    known = {c.phone for c in survivor.contacts}
    position = len(survivor.contacts)
    for contact in list(duplicate.contacts):
        duplicate.contacts.remove(contact)
        if contact.phone in known:
            continue
        survivor.contacts.append(Contact(position=position, name=contact.name, title=contact.title,
                                         phone=contact.phone, alt_phone=contact.alt_phone))
        position += 1
    for unit in list(duplicate.equipment):
        unit.customer = survivor
    for contract in list(duplicate.contracts):
        contract.customer = survivor
    db.session.execute(db.update(DataCorrection).where(DataCorrection.customer_id == duplicate.id)
                       .values(customer_id=survivor.id))
    db.session.execute(db.update(Equipment).where(Equipment.agent_id == duplicate.id).values(agent_id=survivor.id))
    survivor.key_customer = survivor.key_customer or duplicate.key_customer
    duplicate.status, duplicate.merged_into_id = CustomerStatus.merged, survivor.id
    search.remove(duplicate.id)
    db.session.flush()
    db.session.expire(survivor, ["equipment", "contracts"])
    refresh_search_text(survivor)
    audit.record("customer.merged_in", survivor, actor=actor, note=f"{duplicate.number} {duplicate.name}",
                 changes={"equipment": [None, ", ".join(moved_units)]})
    audit.record("customer.merged", duplicate, actor=actor, note=f"→ {survivor.number} {survivor.name}",
                 changes={"status": ["active", "merged"]})
    db.session.flush()
