"""Key customers with schedules and visits, for visit tests (call inside an app context)."""
from __future__ import annotations

from datetime import date

from portal.accounts.models import User
from portal.extensions import db
from portal.visits import services
from portal.visits.models import VisitFrequency
from tests.customers import helpers as customer_helpers


def key_customer(name: str = "鲁味斋酒楼", region: str = "市南区", *, bought: date = date(2025, 3, 2)):
    customer = customer_helpers.customer(name, region=region, key_customer=True, is_organisation=True)
    customer_helpers.unit(customer, bought=bought)
    return customer


def schedule(customer, *, frequency=VisitFrequency.monthly, starts_on: date = date(2026, 9, 1),
             interval_days: int | None = None, responsible: User | None = None):
    return services.schedule_create(customer=customer, values={
        "frequency": frequency, "interval_days": interval_days, "starts_on": starts_on,
        "responsible_id": responsible.id if responsible else None, "active": True, "notes": ""}, actor=None)


def visit(customer, visitor: User, *, on: date, today: date | None = None, **values):
    return services.visit_record(customer=customer, values={
        "visited_on": on, "equipment_usage": "每天两餐，运行正常", "design_opinion": "希望增加定时功能",
        "assembly_opinion": "", "process_opinion": "", "other_feedback": "", "people_met": "王厨师长",
        "other_visitors": "", "followup_needed": False, **values}, visitor_ids=[visitor.id], actor=visitor,
        today=today or on)


def user(user_id: int) -> User:
    return db.session.get(User, user_id)
