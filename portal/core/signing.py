"""Signing any document in one transaction: the customer's signature stored, the final PDF rendered
once with the signature, a QR code and a short verification code, written atomically into the
archive with its SHA-256.

Each family keeps its own checks and state changes (a receipt goes ready → signed, a goods receipt
taken in …) and calls sign_and_archive() for the part every signed document shares. The caller locks
and checks its document first, so of two concurrent signatures the second finds it signed (409).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask_babel import gettext as _

from portal.core.errors import ValidationFailed
from portal.core.models import Signature

RATINGS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}

# render(signature, verification) → PDF bytes; verification = {code, url, url_short, qr}
Render = Callable[[Signature, dict[str, str]], bytes]
VerifyURL = Callable[[str, str], str]


@dataclass(frozen=True)
class Signed:
    signature: Signature
    document: Any  # portal.archive.models.ArchivedDocument


def check_signing_fields(*, signer_name: str, rating: int | None, rating_required: bool,
                         signer_message: str | None = None) -> None:
    """The fields every signing form has: a signer's name, and a rating where one is asked for."""
    errors: dict[str, list[str]] = {}
    if not (signer_name or "").strip():
        errors["signer_name"] = [signer_message or _("Enter the name of the customer's person who signs.")]
    if rating_required and rating not in RATINGS:
        errors["rating"] = [_("Choose how satisfied the customer is.")]
    if not rating_required and rating is not None and rating not in RATINGS:
        errors["rating"] = [_("Choose how satisfied the customer is.")]
    if errors:
        raise ValidationFailed(_("Please complete the signing form."), errors=errors)


def sign_and_archive(*, document_type: str, document_id: int, number: str, customer: Any, technician_id: int | None,
                     signer_name: str, rating: int | None, comment: str, image: Any, address: str | None,
                     user_agent: str, device: str, staff: Any, verify_url: VerifyURL, render: Render,
                     note: str = "") -> Signed:
    """Store the signature and archive the PDF `render` makes with it. `image` is a
    portal.core.signatures.SignatureImage; `verify_url(number, code)` is the address in the QR code.
    Flushes; the request's single commit makes it final (a rollback removes the written file)."""
    from portal.archive import services as archive
    from portal.extensions import db

    signature = Signature(document_type=document_type, document_id=document_id, signer_name=signer_name.strip()[:60],
                          rating=rating, comment=(comment or "").strip()[:500], image=image.data,
                          image_type=image.mime, is_seal=image.is_seal, strokes=image.strokes,
                          address=(address or "")[:64] or None, user_agent=(user_agent or "")[:300],
                          device=device[:60], staff_id=getattr(staff, "id", None))
    db.session.add(signature)
    db.session.flush()
    code = archive.new_code()
    url = verify_url(number, code)
    verification = {"code": code, "url": url, "url_short": url.split("?")[0], "qr": archive.qr_svg_data_url(url)}
    document = archive.store(data=render(signature, verification), document_type=document_type,
                             document_id=document_id, number=number, code=code, customer=customer,
                             technician_id=technician_id, signed_at=signature.signed_at, note=note)
    return Signed(signature=signature, document=document)


def signature_for(document_type: str, document_id: int) -> Signature | None:
    from sqlalchemy import select

    from portal.extensions import db

    return db.session.scalar(select(Signature).where(Signature.document_type == document_type,
                                                     Signature.document_id == document_id))
