from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.customers import services
from portal.customers.models import (Contact, CorrectionStatus, Customer, CustomerKind, CustomerStatus, DataCorrection,
                                     Equipment)
from portal.extensions import db
from tests.customers import helpers

EN = {"Accept-Language": "en"}


def _form(**changes):
    data = {"name": "张伟", "kind": "end_customer", "province": "山东省", "city": "济南市", "district": "历下区",
            "street": "经十路 100 号", "region": "济南东片", "notes": "",
            "contacts-0-name": "张伟", "contacts-0-title": "", "contacts-0-phone": "138 1234 5678", "contacts-0-alt_phone": ""}
    data.update(changes)
    return data


def _count(app, model=Customer):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- create and edit ----------------------------------------------------------------------------

def test_clerk_creates_a_customer_with_normalised_phone(app, client, login_as):
    login_as(Role.clerk)
    response = client.post("/customers/new", data=_form(**{"contacts-1-name": "李娜", "contacts-1-phone": "0531-8888 1234"}))
    assert response.status_code == 303
    with app.app_context():
        customer = db.session.scalar(select(Customer))
        assert customer.number.startswith("KH-") and customer.number.endswith("-000001")
        assert [c.phone for c in customer.contacts] == ["13812345678", "0531-88881234"]
        assert customer.address == "山东省济南市历下区经十路 100 号"
        assert "13812345678" in customer.search_text and "053188881234" in customer.search_text
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.entity_type == "customer")) == "customer.created"


def test_blank_extra_contact_rows_are_ignored_but_one_contact_is_required(app, client, login_as):
    login_as(Role.operator)
    ok = client.post("/customers/new", data=_form(**{"contacts-1-name": "", "contacts-1-phone": " "}))
    assert ok.status_code == 303
    none = client.post("/customers/new", data=_form(**{"contacts-0-name": "", "contacts-0-phone": ""}, name="王芳"),
                       headers=EN)
    assert none.status_code == 422 and "Enter a phone number." in none.get_data(as_text=True)


def test_bad_phone_and_long_name_keep_what_was_typed(app, client, login_as):
    login_as(Role.clerk)
    response = client.post("/customers/new", data=_form(**{"contacts-0-phone": "1234"}, name="张" * 101, street="经十路 88 号"),
                           headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Field cannot be longer than 100 characters." in html
    assert "Not a Chinese mobile or landline number." in html or "A mobile number has 11 digits" in html
    assert 'value="经十路 88 号"' in html and 'value="1234"' in html
    assert _count(app) == 0


def test_phone_of_another_customer_is_refused_with_a_link(app, client, login_as):
    with app.app_context():
        other = helpers.customer("王芳", "13812345678")
        helpers.commit()
        other_id, other_number = other.id, other.number
    login_as(Role.clerk)
    response = client.post("/customers/new", data=_form(), headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f"This phone already belongs to customer {other_number} 王芳." in html
    check = client.get("/customers/check-phone?contacts-0-phone=138-1234-5678", headers={"HX-Request": "true", **EN})
    assert f'href="/customers/{other_id}"' in check.get_data(as_text=True)
    assert _count(app) == 1


def test_inline_phone_check_messages(client, login_as):
    login_as(Role.clerk)
    bad = client.get("/customers/check-phone?contacts-0-phone=12345", headers={"HX-Request": "true", **EN})
    assert "check-error" in bad.get_data(as_text=True)
    good = client.get("/customers/check-phone?contacts-0-phone=13900001111", headers={"HX-Request": "true", **EN})
    assert "Phone OK: 13900001111" in good.get_data(as_text=True)


def test_edit_and_conflict(app, client, login_as):
    with app.app_context():
        customer = helpers.customer("张伟", "13812345678")
        helpers.commit()
        cid = customer.id
    login_as(Role.clerk)
    base = _form()
    assert client.post(f"/customers/{cid}/edit", data={**base, "street": "新地址 1 号", "version": 1}).status_code == 303
    stale = client.post(f"/customers/{cid}/edit", data={**base, "street": "旧表单的地址", "version": 1}, headers=EN)
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "新地址 1 号" in html and 'value="旧表单的地址"' in html
    with app.app_context():
        assert db.session.get(Customer, cid).street == "新地址 1 号"


def test_contact_change_alone_is_audited_and_bumps_the_version(app, client, login_as):
    with app.app_context():
        cid = helpers.customer("张伟", "13812345678").id
        helpers.commit()
    login_as(Role.clerk)
    data = {**_form(), "contacts-0-phone": "13812345678", "contacts-1-name": "小张", "contacts-1-phone": "13912345678",
            "version": 1}
    assert client.post(f"/customers/{cid}/edit", data=data).status_code == 303
    with app.app_context():
        customer = db.session.get(Customer, cid)
        assert customer.version == 2 and len(customer.contacts) == 2
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == cid,
                                                                     AuditEntry.entity_type == "customer")).all()
        assert "customer.contacts_changed" in actions


def test_contact_row_fragment_bumps_the_add_button(client, login_as):
    login_as(Role.clerk)
    html = client.get("/customers/contact-row?index=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="contacts-2-phone"' in html and 'hx-swap-oob="true"' in html and "index=3" in html


# --- who may do what ------------------------------------------------------------------------------

def test_technician_reads_but_cannot_edit_and_reports_a_mismatch(app, client, login_as, make_user):
    with app.app_context():
        cid = helpers.customer("张伟").id
        helpers.commit()
    login_as(Role.technician)
    assert client.get(f"/customers/{cid}").status_code == 200
    assert client.get("/customers/new").status_code == 403
    assert client.post(f"/customers/{cid}/edit", data=_form()).status_code == 403
    empty = client.post(f"/customers/{cid}/mismatch", data={"field": "address", "description": ""}, headers=EN)
    assert empty.status_code == 422 and "Describe what is wrong." in empty.get_data(as_text=True)
    sent = client.post(f"/customers/{cid}/mismatch", data={"field": "address", "description": "门牌号是 102 号"})
    assert sent.status_code == 303
    with app.app_context():
        item = db.session.scalar(select(DataCorrection))
        assert item.status is CorrectionStatus.open and item.due_on == services.local_today()


def test_clerk_sees_and_resolves_corrections(app, client, login_as, make_user):
    tech = make_user(Role.technician, "tech1")
    with app.app_context():
        from portal.accounts.models import User
        customer = helpers.customer("张伟")
        services.report_mismatch(customer=customer, equipment=None, field="phone", description="电话已停机",
                                 actor=db.session.get(User, tech))
        helpers.commit()
        item_id = db.session.scalar(select(DataCorrection.id))
    login_as(Role.clerk)
    assert "电话已停机" in client.get("/customers/corrections").get_data(as_text=True)
    assert client.post(f"/customers/corrections/{item_id}", data={"resolution": "已更新为新号码"}).status_code == 303
    assert "电话已停机" not in client.get("/customers/corrections").get_data(as_text=True)
    again = client.post(f"/customers/corrections/{item_id}", data={"resolution": "x"}, headers=EN)
    assert again.status_code == 409


def test_warehouse_has_no_access(client, login_as):
    login_as(Role.warehouse)
    assert client.get("/customers/").status_code == 403


# --- search -----------------------------------------------------------------------------------------

@pytest.fixture
def archive(app):
    with app.app_context():
        zhang = helpers.customer("张伟", "13812345678", city="济南市", street="经十路 100 号", region="济南东片", key_customer=True)
        helpers.unit(zhang, "ZG-2024-0001", bought=date(2026, 1, 10))
        wang = helpers.customer("王芳", "0531-88881234", region="青岛")
        helpers.unit(wang, "ZG-2020-0002", bought=date(2020, 1, 10))
        hotel = helpers.customer("泉城大酒店", "13900001111", is_organisation=True, region="济南东片")
        hotel.contacts.append(Contact(position=1, name="张伟民", phone="13900002222"))
        services.refresh_search_text(hotel)
        agent = helpers.customer("鲁中经销", "13700003333", kind=CustomerKind.agent)
        helpers.commit()
        return {"zhang": zhang.number, "wang": wang.number, "hotel": hotel.number, "agent": agent.number}


@pytest.mark.parametrize("q,expected", [
    ("张伟", {"zhang", "hotel"}),  # two-character Chinese name, also as part of a contact's name
    ("王芳", {"wang"}),
    ("5678", {"zhang"}),
    ("138-1234", {"zhang"}),
    ("8888 1234", {"wang"}),
    ("zg-2020", {"wang"}),
    ("经十路", {"zhang"}),
    ("酒店", {"hotel"}),
])
def test_search_finds_by_any_part(app, client, login_as, archive, q, expected):
    login_as(Role.operator)
    html = client.get("/customers/", query_string={"q": q}, headers={"HX-Request": "true"}).get_data(as_text=True)
    found = {key for key, number in archive.items() if number in html}
    assert found == expected


def test_search_by_customer_number(client, login_as, archive):
    login_as(Role.operator)
    html = client.get("/customers/", query_string={"q": archive["wang"].lower()}).get_data(as_text=True)
    assert archive["wang"] in html and archive["zhang"] not in html


@pytest.mark.parametrize("args,expected", [
    ({"kind": "agent"}, {"agent"}),
    ({"region": "济南东片"}, {"zhang", "hotel"}),
    ({"key": "yes"}, {"zhang"}),
    ({"warranty": "in_warranty"}, {"zhang"}),
    ({"warranty": "out_of_warranty"}, {"wang"}),
    ({"warranty": "under_contract"}, set()),
])
def test_filters(client, login_as, archive, args, expected):
    login_as(Role.clerk)
    html = client.get("/customers/", query_string=args, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert {key for key, number in archive.items() if number in html} == expected


def test_list_is_a_page_normally_and_a_fragment_for_htmx(client, login_as, archive):
    login_as(Role.clerk)
    page = client.get("/customers/?q=张").get_data(as_text=True)
    assert "<html" in page and 'hx-push-url="true"' in page and 'value="张"' in page
    fragment = client.get("/customers/?q=张", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<section id="results"')


def test_pagination(app, client, login_as):
    with app.app_context():
        for i in range(30):
            helpers.customer(f"客户{i:02d}")
        helpers.commit()
    login_as(Role.clerk)
    first = client.get("/customers/", headers=EN).get_data(as_text=True)
    second = client.get("/customers/?page=2", headers=EN).get_data(as_text=True)
    assert "Page 1 of 2" in first and "客户29" in first and "客户00" not in first
    assert "Page 2 of 2" in second and "客户00" in second
    assert "Page 2 of 2" in client.get("/customers/?page=99", headers=EN).get_data(as_text=True)


# --- equipment -----------------------------------------------------------------------------------

def _unit_form(type_id, **changes):
    data = {"product_type_id": type_id, "model": "JZ-3", "serial": "ZG-2025-0100", "purchase_date": "2025-03-02",
            "warranty_months": "", "agent_id": "", "notes": ""}
    data.update(changes)
    return data


@pytest.fixture
def owner(app):
    with app.app_context():
        kind = helpers.product_type("节能灶", 12)
        other_kind = helpers.product_type("蒸柜", 24)
        customer = helpers.customer("张伟")
        helpers.commit()
        return {"customer": customer.id, "type": kind.id, "other_type": other_kind.id}


def test_add_unit_and_see_the_warranty_reason(app, client, login_as, owner):
    login_as(Role.clerk)
    response = client.post(f"/customers/{owner['customer']}/equipment/new", data=_unit_form(owner["type"]))
    assert response.status_code == 303
    html = client.get(f"/customers/{owner['customer']}", headers=EN).get_data(as_text=True)
    assert "ZG-2025-0100" in html
    assert "bought 2025-03-02, 12-month warranty, expired 2026-03-01" in html
    with app.app_context():
        assert db.session.scalar(select(Equipment.warranty_ends_on)) == date(2026, 3, 1)


@pytest.mark.parametrize("changes,message", [
    ({"purchase_date": (date.today() + timedelta(days=2)).isoformat()}, "The date cannot be in the future."),
    ({"warranty_months": "121"}, "Between 0 and 120 months."),
    ({"warranty_months": "-1"}, "Between 0 and 120 months."),
    ({"purchase_date": "2025-02-30"}, "Not a valid date value."),
    ({"serial": ""}, "Enter the serial number."),
    ({"product_type_id": "0"}, "Choose a product type."),
])
def test_unit_input_errors(app, client, login_as, owner, changes, message):
    login_as(Role.clerk)
    response = client.post(f"/customers/{owner['customer']}/equipment/new", data=_unit_form(owner["type"], **changes),
                           headers=EN)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert 'value="JZ-3"' in response.get_data(as_text=True)
    assert _count(app, Equipment) == 0


def test_serial_unique_per_product_type(app, client, login_as, owner):
    with app.app_context():
        other = helpers.customer("王芳")
        helpers.unit(other, "ZG-2025-0100")
        helpers.commit()
        other_number = other.number
    login_as(Role.clerk)
    clash = client.post(f"/customers/{owner['customer']}/equipment/new", data=_unit_form(owner["type"], serial="zg-2025-0100"),
                        headers=EN)
    assert clash.status_code == 422 and f"already registered to {other_number} 王芳" in clash.get_data(as_text=True)
    check = client.get(f"/customers/check-serial?product_type_id={owner['type']}&serial=ZG-2025-0100", headers=EN)
    assert other_number in check.get_data(as_text=True)
    other_type = client.post(f"/customers/{owner['customer']}/equipment/new",
                             data=_unit_form(owner["other_type"], serial="ZG-2025-0100"))
    assert other_type.status_code == 303


def test_override_months_and_type_default_change(app, db, owner):
    customer = db.get(Customer, owner["customer"])
    follows = helpers.unit(customer, "A-1", bought=date(2025, 1, 1))
    fixed = helpers.unit(customer, "A-2", bought=date(2025, 1, 1), months=36)
    db.commit()
    assert (follows.warranty_ends_on, fixed.warranty_ends_on) == (date(2025, 12, 31), date(2027, 12, 31))
    kind = follows.product_type
    services.product_type_save(product_type=kind, name=kind.name, default_warranty_months=24, active=True,
                               expected_version=kind.version, actor=None)
    db.commit()
    assert (follows.warranty_ends_on, fixed.warranty_ends_on) == (date(2026, 12, 31), date(2027, 12, 31))


# --- contracts ------------------------------------------------------------------------------------

def _contract_form(unit_ids, **changes):
    data = {"equipment_ids": unit_ids, "start_date": "2026-01-01", "end_date": "2026-12-31", "parts_terms": "discount",
            "parts_discount_pct": "20", "labour_terms": "fixed", "labour_fee": "50", "notes": "年度保养"}
    data.update(changes)
    return data


def test_contract_puts_units_under_contract(app, client, login_as, owner):
    with app.app_context():
        customer = db.session.get(Customer, owner["customer"])
        unit_id = helpers.unit(customer, "C-1", bought=date(2019, 1, 1)).id
        helpers.commit()
    login_as(Role.clerk)
    bad = client.post(f"/customers/{owner['customer']}/contracts/new",
                      data=_contract_form([unit_id], end_date="2025-12-31"), headers=EN)
    assert bad.status_code == 422 and "The contract cannot end before it starts." in bad.get_data(as_text=True)
    assert client.post(f"/customers/{owner['customer']}/contracts/new", data=_contract_form([unit_id])).status_code == 303
    html = client.get(f"/customers/{owner['customer']}", headers=EN).get_data(as_text=True)
    assert "Under contract" in html and "HT-" in html
    listed = client.get("/customers/?warranty=under_contract", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "张伟" in listed


def test_contract_covers_only_own_units_and_can_be_cancelled(app, client, login_as, owner):
    with app.app_context():
        stranger_unit = helpers.unit(helpers.customer("王芳"), "X-9").id
        own = helpers.unit(db.session.get(Customer, owner["customer"]), "C-2").id
        helpers.commit()
    login_as(Role.manager)
    foreign = client.post(f"/customers/{owner['customer']}/contracts/new", data=_contract_form([stranger_unit]), headers=EN)
    assert foreign.status_code == 422
    client.post(f"/customers/{owner['customer']}/contracts/new", data=_contract_form([own]))
    with app.app_context():
        contract_id = db.session.scalar(select(func.max(Equipment.id)))  # placeholder to keep ids apart
        from portal.customers.models import ServiceContract
        contract_id = db.session.scalar(select(ServiceContract.id))
    assert client.post(f"/customers/contracts/{contract_id}/cancel", data={"reason": ""}, headers=EN).status_code == 422
    assert client.post(f"/customers/contracts/{contract_id}/cancel", data={"reason": "客户停业"}).status_code == 303
    assert client.post(f"/customers/contracts/{contract_id}/cancel", data={"reason": "again"}).status_code == 409


def test_operator_cannot_write_contracts(client, login_as, owner):
    login_as(Role.operator)
    assert client.get(f"/customers/{owner['customer']}/contracts/new").status_code == 403


# --- merge ------------------------------------------------------------------------------------------

def test_manager_merges_a_duplicate(app, client, login_as):
    with app.app_context():
        keep = helpers.customer("张伟", "13812345678")
        dup = helpers.customer("张伟（重复）", "13912345678", key_customer=True)
        helpers.unit(dup, "M-1")
        helpers.commit()
        keep_id, dup_id, dup_number = keep.id, dup.id, dup.number
    login_as(Role.manager)
    unticked = client.post(f"/customers/{keep_id}/merge", data={"other": dup_number}, headers=EN)
    assert unticked.status_code == 422
    assert client.post(f"/customers/{keep_id}/merge", data={"other": dup_number.lower(), "confirm": "y"}).status_code == 303
    with app.app_context():
        keep, dup = db.session.get(Customer, keep_id), db.session.get(Customer, dup_id)
        assert dup.status is CustomerStatus.merged and dup.merged_into_id == keep_id
        assert [u.serial for u in keep.equipment] == ["M-1"] and keep.key_customer
        assert {c.phone for c in keep.contacts} == {"13812345678", "13912345678"}
        assert "m-1" in keep.search_text
    # The merged record is kept, readable, but frozen everywhere.
    assert client.get(f"/customers/{dup_id}").status_code == 200
    frozen = client.post(f"/customers/{dup_id}/edit", data=_form(version=2), headers=EN)
    assert frozen.status_code == 409
    listed = client.get("/customers/?q=重复", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert dup_number not in listed


def test_only_managers_merge(client, login_as):
    login_as(Role.clerk)
    assert client.get("/customers/1/merge").status_code == 403
