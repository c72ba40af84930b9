from datetime import timedelta

from sqlalchemy import func, select

from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.customers.models import DataCorrection
from portal.dispatch import services
from portal.dispatch.models import ContactAttempt, ContactOutcome
from portal.extensions import db
from portal.repairs import services as repair_services
from portal.repairs.models import CaseState
from tests.dispatch import helpers
from tests.dispatch.helpers import EN
from tests.repairs import helpers as repair_helpers


def _job(app, tech, **kwargs):
    with app.app_context():
        case, slip = helpers.dispatched_case(tech, **kwargs)
        db.session.commit()
        return case.id, slip.id


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _call(client, case_id, outcome, note="", **headers):
    return client.post(f"/dispatch/case/{case_id}/contact", data={"contact-outcome": outcome, "contact-note": note},
                       headers={**EN, **headers})


def test_reached_confirms_the_appointment(app, client, login_as):
    tech = login_as(Role.technician)
    case_id, _slip = _job(app, tech)
    page = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert "Log the call" in page and 'name="contact-outcome"' in page
    response = _call(client, case_id, "reached", "约好 15:00")
    assert response.status_code == 303
    with app.app_context():
        case = helpers.case(case_id)
        assert case.state is CaseState.appointment_confirmed and case.confirmed_at is not None
        attempt = db.session.scalar(select(ContactAttempt))
        assert attempt.outcome is ContactOutcome.reached and attempt.technician_id == tech and attempt.note == "约好 15:00"
    page = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert "约好 15:00" in page and "Reached" in page


def test_three_unanswered_calls_send_the_case_back_to_the_clerk(app, client, login_as):
    tech = login_as(Role.technician)
    case_id, _slip = _job(app, tech)
    first = _call(client, case_id, "no_answer")
    assert first.status_code == 303
    with app.app_context():
        assert helpers.case(case_id).failed_contacts == 1 and helpers.case(case_id).state is CaseState.dispatched
    assert "Next call after" in client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    _call(client, case_id, "no_answer")
    third = _call(client, case_id, "no_answer", "关机", **{"HX-Request": "true"})
    assert third.status_code == 200 and "HX-Location" in third.headers
    with app.app_context():
        case = helpers.case(case_id)
        assert case.state is CaseState.contact_failed and case.failed_contacts == 3
        assert case.technician_id == tech  # still on the job until the clerk re-dispatches
    again = _call(client, case_id, "no_answer")
    assert again.status_code == 409 and "Contact failed" in again.get_data(as_text=True)
    assert _count(app, ContactAttempt) == 3
    jobs = client.get("/dispatch/my-jobs", headers=EN).get_data(as_text=True)
    assert "Contact failed" in jobs


def test_a_reached_call_resets_the_failures(app, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        case, _slip = helpers.dispatched_case(tech)
        user = repair_helpers.user(tech)
        services.record_contact(case=case, outcome="no_answer", note="", actor=user)
        services.record_contact(case=case, outcome="no_answer", note="", actor=user)
        services.record_contact(case=case, outcome="reached", note="", actor=user)
        services.record_contact(case=case, outcome="no_answer", note="改时间再打", actor=user)
        assert case.failed_contacts == 1 and case.state is CaseState.appointment_confirmed


def test_wrong_number_creates_a_phone_correction_item(app, client, login_as):
    tech = login_as(Role.technician)
    case_id, _slip = _job(app, tech)
    assert _call(client, case_id, "wrong_number", "是空号").status_code == 303
    with app.app_context():
        item = db.session.scalar(select(DataCorrection))
        case = helpers.case(case_id)
        assert item.field == "phone" and item.customer_id == case.customer_id and item.reported_by_id == tech
        assert case.number in item.description and "是空号" in item.description and "13812345678" in item.description
        assert case.failed_contacts == 1


def test_wrong_address_creates_an_address_correction_item(app, client, login_as):
    tech = login_as(Role.technician)
    case_id, _slip = _job(app, tech)
    empty = client.post(f"/dispatch/case/{case_id}/wrong-data", data={"wrong-field": "address", "wrong-description": ""},
                        headers=EN)
    assert empty.status_code == 422 and "Describe what is wrong." in empty.get_data(as_text=True)
    assert _count(app, DataCorrection) == 0
    ok = client.post(f"/dispatch/case/{case_id}/wrong-data",
                     data={"wrong-field": "address", "wrong-description": "已搬到经十路 200 号"})
    assert ok.status_code == 303
    with app.app_context():
        item = db.session.scalar(select(DataCorrection))
        assert (item.field, item.description) == ("address", "已搬到经十路 200 号")


def test_missing_outcome_is_422_and_keeps_the_note(app, client, login_as):
    tech = login_as(Role.technician)
    case_id, _slip = _job(app, tech)
    response = _call(client, case_id, "", "客户说下午在家")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose how the call went." in html and "客户说下午在家" in html
    partial = _call(client, case_id, "", "再试", **{"HX-Request": "true"})
    assert partial.status_code == 422 and partial.get_data(as_text=True).lstrip().startswith("<section")
    assert _count(app, ContactAttempt) == 0


def test_technician_cannot_see_or_act_on_another_technicians_job(app, client, login_as, make_user):
    owner = make_user(Role.technician, display_name="王师傅")
    case_id, slip_id = _job(app, owner)
    login_as(Role.technician)
    assert client.get(f"/cases/{case_id}").status_code == 403
    assert client.get(f"/dispatch/slips/{slip_id}").status_code == 403
    assert client.get(f"/dispatch/slips/{slip_id}.pdf").status_code == 403
    assert _call(client, case_id, "reached").status_code == 403
    assert client.post(f"/dispatch/case/{case_id}/wrong-data",
                       data={"wrong-field": "address", "wrong-description": "x"}).status_code == 403
    assert client.post(f"/dispatch/slips/{slip_id}/reschedule", data={}).status_code == 403
    assert client.post(f"/dispatch/slips/{slip_id}/reassign", data={}).status_code == 403
    assert "王师傅" not in client.get("/dispatch/my-jobs").get_data(as_text=True)
    assert _count(app, ContactAttempt) == 0


def test_the_assigned_technician_sees_the_slip_read_only(app, client, login_as):
    tech = login_as(Role.technician)
    _case_id, slip_id = _job(app, tech)
    html = client.get(f"/dispatch/slips/{slip_id}", headers=EN).get_data(as_text=True)
    assert "带上喷嘴" in html and 'id="reschedule"' not in html and 'id="reassign"' not in html


def test_after_reassignment_the_old_technician_loses_the_job(app, client, login_as, make_user):
    new_tech = make_user(Role.technician)
    old_tech = login_as(Role.technician)
    case_id, slip_id = _job(app, old_tech)
    with app.app_context():
        slip = services.get_slip(slip_id)
        services.reassign(slip=slip, technician=repair_helpers.user(new_tech), reason="改派", actor=None)
        db.session.commit()
    assert client.get(f"/dispatch/slips/{slip_id}").status_code == 403
    assert _call(client, case_id, "reached").status_code == 403


def test_my_jobs_lists_only_my_open_jobs_by_appointment(app, client, login_as, make_user):
    other = make_user(Role.technician)
    me = login_as(Role.technician)
    with app.app_context():
        later = repair_helpers.new_case(customer=repair_helpers.customer_helpers.customer("晚一点客户"))
        repair_services.case_transition(case=later, target=CaseState.waiting_dispatch, actor=None)
        helpers.dispatched(later, me, hours=2)
        sooner = repair_helpers.new_case(customer=repair_helpers.customer_helpers.customer("早一点客户"))
        repair_services.case_transition(case=sooner, target=CaseState.waiting_dispatch, actor=None)
        helpers.dispatched(sooner, me, hours=1)
        done = repair_helpers.new_case(customer=repair_helpers.customer_helpers.customer("已取消客户"))
        repair_services.case_transition(case=done, target=CaseState.waiting_dispatch, actor=None)
        helpers.dispatched(done, me, hours=1)
        repair_services.case_transition(case=done, target=CaseState.cancelled, actor=None, note="客户取消")
        theirs = repair_helpers.new_case(customer=repair_helpers.customer_helpers.customer("别人的客户"))
        repair_services.case_transition(case=theirs, target=CaseState.waiting_dispatch, actor=None)
        helpers.dispatched(theirs, other, hours=1)
        db.session.commit()
        phone = sooner.customer.primary_phone
    html = client.get("/dispatch/my-jobs", headers=EN).get_data(as_text=True)
    assert "早一点客户" in html and "晚一点客户" in html
    assert html.index("早一点客户") < html.index("晚一点客户")
    assert "已取消客户" not in html and "别人的客户" not in html
    assert f'href="tel:{phone}"' in html and "clock" in html


def test_contact_outside_dispatched_or_confirmed_is_409(app, make_user):
    tech = make_user(Role.technician)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        case, _slip = helpers.dispatched_case(tech)
        user = repair_helpers.user(tech)
        services.record_contact(case=case, outcome="reached", note="", actor=user)
        repair_services.case_transition(case=case, target=CaseState.on_site, actor=user)
        try:
            services.record_contact(case=case, outcome="reached", note="", actor=user)
        except services.InvalidTransition as error:
            assert error.status == 409 and "Appointment confirmed" in error.message
        else:
            raise AssertionError("a call was logged on site")


def test_contact_by_someone_else_is_refused_by_the_service(app, make_user):
    tech, other = make_user(Role.technician), make_user(Role.technician)
    with app.app_context():
        case, _slip = helpers.dispatched_case(tech)
        try:
            services.record_contact(case=case, outcome="reached", note="", actor=repair_helpers.user(other))
        except services.DomainError as error:
            assert error.status == 409
        else:
            raise AssertionError("another technician logged a call")
        assert case.state is CaseState.dispatched and utcnow() - timedelta(minutes=1) < helpers.aware(case.dispatched_at)


def test_other_roles_see_the_slip_on_the_case_page_without_links_they_cannot_open(app, client, login_as, make_user):
    tech = make_user(Role.technician, display_name="王师傅")
    case_id, slip_id = _job(app, tech)
    login_as(Role.operator)
    html = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert "王师傅" in html and f"/dispatch/slips/{slip_id}" not in html and "Log the call" not in html
