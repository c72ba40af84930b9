"""The case list's search at scale: numbers through their index, customers through the customer
search index, counts capped (bench/load.py measures it on a million cases)."""
from __future__ import annotations

from portal.core.roles import Role
from portal.extensions import db as _db
from portal.repairs import services
from tests.customers import helpers as customer_helpers
from tests.repairs import helpers

EN = {"Accept-Language": "en", "HX-Request": "true"}


def _numbers(q: str) -> set[str]:
    items, _total = services.case_list(state="", q=q)
    return {case.number for case in items}


def test_a_case_is_found_by_the_digits_its_number_ends_with_or_by_its_beginning(db):
    owner = customer_helpers.customer("张伟", "13888888888")  # no 12 in the customer's text
    cases = [helpers.new_case(customer=owner, unit=False) for _ in range(12)]
    db.commit()
    twelfth = cases[11].number  # BX-<year>-000012
    assert _numbers("12") == {twelfth} and _numbers("000012") == {twelfth}
    assert _numbers(twelfth.lower()) == {twelfth}
    assert _numbers(twelfth[:-1]) == {c.number for c in cases[9:12]}  # BX-2026-00001x: 10, 11, 12
    assert _numbers(twelfth[3:]) == {twelfth}  # the year and the digits, without the prefix


def test_a_case_is_found_by_its_customer_name_phone_or_address(db):
    owner = customer_helpers.customer("泉城大酒店", "13912345678", street="经十路 88 号")
    mine = helpers.new_case(customer=owner)
    other = helpers.new_case(customer=customer_helpers.customer("王芳", "13800001111"))
    db.commit()
    assert _numbers("泉城") == {mine.number}
    assert _numbers("1234567") == {mine.number} and _numbers("139 1234") == {mine.number}
    assert _numbers("经十路") == {mine.number}
    assert _numbers("王芳") == {other.number}
    assert _numbers("没有这个客户") == set()


def test_a_long_list_says_more_than_the_cap_instead_of_counting(app, client, login_as, monkeypatch):
    with app.app_context():
        for _ in range(4):
            helpers.new_case()
        _db.session.commit()
    monkeypatch.setattr(services, "COUNT_CAP", 2)
    login_as(Role.clerk)
    html = client.get("/cases/?state=", headers=EN).get_data(as_text=True)
    assert "More than" in html and "4 cases" not in html
    monkeypatch.setattr(services, "COUNT_CAP", 1000)
    assert "4 cases" in client.get("/cases/?state=", headers=EN).get_data(as_text=True)


def test_a_term_finding_more_than_the_cap_lists_the_same_newest_cases(db, monkeypatch):
    city = [customer_helpers.customer(f"潍坊{i}号店", f"1390000000{i}") for i in range(3)]
    elsewhere = customer_helpers.customer("青岛啤酒屋", "13911112222")
    cases = [helpers.new_case(customer=owner, unit=False) for owner in city * 2 + [elsewhere]]
    db.commit()
    wanted = [c.number for c in sorted(cases[:6], key=lambda c: c.id, reverse=True)]
    items, total = services.case_list(state="", q="潍坊", per_page=4)
    assert ([c.number for c in items], total) == (wanted[:4], 6)
    # Past the cap the page is found walking the cases newest first: the same cases, the same order.
    monkeypatch.setattr(services, "COUNT_CAP", 3)
    items, total = services.case_list(state="", q="潍坊", per_page=4)
    assert [c.number for c in items] == wanted[:4] and total == 4
    items, _total = services.case_list(state="", q="潍坊", per_page=2, page=2)
    assert [c.number for c in items] == wanted[2:4]
