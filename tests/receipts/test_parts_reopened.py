"""A case reopened by an unhappy follow-up gets a second visit and a second receipt: the parts of
the first visit were charged on the first (signed) receipt and are not charged again; a void
receipt charged nothing that stands, so its correction carries its parts again."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.errors import ValidationFailed
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.timeutil import travel, utcnow
from portal.extensions import db
from portal.receipts import corrections, services
from portal.receipts.models import ChargeCategory, LineKind, ReceiptLine, ReceiptState, RepairReceipt
from portal.repairs.models import CaseState
from portal.visits import followups as visits
from tests.ops.helpers import sign
from tests.receipts import helpers

EN = {"Accept-Language": "en"}
M = timedelta(minutes=1)
H = timedelta(hours=1)


def _parts(receipt: RepairReceipt) -> list[tuple[str, Decimal]]:
    return [(line.description, line.quantity) for line in receipt.lines if line.kind is LineKind.part]


def _checks(receipt: RepairReceipt) -> dict[str, bool]:
    return {key: ok for key, _label, ok in services.checklist(receipt)}


def _ready(receipt: RepairReceipt, tech: User) -> None:
    services.receipt_save(receipt=receipt, expected_version=receipt.version, actor=tech, ready=True, values={
        "arrived_at": receipt.arrived_at, "finished_at": utcnow(), "fault_cause": "点火针积碳",
        "solution": "更换点火针，试机正常", "test_run_shown": True, "instructions_given": True, "misuse": False,
        "misuse_reason": "", "customer_consented": True, "collected": receipt.total, "collect_later": False})


def _reopen_and_redispatch(case, tech: User, start) -> None:
    """The clerk's follow-up finds the customer unhappy (the case goes back for dispatch), the case
    is dispatched to the technician again, he confirms the appointment and arrives."""
    with travel(start):
        followup = visits.open_followups(case)[0]
        visits.followup_record(followup=followup, done_at=start - 5 * M, reached=True, reached_name="王经理",
                               solved=False, rating=2, notes="又点不着火了", actor=None)
    assert case.state is CaseState.waiting_dispatch
    from portal.dispatch import services as dispatch
    from portal.repairs.services import case_transition
    with travel(start + 5 * M):
        dispatch.dispatch_case(case=case, technician=tech, appointment_at=start + H, late_reason="",
                               customer_agreed=False, instructions="回访客户不满意，再次上门", actor=None)
    with travel(start + 10 * M):
        dispatch.record_contact(case=case, outcome="reached", note="已约好时间", actor=tech)
    with travel(start + H):
        case_transition(case=case, target=CaseState.on_site, actor=tech)
    assert case.state is CaseState.on_site


def _reopened(app, make_user, *, second_visit_parts: bool = True) -> dict:
    """Out of warranty: visit 1 used A (¥15) × 2, its receipt HZ-1 signed with A × 2; the follow-up
    reopens the case; visit 2 used B (¥40) × 1 (unless told otherwise) and has opened its receipt
    HZ-2 (a draft). Committed; returns the ids."""
    tech_id = make_user(Role.technician, "tech", display_name="李师傅")
    t0 = utcnow() - 30 * H
    with app.test_request_context("/", headers=EN):
        tech = db.session.get(User, tech_id)
        with travel(t0):
            case = helpers.job(tech_id, bought=helpers.out_of_warranty())
            a, b = helpers.part("点火针", "15.00"), helpers.part("热电偶", "40.00")
            helpers.report_used(case, [(a, 2)])
        with travel(t0 + 30 * M):
            first = services.receipt_open(case=case, actor=tech)
            services.receipt_load_parts(receipt=first, actor=tech)
            _ready(first, tech)
        with travel(t0 + 40 * M):
            sign(first)
        assert first.state is ReceiptState.signed and case.state is CaseState.signed
        _reopen_and_redispatch(case, tech, t0 + 3 * H)
        with travel(t0 + 4 * H + 30 * M):
            if second_visit_parts:
                helpers.report_used(case, [(b, 1)])
            second = services.receipt_open(case=case, actor=tech)
        assert second.id != first.id and second.state is ReceiptState.draft
        db.session.commit()
        return {"tech": tech_id, "case": case.id, "first": first.id, "first_number": first.number,
                "second": second.id, "a": a.id, "b": b.id}


@pytest.fixture
def reopened(app, make_user):
    return _reopened(app, make_user)


@pytest.mark.pdf
def test_the_second_receipt_loads_only_the_parts_of_the_second_visit(app, reopened):
    with app.test_request_context("/", headers=EN):
        tech = db.session.get(User, reopened["tech"])
        second = db.session.get(RepairReceipt, reopened["second"])
        assert [(p.name, q) for p, q in services.used_parts(second.case)] == [("点火针", 2), ("热电偶", 1)]
        assert [(p.name, q) for p, q in services.parts_due(second)] == [("热电偶", 1)]
        [charged] = services.parts_charged_elsewhere(second)
        assert charged.receipt.number == reopened["first_number"]
        assert [(line.description, line.quantity) for line in charged.lines] == [("点火针", Decimal("2.00"))]
        assert _checks(second)["parts"] is False  # B not on it yet
        assert services.receipt_load_parts(receipt=second, actor=tech) == 1
        assert _parts(second) == [("热电偶", Decimal("1.00"))]
        assert _checks(second)["parts"] is True
        # Out of warranty, only B is charged: ¥40, not ¥70.
        assert second.category is ChargeCategory.paid and second.total == Decimal("40.00")
        note = db.session.scalar(select(AuditEntry.note).where(AuditEntry.action == "repair_receipt.parts_loaded",
                                                               AuditEntry.entity_id == second.id))
        assert "热电偶 × 1" in note and reopened["first_number"] in note and "点火针 × 2" in note


@pytest.mark.pdf
def test_charging_the_first_visits_parts_again_fails_the_parts_check(app, reopened):
    with app.test_request_context("/", headers=EN):
        tech = db.session.get(User, reopened["tech"])
        second = db.session.get(RepairReceipt, reopened["second"])
        services.receipt_load_parts(receipt=second, actor=tech)
        second.lines.append(ReceiptLine(kind=LineKind.part, part_id=reopened["a"], description="点火针", unit="个",
                                        quantity=Decimal(2), list_price=Decimal("15.00"), unit_price=Decimal(0),
                                        amount=Decimal(0), position=0))
        db.session.flush()
        assert _checks(second)["parts"] is False
        with pytest.raises(ValidationFailed) as refused:
            _ready(second, tech)
        assert "checklist" in refused.value.errors
        assert second.state is ReceiptState.draft


@pytest.mark.pdf
def test_a_second_visit_without_new_parts_has_nothing_to_load(app, client, make_user):
    """No new part on visit 2: the page says the used parts are on the first receipt, loading adds
    nothing, and the parts check passes with no part line."""
    ids = _reopened(app, make_user, second_visit_parts=False)
    with app.test_request_context("/", headers=EN):
        tech = db.session.get(User, ids["tech"])
        second = db.session.get(RepairReceipt, ids["second"])
        assert services.parts_due(second) == [] and _checks(second)["parts"] is True
        assert services.receipt_load_parts(receipt=second, actor=tech) == 0
        assert _parts(second) == [] and _checks(second)["parts"] is True and second.total == Decimal("0.00")
        db.session.rollback()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(ids["tech"]), True
    html = client.get(f"/receipts/{ids['second']}", headers=EN).get_data(as_text=True)
    assert "The parts used on this case are all on other signed receipts." in html
    assert f"Already on receipt {ids['first_number']}:" in html
    response = client.post(f"/receipts/{ids['second']}/load-parts", headers={"HX-Request": "true", **EN})
    assert response.status_code == 200
    assert "none left to load" in response.get_data(as_text=True)


@pytest.mark.pdf
def test_the_receipt_page_names_the_parts_already_charged(app, client, reopened, make_user):
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(reopened["tech"]), True
    rid = reopened["second"]
    form = client.get(f"/receipts/{rid}", headers=EN).get_data(as_text=True)
    assert "Used on this case and not on another signed receipt:" in form and "热电偶 × 1" in form
    assert f"Already on receipt {reopened['first_number']}:" in form and "点火针 × 2 个" in form
    loaded = client.post(f"/receipts/{rid}/load-parts", headers={"HX-Request": "true", **EN})
    assert loaded.status_code == 200
    fragment = loaded.get_data(as_text=True)
    assert 'id="charged-elsewhere"' in fragment and 'data-check="parts"' in fragment
    assert "1 used part(s) loaded from the requisitions." in fragment
    clerk = make_user(Role.clerk)
    with client.session_transaction() as session:
        session["_user_id"] = str(clerk)
    shown = client.get(f"/receipts/{rid}", headers=EN).get_data(as_text=True)
    assert f"Already on receipt {reopened['first_number']}:" in shown
    # The first receipt names the second only once that one is signed: not yet.
    first = client.get(f"/receipts/{reopened['first']}", headers=EN).get_data(as_text=True)
    assert 'id="charged-elsewhere"' not in first


@pytest.mark.pdf
def test_a_void_receipt_does_not_count_and_its_correction_carries_its_parts(app, reopened, make_user):
    """HZ-2 is signed with B; then HZ-1 is voided: the correction must carry A × 2 again (B stays
    on HZ-2), and loading the parts on it gives A × 2 only."""
    manager_id = make_user(Role.manager)
    with app.test_request_context("/", headers=EN):
        tech = db.session.get(User, reopened["tech"])
        second = db.session.get(RepairReceipt, reopened["second"])
        services.receipt_load_parts(receipt=second, actor=tech)
        _ready(second, tech)
        sign(second)
        first = db.session.get(RepairReceipt, reopened["first"])
        assert [(p.name, q) for p, q in services.parts_due(first)] == [("点火针", 2)]
        corrections.receipt_void(receipt=first, reason="客户名称写错", actor=db.session.get(User, manager_id),
                                 verify_url=lambda n, c: f"https://portal.test/verify/{n}?code={c}")
        amendment = corrections.receipt_amend(original=first, actor=tech)
        assert [(p.name, q) for p, q in services.parts_due(amendment)] == [("点火针", 2)]
        assert _parts(amendment) == [("点火针", Decimal("2.00"))] and _checks(amendment)["parts"] is True
        assert services.receipt_load_parts(receipt=amendment, actor=tech) == 1
        assert _parts(amendment) == [("点火针", Decimal("2.00"))] and amendment.total == Decimal("30.00")
        assert [c.receipt.number for c in services.parts_charged_elsewhere(amendment)] == [second.number]


@pytest.mark.pdf
def test_a_void_first_receipt_makes_the_second_visit_owe_everything_until_corrected(app, reopened, make_user):
    """Void HZ-1 without a signed correction: nothing charged A, so the case's due parts are all of them."""
    manager_id = make_user(Role.manager)
    with app.test_request_context("/", headers=EN):
        first = db.session.get(RepairReceipt, reopened["first"])
        second = db.session.get(RepairReceipt, reopened["second"])
        corrections.receipt_void(receipt=first, reason="金额有误", actor=db.session.get(User, manager_id),
                                 verify_url=lambda n, c: f"https://portal.test/verify/{n}?code={c}")
        assert services.parts_charged_elsewhere(second) == []
        assert sorted((p.name, q) for p, q in services.parts_due(second)) == [("点火针", 2), ("热电偶", 1)]


def test_a_receipt_does_not_subtract_its_own_lines(app, make_user):
    """One visit, one signed receipt: it still owes (and carries) its own parts."""
    tech_id = make_user(Role.technician)
    with app.app_context():
        case = helpers.job(tech_id)
        helpers.report_used(case, [(helpers.part("点火针", "15.00"), 2)])
        receipt = services.receipt_open(case=case, actor=None)
        services.receipt_load_parts(receipt=receipt, actor=None)
        receipt.state = ReceiptState.signed  # as if signed: only its own lines are on a signed receipt
        db.session.flush()
        assert services.parts_charged_elsewhere(receipt) == []
        assert [(p.name, q) for p, q in services.parts_due(receipt)] == [("点火针", 2)]
        assert _checks(receipt)["parts"] is True
