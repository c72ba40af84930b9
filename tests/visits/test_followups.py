"""Follow-up calls after a service (回访记录, issue 7 point 1). Times are hand-counted from NOW,
11:00 in Shanghai on Saturday 21 November 2026 (03:00 UTC)."""
from __future__ import annotations

import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.core.errors import DomainError, ValidationFailed
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.timeutil import travel
from portal.dispatch.services import dispatch_queue
from portal.extensions import db as _db
from portal.repairs import services as cases
from portal.repairs.models import CaseState, RepairCase
from portal.visits import services
from portal.visits.models import FollowUp, FollowUpCall, FollowUpKind, FollowUpState
from tests.repairs import helpers as case_helpers

EN = {"Accept-Language": "en"}
S = CaseState
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc)  # Sat 11:00 in Shanghai
H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture
def clock():
    with travel(NOW):
        yield


def _signed(at: datetime, *, technician_id: int | None = None) -> RepairCase:
    """A case walked to awaiting_signature, then signed at `at`."""
    with travel(at - 2 * H):
        case = case_helpers.case_in(S.awaiting_signature, technician_id=technician_id)
    with travel(at):
        cases.case_transition(case=case, target=S.signed, actor=None)
    return case


def _guided(at: datetime) -> RepairCase:
    with travel(at - 5 * M):
        case = case_helpers.new_case()
    with travel(at):
        cases.case_guide_by_phone(case=case, guidance_notes="指导客户清理喷嘴", actor=None)
    return case


def _followup(case: RepairCase) -> FollowUp:
    return _db.session.scalars(select(FollowUp).where(FollowUp.case_id == case.id)
                               .order_by(FollowUp.attempt.desc())).first()


def _answer(followup, at: datetime, *, reached=True, solved=True, rating=5, notes="", name="王经理", actor=None):
    return services.followup_record(followup=followup, done_at=at, reached=reached, reached_name=name, solved=solved,
                                    rating=rating, notes=notes, actor=actor)


def _actions(entity: str, entity_id: int) -> list[str]:
    return list(_db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == entity,
                                                                    AuditEntry.entity_id == entity_id)
                                    .order_by(AuditEntry.id)))


# --- creation from the case workflow -----------------------------------------------------------------

def test_signing_schedules_a_service_follow_up_24_hours_later(db, make_user, clock):
    tech = make_user(Role.technician)
    case = _signed(NOW - 2 * H, technician_id=tech)  # signed 09:00
    followup = _followup(case)
    assert followup.kind is FollowUpKind.service and followup.attempt == 1 and followup.state is FollowUpState.open
    assert followup.service_ended_at == NOW - 2 * H
    assert followup.due_at == NOW + 22 * H  # 09:00 + 24 h = Sunday 09:00
    assert followup.number.startswith("HJ-2026-") and followup.served_by_id == tech
    assert _actions("follow_up", followup.id) == ["follow_up.created"]


def test_phone_guidance_schedules_a_follow_up_3_hours_later(db, clock):
    case = _guided(NOW - 30 * M)  # guided 10:30
    followup = _followup(case)
    assert followup.kind is FollowUpKind.guidance and followup.due_at == NOW + 2 * H + 30 * M  # 13:30


def test_due_times_follow_the_settings(db, clock):
    from portal.settings.services import settings_update
    settings_update(values={"followup_after_service_hours": 20, "followup_after_guidance_hours": 2},
                    expected_version=None, actor=None)
    assert _followup(_signed(NOW)).due_at == NOW + 20 * H
    assert _followup(_guided(NOW)).due_at == NOW + 2 * H


def test_reopening_or_cancelling_by_hand_withdraws_the_open_follow_up(db, clock):
    guided = _guided(NOW - H)
    cases.case_transition(case=guided, target=S.waiting_dispatch, actor=None, note="客户来电说又坏了")
    other = _guided(NOW - H)
    cases.case_transition(case=other, target=S.cancelled, actor=None, note="重复报修")
    assert db.scalar(select(func.count(FollowUp.id))) == 0
    assert db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "follow_up.withdrawn")) == 2


# --- the queue ---------------------------------------------------------------------------------------

def _make_queue() -> dict[str, FollowUp]:
    """Four open follow-ups, hand-counted against NOW (11:00):
    A signed Fri 08:00 → due Sat 08:00 (overdue 3 h);  B guided 08:20 → due 11:20 (amber, 20 min);
    C guided 10:00 → due 13:00 (later today);          D signed Sat 09:00 → due Sun 09:00 (tomorrow).
    E was answered Fri 10:00 (this week), F was answered the Saturday before (last week)."""
    made = {"A": _signed(NOW - 27 * H), "B": _guided(NOW - 2 * H - 40 * M), "C": _guided(NOW - H),
            "D": _signed(NOW - 2 * H)}
    e = _guided(NOW - 26 * H)
    _answer(_followup(e), NOW - 25 * H)
    with travel(NOW - 7 * 24 * H - 4 * H):
        f = _guided(NOW - 7 * 24 * H - 5 * H)
        _answer(_followup(f), NOW - 7 * 24 * H - 4 * H)
    made.update(E=e, F=f)
    return {name: _followup(case) for name, case in made.items()}


@pytest.fixture
def queue(db, clock):
    return _make_queue()


def test_queue_is_ordered_by_due_time(queue):
    assert [f.id for f in services.followup_queue()] == [queue[n].id for n in "ABCD"]
    assert [f.id for f in services.followup_queue(limit=2)] == [queue["A"].id, queue["B"].id]
    assert [f.id for f in services.followup_queue(show="overdue")] == [queue["A"].id]
    assert [f.id for f in services.followup_queue(show="done")] == [queue["E"].id]  # F was last week


def test_due_counts_and_levels(queue):
    assert services.followups_due_count() == (2, 1)  # B and C due later today; A overdue
    assert services.followups_due_count(now=NOW + 3 * H) == (0, 3)  # 14:00: A, B, C overdue; D tomorrow
    levels = {name: services.due_level(f) for name, f in queue.items()}
    assert levels == {"A": "red", "B": "amber", "C": "ok", "D": "ok", "E": "done", "F": "done"}


def test_queue_page_lists_the_rows_with_overdue_in_red(app, client, login_as):
    login_as(Role.clerk)
    with app.app_context(), travel(NOW):
        made = _make_queue()
        ids = {name: f.id for name, f in made.items()}
        numbers = [made[n].case.number for n in "ABCD"]
        _db.session.commit()
    with travel(NOW):
        page = client.get("/visits/followups", headers=EN).get_data(as_text=True)
        fragment = client.get("/visits/followups?show=overdue", headers={**EN, "HX-Request": "true"})
    assert [page.index(n) for n in numbers] == sorted(page.index(n) for n in numbers)
    assert f'class="row-red" id="fu-row-{ids["A"]}"' in page
    assert f'class="row-amber" id="fu-row-{ids["B"]}"' in page
    assert "13812345678" in page and "overdue by 3 h 0 min" in page
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and numbers[0] in body and numbers[3] not in body


# --- recording ---------------------------------------------------------------------------------------

def test_a_call_before_the_service_ended_or_in_the_future_is_refused(db, clock):
    followup = _followup(_signed(NOW - 2 * H))
    for moment in (NOW - 2 * H - 5 * M, NOW + 10 * M):
        with pytest.raises(ValidationFailed) as error:
            _answer(followup, moment)
        assert list(error.value.errors) == ["done_at"]
    assert followup.state is FollowUpState.open and followup.done_at is None
    _answer(followup, NOW - 2 * H + 30 * M)  # within the minute of signing is fine too
    assert followup.state is FollowUpState.done


def test_bad_time_is_shown_next_to_the_field_and_the_answers_are_kept(app, client, login_as):
    login_as(Role.clerk)
    with app.app_context(), travel(NOW):
        followup_id = _followup(_signed(NOW - 2 * H)).id
        _db.session.commit()
    with travel(NOW):
        response = client.post(f"/visits/followups/{followup_id}", headers={**EN, "HX-Request": "true"}, data={
            "done_at": "2026-11-21T08:30", "reached": "yes", "reached_name": "李师傅", "solved": "yes", "rating": "4",
            "notes": "已恢复使用"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert "The call cannot be before the service ended (the customer signed at 2026-11-21 09:00)." in body
    assert 'id="done_at-error"' in body and 'value="李师傅"' in body and "已恢复使用" in body
    assert 'value="2026-11-21T08:30"' in body
    with app.app_context():
        assert _db.session.get(FollowUp, followup_id).state is FollowUpState.open


def test_a_reached_call_needs_the_answers(db, clock):
    followup = _followup(_guided(NOW - H))
    with pytest.raises(ValidationFailed) as error:
        _answer(followup, NOW, name=" ", solved=None, rating=None)
    assert set(error.value.errors) == {"reached_name", "solved", "rating"}
    with pytest.raises(ValidationFailed) as error:
        _answer(followup, NOW, solved=True, rating=3, notes="")
    assert set(error.value.errors) == {"notes"}  # not satisfied: the reason for reopening is required


def test_solved_and_satisfied_closes_a_signed_case_through_archived(db, clock):
    case = _signed(NOW - 3 * H)
    followup = _followup(case)
    _answer(followup, NOW - 10 * M, rating=4)  # 满意 is satisfied
    assert followup.state is FollowUpState.done and followup.done_at == NOW - 10 * M and followup.satisfied
    assert case.state is S.closed and case.reopen_count == 0
    assert _actions("repair_case", case.id)[-3:] == ["repair_case.archived", "repair_case.followup_due",
                                                     "repair_case.closed"]
    assert "follow_up.done" in _actions("follow_up", followup.id)
    with pytest.raises(DomainError):
        _answer(followup, NOW)  # recorded already


def test_solved_and_satisfied_closes_a_guided_case(db, clock):
    case = _guided(NOW - H)
    _answer(_followup(case), NOW, rating=5)
    assert case.state is S.closed


@pytest.mark.parametrize("solved,rating", [(False, 5), (True, 3), (True, 1)])
def test_not_solved_or_not_satisfied_reopens_the_case(db, clock, solved, rating):
    case = _signed(NOW - 3 * H)
    _answer(_followup(case), NOW, solved=solved, rating=rating, notes="灶头还是有异响")
    assert case.state is S.waiting_dispatch and case.reopen_count == 1
    assert case.dispatch_due_at == NOW + 10 * M and case in dispatch_queue()
    reopen = db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "repair_case",
                                                AuditEntry.action == "repair_case.waiting_dispatch")
                       .order_by(AuditEntry.id.desc()))
    assert "灶头还是有异响" in reopen.note


def test_the_next_follow_up_comes_when_the_reopened_case_is_signed_again(db, make_user, clock):
    tech = make_user(Role.technician)
    case = _signed(NOW - 30 * H, technician_id=tech)
    _answer(_followup(case), NOW - 8 * H, rating=2, notes="客户说火力还是小")
    for target in (S.dispatched, S.appointment_confirmed, S.on_site, S.awaiting_signature):
        if target is S.dispatched:
            case.technician_id = tech
        cases.case_transition(case=case, target=target, actor=None)
    cases.case_transition(case=case, target=S.signed, actor=None)
    second = _followup(case)
    assert second.attempt == 2 and second.state is FollowUpState.open and second.due_at == NOW + 24 * H
    assert db.scalar(select(func.count(FollowUp.id)).where(FollowUp.case_id == case.id)) == 2
    _answer(second, NOW, rating=5)
    assert case.state is S.closed


def test_three_unanswered_calls_mark_the_follow_up_unreachable(db, clock):
    case = _signed(NOW - 5 * H)
    followup = _followup(case)
    _answer(followup, NOW - 2 * H, reached=False)
    _answer(followup, NOW - H, reached=False, notes="关机")
    assert followup.state is FollowUpState.open and followup.unanswered == 2 and case.state is S.signed
    with pytest.raises(ValidationFailed) as error:
        _answer(followup, NOW - 90 * M, reached=False)  # before the previous call
    assert list(error.value.errors) == ["done_at"]
    _answer(followup, NOW - 5 * M, reached=False)
    assert followup.state is FollowUpState.unreachable and followup.done_at == NOW - 5 * M
    assert case.state is S.followup_due  # waits for the clerk
    assert [c.note for c in followup.calls] == ["", "关机", ""]
    assert services.followup_queue(show="unreachable") == [followup] and services.unreachable_count() == 1
    assert _actions("follow_up", followup.id).count("follow_up.unanswered") == 3
    # The clerk can still close it (or reopen it) on the case page.
    cases.case_transition(case=case, target=S.closed, actor=None)
    assert services.followup_queue(show="unreachable") == []
    assert db.scalar(select(func.count(FollowUpCall.id))) == 3


def test_a_follow_up_of_a_case_closed_by_hand_can_still_reopen_it(db, clock):
    case = _guided(NOW - 2 * H)
    cases.case_transition(case=case, target=S.closed, actor=None)
    followup = _followup(case)
    assert followup.state is FollowUpState.open
    _answer(followup, NOW, solved=False, rating=2, notes="仍然点不着火")
    assert case.state is S.waiting_dispatch


# --- the pages ---------------------------------------------------------------------------------------

def test_clerk_records_an_unsatisfied_answer_and_the_case_goes_back_to_dispatch(app, client, login_as):
    clerk = login_as(Role.clerk)
    with app.app_context(), travel(NOW):
        case = _signed(NOW - 20 * H)
        followup_id, case_id = _followup(case).id, case.id
        _db.session.commit()
    with travel(NOW):
        panel = client.get(f"/visits/followups/{followup_id}", headers={**EN, "HX-Request": "true"})
        assert panel.status_code == 200 and "<html" not in panel.get_data(as_text=True)
        assert 'id="fu-panel"' in panel.get_data(as_text=True)
        response = client.post(f"/visits/followups/{followup_id}", headers={**EN, "HX-Request": "true"}, data={
            "done_at": "2026-11-21T10:45", "reached": "yes", "reached_name": "王经理", "solved": "no", "rating": "2",
            "notes": "炉头还是回火"})
        assert response.status_code == 200 and "/visits/followups" in response.headers["HX-Location"]
        again = client.post(f"/visits/followups/{followup_id}", headers=EN, data={
            "done_at": "2026-11-21T10:50", "reached": "no"})
        assert again.status_code == 409
        case_page = client.get(f"/cases/{case_id}", headers=EN).get_data(as_text=True)
    assert "Follow-up calls" in case_page and "reopened" in case_page
    with app.app_context():
        followup = _db.session.get(FollowUp, followup_id)
        assert followup.staff_id == clerk and followup.rating == 2 and followup.solved is False
        assert followup.done_at == datetime(2026, 11, 21, 2, 45, tzinfo=timezone.utc)
        assert followup.case.state is S.waiting_dispatch


def test_unanswered_call_through_the_page(app, client, login_as):
    login_as(Role.manager)
    with app.app_context(), travel(NOW):
        followup_id = _followup(_guided(NOW - H)).id
        _db.session.commit()
    with travel(NOW):
        response = client.post(f"/visits/followups/{followup_id}", headers=EN,
                               data={"done_at": "2026-11-21T10:58", "reached": "no", "notes": "无人接听"})
    assert response.status_code == 303
    with app.app_context():
        followup = _db.session.get(FollowUp, followup_id)
        assert followup.state is FollowUpState.open and followup.unanswered == 1


@pytest.mark.parametrize("role,allowed", [(Role.clerk, True), (Role.manager, True), (Role.operator, False),
                                          (Role.technician, False), (Role.warehouse, False), (Role.admin, False)])
def test_only_the_office_works_the_follow_ups(app, client, login_as, role, allowed):
    login_as(role)
    with app.app_context(), travel(NOW):
        followup_id = _followup(_guided(NOW - H)).id
        _db.session.commit()
    with travel(NOW):
        for url in ("/visits/followups", f"/visits/followups/{followup_id}"):
            assert client.get(url, headers=EN).status_code == (200 if allowed else 403), url
        posted = client.post(f"/visits/followups/{followup_id}", headers=EN,
                             data={"done_at": "2026-11-21T10:58", "reached": "no"})
    assert posted.status_code == (303 if allowed else 403)


@pytest.mark.pdf
def test_follow_up_prints_as_a_pdf(app, client, login_as, tmp_path):
    login_as(Role.clerk)
    with app.app_context(), travel(NOW):
        case = _signed(NOW - 5 * H)
        followup = _followup(case)
        _answer(followup, NOW - 2 * H, reached=False)
        _answer(followup, NOW - H, rating=4, name="王经理")
        followup_id, number, case_number = followup.id, followup.number, case.number
        _db.session.commit()
    response = client.get(f"/visits/followups/{followup_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "followup.pdf"
    pdf.write_bytes(response.data)
    text = "".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True).stdout.split())
    for expected in ("回访记录单", number, case_number, "王经理", "未接通记录", "问题已解决，客户满意，结案", "第1次"):
        assert expected in text, expected
    assert "Noto-Sans-CJK-SC" in subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout


@pytest.mark.pdf
def test_signing_a_real_receipt_schedules_the_follow_up(app, make_user):
    from portal.accounts.models import User
    from portal.receipts import services as receipts
    from tests.archive import helpers as archive_helpers
    from tests.carryin.helpers import sign_kwargs
    tech = make_user(Role.technician, "tech")
    with app.app_context():
        receipt = archive_helpers.ready_receipt(tech)
        with app.test_request_context("/"):
            receipts.receipt_sign(receipt=receipt, rating=5, **sign_kwargs(_db.session.get(User, tech)))
        followup = _followup(receipt.case)
        assert followup.kind is FollowUpKind.service and followup.served_by_id == tech
        assert followup.due_at == receipt.case.signed_at + 24 * H
