"""A receipt ready for signature, and signature images, for signing and archive tests."""
from __future__ import annotations

import base64
import io

from PIL import Image, ImageDraw

from portal.core.timeutil import utcnow
from portal.extensions import db
from portal.receipts import services as receipts
from tests.receipts import helpers as receipt_helpers


def ready_receipt(technician_id: int):
    case = receipt_helpers.job(technician_id)
    technician = db.session.get(__import__("portal.accounts.models", fromlist=["User"]).User, technician_id)
    receipt = receipts.receipt_open(case=case, actor=technician)
    receipts.receipt_save(receipt=receipt, expected_version=receipt.version, actor=technician, ready=True, values={
        "arrived_at": case.on_site_at, "finished_at": utcnow(), "fault_cause": "点火针积碳",
        "solution": "清理并调整点火针，试机正常", "test_run_shown": True, "instructions_given": True,
        "misuse": False, "misuse_reason": "", "customer_consented": True, "collected": 0, "collect_later": False})
    db.session.commit()
    return receipt


def png(width: int = 600, height: int = 200, *, strokes: int = 3, fmt: str = "PNG") -> bytes:
    image = Image.new("RGBA" if fmt == "PNG" else "RGB", (width, height), (255, 255, 255, 0) if fmt == "PNG" else "white")
    draw = ImageDraw.Draw(image)
    for i in range(strokes):
        draw.line([(20 + i * 40, 150), (200 + i * 60, 40), (380 + i * 30, 160)], fill=(10, 10, 10, 255), width=6)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"
