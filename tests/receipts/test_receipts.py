from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.core.errors import DomainError
from portal.core.roles import Role
from portal.core.timeutil import as_local, local_now, local_today
from portal.extensions import db
from portal.parts.models import Part
from portal.receipts import services
from portal.receipts.models import ChargeCategory, Collection, ReceiptState, RepairReceipt
from portal.repairs.models import CaseState, RepairCase
from tests.receipts import helpers

EN = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true", **EN}


def _job(app, tech_id, *, used=(("点火针", "15.00", 2),), **kwargs):
    """A case on site with used parts reported; returns (case_id, receipt_id, version)."""
    with app.app_context():
        case = helpers.job(tech_id, **kwargs)
        parts = [(helpers.part(name, price), qty) for name, price, qty in used]
        if parts:
            helpers.report_used(case, parts)
        receipt = services.receipt_open(case=case, actor=None)
        helpers.commit()
        return case.id, receipt.id


def _receipt(app, receipt_id) -> dict:
    with app.app_context():
        r = db.session.get(RepairReceipt, receipt_id)
        return {"state": r.state, "case_state": r.case.state, "total": r.total, "category": r.category,
                "fault_cause": r.fault_cause, "version": r.version, "collected": r.collected,
                "lines": [(l.description, l.quantity, l.list_price, l.unit_price, l.amount) for l in r.lines],
                "bill_agent_id": r.bill_agent_id, "category_reason": r.category_reason}


def _times():
    """Arrival this minute (the call came in just now) and the finish three minutes later."""
    arrived = local_now().replace(second=0, microsecond=0, tzinfo=None)
    return arrived, arrived + timedelta(minutes=3)


def _complete(version, **changes):
    arrived, finished = _times()
    data = {"arrived_at": arrived.strftime("%Y-%m-%dT%H:%M"), "finished_at": finished.strftime("%Y-%m-%dT%H:%M"),
            "fault_cause": "点火针积碳", "solution": "更换点火针并清理燃烧器", "test_run_shown": "y",
            "instructions_given": "y", "customer_consented": "y", "collected": "30.00", "version": str(version),
            "action": "save"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _load(client, rid):
    return client.post(f"/receipts/{rid}/load-parts")


# --- opening -----------------------------------------------------------------------------------

def test_technician_opens_the_draft_from_the_case_and_gets_the_same_one_again(app, client, login_as):
    tech = login_as(Role.technician)
    with app.app_context():
        case = helpers.job(tech)
        helpers.commit()
        case_id, on_site_at = case.id, case.on_site_at
    page = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert "Fill in the repair receipt" in page and f"/receipts/case/{case_id}" in page
    first = client.post(f"/receipts/case/{case_id}")
    assert first.status_code == 303
    second = client.post(f"/receipts/case/{case_id}")
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        receipts = list(db.session.scalars(select(RepairReceipt)))
        assert len(receipts) == 1
        r = receipts[0]
        assert r.number.startswith("HZ-") and r.state is ReceiptState.draft and r.technician_id == tech
        assert as_local(r.arrived_at) == as_local(on_site_at) and r.category is ChargeCategory.paid
    form = client.get(first.headers["Location"], headers=EN)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "Ready for the customer's signature" in html and 'id="checklist"' in html
    section = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert r.number in section and f"/receipts/{r.id}.pdf" in section


def test_receipt_cannot_be_opened_before_the_technician_is_on_site(app, client, login_as):
    tech = login_as(Role.technician)
    with app.app_context():
        from tests.repairs.helpers import case_in
        case = case_in(CaseState.appointment_confirmed, technician_id=tech)
        helpers.commit()
        case_id = case.id
    response = client.post(f"/receipts/case/{case_id}", headers=EN)
    assert response.status_code == 409 and "on site" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RepairReceipt)) == 0


# --- editing and validation ---------------------------------------------------------------------

def test_finish_before_arrival_is_refused_and_what_was_typed_is_kept(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    before = _receipt(app, rid)
    arrived, _finished = _times()
    finished = arrived - timedelta(minutes=30)
    response = client.post(f"/receipts/{rid}", headers=EN, data=_complete(
        before["version"], finished_at=finished.strftime("%Y-%m-%dT%H:%M"), fault_cause="燃气阀门松动"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The finish time is before the arrival time." in html
    assert finished.strftime("%Y-%m-%dT%H:%M") in html and "燃气阀门松动" in html
    after = _receipt(app, rid)
    assert after["fault_cause"] == "" and after["version"] == before["version"]


def test_times_in_the_future_are_refused(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    later = (local_now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/receipts/{rid}", headers=EN, data=_complete(_receipt(app, rid)["version"], finished_at=later))
    assert response.status_code == 422 and "The finish time is in the future." in response.get_data(as_text=True)


def test_now_button_stamps_the_current_minute(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    response = client.post(f"/receipts/{rid}", data={"version": _receipt(app, rid)["version"], "now": "finished_at",
                                                     "arrived_at": _times()[0].strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 303
    with app.app_context():
        finished = as_local(db.session.get(RepairReceipt, rid).finished_at)
        assert abs((local_now() - finished).total_seconds()) < 120


def test_misuse_needs_a_reason_and_makes_a_warranty_job_paid(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech, bought=helpers.in_warranty())
    version = _receipt(app, rid)["version"]
    _load(client, rid)
    free = _receipt(app, rid)
    assert free["category"] is ChargeCategory.free and free["total"] == Decimal("0.00")
    refused = client.post(f"/receipts/{rid}", headers=EN, data=_complete(free["version"], misuse="y", collected="0"))
    assert refused.status_code == 422 and "Say how the unit was misused" in refused.get_data(as_text=True)
    ok = client.post(f"/receipts/{rid}", headers=EN, data=_complete(free["version"], misuse="y", collected="0",
                                                                    misuse_reason="用户自行改装燃气管"))
    assert ok.status_code == 303, ok.get_data(as_text=True)
    paid = _receipt(app, rid)
    assert paid["category"] is ChargeCategory.paid and paid["total"] == Decimal("30.00")
    assert "用户自行改装燃气管" in paid["category_reason"] and version < paid["version"]


def test_collected_more_than_the_total_is_refused(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    _load(client, rid)
    response = client.post(f"/receipts/{rid}", headers=EN,
                           data=_complete(_receipt(app, rid)["version"], collected="31.00"))
    assert response.status_code == 422 and "More than the total of ¥30.00." in response.get_data(as_text=True)


def test_stale_version_is_an_edit_conflict(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    version = _receipt(app, rid)["version"]
    assert client.post(f"/receipts/{rid}", data=_complete(version, fault_cause="一", collected="0")).status_code == 303
    conflict = client.post(f"/receipts/{rid}", headers=EN, data=_complete(version, fault_cause="二", collected="0"))
    assert conflict.status_code == 409 and "Someone else saved" in conflict.get_data(as_text=True)
    assert _receipt(app, rid)["fault_cause"] == "一"


# --- lines and prices ---------------------------------------------------------------------------

def test_loaded_part_price_survives_a_later_schedule_change(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech, used=(("点火针", "15.00", 2), ("燃气阀", "120.00", 1)))
    assert _load(client, rid).status_code == 303
    loaded = _receipt(app, rid)
    assert loaded["lines"] == [("点火针", Decimal("2"), Decimal("15.00"), Decimal("15.00"), Decimal("30.00")),
                               ("燃气阀", Decimal("1"), Decimal("120.00"), Decimal("120.00"), Decimal("120.00"))]
    assert loaded["total"] == Decimal("150.00")
    with app.app_context():
        for part in db.session.scalars(select(Part)):
            part.unit_price = Decimal("999.00")
        helpers.commit()
    assert client.post(f"/receipts/{rid}", data=_complete(loaded["version"], collected="150.00")).status_code == 303
    saved = _receipt(app, rid)
    assert saved["lines"] == loaded["lines"] and saved["total"] == Decimal("150.00")


def test_fees_are_added_changed_and_removed_through_htmx(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech, used=())
    with app.app_context():
        visit, labour = helpers.fee("上门费", "50.00", visit=True).id, helpers.fee("工时费", "80.00", unit="小时").id
        helpers.commit()
    added = client.post(f"/receipts/{rid}/fees", data={"fee_item_id": visit, "quantity": "1"}, headers=HTMX)
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and 'id="lines"' in html and "上门费" in html
    assert 'id="checklist" aria-labelledby="checklist-title" hx-swap-oob="true"' in html
    assert f'id="version" name="version" value="{_receipt(app, rid)["version"]}" hx-swap-oob="true"' in html
    client.post(f"/receipts/{rid}/fees", data={"fee_item_id": labour, "quantity": "1.5"}, headers=HTMX)
    assert _receipt(app, rid)["total"] == Decimal("170.00")
    client.post(f"/receipts/{rid}/fees", data={"fee_item_id": labour, "quantity": "2"}, headers=HTMX)
    state = _receipt(app, rid)
    assert state["total"] == Decimal("210.00") and len(state["lines"]) == 2
    bad = client.post(f"/receipts/{rid}/fees", data={"fee_item_id": labour, "quantity": "0"}, headers=HTMX)
    assert bad.status_code == 422 and "Enter a quantity between 0.01 and 999" in bad.get_data(as_text=True)
    with app.app_context():
        line_id = db.session.get(RepairReceipt, rid).lines[0].id
    removed = client.post(f"/receipts/{rid}/lines/{line_id}/remove", headers=HTMX)
    assert removed.status_code == 200 and _receipt(app, rid)["total"] == Decimal("160.00")


def test_part_lines_cannot_be_removed_by_hand(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    _load(client, rid)
    with app.app_context():
        line_id = db.session.get(RepairReceipt, rid).lines[0].id
    assert client.post(f"/receipts/{rid}/lines/{line_id}/remove").status_code == 409


def test_contract_discount_and_fixed_visit_fee_on_the_receipt(app, client, login_as):
    tech = login_as(Role.technician)
    with app.app_context():
        case = helpers.job(tech)
        helpers.contract(case, parts_terms="discount", parts_discount_pct=20, labour_terms="fixed", labour_fee=30)
        helpers.report_used(case, [(helpers.part("点火针", "15.00"), 2)])
        visit = helpers.fee("上门费", "50.00", visit=True)
        receipt = services.receipt_open(case=case, actor=None)
        services.receipt_load_parts(receipt=receipt, actor=None)
        services.receipt_set_fee(receipt=receipt, fee_item=visit, quantity=Decimal("1"), actor=None)
        assert receipt.category is ChargeCategory.contract and receipt.contract_id is not None
        assert [(l.unit_price, l.amount) for l in receipt.lines] == [(Decimal("12.00"), Decimal("24.00")),
                                                                     (Decimal("30.00"), Decimal("30.00"))]
        assert receipt.total == Decimal("54.00")


def test_agent_sold_unit_in_warranty_is_free_and_billed_to_the_agent(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech, bought=helpers.in_warranty(), agent=True)
    _load(client, rid)
    state = _receipt(app, rid)
    assert state["category"] is ChargeCategory.free and state["total"] == Decimal("0.00")
    assert state["bill_agent_id"] is not None and "济南鑫源商贸" in state["category_reason"]
    assert "settled by agent 济南鑫源商贸" in client.get(f"/receipts/{rid}", headers=EN).get_data(as_text=True)


# --- completeness and ready ---------------------------------------------------------------------

def test_incomplete_receipt_cannot_go_ready_and_says_what_is_missing(app, client, login_as):
    tech = login_as(Role.technician)
    case_id, rid = _job(app, tech)
    _load(client, rid)
    version = _receipt(app, rid)["version"]
    response = client.post(f"/receipts/{rid}", headers=EN, data=_complete(
        version, test_run_shown=None, solution="", collected="0", action="ready"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The receipt is not complete" in html
    for missing in ("Solution", "Test run shown to the customer", "Amount collected"):
        assert missing in html, missing
    assert "点火针积碳" in html  # what was typed is kept ...
    after = _receipt(app, rid)
    assert after["state"] is ReceiptState.draft and after["case_state"] is CaseState.on_site
    assert after["fault_cause"] == "" and after["version"] == version  # ... and nothing was saved


def test_a_receipt_whose_used_parts_are_not_loaded_is_incomplete(app, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    with app.app_context():
        receipt = db.session.get(RepairReceipt, rid)
        assert dict((k, ok) for k, _l, ok in services.checklist(receipt))["parts"] is False
        services.receipt_load_parts(receipt=receipt, actor=None)
        assert dict((k, ok) for k, _l, ok in services.checklist(receipt))["parts"] is True


def test_no_parts_used_and_none_on_the_receipt_is_complete(app, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech, used=())
    with app.app_context():
        checks = {k: ok for k, _l, ok in services.checklist(db.session.get(RepairReceipt, rid))}
        assert checks["parts"] is True and "consent" not in checks


def test_complete_receipt_goes_ready_and_the_case_awaits_signature(app, client, login_as):
    tech = login_as(Role.technician)
    case_id, rid = _job(app, tech)
    _load(client, rid)
    response = client.post(f"/receipts/{rid}", data=_complete(_receipt(app, rid)["version"], action="ready"))
    assert response.status_code == 303, response.get_data(as_text=True)
    after = _receipt(app, rid)
    assert after["state"] is ReceiptState.ready and after["case_state"] is CaseState.awaiting_signature
    page = client.get(f"/receipts/{rid}", headers=EN).get_data(as_text=True)
    assert "Reopen as a draft" in page and 'name="fault_cause"' not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Collection)) == 0


def test_collect_later_creates_a_collection_for_the_technician(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    _load(client, rid)
    assert client.post(f"/receipts/{rid}", data=_complete(_receipt(app, rid)["version"], collected="10.00",
                                                          collect_later="y", action="ready")).status_code == 303
    with app.app_context():
        item = db.session.scalar(select(Collection))
        assert item.amount == Decimal("20.00") and item.technician_id == tech
        assert item.due_on == local_today() + timedelta(days=7) and item.collected_at is None
        item_id = item.id
    mine = client.get("/receipts/collections/mine", headers=EN).get_data(as_text=True)
    assert "¥20.00" in mine
    assert client.post(f"/receipts/collections/{item_id}/collected", data={"note": "微信支付"}).status_code == 303
    with app.app_context():
        assert db.session.get(Collection, item_id).collected_at is not None
    assert client.post(f"/receipts/collections/{item_id}/collected").status_code == 409


def test_paid_receipt_needs_consent_and_payment_or_collect_later(app, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    with app.app_context():
        receipt = db.session.get(RepairReceipt, rid)
        services.receipt_load_parts(receipt=receipt, actor=None)
        checks = {k: ok for k, _l, ok in services.checklist(receipt)}
        assert checks["consent"] is False and checks["payment"] is False
        receipt.customer_consented, receipt.collect_later = True, True
        checks = {k: ok for k, _l, ok in services.checklist(receipt)}
        assert checks["consent"] is True and checks["payment"] is True


def test_reopen_before_signing_puts_receipt_and_case_back_and_withdraws_the_collection(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech)
    _load(client, rid)
    client.post(f"/receipts/{rid}", data=_complete(_receipt(app, rid)["version"], collected="0", collect_later="y",
                                                   action="ready"))
    assert client.post(f"/receipts/{rid}/reopen").status_code == 303
    after = _receipt(app, rid)
    assert after["state"] is ReceiptState.draft and after["case_state"] is CaseState.on_site
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Collection)) == 0


# --- state and access -----------------------------------------------------------------------------

def test_wrong_state_actions_answer_409(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, rid = _job(app, tech, used=())
    assert client.post(f"/receipts/{rid}/reopen").status_code == 409  # a draft is not ready
    client.post(f"/receipts/{rid}", data=_complete(_receipt(app, rid)["version"], collected="0", action="ready"))
    assert _receipt(app, rid)["state"] is ReceiptState.ready
    version = _receipt(app, rid)["version"]
    edit = client.post(f"/receipts/{rid}", headers=EN, data=_complete(version, fault_cause="改"))
    assert edit.status_code == 409 and "reopen it as a draft" in edit.get_data(as_text=True)
    assert client.post(f"/receipts/{rid}/load-parts").status_code == 409
    assert client.post(f"/receipts/{rid}/fees", data={"fee_item_id": 1, "quantity": "1"}).status_code == 409
    assert _receipt(app, rid)["fault_cause"] == "点火针积碳"


def test_technician_sees_and_edits_only_own_receipts(app, client, login_as, make_user):
    owner = make_user(Role.technician)
    case_id, rid = _job(app, owner)
    login_as(Role.technician)
    assert client.get(f"/receipts/{rid}").status_code == 403
    assert client.post(f"/receipts/{rid}", data=_complete(1)).status_code == 403
    assert client.get(f"/receipts/{rid}.pdf").status_code == 403
    assert client.post(f"/receipts/case/{case_id}").status_code == 403
    assert client.post(f"/receipts/{rid}/load-parts").status_code == 403
    assert _receipt(app, rid)["fault_cause"] == ""


def test_clerk_sees_a_read_only_receipt_and_cannot_post(app, client, login_as, make_user):
    tech = make_user(Role.technician)
    _case_id, rid = _job(app, tech)
    login_as(Role.clerk)
    page = client.get(f"/receipts/{rid}", headers=EN)
    assert page.status_code == 200 and 'name="fault_cause"' not in page.get_data(as_text=True)
    assert client.post(f"/receipts/{rid}", data=_complete(1)).status_code == 403
    assert client.post(f"/receipts/{rid}/fees", data={"fee_item_id": 1, "quantity": "1"}).status_code == 403


def test_collections_are_listed_per_technician_and_all_for_the_office(app, client, login_as, make_user):
    first, second = make_user(Role.technician), make_user(Role.technician)
    for tech in (first, second):
        with app.app_context():
            _cid, rid = _job(app, tech)
            receipt = db.session.get(RepairReceipt, rid)
            services.receipt_load_parts(receipt=receipt, actor=None)
            arrived, finished = _times()
            services.receipt_update(receipt=receipt, expected_version=None, actor=None, values={
                "arrived_at": arrived.replace(tzinfo=local_now().tzinfo), "fault_cause": "积碳", "solution": "更换",
                "finished_at": finished.replace(tzinfo=local_now().tzinfo), "test_run_shown": True,
                "instructions_given": True, "customer_consented": True, "collected": Decimal("0"),
                "collect_later": True})
            services.receipt_mark_ready(receipt=receipt, actor=None)
            helpers.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(first)
    assert client.get("/receipts/collections").get_data(as_text=True).count('<td class="num">¥30.00') == 1
    with app.app_context():
        other = db.session.scalar(select(Collection).where(Collection.technician_id == second)).id
    assert client.post(f"/receipts/collections/{other}/collected").status_code == 403
    login_as(Role.clerk)
    assert client.get("/receipts/collections").get_data(as_text=True).count('<td class="num">¥30.00') == 2


def test_a_reassigned_job_gets_a_new_receipt_and_the_old_draft_is_frozen(app, client, login_as, make_user):
    first = make_user(Role.technician)
    case_id, old = _job(app, first, used=())
    second = login_as(Role.technician)
    with app.app_context():
        db.session.get(RepairCase, case_id).technician_id = second  # as a new dispatch would
        helpers.commit()
    response = client.post(f"/receipts/case/{case_id}")
    assert response.status_code == 303 and not response.headers["Location"].endswith(f"/receipts/{old}")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        stale = db.session.get(RepairReceipt, old)
        with pytest.raises(DomainError, match="reassigned"):
            services.receipt_update(receipt=stale, values={"fault_cause": "x"}, expected_version=None,
                                    actor=db.session.get(User, first))
