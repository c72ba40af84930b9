import enum
from datetime import datetime

import pytest
from sqlalchemy import select

from portal.core.access import staff
from portal.core.errors import InvalidTransition
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.workflow import StateMachine, transition


class Paper(enum.StrEnum):
    draft = "draft"
    complete = "complete"
    signed = "signed"
    void = "void"

    @property
    def label(self):
        return {"draft": "草稿", "complete": "待签字", "signed": "已签字", "void": "作废"}[self.value]


class Sheet:
    """A stand-in document: the workflow needs only state, timestamps, id and a table name."""
    __tablename__ = "sheet"
    workflow = StateMachine(
        {Paper.draft: {Paper.complete, Paper.void}, Paper.complete: {Paper.draft, Paper.signed},
         Paper.signed: {Paper.void}},
        timestamps={Paper.signed: "signed_at"})

    def __init__(self):
        self.id, self.state, self.state_changed_at, self.signed_at = 7, Paper.draft, None, None


ALL_PAIRS = [(a, b) for a in Paper for b in Paper if a != b]


@pytest.mark.parametrize("current,target", ALL_PAIRS)
def test_every_pair_is_allowed_or_refused_as_declared(db, current, target):
    sheet = Sheet()
    sheet.state = current
    if Sheet.workflow.can(current, target):
        change = transition(sheet, target, actor=None, note="ok")
        assert sheet.state is target and change.old is current and isinstance(sheet.state_changed_at, datetime)
        entry = db.scalar(select(AuditEntry).where(AuditEntry.entity_type == "sheet"))
        assert entry.action == f"sheet.{target.value}" and entry.changes == {"state": [current.value, target.value]}
    else:
        with pytest.raises(InvalidTransition) as caught:
            transition(sheet, target, actor=None)
        assert sheet.state is current
        assert caught.value.allowed == Sheet.workflow.allowed(current)
        assert db.scalar(select(AuditEntry)) is None


def test_per_state_timestamp(db):
    sheet = Sheet()
    transition(sheet, Paper.complete, actor=None)
    assert sheet.signed_at is None
    transition(sheet, Paper.signed, actor=None)
    assert sheet.signed_at == sheet.state_changed_at


def test_message_names_what_is_allowed_instead(db):
    sheet = Sheet()
    with pytest.raises(InvalidTransition) as caught:
        transition(sheet, Paper.signed, actor=None)
    assert "待签字" in caught.value.message and "作废" in caught.value.message


def _forbidden_route(app):
    @staff
    def sign():
        transition(Sheet(), Paper.signed, actor=None)
    app.add_url_rule("/sheet/sign", "sheet_sign", sign, methods=["POST"])


def test_web_layer_turns_it_into_a_409_page(app, client, login_as):
    _forbidden_route(app)
    login_as(Role.clerk)
    response = client.post("/sheet/sign")
    assert response.status_code == 409
    assert "<html" in response.get_data(as_text=True) and "待签字" in response.get_data(as_text=True)


def test_web_layer_answers_htmx_with_a_message_in_flash(app, client, login_as):
    _forbidden_route(app)
    login_as(Role.clerk)
    response = client.post("/sheet/sign", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#flash"
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="flash"' in body and "待签字" in body
