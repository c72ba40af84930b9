"""A walk-in (到店) is not waiting for dispatch: its case never runs the dispatch clock, so it never
shows on the overdue board, even while its goods receipt is still a draft."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.carryin import services
from portal.carryin.models import GoodsReceipt, GoodsState
from portal.core.errors import DomainError
from portal.core.roles import Role
from portal.core.timeutil import travel, utcnow
from portal.extensions import db
from portal.receipts import services as receipts
from portal.repairs import services as repairs
from portal.repairs.models import CaseState, Channel
from tests.carryin import helpers as h
from tests.repairs import helpers as case_helpers

EN = {"Accept-Language": "en"}


def _login(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


def test_a_walk_in_draft_runs_no_dispatch_clock(app, client, make_user):
    clerk = make_user(Role.clerk, "clerk")
    tech = make_user(Role.technician, "tech")
    _login(client, clerk)
    response = client.post("/carryin/walk-in", headers=EN, data={
        "new_name": "刘芳", "new_phone": "13900001111", "caller_name": "刘芳", "caller_phone": "13900001111",
        "symptom": "电磁炉不加热", "technician_id": tech, "equipment_id": ""})
    assert response.status_code == 303
    with app.app_context():
        goods = db.session.scalar(select(GoodsReceipt))
        case = goods.case
        assert goods.state is GoodsState.draft and case.state is CaseState.registered
        assert case.channel is Channel.visit and case.dispatch_due_at is None and case.onsite_due_at is None
        # A phone call registered at the same moment does run it: the board is working.
        called = case_helpers.new_case()
        db.session.commit()
        walk_in_id, walk_in_number, called_id = case.id, case.number, called.id
        later = utcnow() + timedelta(hours=3)
        assert repairs.running_clock(case, now=later) is None
        board = {clock.case.id for clock in repairs.overdue_board(now=later)}
        assert called_id in board and walk_in_id not in board
    with app.app_context(), travel(utcnow() + timedelta(hours=3)):
        page = client.get("/cases/overdue", headers=EN).get_data(as_text=True)
    assert walk_in_number not in page


def test_a_case_from_the_phone_keeps_its_clocks_when_the_unit_is_brought_in(app, make_user):
    """Only the walk-in has no dispatch clock: a called-in case taken into the workshop keeps its dues."""
    tech = make_user(Role.technician, "tech")
    with app.app_context():
        case = case_helpers.case_in(CaseState.waiting_dispatch)
        goods = services.goods_open(case=case, actor=h.user(tech), technician_id=tech)
        assert goods.case.dispatch_due_at is not None and goods.case.onsite_due_at is not None


def test_the_receipt_refusal_speaks_of_the_workshop_too(app, make_user):
    """A walk-in's case is "Registered" until the take-in: the repair receipt waits for the unit to be
    on site or in the workshop, and the message says so (not "on site" only)."""
    tech = make_user(Role.technician, "tech")
    with app.test_request_context(headers=EN):
        case = case_helpers.case_in(CaseState.registered, technician_id=tech)
        case.technician_id = tech
        with pytest.raises(DomainError) as refused:
            receipts.receipt_open(case=case, actor=h.user(tech))
        assert "in the workshop" in refused.value.message and case.number in refused.value.message
