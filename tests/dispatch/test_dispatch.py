from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.errors import InvalidTransition, ValidationFailed
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.timeutil import as_local, utcnow
from portal.dispatch import services
from portal.dispatch.models import ChangeKind, DispatchChange, DispatchSlip
from portal.extensions import db
from portal.repairs import services as repair_services
from portal.repairs.models import CaseState
from tests.dispatch import helpers
from tests.dispatch.helpers import EN, local_form_time
from tests.repairs import helpers as repair_helpers


def _count(app, model=DispatchSlip):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _form(technician_id, **changes):
    data = {"technician_id": str(technician_id), "appointment_at": local_form_time(timedelta(hours=1)),
            "late_reason": "", "instructions": "带上 3 号喷嘴"}
    data.update(changes)
    return data


def _waiting(app):
    with app.app_context():
        case = helpers.waiting_case()
        db.session.commit()
        return case.id, case.number


# --- dispatching ----------------------------------------------------------------------------------

def test_clerk_dispatches_from_the_workload_view(app, client, login_as, make_user):
    tech = make_user(Role.technician, display_name="王师傅")
    case_id, number = _waiting(app)
    clerk = login_as(Role.clerk)
    page = client.get(f"/dispatch/case/{case_id}/new", headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "王师傅" in html and f'value="{tech}"' in html and number in html
    response = client.post(f"/dispatch/case/{case_id}/new", data=_form(tech))
    assert response.status_code == 303 and response.headers["Location"] == f"/cases/{case_id}"
    with app.app_context():
        slip = db.session.scalar(select(DispatchSlip))
        case = helpers.case(case_id)
        assert slip.number.startswith("PG-") and slip.number.endswith("-000001")
        assert slip.technician_id == tech and slip.dispatched_by_id == clerk and slip.instructions == "带上 3 号喷嘴"
        assert case.state is CaseState.dispatched and case.technician_id == tech
        assert helpers.aware(case.appointment_at) == helpers.aware(slip.appointment_at)
        assert helpers.aware(case.appointment_at) - utcnow() > timedelta(minutes=50)
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"dispatch_slip.created", "repair_case.dispatched"} <= actions
    case_page = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert slip_link(case_page) and "王师傅" in case_page


def slip_link(html: str) -> bool:
    return "/dispatch/slips/" in html and ".pdf" in html


def test_inactive_and_non_technician_users_are_refused_with_values_kept(app, client, login_as, make_user):
    gone = make_user(Role.technician, display_name="离职师傅", active=False)
    office = make_user(Role.clerk, display_name="内勤小李")
    case_id, _number = _waiting(app)
    login_as(Role.clerk)
    for user_id, message in ((gone, "离职师傅 is no longer active."), (office, "内勤小李 is not a technician."),
                             (999999, "Choose a technician.")):
        response = client.post(f"/dispatch/case/{case_id}/new", data=_form(user_id), headers=EN)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html
        assert "带上 3 号喷嘴" in html
    missing = client.post(f"/dispatch/case/{case_id}/new", data={**_form(1), "technician_id": ""}, headers=EN)
    assert missing.status_code == 422 and "Choose a technician." in missing.get_data(as_text=True)
    assert _count(app) == 0
    with app.app_context():
        assert helpers.case(case_id).state is CaseState.waiting_dispatch


@pytest.mark.parametrize("delta, message", [
    (timedelta(hours=-1), "The appointment cannot be in the past."),
    (timedelta(days=61), "More than 60 days ahead: check the date."),
])
def test_appointment_in_the_past_or_far_away_is_refused(app, client, login_as, make_user, delta, message):
    tech = make_user(Role.technician)
    case_id, _number = _waiting(app)
    login_as(Role.manager)
    typed = local_form_time(delta)
    response = client.post(f"/dispatch/case/{case_id}/new", data=_form(tech, appointment_at=typed), headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and f'value="{typed}"' in html
    bad = client.post(f"/dispatch/case/{case_id}/new", data=_form(tech, appointment_at="tomorrow"), headers=EN)
    assert bad.status_code == 422 and 'value="tomorrow"' in bad.get_data(as_text=True)
    assert _count(app) == 0


def test_a_few_minutes_of_slack_for_now(app, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        case = helpers.waiting_case()
        slip = services.dispatch_case(case=case, technician=repair_helpers.user(tech),
                                      appointment_at=utcnow() - timedelta(minutes=1), late_reason="",
                                      customer_agreed=False, instructions="", actor=None)
        assert slip.case.state is CaseState.dispatched


def test_late_appointment_needs_reason_and_agreement_then_moves_the_onsite_clock(app, client, login_as, make_user):
    tech = make_user(Role.technician)
    case_id, _number = _waiting(app)
    with app.app_context():
        due_before = helpers.aware(helpers.case(case_id).onsite_due_at)
    login_as(Role.clerk)
    late = local_form_time(timedelta(hours=5))
    refused = client.post(f"/dispatch/case/{case_id}/new", data=_form(tech, appointment_at=late), headers=EN)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "after the on-site deadline" in html and "needs the customer&#39;s agreement" in html
    no_tick = client.post(f"/dispatch/case/{case_id}/new", data=_form(tech, appointment_at=late, late_reason="客户下午才在家"),
                          headers=EN)
    assert no_tick.status_code == 422 and "客户下午才在家" in no_tick.get_data(as_text=True)
    assert _count(app) == 0
    ok = client.post(f"/dispatch/case/{case_id}/new", data=_form(tech, appointment_at=late, late_reason="客户下午才在家",
                                                                 customer_agreed="y"))
    assert ok.status_code == 303
    with app.app_context():
        case = helpers.case(case_id)
        slip = db.session.scalar(select(DispatchSlip))
        assert slip.late_reason == "客户下午才在家" and slip.customer_agreed
        assert helpers.aware(case.onsite_due_at) == helpers.aware(case.appointment_at) > due_before


def test_in_time_appointment_keeps_the_three_hour_clock(app, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        case = helpers.waiting_case()
        due = helpers.aware(case.onsite_due_at)
        helpers.dispatched(case, tech, hours=2)
        assert helpers.aware(case.onsite_due_at) == due
        assert due - helpers.aware(case.received_at) == timedelta(hours=3)


def test_dispatching_a_case_in_the_wrong_state_is_409_with_the_allowed_states(app, client, login_as, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        case = repair_helpers.case_in(CaseState.registered)
        db.session.commit()
        case_id = case.id
    login_as(Role.clerk)
    for response in (client.get(f"/dispatch/case/{case_id}/new", headers=EN),
                     client.post(f"/dispatch/case/{case_id}/new", data=_form(tech), headers=EN)):
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "Registered" in html and "Waiting for dispatch" in html and "Contact failed" in html
    assert _count(app) == 0


def test_dispatch_of_an_already_dispatched_case_is_refused(app, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        case, _slip = helpers.dispatched_case(tech)
        with pytest.raises(InvalidTransition):
            helpers.dispatched(case, tech)


def test_redispatch_after_contact_failed_supersedes_the_old_slip(app, client, login_as, make_user):
    first, second = make_user(Role.technician), make_user(Role.technician, display_name="李师傅")
    with app.app_context():
        case, old = helpers.dispatched_case(first)
        for _ in range(3):
            services.record_contact(case=case, outcome="no_answer", note="", actor=repair_helpers.user(first))
        db.session.commit()
        case_id, old_id = case.id, old.id
        assert case.state is CaseState.contact_failed
    login_as(Role.clerk)
    page = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert "Dispatch again" in page and f"/dispatch/case/{case_id}/new" in page
    queue = client.get("/dispatch/", headers=EN).get_data(as_text=True)
    assert "Dispatch again" in queue
    assert client.post(f"/dispatch/case/{case_id}/new", data=_form(second)).status_code == 303
    with app.app_context():
        case = helpers.case(case_id)
        slips = db.session.scalars(select(DispatchSlip).order_by(DispatchSlip.id)).all()
        assert [s.superseded for s in slips] == [True, False]
        assert slips[1].technician_id == second and case.technician_id == second
        assert case.state is CaseState.dispatched and case.failed_contacts == 0
        assert services.active_slip(case).id == slips[1].id
    old_page = client.get(f"/dispatch/slips/{old_id}", headers=EN).get_data(as_text=True)
    assert "Replaced" in old_page and 'id="reschedule"' not in old_page


# --- reschedule and reassign ----------------------------------------------------------------------

def _slip(app, tech, state=CaseState.dispatched):
    with app.app_context():
        case, slip = helpers.dispatched_case(tech)
        if state is CaseState.appointment_confirmed:
            services.record_contact(case=case, outcome="reached", note="", actor=repair_helpers.user(tech))
        db.session.commit()
        return case.id, slip.id


def test_reschedule_needs_reason_and_agreement_and_keeps_history(app, client, login_as, make_user):
    tech = make_user(Role.technician)
    case_id, slip_id = _slip(app, tech)
    login_as(Role.clerk)
    new_time = local_form_time(timedelta(hours=2))
    refused = client.post(f"/dispatch/slips/{slip_id}/reschedule", data={
        "reschedule-appointment_at": new_time, "reschedule-reason": "", "reschedule-version": "1"}, headers=EN)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Give a reason for the new time." in html
    assert "Reschedule only with the customer&#39;s agreement" in html and f'value="{new_time}"' in html
    assert _count(app, DispatchChange) == 0
    ok = client.post(f"/dispatch/slips/{slip_id}/reschedule", data={
        "reschedule-appointment_at": new_time, "reschedule-reason": "堵车", "reschedule-customer_agreed": "y",
        "reschedule-version": "1"})
    assert ok.status_code == 303
    with app.app_context():
        change = db.session.scalar(select(DispatchChange))
        slip, case = db.session.get(DispatchSlip, slip_id), helpers.case(case_id)
        assert change.kind is ChangeKind.reschedule and change.reason == "堵车" and change.customer_agreed
        assert helpers.aware(change.to_appointment_at) == helpers.aware(slip.appointment_at) == \
            helpers.aware(case.appointment_at)
        assert helpers.aware(change.from_appointment_at) < helpers.aware(change.to_appointment_at)
        assert {"dispatch_slip.rescheduled", "repair_case.rescheduled"} <= set(db.session.scalars(select(AuditEntry.action)))
    page = client.get(f"/dispatch/slips/{slip_id}", headers=EN).get_data(as_text=True)
    assert "堵车" in page and "Rescheduled" in page
    stale = client.post(f"/dispatch/slips/{slip_id}/reschedule", data={
        "reschedule-appointment_at": local_form_time(timedelta(hours=3)), "reschedule-reason": "又改",
        "reschedule-customer_agreed": "y", "reschedule-version": "1"}, headers=EN)
    assert stale.status_code == 409 and _count(app, DispatchChange) == 1


def test_reassign_needs_reason_keeps_history_and_needs_a_new_confirmation(app, client, login_as, make_user):
    first, second = make_user(Role.technician, display_name="王师傅"), make_user(Role.technician, display_name="李师傅")
    case_id, slip_id = _slip(app, first, CaseState.appointment_confirmed)
    login_as(Role.manager)
    no_reason = client.post(f"/dispatch/slips/{slip_id}/reassign", data={
        "reassign-technician_id": str(second), "reassign-reason": ""}, headers=EN)
    assert no_reason.status_code == 422 and "Give a reason." in no_reason.get_data(as_text=True)
    same = client.post(f"/dispatch/slips/{slip_id}/reassign", data={
        "reassign-technician_id": str(first), "reassign-reason": "试试"}, headers=EN)
    assert same.status_code == 422 and "王师傅 has this job already." in same.get_data(as_text=True)
    assert _count(app, DispatchChange) == 0
    ok = client.post(f"/dispatch/slips/{slip_id}/reassign", data={
        "reassign-technician_id": str(second), "reassign-reason": "王师傅在上一家耽误了"})
    assert ok.status_code == 303
    with app.app_context():
        change = db.session.scalar(select(DispatchChange))
        slip, case = db.session.get(DispatchSlip, slip_id), helpers.case(case_id)
        assert change.kind is ChangeKind.reassign and (change.from_technician_id, change.to_technician_id) == (first, second)
        assert slip.technician_id == case.technician_id == second
        assert case.state is CaseState.dispatched
    page = client.get(f"/dispatch/slips/{slip_id}", headers=EN).get_data(as_text=True)
    assert "王师傅在上一家耽误了" in page and "Reassigned" in page


def test_reschedule_refused_once_the_technician_is_on_site(app, make_user):
    tech = make_user(Role.technician)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        case, slip = helpers.dispatched_case(tech)
        services.record_contact(case=case, outcome="reached", note="", actor=repair_helpers.user(tech))
        repair_services.case_transition(case=case, target=CaseState.on_site, actor=None)
        with pytest.raises(InvalidTransition) as refused:
            services.reschedule(slip=slip, appointment_at=utcnow() + timedelta(hours=2), reason="x",
                                customer_agreed=True, actor=None)
        assert "Dispatched" in refused.value.message
        with pytest.raises(InvalidTransition):
            services.reassign(slip=slip, technician=None, reason="", actor=None)


def test_reschedule_service_errors_name_their_fields(app, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        _case, slip = helpers.dispatched_case(tech)
        with pytest.raises(ValidationFailed) as refused:
            services.reschedule(slip=slip, appointment_at=slip.appointment_at, reason="", customer_agreed=False,
                                actor=None)
        assert set(refused.value.errors) == {"appointment_at", "reason", "customer_agreed"}


# --- workload and the queue -------------------------------------------------------------------------

def test_workload_counts_today_open_and_next_appointment(app, make_user):
    busy = make_user(Role.technician, display_name="忙师傅")
    make_user(Role.technician, display_name="闲师傅")
    make_user(Role.technician, display_name="离职师傅", active=False)
    make_user(Role.clerk, display_name="内勤")
    with app.app_context():
        soon = helpers.waiting_case()
        helpers.dispatched(soon, busy, hours=0.5)
        helpers.dispatched(helpers.waiting_case(), busy, hours=1)
        helpers.dispatched(helpers.waiting_case(), busy, hours=2)
        helpers.dispatched(helpers.waiting_case(), busy, hours=24 * 3, late_reason="客户出差", customer_agreed=True)
        finished = helpers.waiting_case()
        helpers.dispatched(finished, busy)
        repair_services.case_transition(case=finished, target=CaseState.cancelled, actor=None, note="客户取消")
        day = as_local(utcnow() + timedelta(hours=2)).date()
        loads = services.workload(day=day)
        assert [load.technician.display_name for load in loads] == ["闲师傅", "忙师傅"]
        idle_load, busy_load = loads
        assert (idle_load.today, idle_load.open, idle_load.next_at, idle_load.next_case) == (0, 0, None, None)
        assert (busy_load.today, busy_load.open) == (3, 4)
        assert busy_load.next_case.id == soon.id and busy_load.next_at == helpers.aware(soon.appointment_at)
        # The day after, the three jobs still open are counted for it as well (carried over).
        assert [(l.today, l.open) for l in services.workload(day=day + timedelta(days=1))][-1] == (3, 4)


def test_queue_lists_waiting_and_contact_failed_cases_oldest_first(app, client, login_as, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        newer = helpers.waiting_case(received_at=utcnow() - timedelta(minutes=5))
        older = helpers.waiting_case(received_at=utcnow() - timedelta(hours=2))
        failed, _slip = helpers.dispatched_case(tech, received_at=utcnow() - timedelta(minutes=30))
        for _ in range(3):
            services.record_contact(case=failed, outcome="no_answer", note="", actor=repair_helpers.user(tech))
        helpers.dispatched_case(tech)
        db.session.commit()
        expected = [older.number, failed.number, newer.number]
    login_as(Role.clerk)
    html = client.get("/dispatch/", headers=EN).get_data(as_text=True)
    positions = [html.index(number) for number in expected]
    assert positions == sorted(positions)
    assert html.count("/dispatch/case/") == 3


# --- access -----------------------------------------------------------------------------------------

def test_dispatch_pages_by_role(app, client, login_as, make_user):
    tech = make_user(Role.technician)
    case_id, slip_id = _slip(app, tech)
    with app.app_context():
        waiting_id = helpers.waiting_case().id
        db.session.commit()
    office_only = ["/dispatch/", f"/dispatch/case/{waiting_id}/new"]
    for role in Role:
        login_as(role)
        for url in office_only:
            assert client.get(url).status_code == (200 if role in (Role.clerk, Role.manager) else 403), (role, url)
        expected = 200 if role in (Role.clerk, Role.manager) else 403
        assert client.get(f"/dispatch/slips/{slip_id}").status_code == expected, role
        assert client.get("/dispatch/my-jobs").status_code == (200 if role is Role.technician else 403)


def test_two_clerks_dispatching_at_once_give_one_slip_and_one_clear_refusal(app, make_user):
    import threading

    first, second = make_user(Role.technician), make_user(Role.technician)
    with app.app_context():
        case_id = helpers.waiting_case().id
        db.session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def clerk(tech_id):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                helpers.dispatched(helpers.case(case_id), tech_id)
                db.session.commit()
                outcomes.append("ok")
            except InvalidTransition:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=clerk, args=(tech,)) for tech in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok", "refused"]
    assert _count(app) == 1
