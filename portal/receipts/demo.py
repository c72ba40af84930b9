"""Demo signatures: the demo's ready receipts signed by their customers, archived, and the cases
moved on by the office, spread over the same three months as the demo cases.

Every receipt is signed through receipts.services.receipt_sign with the portal's clock travelled
to a few minutes after the job was finished, so the final PDF is rendered and archived (into
ARCHIVE_DIR) exactly as on a tablet: the customer's person, a rating, a comment, a hand-drawn
signature or now and then a photo of the company seal. The three most recent ready receipts stay
unsigned, for someone to sign in the demo. Never commits: the caller does.
"""
from __future__ import annotations

import io
import json
import math
import random
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from portal.archive import services as archive_services
from portal.accounts.models import User
from portal.core.models import Signature
from portal.core.signatures import drawn_signature, seal_photo
from portal.core.timeutil import as_local, travel, utcnow
from portal.extensions import db
from portal.receipts import services
from portal.receipts.models import ReceiptState, RepairReceipt
from portal.repairs.models import CaseState
from portal.repairs.services import case_transition

LEAVE_READY = 3
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (56, 29, 10, 3, 2)
COMMENTS = {
    5: ["师傅很专业，修得又快又好", "准时上门，服务态度很好", "讲解很细致，谢谢师傅", "很满意", "收费透明，满意",
        "", "", ""],
    4: ["修好了，就是等得稍久", "师傅不错，下次上门前请提前电话", "还可以，收费清楚", "", ""],
    3: ["上门比约好的时间晚了一个小时", "一般，希望配件一次带齐", "修好了，但等了两天"],
    2: ["第二次上门才修好", "收费有点贵"],
    1: ["约了两次都没按时来", "修完第二天又出同样的问题"],
}
USER_AGENT = ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36")
PAD = (880, 300)  # the signature pad's canvas at device pixel ratio 2
INK = (16, 18, 48, 255)


def load_signature_demo(*, seed: int = 2026, base_url: str = "http://127.0.0.1:5000") -> int:
    """Sign the demo's ready receipts (all but the 3 most recent) when nothing is signed yet, then
    archive some of the signed cases and mark some due for their follow-up call. Returns how many
    receipts were signed. `base_url` is the portal's address printed under the QR codes."""
    if db.session.scalar(select(func.count(Signature.id))):
        return 0
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    ready = list(db.session.scalars(select(RepairReceipt).where(RepairReceipt.state == ReceiptState.ready)
                                    .order_by(RepairReceipt.finished_at, RepairReceipt.id)))
    to_sign = ready[:-LEAVE_READY] if len(ready) > LEAVE_READY else []
    if not to_sign:
        return 0
    rng, now = random.Random(seed), utcnow()  # nosec B311  # demo data: seeded on purpose, no secrets
    signed: list[RepairReceipt] = []
    with current_app.test_request_context("/", base_url=base_url):  # url_for(_external=True) → base_url
        for receipt in to_sign:
            if receipt.case.state is CaseState.awaiting_signature and _sign(receipt, rng=rng, now=now):
                signed.append(receipt)
        if len(signed) > 4:
            _void_and_amend(signed.pop(len(signed) // 2))
    if clerk is not None:
        for receipt in signed:
            _move_on(receipt, clerk=clerk, rng=rng, now=now)
    return len(signed)


def _void_and_amend(receipt: RepairReceipt) -> None:
    """One signed receipt the manager voided (a part was charged twice) and re-issued as a draft
    correction, so the archive shows a void version and an amendment."""
    from portal.core.roles import Role
    from portal.core.timeutil import as_local, travel
    from portal.receipts.corrections import void_and_correct
    manager = db.session.scalar(select(User).where(User.role == Role.manager, User.active.is_(True)).limit(1))
    if manager is None:
        return
    with travel(as_local(receipt.signed_at) + timedelta(hours=20)):
        void_and_correct(receipt=receipt, reason="收费明细中点火针重复计入一次，作废后重开更正单", amend=True,
                         actor=manager, verify_url=archive_services.verification_url)



def _sign(receipt: RepairReceipt, *, rng: random.Random, now: datetime) -> bool:
    moment = as_local(receipt.finished_at) + timedelta(minutes=rng.uniform(2, 12))
    if moment > now - timedelta(minutes=1):
        return False
    customer = receipt.case.customer
    contacts = customer.contacts
    signer = contacts[0] if len(contacts) == 1 or rng.random() < 0.7 else rng.choice(contacts[1:])
    rating = rng.choices(RATINGS, weights=RATING_WEIGHTS)[0]
    if customer.is_organisation and rng.random() < 0.12:
        image = seal_photo(seal_png(customer.name, rng))
    else:
        png, strokes = signature_scribble(rng, characters=max(2, min(len(signer.name), 3)))
        image = drawn_signature("data:image/png;base64," + _b64(png), json.dumps(strokes))
    with travel(moment):
        services.receipt_sign(receipt=receipt, signer_name=signer.name, rating=rating,
                              comment=rng.choice(COMMENTS[rating]), image=image,
                              address=f"192.168.10.{20 + (receipt.technician_id or 0) % 200}",
                              user_agent=USER_AGENT, device="staff tablet", staff=receipt.technician,
                              verify_url=archive_services.verification_url)
    return True


def _office_time(moment: datetime, rng: random.Random) -> datetime:
    """The next moment the office is at work (8:30–17:30 local)."""
    local = as_local(moment)
    if local.hour < 8 or (local.hour == 8 and local.minute < 30):
        local = local.replace(hour=8, minute=30) + timedelta(minutes=rng.uniform(0, 90))
    elif local.hour >= 17 and (local.hour > 17 or local.minute >= 30):
        local = (local + timedelta(days=1)).replace(hour=8, minute=30) + timedelta(minutes=rng.uniform(0, 90))
    return local


def _move_on(receipt: RepairReceipt, *, clerk: Any, rng: random.Random, now: datetime) -> None:
    """The clerk files the signed receipt (archived) a few hours to two days later; once the
    follow-up time has passed, most filed cases are marked due for the follow-up call."""
    case = receipt.case
    signed_at = as_local(case.signed_at)
    if signed_at is None or now - signed_at < timedelta(days=2) or rng.random() < 0.15:
        return
    filed = _office_time(signed_at + timedelta(hours=rng.uniform(2, 40)), rng)
    if filed > now - timedelta(minutes=1):
        return
    with travel(filed):
        case_transition(case=case, target=CaseState.archived, actor=clerk, note="回执单已归档")
    due = as_local(case.followup_due_at) if case.followup_due_at else None
    if due is None or rng.random() < 0.35:
        return
    moment = _office_time(max(due, filed) + timedelta(minutes=rng.uniform(5, 240)), rng)
    if moment > now - timedelta(minutes=1):
        return
    with travel(moment):
        case_transition(case=case, target=CaseState.followup_due, actor=clerk)


# --- images -----------------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    import base64
    return base64.b64encode(data).decode()


def _curve(points: list[tuple[float, float]], steps: int = 6) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through the points, so strokes look drawn rather than ruled."""
    if len(points) < 3:
        return points
    padded = [points[0], *points, points[-1]]
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        for s in range(steps):
            t = s / steps
            out.append(tuple(0.5 * (2 * p1[k] + (-p0[k] + p2[k]) * t + (2 * p0[k] - 5 * p1[k] + 4 * p2[k] - p3[k]) * t * t
                                    + (-p0[k] + 3 * p1[k] - 3 * p2[k] + p3[k]) * t ** 3) for k in (0, 1)))
    out.append(points[-1])
    return out


def signature_scribble(rng: random.Random, *, characters: int = 3) -> tuple[bytes, list[dict[str, Any]]]:
    """A quick hand-written Chinese name: one cluster of strokes per character, slanted, with a
    flourish now and then. Returns the PNG (transparent, like the pad's) and signature_pad strokes."""
    from PIL import Image, ImageDraw

    width, height = PAD
    image = Image.new("RGBA", PAD, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    size = rng.uniform(150, 210) * (1 if characters < 3 else 0.85)
    slant = rng.uniform(0.1, 0.35)
    x = rng.uniform(40, 120)
    baseline = rng.uniform(height * 0.78, height * 0.9)
    clock = rng.randint(0, 400)
    strokes: list[dict[str, Any]] = []
    pen = rng.uniform(4.0, 6.5)
    for _char in range(characters):
        # One or two quick connected strokes per character (连笔): sweeps across and down, a loop now and then.
        top, w, h = baseline - size, size * rng.uniform(0.6, 0.85), size
        px, py = x + rng.uniform(0, w * 0.3), top + rng.uniform(0, h * 0.3)
        control = [(px, py)]
        for k in range(rng.randint(6, 10)):
            if k % 2 == 0:  # across
                px, py = x + rng.uniform(0, w), py + rng.uniform(-h * 0.12, h * 0.12)
            else:  # down or up
                px, py = px + rng.uniform(-w * 0.15, w * 0.15), top + rng.uniform(0, h)
            if rng.random() < 0.15:
                r = size * rng.uniform(0.06, 0.12)
                control += [(px + r * math.cos(a), py + r * math.sin(a)) for a in (0, 2.1, 4.2)]
            control.append((px, py))
        cut = rng.randint(3, len(control) - 3) if rng.random() < 0.5 else len(control)
        for part in (control[:cut], control[cut - 1:]):
            if len(part) < 2:
                continue
            pts = [(cx + (baseline - cy) * slant + rng.uniform(-2, 2), cy) for cx, cy in part]
            pts = [(min(max(cx, 8), width - 8), min(max(cy, 8), height - 8)) for cx, cy in pts]
            line = _curve(pts)
            draw.line(line, fill=INK, width=round(pen + rng.uniform(-1, 1)), joint="curve")
            points = []
            for lx, ly in line:
                clock += rng.randint(6, 16)
                points.append({"x": round(lx / 2, 1), "y": round(ly / 2, 1), "time": clock, "pressure": 0.5})
            clock += rng.randint(80, 250)
            strokes.append({"penColor": "rgb(16, 18, 48)", "dotSize": 0, "minWidth": 1, "maxWidth": 3.2,
                            "velocityFilterWeight": 0.7, "compositeOperation": "source-over", "points": points})
        x += w + size * rng.uniform(0.05, 0.2)
    if rng.random() < 0.4:  # a closing flourish under the name
        y = min(baseline + rng.uniform(10, 30), height - 14)
        flourish = _curve([(80, y), (x * 0.5, y + rng.uniform(3, 8)), (min(x + 40, width - 10), y - rng.uniform(10, 40))])
        draw.line(flourish, fill=INK, width=round(pen - 1), joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue(), strokes


def seal_png(company: str, rng: random.Random) -> bytes:
    """A photo of a round company seal imprint (公章): red ring, star, the name around the top."""
    from PIL import Image, ImageDraw, ImageFilter

    side, red = 420, (200, 30, 35)
    image = Image.new("RGB", (side, side), (246, 243, 236))
    ink = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(ink)
    c, r = side / 2, side / 2 - 30
    draw.ellipse((c - r, c - r, c + r, c + r), outline=255, width=11)
    star = [(c + 52 * math.cos(math.pi / 2 + i * 4 * math.pi / 5), c - 52 * math.sin(math.pi / 2 + i * 4 * math.pi / 5))
            for i in range(5)]
    draw.polygon(star, fill=255)
    font = _cjk_font(34)
    if font is not None:
        text = company[:16]
        span = math.radians(min(250, 22 * len(text)))
        for i, char in enumerate(text):
            angle = math.pi / 2 + span / 2 - span * (i + 0.5) / len(text)
            glyph = Image.new("L", (44, 44), 0)
            ImageDraw.Draw(glyph).text((22, 22), char, font=font, fill=255, anchor="mm")
            glyph = glyph.rotate(math.degrees(angle - math.pi / 2), resample=Image.BICUBIC)
            gx, gy = c + (r - 38) * math.cos(angle), c - (r - 38) * math.sin(angle)
            ink.paste(255, (round(gx - 22), round(gy - 22)), glyph)
        ImageDraw.Draw(ink).text((c, c + 92), "业务专用章", font=_cjk_font(26), fill=255, anchor="mm")
    # Uneven pressure and paper: some specks lighter, a slight blur, a slight tilt.
    noise = Image.effect_noise((side, side), 60).point(lambda v: 255 if v > 70 else 140)
    ink = Image.composite(ink, Image.new("L", (side, side), 0), noise).filter(ImageFilter.GaussianBlur(0.8))
    image.paste(Image.new("RGB", (side, side), red), (0, 0), ink)
    image = image.rotate(rng.uniform(-12, 12), resample=Image.BICUBIC, fillcolor=(246, 243, 236))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def _cjk_font(size: int):
    from PIL import ImageFont
    for name, index in (("NotoSansCJK-Bold.ttc", 2), ("NotoSerifCJK-Bold.ttc", 2), ("NotoSansCJK-Regular.ttc", 2)):
        try:
            return ImageFont.truetype(name, size, index=index)
        except OSError:
            continue
    return None

