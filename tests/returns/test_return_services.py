"""Return slip verbs: the request's rules, every transition and its refusals, nothing half-saved."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.core.errors import DomainError, EditConflict, InvalidTransition, ValidationFailed
from portal.core.models import AuditEntry
from portal.extensions import db
from portal.returns import services
from portal.returns.models import RETURN_WORKFLOW, Resolution, ReturnPhoto, ReturnSlip, ReturnState
from tests.customers import helpers as customer_helpers
from tests.repairs import helpers as repair_helpers
from tests.returns import helpers

RS = ReturnState
EN = {"Accept-Language": "en"}


@pytest.fixture
def ctx(app):
    with app.test_request_context(headers=EN):
        yield


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_request_gets_a_number_and_is_audited(ctx):
    slip = helpers.new_slip(uploads=[(helpers.jpeg(), "front.jpg")])
    assert slip.number.startswith("TH-") and slip.state is RS.requested and slip.sale_reference == "FP-2026-0815"
    assert len(slip.photos) == 1 and slip.photos[0].mime == "image/jpeg"
    actions = {e.action for e in db.session.scalars(select(AuditEntry))}
    assert {"return_slip.created", "return_slip.photo_added"} <= actions


def test_a_registered_unit_fills_in_the_product(ctx):
    owner = customer_helpers.customer("李娜")
    unit = customer_helpers.unit(owner, "ZJ-778", type_name="节能灶", model="ZJ-2")
    slip = helpers.new_slip(customer=owner, equipment_id=unit.id, product_type_id=None, model="", serial="")
    assert (slip.product_type.name, slip.model, slip.serial, slip.equipment_id) == ("节能灶", "ZJ-2", "ZJ-778", unit.id)
    stranger = customer_helpers.unit(customer_helpers.customer("王强"), "OTHER-1")
    with pytest.raises(ValidationFailed) as refused:
        helpers.new_slip(customer=owner, equipment_id=stranger.id)
    assert "equipment_id" in refused.value.errors


@pytest.mark.parametrize("changes, field", [
    ({"quantity": 4, "quantity_sold": 3}, "quantity"),
    ({"quantity": 0}, "quantity"),
    ({"quantity_sold": None}, "quantity_sold"),
    ({"sale_reference": "  "}, "sale_reference"),
    ({"sale_date": date(2027, 1, 1)}, "sale_date"),
    ({"reason": "bored"}, "reason"),
    ({"outcome": ""}, "outcome"),
    ({"description": ""}, "description"),
    ({"product_type_id": None}, "product_type_id"),
])
def test_bad_requests_are_refused_with_the_field_named(ctx, changes, field):
    with pytest.raises(ValidationFailed) as refused:
        helpers.new_slip(**changes)
    assert field in refused.value.errors
    assert _count(ReturnSlip) == 0


def test_returns_on_one_sale_never_exceed_what_was_sold(ctx):
    owner = customer_helpers.customer("泉城大酒店")
    helpers.new_slip(customer=owner, quantity=2, quantity_sold=3)
    with pytest.raises(ValidationFailed) as refused:
        helpers.new_slip(customer=owner, quantity=2, quantity_sold=3, sale_reference="fp-2026-0815")
    assert "at most 1 more" in refused.value.errors["quantity"][0]
    assert helpers.new_slip(customer=owner, quantity=1, quantity_sold=3).quantity == 1


def test_a_bad_photo_refuses_the_whole_request(ctx):
    with pytest.raises(ValidationFailed) as refused:
        helpers.new_slip(uploads=[(helpers.jpeg(), "ok.jpg"), (b"not an image at all", "notes.txt")])
    assert any("notes.txt" in m for m in refused.value.errors["photos"])
    with pytest.raises(ValidationFailed) as too_big:
        helpers.new_slip(uploads=[(b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 1), "huge.jpg")])
    assert "larger than 5 MB" in " ".join(too_big.value.errors["photos"])
    with pytest.raises(ValidationFailed) as too_many:
        helpers.new_slip(uploads=[(helpers.jpeg(), f"{i}.jpg") for i in range(7)])
    assert "At most 6 photos" in too_many.value.errors["photos"][0]
    assert _count(ReturnSlip) == 0 and _count(ReturnPhoto) == 0


def test_editing_the_request_checks_the_version_and_the_state(ctx):
    slip = helpers.new_slip(uploads=[(helpers.jpeg(), "a.jpg")])
    version, photo_id = slip.version, slip.photos[0].id
    services.slip_update(slip=slip, values=helpers.request_values(quantity=2), remove_photo_ids=[photo_id],
                         uploads=[(helpers.jpeg(colour=(0, 0, 200)), "b.jpg")], expected_version=version, actor=None,
                         today=date(2026, 11, 21))
    assert slip.quantity == 2 and [p.filename for p in slip.photos] == ["b.jpg"]
    with pytest.raises(EditConflict):
        services.slip_update(slip=slip, values=helpers.request_values(quantity=3), expected_version=version,
                             actor=None, today=date(2026, 11, 21))
    services.slip_review(slip=slip, approve=True, note="", actor=None)
    with pytest.raises(DomainError):
        services.slip_update(slip=slip, values=helpers.request_values(), expected_version=slip.version, actor=None)


def test_review_needs_a_reason_to_reject_and_rejected_is_final(ctx):
    slip = helpers.new_slip()
    with pytest.raises(ValidationFailed) as refused:
        services.slip_review(slip=slip, approve=False, note=" ", actor=None)
    assert "note" in refused.value.errors and slip.state is RS.requested
    services.slip_review(slip=slip, approve=False, note="已超过7天退货期", actor=None)
    assert slip.state is RS.rejected and slip.reviewed_at is not None and slip.review_note == "已超过7天退货期"
    for step in (lambda: services.slip_review(slip=slip, approve=True, note="", actor=None),
                 lambda: services.slip_receive(slip=slip, quantity_received=1, condition="x", note="", actor=None),
                 lambda: services.slip_cancel(slip=slip, reason="x", actor=None)):
        with pytest.raises(InvalidTransition):
            step()


def test_receiving_a_different_quantity_needs_a_note(ctx):
    slip = helpers.slip_in(RS.approved, quantity=2)
    with pytest.raises(ValidationFailed) as refused:
        services.slip_receive(slip=slip, quantity_received=1, condition="外箱破损", note="", actor=None)
    assert "note" in refused.value.errors
    with pytest.raises(ValidationFailed) as too_many:
        services.slip_receive(slip=slip, quantity_received=4, condition="外箱破损", note="多退", actor=None)
    assert "quantity_received" in too_many.value.errors
    with pytest.raises(ValidationFailed):
        services.slip_receive(slip=slip, quantity_received=2, condition="", note="", actor=None)
    assert slip.state is RS.approved and slip.quantity_received is None
    services.slip_receive(slip=slip, quantity_received=1, condition="外箱破损", note="另一台客户留用", actor=None)
    assert slip.state is RS.received and slip.quantity_received == 1


def test_inspection_needs_a_result_and_a_responsibility(ctx):
    slip = helpers.slip_in(RS.received)
    with pytest.raises(ValidationFailed) as refused:
        services.slip_inspect(slip=slip, result="", responsibility="nobody", actor=None)
    assert set(refused.value.errors) == {"inspection_result", "responsibility"}
    services.slip_inspect(slip=slip, result="运输挤压导致外壳变形", responsibility="transport", actor=None)
    assert slip.state is RS.inspected and slip.responsibility.value == "transport"


def test_resolution_rules(ctx):
    slip = helpers.slip_in(RS.inspected, outcome="refund")
    with pytest.raises(ValidationFailed) as no_amount:
        services.slip_resolve(slip=slip, resolution="refunded", refund_amount="", actor=None)
    assert "refund_amount" in no_amount.value.errors
    with pytest.raises(ValidationFailed) as otherwise:
        services.slip_resolve(slip=slip, resolution="exchanged", exchange_serial="X-1", actor=None)
    assert "resolution_note" in otherwise.value.errors
    other_case = repair_helpers.new_case(customer=customer_helpers.customer("别人"))
    with pytest.raises(ValidationFailed) as foreign:
        services.slip_resolve(slip=slip, resolution="repaired", repair_case_id=other_case.id, note="改为维修", actor=None)
    assert "repair_case_id" in foreign.value.errors
    assert slip.state is RS.inspected and slip.resolution is None
    services.slip_resolve(slip=slip, resolution="refunded", refund_amount="1280.5", actor=None)
    assert slip.state is RS.resolved and slip.refund_amount == Decimal("1280.50")


def test_repaired_links_one_of_the_customers_cases(ctx):
    slip = helpers.slip_in(RS.inspected, outcome="repair")
    case = repair_helpers.new_case(customer=slip.customer)
    services.slip_resolve(slip=slip, resolution="repaired", repair_case_id=case.id, actor=None)
    assert slip.resolution is Resolution.repaired and slip.repair_case_id == case.id


def test_cancel_before_the_goods_are_back_only(ctx):
    slip = helpers.slip_in(RS.approved)
    with pytest.raises(ValidationFailed):
        services.slip_cancel(slip=slip, reason="", actor=None)
    services.slip_cancel(slip=slip, reason="客户决定保留", actor=None)
    assert slip.state is RS.cancelled and slip.cancelled_at is not None
    received = helpers.slip_in(RS.received, sale_reference="FP-OTHER")
    with pytest.raises(InvalidTransition):
        services.slip_cancel(slip=received, reason="太晚", actor=None)


def test_every_pair_the_workflow_does_not_allow_is_refused(ctx):
    slip = helpers.new_slip()
    for current in RS:
        for target in RS:
            slip.state = current
            if RETURN_WORKFLOW.can(current, target):
                services.ensure_step(slip, target)
            else:
                with pytest.raises(InvalidTransition) as refused:
                    services.ensure_step(slip, target)
                assert slip.number in refused.value.message


def test_signing_is_only_for_a_resolved_slip(ctx):
    slip = helpers.slip_in(RS.inspected)
    with pytest.raises(DomainError):
        services.ensure_signable(slip)
