"""Factory helpers for carry-in tests (call inside an app context unless noted)."""
from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from portal.accounts.models import User
from portal.carryin import services
from portal.carryin.models import GoodsReceipt, GoodsState
from portal.core.signatures import drawn_signature
from portal.core.timeutil import local_today, utcnow
from portal.extensions import db
from portal.receipts import services as receipts
from portal.repairs.models import CaseState
from tests.archive.helpers import data_url, png
from tests.receipts import helpers as receipt_helpers


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def photo_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(buffer, fmt)
    return buffer.getvalue()


def signature():
    return drawn_signature(data_url(png()), "")


def _verify_url(number: str, code: str) -> str:
    return f"https://portal.test/verify/{number}?code={code}"


def sign_kwargs(staff, **extra):
    values = {"signer_name": "王经理", "comment": "", "image": signature(), "address": "127.0.0.1",
              "user_agent": "pytest", "device": "staff tablet", "staff": staff, "verify_url": _verify_url}
    values.update(extra)
    return values


def answer_all(goods: GoodsReceipt, actor, result: str = "ok") -> None:
    answers = {item.id: [(result, "左侧划痕" if result == "issue" else "") for _c in item.checks] for item in goods.items}
    services.goods_save(goods=goods, values={"accessories": "电源线1根", "condition_note": "", "shelf": "A-03",
                                             "technician_id": goods.technician_id},
                        answers=answers, expected_version=goods.version, actor=actor)


def draft(technician_id: int) -> GoodsReceipt:
    """A case on site for the technician, and its draft goods receipt."""
    case = receipt_helpers.job(technician_id)
    return services.goods_open(case=case, actor=user(technician_id))


def taken_in(technician_id: int) -> GoodsReceipt:
    goods = draft(technician_id)
    tech = user(technician_id)
    answer_all(goods, tech)
    services.goods_take_in(goods=goods, **sign_kwargs(tech))
    return goods


def ready_for_hand_back(technician_id: int, manager_id: int) -> GoodsReceipt:
    """Taken in, repaired with a part and an hour's work, inspected, and its repair receipt ready."""
    goods = taken_in(technician_id)
    tech = user(technician_id)
    services.goods_start_repair(goods=goods, actor=tech)
    services.labour_add(goods=goods, worked_on=local_today(), hours="1.5", work="更换点火针", actor=tech)
    receipt_helpers.report_used(goods.case, [(receipt_helpers.part(), 1)])
    services.goods_mark_repaired(goods=goods, actor=tech)
    services.goods_inspect(goods=goods, passed=True, note="试机正常", actor=user(manager_id))
    ready_receipt(goods)
    return goods


def ready_receipt(goods: GoodsReceipt):
    tech = user(goods.technician_id)
    receipt = receipts.receipt_open(case=goods.case, actor=tech)
    receipts.receipt_load_parts(receipt=receipt, actor=tech)
    receipts.receipt_save(receipt=receipt, expected_version=receipt.version, actor=tech, ready=True, values={
        "arrived_at": receipt.arrived_at, "finished_at": utcnow() + timedelta(minutes=1),
        "fault_cause": "点火针积碳", "solution": "更换点火针，试机正常", "test_run_shown": True,
        "instructions_given": True, "misuse": False, "misuse_reason": "", "customer_consented": True,
        "collected": receipt.total, "collect_later": False})
    assert goods.case.state is CaseState.awaiting_signature
    return receipt


__all__ = ["GoodsState"]
