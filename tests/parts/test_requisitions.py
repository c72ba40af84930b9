import pytest
from sqlalchemy import func, select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.extensions import db
from portal.parts import services
from portal.parts.models import MovementKind, Part, Requisition, RequisitionState, StockMovement
from portal.repairs.models import CaseState, RepairCase
from tests.parts import helpers

EN = {"Accept-Language": "en"}
R = RequisitionState


def _req(app, req_id):
    with app.app_context():
        req = db.session.get(Requisition, req_id)
        return req.state, [(l.requested_qty, l.issued_qty, l.used_qty, l.returned_qty) for l in req.lines]


def _stock(app, *part_ids):
    with app.app_context():
        return [db.session.get(Part, pid).stock_qty for pid in part_ids]


def _movement_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(StockMovement.id)))


def _setup(app, make_user, *, state=CaseState.on_site, lines=((8, 2), (4, 1))):
    """A technician's job and parts with the given (stock, requested) pairs; returns ids."""
    tech = make_user(Role.technician)
    with app.app_context():
        case = helpers.job(tech, state)
        parts = [helpers.part(f"零件{i}", stock=stock) for i, (stock, _q) in enumerate(lines)]
        helpers.commit()
        return tech, case.id, [p.id for p in parts]


# --- the whole flow through the web ----------------------------------------------------------------

def test_full_flow_requested_issued_reported_closed(app, client, login_as, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        case = helpers.job(tech, CaseState.appointment_confirmed)
        igniter = helpers.part("点火针", stock=10, code="DH-001")
        valve = helpers.part("电磁阀", stock=4, code="FM-001", price="158.00")
        helpers.commit()
        case_id, igniter_id, valve_id = case.id, igniter.id, valve.id

    # the technician asks for parts; blank rows are ignored, the same part twice is one line
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    form = {"lines-0-part_id": str(igniter_id), "lines-0-quantity": "2",
            "lines-1-part_id": "", "lines-1-quantity": "",
            "lines-2-part_id": str(valve_id), "lines-2-quantity": "1",
            "lines-3-part_id": str(igniter_id), "lines-3-quantity": "1", "note": "猛火灶 点火不良"}
    created = client.post(f"/parts/case/{case_id}/requisitions/new", data=form)
    assert created.status_code == 303
    with app.app_context():
        req = db.session.scalar(select(Requisition))
        req_id, number = req.id, req.number
        assert number.startswith("LL-") and req.technician_id == tech and req.note == "猛火灶 点火不良"
    assert _req(app, req_id) == (R.requested, [(3, None, None, None), (1, None, None, None)])
    case_page = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert number in case_page and "Request parts" in case_page

    # the keeper issues what he has
    login_keeper = make_user(Role.warehouse)
    with client.session_transaction() as session:
        session["_user_id"] = str(login_keeper)
    page = client.get(f"/parts/requisitions/{req_id}", headers=EN).get_data(as_text=True)
    assert "Issue the parts" in page and 'value="3"' in page
    with app.app_context():
        line_ids = [l.id for l in db.session.get(Requisition, req_id).lines]
    issue = client.post(f"/parts/requisitions/{req_id}/issue",
                        data={f"issued_{line_ids[0]}": "3", f"issued_{line_ids[1]}": "1"})
    assert issue.status_code == 303
    assert _req(app, req_id) == (R.issued, [(3, 3, None, None), (1, 1, None, None)])
    assert _stock(app, igniter_id, valve_id) == [7, 3]

    # keeper cannot report use; the technician does
    report = {f"used_{line_ids[0]}": "1", f"returned_{line_ids[0]}": "2",
              f"used_{line_ids[1]}": "1", f"returned_{line_ids[1]}": "0"}
    assert client.post(f"/parts/requisitions/{req_id}/report", data=report).status_code == 403
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    assert client.post(f"/parts/requisitions/{req_id}/report", data=report).status_code == 303
    assert _req(app, req_id) == (R.reported, [(3, 3, 1, 2), (1, 1, 1, 0)])
    assert _stock(app, igniter_id, valve_id) == [7, 3]  # returns count only once the keeper has them

    # the technician cannot confirm returns; the keeper does
    assert client.post(f"/parts/requisitions/{req_id}/confirm").status_code == 403
    with client.session_transaction() as session:
        session["_user_id"] = str(login_keeper)
    assert client.post(f"/parts/requisitions/{req_id}/confirm").status_code == 303
    assert _req(app, req_id)[0] is R.closed
    assert _stock(app, igniter_id, valve_id) == [9, 3]
    with app.app_context():
        moves = db.session.scalars(select(StockMovement).where(StockMovement.part_id == igniter_id)
                                   .order_by(StockMovement.id)).all()
        assert [(m.kind, m.quantity, m.balance_after, m.requisition_id) for m in moves] == [
            (MovementKind.received, 10, 10, None), (MovementKind.issued, -3, 7, req_id),
            (MovementKind.returned, 2, 9, req_id)]
        req = db.session.get(Requisition, req_id)
        assert req.issued_by_id == login_keeper and req.closed_by_id == login_keeper and req.closed_at
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "requisition")
                                     .order_by(AuditEntry.id)).all()
        assert actions == ["requisition.created", "requisition.issued", "requisition.reported", "requisition.closed"]
        assert [(p.name, q) for p, q in services.used_parts(db.session.get(RepairCase, case_id))] == [
            ("点火针", 1), ("电磁阀", 1)]


def test_issuing_more_than_on_hand_is_refused_and_changes_nothing(app, client, login_as, make_user):
    tech, case_id, (a, b) = _setup(app, make_user, lines=((8, 2), (1, 3)))
    with app.app_context():
        req = helpers.requisition(db.session.get(RepairCase, case_id), tech,
                                  [(db.session.get(Part, a), 2), (db.session.get(Part, b), 3)])
        helpers.commit()
        req_id, line_ids = req.id, [l.id for l in req.lines]
    before = _movement_count(app)
    login_as(Role.warehouse)
    response = client.post(f"/parts/requisitions/{req_id}/issue",
                           data={f"issued_{line_ids[0]}": "2", f"issued_{line_ids[1]}": "3"}, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not enough 零件1 in stock: 1 on hand, 3 asked." in html
    assert f'name="issued_{line_ids[1]}"' in html and 'value="3"' in html  # what the keeper typed stays
    assert _stock(app, a, b) == [8, 1] and _movement_count(app) == before
    assert _req(app, req_id) == (R.requested, [(2, None, None, None), (3, None, None, None)])
    # issuing less when short is fine
    ok = client.post(f"/parts/requisitions/{req_id}/issue", data={f"issued_{line_ids[0]}": "2",
                                                                  f"issued_{line_ids[1]}": "1"})
    assert ok.status_code == 303 and _stock(app, a, b) == [6, 0]


@pytest.mark.parametrize("value, message", [("-1", "Negative quantities are not allowed."),
                                            ("1.5", "Whole numbers only."),
                                            ("3", "Cannot issue more than the 2 requested."),
                                            ("", "Enter a quantity.")])
def test_bad_issue_quantities_are_refused_at_the_field(app, client, login_as, make_user, value, message):
    tech, case_id, (a, b) = _setup(app, make_user)
    with app.app_context():
        req = helpers.requisition(db.session.get(RepairCase, case_id), tech,
                                  [(db.session.get(Part, a), 2), (db.session.get(Part, b), 1)])
        helpers.commit()
        req_id, line_ids = req.id, [l.id for l in req.lines]
    login_as(Role.warehouse)
    response = client.post(f"/parts/requisitions/{req_id}/issue",
                           data={f"issued_{line_ids[0]}": value, f"issued_{line_ids[1]}": "1"}, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert f'id="issued_{line_ids[0]}-error"' in html
    assert _req(app, req_id)[0] is R.requested and _stock(app, a, b) == [8, 4]


def test_issuing_nothing_at_all_is_refused(app, client, login_as, make_user):
    tech, case_id, (a, b) = _setup(app, make_user)
    with app.app_context():
        req = helpers.requisition(db.session.get(RepairCase, case_id), tech, [(db.session.get(Part, a), 2)])
        helpers.commit()
        req_id, line_id = req.id, req.lines[0].id
    login_as(Role.warehouse)
    response = client.post(f"/parts/requisitions/{req_id}/issue", data={f"issued_{line_id}": "0"}, headers=EN)
    assert response.status_code == 422 and "Nothing to issue." in response.get_data(as_text=True)


@pytest.mark.parametrize("used, returned, field, message", [
    ("3", "0", "used", "Used more than issued: only 2 issued."),
    ("0", "3", "returned", "Returning more than was issued: only 2 issued."),
    ("1", "0", "returned", "Used + returned must equal the 2 issued."),
    ("-1", "3", "used", "Negative quantities are not allowed."),
    ("1.5", "0.5", "used", "Whole numbers only."),
])
def test_bad_use_reports_are_refused(app, client, login_as, make_user, used, returned, field, message):
    tech, case_id, (a, _b) = _setup(app, make_user)
    with app.app_context():
        req = helpers.issued(db.session.get(RepairCase, case_id), tech, [(db.session.get(Part, a), 2)])
        helpers.commit()
        req_id, line_id = req.id, req.lines[0].id
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    response = client.post(f"/parts/requisitions/{req_id}/report",
                           data={f"used_{line_id}": used, f"returned_{line_id}": returned}, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert f'id="{field}_{line_id}-error"' in html and f'value="{used}"' in html
    assert _req(app, req_id) == (R.issued, [(2, 2, None, None)])


def test_technician_b_cannot_open_or_act_on_a_requisition_of_a(app, client, login_as, make_user):
    tech_a, case_id, (a, _b) = _setup(app, make_user)
    with app.app_context():
        req = helpers.issued(db.session.get(RepairCase, case_id), tech_a, [(db.session.get(Part, a), 2)])
        helpers.commit()
        req_id, line_id = req.id, req.lines[0].id
    login_as(Role.technician)
    assert client.get(f"/parts/requisitions/{req_id}").status_code == 403
    assert client.get(f"/parts/requisitions/{req_id}.pdf").status_code == 403
    assert client.post(f"/parts/requisitions/{req_id}/report",
                       data={f"used_{line_id}": "2", f"returned_{line_id}": "0"}).status_code == 403
    assert client.get(f"/parts/case/{case_id}/requisitions/new").status_code == 403
    assert client.post(f"/parts/case/{case_id}/requisitions/new",
                       data={"lines-0-part_id": str(a), "lines-0-quantity": "1"}).status_code == 403
    mine = client.get("/parts/requisitions", headers=EN).get_data(as_text=True)
    assert "LL-" not in mine
    assert _req(app, req_id)[0] is R.issued


def test_technician_sees_his_own_list(app, client, make_user):
    tech, case_id, (a, _b) = _setup(app, make_user)
    with app.app_context():
        number = helpers.requisition(db.session.get(RepairCase, case_id), tech, [(db.session.get(Part, a), 1)]).number
        helpers.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    html = client.get("/parts/requisitions", headers=EN).get_data(as_text=True)
    assert "My parts requisitions" in html and number in html


def test_keeper_queue_lists_what_waits(app, client, login_as, make_user):
    tech, case_id, (a, b) = _setup(app, make_user)
    with app.app_context():
        case = db.session.get(RepairCase, case_id)
        waiting = helpers.requisition(case, tech, [(db.session.get(Part, a), 1)])
        out = helpers.issued(case, tech, [(db.session.get(Part, b), 1)])
        helpers.commit()
        numbers = waiting.number, out.number
    login_as(Role.warehouse)
    html = client.get("/parts/requisitions", headers=EN).get_data(as_text=True)
    assert "To issue" in html and numbers[0] in html and numbers[1] in html


@pytest.mark.parametrize("value, message", [("-2", "Negative quantities are not allowed."),
                                            ("1.5", "Whole numbers only."), ("0", "At least 1."),
                                            ("", "Enter a quantity.")])
def test_bad_requested_quantity_is_refused_and_nothing_saved(app, client, make_user, value, message):
    tech, case_id, (a, _b) = _setup(app, make_user)
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    response = client.post(f"/parts/case/{case_id}/requisitions/new", headers=EN,
                           data={"lines-0-part_id": "", "lines-0-quantity": "", "lines-1-part_id": str(a),
                                 "lines-1-quantity": value, "lines-2-part_id": "", "lines-2-quantity": " ",
                                 "note": "带上备用件"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and "带上备用件" in html
    # the blank rows were dropped: one row left, carrying the error, no "Choose a part." elsewhere
    assert html.count('class="line-row"') == 1 and "Choose a part." not in html
    assert 'id="lines-0-quantity-error"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Requisition.id))) == 0


def test_an_empty_requisition_asks_for_a_part(app, client, make_user):
    tech, case_id, _parts = _setup(app, make_user)
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    response = client.post(f"/parts/case/{case_id}/requisitions/new", headers=EN,
                           data={"lines-0-part_id": "", "lines-0-quantity": "", "note": ""})
    assert response.status_code == 422 and "Choose a part." in response.get_data(as_text=True)


def test_add_a_line_fragment_bumps_the_button(client, make_user, app):
    tech, _case_id, _parts = _setup(app, make_user)
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    html = client.get("/parts/requisitions/line-row?index=3", headers={"HX-Request": "true", **EN}).get_data(as_text=True)
    assert 'name="lines-3-part_id"' in html and 'name="lines-3-quantity"' in html
    assert 'hx-swap-oob="true"' in html and "index=4" in html and "零件0" in html


def test_requests_only_while_the_job_is_under_way(app, client, make_user):
    tech, case_id, (a, _b) = _setup(app, make_user, state=CaseState.awaiting_signature)
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    assert client.get(f"/parts/case/{case_id}/requisitions/new").status_code == 409
    response = client.post(f"/parts/case/{case_id}/requisitions/new",
                           data={"lines-0-part_id": str(a), "lines-0-quantity": "1"})
    assert response.status_code == 409
    assert "Request parts" not in client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)


def test_wrong_state_actions_answer_409(app, client, login_as, make_user):
    tech, case_id, (a, _b) = _setup(app, make_user)
    with app.app_context():
        req = helpers.issued(db.session.get(RepairCase, case_id), tech, [(db.session.get(Part, a), 2)])
        helpers.commit()
        req_id, line_id = req.id, req.lines[0].id
    login_as(Role.warehouse)
    assert client.post(f"/parts/requisitions/{req_id}/issue", data={f"issued_{line_id}": "1"}).status_code == 409
    assert client.post(f"/parts/requisitions/{req_id}/confirm").status_code == 409
    assert client.post(f"/parts/requisitions/{req_id}/cancel").status_code == 409
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    data = {f"used_{line_id}": "2", f"returned_{line_id}": "0"}
    assert client.post(f"/parts/requisitions/{req_id}/report", data=data).status_code == 303
    assert client.post(f"/parts/requisitions/{req_id}/report", data=data).status_code == 409
    assert _stock(app, a) == [6] and _req(app, req_id) == (R.reported, [(2, 2, 2, 0)])


def test_cancel_while_requested_and_send_back(app, client, login_as, make_user):
    tech, case_id, (a, b) = _setup(app, make_user)
    with app.app_context():
        case = db.session.get(RepairCase, case_id)
        waiting = helpers.requisition(case, tech, [(db.session.get(Part, a), 1)])
        out = helpers.issued(case, tech, [(db.session.get(Part, b), 2)])
        line = out.lines[0]
        services.requisition_report_use(requisition=out, used={line.id: 1}, returned={line.id: 1}, actor=line.requisition.technician)
        helpers.commit()
        waiting_id, out_id = waiting.id, out.id
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    assert client.post(f"/parts/requisitions/{waiting_id}/cancel", data={"reason": "客户已自行更换"}).status_code == 303
    assert _req(app, waiting_id)[0] is R.cancelled
    login_as(Role.warehouse)
    refused = client.post(f"/parts/requisitions/{out_id}/send-back", data={"reason": ""}, headers=EN)
    assert refused.status_code == 422 and "Say what does not match." in refused.get_data(as_text=True)
    assert client.post(f"/parts/requisitions/{out_id}/send-back", data={"reason": "只退回 0 个"}).status_code == 303
    assert _req(app, out_id) == (R.issued, [(2, 2, 1, 1)])
    assert _stock(app, b) == [2]


def test_used_parts_sums_reported_and_closed_requisitions_only(app, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        case = helpers.job(tech)
        other_case = helpers.job(tech)
        igniter, valve, hose = (helpers.part("点火针", code="A-1"), helpers.part("电磁阀", code="B-1"),
                                helpers.part("燃气软管", code="C-1", unit="米"))
        actor = db.session.get(type(case.technician), tech)

        def report(req, used):
            services.requisition_report_use(requisition=req, actor=actor,
                                            used={l.id: used[l.part_id] for l in req.lines},
                                            returned={l.id: l.issued_qty - used[l.part_id] for l in req.lines})
        first = helpers.issued(case, tech, [(igniter, 2), (hose, 3)])
        report(first, {igniter.id: 1, hose.id: 2})
        services.requisition_confirm_returns(requisition=first, actor=None)
        second = helpers.issued(case, tech, [(igniter, 1), (valve, 1)])
        report(second, {igniter.id: 1, valve.id: 0})
        helpers.issued(case, tech, [(valve, 1)])                   # still out: not counted
        helpers.requisition(case, tech, [(igniter, 4)])            # only requested: not counted
        other = helpers.issued(other_case, tech, [(igniter, 1)])   # another job
        report(other, {igniter.id: 1})
        helpers.commit()
        assert [(p.code, q) for p, q in services.used_parts(case)] == [("A-1", 2), ("C-1", 2)]
        assert [(p.code, q) for p, q in services.used_parts(other_case)] == [("A-1", 1)]


def test_requisition_page_shows_the_right_form_per_role(app, client, login_as, make_user):
    tech, case_id, (a, _b) = _setup(app, make_user)
    with app.app_context():
        req = helpers.requisition(db.session.get(RepairCase, case_id), tech, [(db.session.get(Part, a), 2)])
        helpers.commit()
        req_id = req.id
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    tech_page = client.get(f"/parts/requisitions/{req_id}", headers=EN).get_data(as_text=True)
    assert "Issue the parts" not in tech_page and "Cancel the requisition" in tech_page
    login_as(Role.clerk)
    clerk_page = client.get(f"/parts/requisitions/{req_id}", headers=EN)
    assert clerk_page.status_code == 200 and "Cancel the requisition" not in clerk_page.get_data(as_text=True)


def test_two_keepers_issuing_the_last_parts_at_once_never_go_negative(app, make_user):
    import threading

    tech, case_id, (a, _b) = _setup(app, make_user, lines=((3, 3), (1, 1)))
    keepers = [make_user(Role.warehouse), make_user(Role.warehouse)]
    with app.app_context():
        case = db.session.get(RepairCase, case_id)
        reqs = [helpers.requisition(case, tech, [(db.session.get(Part, a), 3)]) for _ in range(2)]
        helpers.commit()
        targets = [(r.id, r.lines[0].id) for r in reqs]
    barrier, statuses = threading.Barrier(2), []

    def issue(keeper_id, req_id, line_id):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(keeper_id)
        barrier.wait()
        statuses.append(client.post(f"/parts/requisitions/{req_id}/issue", data={f"issued_{line_id}": "3"}).status_code)

    threads = [threading.Thread(target=issue, args=(k, *t)) for k, t in zip(keepers, targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [303, 422]
    assert _stock(app, a) == [0]
    with app.app_context():
        moves = db.session.scalars(select(StockMovement).where(StockMovement.part_id == a)
                                   .order_by(StockMovement.id)).all()
        assert [(m.quantity, m.balance_after) for m in moves] == [(3, 3), (-3, 0)]
