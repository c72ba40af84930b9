"""The technician's "My jobs": the units he repairs in the workshop form their own group, with the
goods receipt and the repair card; they are not listed again with the on-site jobs."""
from datetime import timedelta

from portal.carryin import services
from portal.core.roles import Role
from portal.core.timeutil import travel, utcnow
from portal.extensions import db
from portal.repairs.models import CaseState
from tests.carryin import helpers as h
from tests.customers import helpers as customer_helpers
from tests.repairs import helpers as case_helpers

EN = {"Accept-Language": "en"}


def _login(client, user_id):
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


def test_my_workshop_units_show_in_their_own_group(app, client, make_user):
    tech = make_user(Role.technician, "tech", display_name="李师傅")
    other = make_user(Role.technician, "other")
    manager = make_user(Role.manager, "boss")
    with app.app_context():
        on_site = case_helpers.case_in(CaseState.on_site, technician_id=tech,
                                       customer=customer_helpers.customer("现场客户"))
        with travel(utcnow() - timedelta(days=10)):
            old = h.taken_in(tech)
        ready = h.ready_for_hand_back(tech, manager)  # inspected; its case awaits the signature
        assert ready.case.state is CaseState.awaiting_signature
        draft = h.draft(tech)  # not taken in yet: not on the bench
        theirs = h.taken_in(other)
        returned = h.ready_for_hand_back(tech, manager)
        services.goods_hand_back(goods=returned, **h.sign_kwargs(h.user(tech), rating=5))
        db.session.commit()
        ids = {name: (g.id, g.number) for name, g in (("old", old), ("ready", ready), ("draft", draft),
                                                      ("theirs", theirs), ("returned", returned))}
        ready_case, on_site_number = ready.case.number, on_site.number
    _login(client, tech)
    html = client.get("/dispatch/my-jobs", headers=EN).get_data(as_text=True)
    assert 'id="my-workshop"' in html and "Workshop" in html and "2 units" in html
    workshop = html[html.index('id="my-workshop"'):]
    for name in ("old", "ready"):
        goods_id, number = ids[name]
        assert number in workshop and f'href="/carryin/{goods_id}"' in workshop
        assert f'href="/carryin/{goods_id}/card.pdf"' in workshop
    for name in ("draft", "theirs", "returned"):
        assert ids[name][1] not in html
    assert workshop.index(ids["old"][1]) < workshop.index(ids["ready"][1])  # longest in first
    assert "10 days in the workshop" in workshop and "job-workshop-overdue" in workshop
    assert "Inspected, ready to hand back" in workshop
    # The on-site job stays in the list above; the carried-in case is not listed twice.
    on_site_part = html[:html.index('id="my-workshop"')]
    assert on_site_number in on_site_part and ready_case not in on_site_part
    assert "No open jobs" not in html


def test_only_workshop_units_still_say_there_is_work(app, client, make_user):
    tech = make_user(Role.technician, "tech")
    with app.app_context():
        goods = h.taken_in(tech)
        db.session.commit()
        number = goods.number
    _login(client, tech)
    html = client.get("/dispatch/my-jobs", headers=EN).get_data(as_text=True)
    assert number in html and "No open jobs" not in html and "1 unit" in html


def test_nothing_at_all_is_the_quiet_message(client, make_user):
    _login(client, make_user(Role.technician, "tech"))
    html = client.get("/dispatch/my-jobs", headers=EN).get_data(as_text=True)
    assert "No open jobs" in html and 'id="my-workshop"' not in html
