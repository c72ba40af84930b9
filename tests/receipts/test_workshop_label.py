"""The receipt's first time is the arrival on site, or for a carried-in unit the take-in at the
workshop: the page, the form and the printed receipt name it accordingly."""
from __future__ import annotations

from flask import render_template

from portal.core.roles import Role
from portal.extensions import db
from portal.receipts import services
from portal.receipts.printing import receipt_print_context
from tests.carryin import helpers as carryin_helpers
from tests.receipts import helpers

EN = {"Accept-Language": "en"}


def _as(client, user_id: int) -> None:
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(user_id), True


def _workshop_receipt(app, tech: int) -> int:
    with app.test_request_context("/", headers=EN):
        goods = carryin_helpers.taken_in(tech)
        receipt = services.receipt_open(case=goods.case, actor=carryin_helpers.user(tech))
        assert receipt.arrived_at == goods.case.in_workshop_at
        db.session.commit()
        return receipt.id


def test_a_carried_in_units_receipt_says_taken_in_at_the_workshop(app, client, make_user):
    tech = make_user(Role.technician)
    rid = _workshop_receipt(app, tech)
    with app.app_context():
        assert services.is_workshop_job(services.get_receipt(rid)) is True
    _as(client, tech)
    form = client.get(f"/receipts/{rid}", headers=EN).get_data(as_text=True)
    assert "Taken in at the workshop" in form and "Arrived on site" not in form
    assert 'for="arrived_at">Taken in at the workshop' in form.replace("\n", "")
    _as(client, make_user(Role.clerk))
    page = client.get(f"/receipts/{rid}", headers=EN).get_data(as_text=True)
    assert "<dt>Taken in at the workshop</dt>" in page and "Arrived on site" not in page
    with app.test_request_context("/"):
        html = render_template("print/repair_receipt.html", **receipt_print_context(services.get_receipt(rid)))
        assert "<th>收件时间</th>" in html and "到达时间" not in html


def test_an_on_site_receipt_says_arrived_on_site(app, client, make_user):
    tech = make_user(Role.technician)
    with app.app_context():
        receipt = services.receipt_open(case=helpers.job(tech), actor=None)
        db.session.commit()
        rid = receipt.id
        assert services.is_workshop_job(receipt) is False
    _as(client, tech)
    form = client.get(f"/receipts/{rid}", headers=EN).get_data(as_text=True)
    assert "Arrived on site" in form and "Taken in at the workshop" not in form
    with app.test_request_context("/"):
        html = render_template("print/repair_receipt.html", **receipt_print_context(services.get_receipt(rid)))
        assert "<th>到达时间</th>" in html and "收件时间" not in html


def test_a_receipt_opened_on_site_before_the_unit_was_taken_away_keeps_the_arrival(app, make_user):
    """Opened on site (its time is the arrival), then the unit went to the workshop: still on site."""
    tech = make_user(Role.technician)
    with app.test_request_context("/", headers=EN):
        goods = carryin_helpers.draft(tech)
        receipt = services.receipt_open(case=goods.case, actor=carryin_helpers.user(tech))
        carryin_helpers.answer_all(goods, carryin_helpers.user(tech))
        from portal.carryin import services as carryin
        carryin.goods_take_in(goods=goods, **carryin_helpers.sign_kwargs(carryin_helpers.user(tech)))
        assert goods.case.state.value == "in_workshop" and services.open_receipt_for(goods.case) is receipt
        assert services.is_workshop_job(receipt) is False


def test_a_posted_form_with_an_error_keeps_the_workshop_label(app, client, make_user):
    tech = make_user(Role.technician)
    rid = _workshop_receipt(app, tech)
    _as(client, tech)
    with app.app_context():
        version = services.get_receipt(rid).version
    response = client.post(f"/receipts/{rid}", headers=EN, data={
        "arrived_at": "2099-01-01T08:00", "finished_at": "", "fault_cause": "", "solution": "",
        "collected": "0", "version": str(version), "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Taken in at the workshop" in html
