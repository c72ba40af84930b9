from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from portal.complaints import services
from portal.complaints.models import Complaint, ComplaintState, ResponsibleKind
from portal.core.errors import InvalidTransition, ValidationFailed
from portal.core.roles import Role
from portal.core.timeutil import travel
from portal.extensions import db as _db
from portal.repairs.models import Channel
from portal.settings import services as settings
from tests.customers import helpers as customer_helpers
from tests.repairs import helpers as repair_helpers

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)  # 11:00 in Shanghai
S = ComplaintState


def _register(customer=None, *, received_at=None, case=None, staff_ids=(), actor=None, content="师傅上门迟到两小时，态度差"):
    customer = customer or customer_helpers.customer("张伟")
    return services.complaint_register(customer=customer, values={
        "channel": Channel.call, "received_at": received_at or NOW - timedelta(hours=1), "complainant": "张先生",
        "content": content, "case_id": case.id if case else None, "caused_by_service": False},
        staff_ids=staff_ids, actor=actor)


def _findings(kind=ResponsibleKind.person, party="", user_id=None, notes="核实：师傅因堵车迟到，未提前告知"):
    return {"responsible_kind": kind, "responsible_party": party, "responsible_user_id": user_id, "notes": notes}


@pytest.fixture
def clock():
    with travel(NOW):
        yield


def test_register_checks_content_time_and_case(db, clock):
    customer = customer_helpers.customer("张伟")
    other_case = repair_helpers.new_case(customer=customer_helpers.customer("李娜"))
    with pytest.raises(ValidationFailed) as error:
        services.complaint_register(customer=customer, values={
            "channel": Channel.letter, "content": "  ", "received_at": NOW + timedelta(days=2),
            "case_id": other_case.id}, actor=None)
    assert set(error.value.errors) == {"content", "received_at", "case_id"}
    complaint = _register(customer)
    assert complaint.number.startswith("TS-2026-") and complaint.state is S.received


def test_full_workflow_and_the_clock_stops_at_the_first_answer(db, make_user, clock):
    clerk_id, tech_id = make_user(Role.clerk), make_user(Role.technician)
    clerk, tech = repair_helpers.user(clerk_id), repair_helpers.user(tech_id)
    case = repair_helpers.new_case()
    complaint = _register(case.customer, case=case, staff_ids=[tech.id], actor=clerk)
    assert services.complaints_for_case(case.id) == [complaint] and complaint.staff == [tech]
    with pytest.raises(InvalidTransition):
        services.complaint_propose(complaint=complaint, **_findings(user_id=tech.id), solution="道歉并免收上门费",
                                   caused_by_service=True, actor=clerk)
    with pytest.raises(ValidationFailed) as error:
        services.complaint_investigate(complaint=complaint, **_findings(), actor=clerk)
    assert "responsible_user_id" in error.value.errors
    services.complaint_investigate(complaint=complaint, **_findings(user_id=tech.id), actor=clerk)
    assert complaint.state is S.investigating
    with pytest.raises(ValidationFailed) as error:
        services.complaint_propose(complaint=complaint, **_findings(kind=None), solution="", caused_by_service=True,
                                   actor=clerk)
    assert "solution" in error.value.errors
    with pytest.raises(ValidationFailed) as error:
        services.complaint_propose(complaint=complaint, **_findings(kind=None), solution="道歉", caused_by_service=True,
                                   actor=clerk)
    assert "responsible_kind" in error.value.errors
    services.complaint_propose(complaint=complaint, **_findings(user_id=tech.id), solution="道歉并免收上门费",
                               caused_by_service=True, actor=clerk)
    assert complaint.state is S.solution_proposed and complaint.first_reply_at == NOW
    assert services.complaint_clock(complaint).level == "done"
    with pytest.raises(ValidationFailed):
        services.complaint_record_opinion(complaint=complaint, satisfied=False, opinion="", actor=clerk)
    services.complaint_record_opinion(complaint=complaint, satisfied=False, opinion="要求赔偿误工", actor=clerk)
    # not satisfied: back to investigation, the clock stays stopped at the first answer
    services.complaint_investigate(complaint=complaint, **_findings(user_id=tech.id), actor=clerk)
    assert complaint.state is S.investigating and complaint.first_reply_at == NOW
    services.complaint_propose(complaint=complaint, **_findings(user_id=tech.id), solution="免收上门费并赠送清洁保养一次",
                               caused_by_service=True, actor=clerk)
    services.complaint_record_opinion(complaint=complaint, satisfied=True, opinion="满意", actor=clerk)
    with pytest.raises(ValidationFailed) as error:
        services.complaint_close(complaint=complaint, compensation_note="", compensation_amount=Decimal("50"),
                                 closing_note="", actor=clerk)
    assert "compensation_note" in error.value.errors
    services.complaint_close(complaint=complaint, compensation_note="免收上门费 50 元", compensation_amount=Decimal("50"),
                             closing_note="", actor=clerk)
    assert complaint.state is S.closed and complaint.closed_at == NOW
    with pytest.raises(ValidationFailed):
        services.complaint_investigate(complaint=complaint, **_findings(), actor=clerk)


def test_closing_over_a_dissatisfied_customer_needs_a_reason(db, clock):
    complaint = _register()
    services.complaint_investigate(complaint=complaint, **_findings(party="张师傅"), actor=None)
    services.complaint_propose(complaint=complaint, **_findings(party="张师傅"), solution="道歉", caused_by_service=False,
                               actor=None)
    services.complaint_record_opinion(complaint=complaint, satisfied=False, opinion="不接受", actor=None)
    with pytest.raises(ValidationFailed) as error:
        services.complaint_close(complaint=complaint, compensation_note="", compensation_amount=None, closing_note="",
                                 actor=None)
    assert "closing_note" in error.value.errors


def test_clock_days_left_amber_and_red_with_the_settings_limit(db, clock):
    fresh = _register(received_at=NOW - timedelta(days=2))
    clock_now = services.complaint_clock(fresh)
    assert clock_now.level == "ok" and clock_now.days_left == 5
    assert clock_now.due_at == NOW - timedelta(days=2) + timedelta(days=7)
    last_day = _register(received_at=NOW - timedelta(days=6, hours=12))
    assert services.complaint_clock(last_day).level == "amber"
    old = _register(received_at=NOW - timedelta(days=9))
    red = services.complaint_clock(old)
    assert red.level == "red" and red.days_left == -2
    assert services.overdue_count() == 1
    assert services.complaint_list(show="overdue") == [old]
    settings.settings_update(values={"complaint_reply_days": 12}, expected_version=None, actor=None)
    assert services.complaint_clock(old).level == "ok" and services.overdue_count() == 0


def test_late_answer_is_marked_late(db):
    with travel(NOW - timedelta(days=10)):
        complaint = _register(received_at=NOW - timedelta(days=10))
        services.complaint_investigate(complaint=complaint, **_findings(party="张师傅"), actor=None)
    with travel(NOW):
        services.complaint_propose(complaint=complaint, **_findings(party="张师傅"), solution="道歉",
                                   caused_by_service=False, actor=None)
        assert services.complaint_clock(complaint).level == "late"


def test_service_caused_count_by_local_day(db, clock):
    first = _register(received_at=datetime(2026, 10, 31, 17, 0, tzinfo=timezone.utc))  # 11-01 01:00 local
    second = _register(received_at=datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc))
    _register(received_at=datetime(2026, 11, 11, 2, 0, tzinfo=timezone.utc))
    first.caused_by_service = second.caused_by_service = True
    _db.session.flush()
    assert services.service_caused_count(date(2026, 11, 1), date(2026, 11, 30)) == 2
    assert services.service_caused_count(date(2026, 10, 1), date(2026, 10, 31)) == 0
    assert services.received_count(date(2026, 11, 1), date(2026, 11, 30)) == 3


# --- pages -----------------------------------------------------------------------------------------

def _seed(app):
    with app.app_context(), travel(NOW):
        case = repair_helpers.new_case()
        overdue = _register(case.customer, received_at=NOW - timedelta(days=8), case=case)
        fresh = _register(case.customer, received_at=NOW - timedelta(days=1), content="电话打不通")
        _db.session.commit()
        return case.id, case.customer_id, overdue.id, fresh.id


def test_list_shows_the_clock_and_overdue_in_red(app, client, login_as):
    _case, _customer, overdue_id, _fresh = _seed(app)
    login_as(Role.operator)
    with travel(NOW):
        html = client.get("/complaints/", headers=EN).get_data(as_text=True)
        assert "row-red" in html and "overdue by 1 day" in html and "6 days left" in html
        assert "due 2026-11-20" in html and "1 complaint has had no answer" in html
        overdue_only = client.get("/complaints/?show=overdue", headers=EN).get_data(as_text=True)
        assert "师傅上门迟到" in overdue_only and "电话打不通" not in overdue_only
        page = client.get(f"/complaints/{overdue_id}", headers=EN).get_data(as_text=True)
    assert "clock-red" in page and "overdue by 1 day" in page
    assert "Start the investigation" not in page  # operators register, the office works them


def test_register_from_the_case_page_and_an_empty_complaint_keeps_the_input(app, client, login_as):
    case_id, _customer, _o, _f = _seed(app)
    login_as(Role.operator)
    with travel(NOW):
        case_page = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
        assert f"/complaints/new?case_id={case_id}" in case_page and "师傅上门迟到" in case_page
        form = client.get(f"/complaints/new?case_id={case_id}", headers=EN).get_data(as_text=True)
        assert f'<option selected value="{case_id}">' in form
        bad = client.post(f"/complaints/new?case_id={case_id}", headers=EN, data={
            "channel": "letter", "received_at": "2026-11-21T10:30", "complainant": "王女士", "content": " ",
            "case_id": str(case_id)})
        assert bad.status_code == 422
        html = bad.get_data(as_text=True)
        assert "Write down what the customer complains about." in html and "王女士" in html
        future = client.post(f"/complaints/new?case_id={case_id}", headers=EN, data={
            "channel": "call", "received_at": "2026-11-25T10:30", "content": "服务态度差", "case_id": str(case_id)})
        assert future.status_code == 422 and "cannot be in the future" in future.get_data(as_text=True)
        ok = client.post(f"/complaints/new?case_id={case_id}", headers=EN, data={
            "channel": "visit", "received_at": "2026-11-21T10:30", "content": "收费与收费标准卡不符",
            "case_id": str(case_id), "caused_by_service": "y"})
    assert ok.status_code == 303
    with app.app_context():
        complaint = _db.session.query(Complaint).filter_by(content="收费与收费标准卡不符").one()
        assert complaint.channel is Channel.visit and complaint.caused_by_service and complaint.case_id == case_id


def test_customer_search_page(app, client, login_as):
    _seed(app)
    login_as(Role.clerk)
    assert client.get("/complaints/new", headers=EN).status_code == 200
    html = client.get("/complaints/customers?q=张伟", headers=EN).get_data(as_text=True)
    assert "张伟" in html and "/complaints/new?customer_id=" in html


def test_workflow_through_the_pages_and_roles(app, client, login_as, make_user):
    _case, _customer, overdue_id, _fresh = _seed(app)
    clerk_id = login_as(Role.clerk)
    url = f"/complaints/{overdue_id}"
    with travel(NOW):
        assert client.post(f"{url}/investigate", headers=EN, data={
            "step": "investigate", "responsible_kind": "department", "responsible_party": "售后服务部"}).status_code == 303
        missing = client.post(f"{url}/investigate", headers=EN, data={
            "step": "propose", "responsible_kind": "department", "responsible_party": "售后服务部",
            "investigation_notes": "派工延误", "solution": ""})
        assert missing.status_code == 422 and "派工延误" in missing.get_data(as_text=True)
        assert client.post(f"{url}/investigate", headers=EN, data={
            "step": "propose", "responsible_kind": "department", "responsible_party": "售后服务部",
            "investigation_notes": "派工延误", "solution": "道歉并优先安排", "caused_by_service": "y"}).status_code == 303
        no_choice = client.post(f"{url}/opinion", headers=EN, data={"customer_opinion": ""})
        assert no_choice.status_code == 422 and "Is the customer satisfied" in no_choice.get_data(as_text=True)
        assert client.post(f"{url}/opinion", headers=EN, data={"customer_satisfied": "yes",
                                                              "customer_opinion": "接受"}).status_code == 303
        assert client.post(f"{url}/close", headers=EN, data={}).status_code == 403
        page = client.get(url, headers=EN).get_data(as_text=True)
        assert "answered late" in page and "The department manager closes" in page
    login_as(Role.manager)
    with travel(NOW):
        assert client.post(f"{url}/close", headers=EN, data={"compensation_note": "赠送保养一次"}).status_code == 303
        pdf = client.get(f"{url}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with app.app_context():
        complaint = _db.session.get(Complaint, overdue_id)
        assert complaint.state is S.closed and complaint.caused_by_service
        assert complaint.compensation_note == "赠送保养一次"
        assert clerk_id


def test_edit_details_and_staff(app, client, login_as, make_user):
    _case, _customer, overdue_id, _fresh = _seed(app)
    tech_id = make_user(Role.technician, display_name="张师傅")
    login_as(Role.clerk)
    with app.app_context():
        version = _db.session.get(Complaint, overdue_id).version
    with travel(NOW):
        form = client.get(f"/complaints/{overdue_id}/edit", headers=EN)
        assert form.status_code == 200
        saved = client.post(f"/complaints/{overdue_id}/edit", headers=EN, data={
            "channel": "letter", "received_at": "2026-11-13T11:00", "content": "师傅迟到（来函补充）",
            "staff_ids": [str(tech_id)], "version": version})
    assert saved.status_code == 303
    with app.app_context():
        complaint = _db.session.get(Complaint, overdue_id)
        assert complaint.channel is Channel.letter and [u.id for u in complaint.staff] == [tech_id]


def test_technician_and_warehouse_cannot_see_complaints(client, login_as):
    login_as(Role.technician)
    assert client.get("/complaints/").status_code == 403
