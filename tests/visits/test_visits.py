from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from portal.core.errors import DomainError, ValidationFailed
from portal.core.roles import Role
from portal.core.timeutil import travel
from portal.customers.models import Customer
from portal.extensions import db as _db
from portal.visits import services
from portal.visits.models import Visit, VisitAction, VisitFrequency, VisitSchedule
from tests.customers import helpers as customer_helpers
from tests.visits import helpers

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)  # 11:00 in Shanghai


@pytest.fixture
def clock():
    with travel(NOW):
        yield


# --- dates and schedules ---------------------------------------------------------------------------

def test_add_months_keeps_the_day_or_takes_the_month_end():
    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert services.due_after(VisitFrequency.custom, 45, date(2026, 1, 1)) == date(2026, 2, 15)


def test_schedule_only_for_key_customers(db, clock):
    plain = customer_helpers.customer("普通客户")
    with pytest.raises(ValidationFailed) as error:
        helpers.schedule(plain)
    assert "customer_id" in error.value.errors


def test_custom_schedule_needs_an_interval(db, clock):
    customer = helpers.key_customer()
    with pytest.raises(ValidationFailed) as error:
        helpers.schedule(customer, frequency=VisitFrequency.custom, interval_days=None)
    assert "interval_days" in error.value.errors
    schedule = helpers.schedule(customer, frequency=VisitFrequency.custom, interval_days=20,
                                starts_on=date(2026, 11, 1))
    assert schedule.next_due_on == date(2026, 11, 1)
    with pytest.raises(DomainError):
        helpers.schedule(customer)


def test_a_visit_moves_the_schedule_on(db, make_user, clock):
    clerk = helpers.user(make_user(Role.clerk))
    customer = helpers.key_customer()
    schedule = helpers.schedule(customer, frequency=VisitFrequency.quarterly, starts_on=date(2026, 10, 1))
    assert services.due_status(schedule, date(2026, 11, 21)) == "overdue"
    visit = helpers.visit(customer, clerk, on=date(2026, 11, 20), today=date(2026, 11, 21))
    assert visit.number.startswith("HF-2026-") and visit.schedule_id == schedule.id
    assert schedule.last_visit_on == date(2026, 11, 20) and schedule.next_due_on == date(2027, 2, 20)
    assert services.due_status(schedule, date(2026, 11, 21)) == "later"
    # an older visit recorded late does not move the date back
    helpers.visit(customer, clerk, on=date(2026, 10, 5), today=date(2026, 11, 21))
    assert schedule.next_due_on == date(2027, 2, 20)


def test_visit_date_rules(db, make_user, clock):
    clerk = helpers.user(make_user(Role.clerk))
    customer = helpers.key_customer(bought=date(2025, 3, 2))
    with pytest.raises(ValidationFailed) as error:
        helpers.visit(customer, clerk, on=date(2027, 5, 1), today=date(2026, 11, 21))
    assert "visited_on" in error.value.errors
    with pytest.raises(ValidationFailed) as error:
        helpers.visit(customer, clerk, on=date(2024, 1, 1), today=date(2026, 11, 21))
    assert "visited_on" in error.value.errors


def test_visit_needs_visitors_and_something_recorded(db, clock):
    customer = helpers.key_customer()
    with pytest.raises(ValidationFailed) as error:
        services.visit_record(customer=customer, values={"visited_on": date(2026, 11, 20)}, visitor_ids=[],
                              actor=None, today=date(2026, 11, 21))
    assert set(error.value.errors) >= {"visitor_ids", "equipment_usage"}


def test_agreed_actions_need_owner_and_date_and_can_be_done(db, make_user, clock):
    clerk = helpers.user(make_user(Role.clerk))
    customer = helpers.key_customer()
    rows = [services.ActionInput("寄送新款炉头样品", None, None), services.ActionInput("", None, None)]
    with pytest.raises(ValidationFailed) as error:
        services.visit_record(customer=customer, values={"visited_on": date(2026, 11, 20), "equipment_usage": "正常"},
                              visitor_ids=[clerk.id], actions=rows, actor=clerk, today=date(2026, 11, 21))
    assert list(error.value.errors) == ["actions-0"]
    rows = [services.ActionInput("", None, None),
            services.ActionInput("寄送新款炉头样品", clerk.id, date(2026, 12, 1))]
    visit = services.visit_record(customer=customer, values={"visited_on": date(2026, 11, 20), "equipment_usage": "正常"},
                                  visitor_ids=[clerk.id], actions=rows, actor=clerk, today=date(2026, 11, 21))
    assert [a.description for a in visit.actions] == ["寄送新款炉头样品"]
    assert services.open_actions() == visit.actions
    services.action_done(action=visit.actions[0], note="已寄出", actor=clerk)
    assert services.open_actions() == []
    with pytest.raises(DomainError):
        services.action_done(action=visit.actions[0], note="", actor=clerk)


def test_due_list_by_region_and_unscheduled_key_customers(db, clock):
    north = helpers.key_customer("甲酒楼", "李沧区")
    south = helpers.key_customer("乙食堂", "市南区")
    helpers.key_customer("丙宾馆", "市南区")
    helpers.schedule(north, starts_on=date(2026, 11, 1))
    helpers.schedule(south, starts_on=date(2027, 3, 1))
    rows = services.due_list(today=date(2026, 11, 21))
    assert [r.schedule.customer.name for r in rows] == ["甲酒楼"] and rows[0].status == "overdue"
    assert rows[0].days == -20
    assert services.due_list(region="市南区", today=date(2026, 11, 21)) == []
    assert len(services.due_list(region="市南区", show="all", today=date(2026, 11, 21))) == 1
    assert [c.name for c in services.unscheduled_key_customers()] == ["丙宾馆"]


def test_monthly_summary_counts_scheduled_and_done(db, make_user, clock):
    clerk = helpers.user(make_user(Role.clerk, display_name="李内勤"))
    a, b = helpers.key_customer("甲酒楼", "李沧区"), helpers.key_customer("乙食堂", "市南区")
    helpers.schedule(a, starts_on=date(2026, 10, 5), responsible=clerk)
    helpers.schedule(b, starts_on=date(2026, 10, 20), responsible=clerk)
    helpers.visit(a, clerk, on=date(2026, 10, 8), today=date(2026, 11, 21))
    summary = services.monthly_summary(2026, 10)
    assert (summary.total.scheduled, summary.total.done, summary.total.visits) == (2, 1, 1)
    assert summary.by_region["李沧区"].done == 1 and summary.by_region["市南区"].missed == 1
    assert summary.by_staff["李内勤"].scheduled == 2 and summary.by_staff["李内勤"].visits == 1
    assert [s.customer.name for s, _due in summary.missed] == ["乙食堂"]
    # November: a is due again on 11-08 (monthly), b is still due from October
    november = services.monthly_summary(2026, 11)
    assert november.total.scheduled == 2 and november.total.done == 0


# --- pages -----------------------------------------------------------------------------------------

def _setup(app, make_user):
    with app.app_context(), travel(NOW):
        clerk = helpers.user(make_user(Role.clerk, "clerk1", display_name="李内勤"))
        customer = helpers.key_customer()
        helpers.schedule(customer, starts_on=date(2026, 11, 1), responsible=clerk)
        _db.session.commit()
        return customer.id, customer.equipment[0].id


def test_due_list_page_shows_overdue_in_red(app, client, login_as, make_user):
    customer_id, _unit = _setup(app, make_user)
    login_as(Role.technician)
    with travel(NOW):
        page = client.get("/visits/", headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "鲁味斋酒楼" in html and "row-red" in html and "overdue by 20 days" in html
    assert "Record visit" not in html  # technicians read only
    with travel(NOW):  # the same clock as the page, or the idle sign-out would answer first
        assert client.post(f"/visits/customers/{customer_id}/visits/new").status_code == 403


def test_record_a_visit_through_the_form(app, client, login_as, make_user):
    customer_id, unit_id = _setup(app, make_user)
    clerk_id = login_as(Role.clerk)
    form = {"visited_on": "2026-11-20", "visitor_ids": [str(clerk_id)], "other_visitors": "销售部小周",
            "people_met": "王厨师长", "equipment_usage": "每天两餐", f"unit_usage-{unit_id}": "主灶使用频繁",
            "design_opinion": "希望增加定时功能", "assembly_opinion": "面板螺丝略松", "process_opinion": "喷涂良好",
            "actions-0-description": "寄送新款炉头样品", "actions-0-owner_id": str(clerk_id),
            "actions-0-due_on": "2026-12-01"}
    with travel(NOW):
        response = client.post(f"/visits/customers/{customer_id}/visits/new", data=form, headers=EN)
    assert response.status_code == 303
    with app.app_context():
        visit = _db.session.query(Visit).one()
        assert visit.unit_usage[0].usage == "主灶使用频繁" and visit.assembly_opinion == "面板螺丝略松"
        assert visit.visitor_names.endswith("销售部小周")
        assert _db.session.query(VisitSchedule).one().next_due_on == date(2026, 12, 20)
        action_id = _db.session.query(VisitAction).one().id
    with travel(NOW):
        page = client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
        assert "寄送新款炉头样品" in page and "希望增加定时功能" in page
        done = client.post(f"/visits/actions/{action_id}/done", data={"note": "已寄出"}, headers=EN)
    assert done.status_code == 303


def test_a_future_visit_date_is_refused_and_what_was_typed_stays(app, client, login_as, make_user):
    customer_id, _unit = _setup(app, make_user)
    clerk_id = login_as(Role.clerk)
    with travel(NOW):
        response = client.post(f"/visits/customers/{customer_id}/visits/new", headers=EN, data={
            "visited_on": "2027-03-01", "visitor_ids": [str(clerk_id)], "design_opinion": "炉门把手太烫"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "cannot be after today (2026-11-21)" in html and "炉门把手太烫" in html and "2027-03-01" in html


def test_bad_date_spelling_gets_a_message(app, client, login_as, make_user):
    customer_id, _unit = _setup(app, make_user)
    login_as(Role.clerk)
    response = client.post(f"/visits/customers/{customer_id}/visits/new", headers=EN,
                           data={"visited_on": "20.11.2026", "equipment_usage": "正常"})
    assert response.status_code == 422 and "Enter a date such as" in response.get_data(as_text=True)


def test_schedule_form_create_and_edit(app, client, login_as, make_user):
    with app.app_context():
        customer = helpers.key_customer("新客户", "黄岛区")
        _db.session.commit()
        customer_id = customer.id
    login_as(Role.clerk)
    bad = client.post(f"/visits/customers/{customer_id}/schedule", headers=EN,
                      data={"frequency": "custom", "interval_days": "", "starts_on": "2026-12-01", "notes": "试用期"})
    assert bad.status_code == 422 and "every how many days" in bad.get_data(as_text=True)
    assert "试用期" in bad.get_data(as_text=True)
    ok = client.post(f"/visits/customers/{customer_id}/schedule", headers=EN,
                     data={"frequency": "custom", "interval_days": "45", "starts_on": "2026-12-01"})
    assert ok.status_code == 303
    with app.app_context():
        schedule = _db.session.query(VisitSchedule).one()
        assert schedule.interval_days == 45 and schedule.active
        schedule_id, version = schedule.id, schedule.version
    edit = client.post(f"/visits/schedules/{schedule_id}", headers=EN, data={
        "frequency": "monthly", "interval_days": "45", "starts_on": "2026-12-01", "active": "y", "version": version})
    assert edit.status_code == 303
    with app.app_context():
        schedule = _db.session.get(VisitSchedule, schedule_id)
        assert schedule.frequency is VisitFrequency.monthly and schedule.interval_days is None


def test_summary_page_and_pdfs(app, client, login_as, make_user):
    customer_id, _unit = _setup(app, make_user)
    with app.app_context(), travel(NOW):
        from portal.accounts.models import User
        clerk = _db.session.query(User).filter_by(username="clerk1").one()
        customer = _db.session.get(Customer, customer_id)
        visit = helpers.visit(customer, clerk, on=date(2026, 11, 10), today=date(2026, 11, 21))
        _db.session.commit()
        visit_id = visit.id
    login_as(Role.manager)
    with travel(NOW):
        page = client.get("/visits/summary?month=2026-11", headers=EN)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "希望增加定时功能" in html and "1 / 1" in html
        bad = client.get("/visits/summary?month=banana", headers=EN).get_data(as_text=True)
        assert "Enter a month such as 2026-11" in bad
        summary_pdf = client.get("/visits/summary.pdf?month=2026-11")
        record_pdf = client.get(f"/visits/{visit_id}.pdf")
    for response in (summary_pdf, record_pdf):
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
