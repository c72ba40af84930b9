"""Counter kiosks: a tablet paired by an administrator shows, on its idle screen, the one document
a clerk sends it for signing, and nothing else.

The device proves it is the kiosk with a random token in a long-lived HttpOnly cookie; only the
token's SHA-256 is stored, so revoking the kiosk (or losing the database) never reveals it. The
clerk's KioskRequest goes waiting → shown (the kiosk picked it up) → signed or cancelled.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable

from flask import url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from portal.archive.models import Kiosk, KioskRequest, KioskRequestState
from portal.core import audit
from portal.core.errors import DomainError, ValidationFailed
from portal.core.timeutil import utcnow
from portal.extensions import db

COOKIE = "portal_kiosk"
COOKIE_MAX_AGE = int(timedelta(days=400).total_seconds())  # the longest a browser keeps a cookie
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often (the kiosk polls every 2 s)
ACTIVE = (KioskRequestState.waiting, KioskRequestState.shown)
NAME_MAX = 40


# --- what a kiosk can show: one adapter per signable document type --------------------------------

@dataclass(frozen=True)
class Signable:
    """How the kiosk finds, shows and signs one type of document."""
    label: Any
    load: Callable[[int], Any]
    signable: Callable[[Any], bool]
    template: str  # the read-only document, included on the kiosk's signing screen
    sign: Callable[..., Any]
    pdf_url: Callable[[Any], str]
    page_url: Callable[[Any], str]
    form: Callable[..., Any] | None = None  # a portal.core.forms.SignatureForm subclass; None: the receipt's
    intro: Any = None  # what the customer is asked to do, above the document; None: read, rate and sign


def _receipt_adapter() -> Signable:
    from portal.receipts import services as receipts
    from portal.receipts.models import ReceiptState

    def sign(document, **kwargs):
        return receipts.receipt_sign(receipt=document, **kwargs)

    from portal.receipts.forms import SignForm

    return Signable(label=_l("Repair service receipt"), load=receipts.get_receipt, form=SignForm,
                    signable=lambda receipt: receipt.state is ReceiptState.ready,
                    template="receipts/_kiosk_document.html", sign=sign,
                    pdf_url=lambda receipt: url_for("receipts.pdf", receipt_id=receipt.id),
                    page_url=lambda receipt: url_for("receipts.show", receipt_id=receipt.id))


ADAPTERS: dict[str, Callable[[], Signable]] = {"repair_receipt": _receipt_adapter}


def adapter(document_type: str) -> Signable | None:
    make = ADAPTERS.get(document_type)
    return make() if make else None


def document_of(request: KioskRequest) -> Any:
    kind = adapter(request.document_type)
    return kind.load(request.document_id) if kind else None


# --- pairing ----------------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def kiosks_list() -> list[tuple[Kiosk, Any]]:
    """Every kiosk, active first, with the administrator who paired it."""
    from portal.accounts.models import User
    rows = db.session.execute(select(Kiosk, User).outerjoin(User, User.id == Kiosk.paired_by_id)
                              .order_by(Kiosk.active.desc(), Kiosk.name))
    return [(kiosk, user) for kiosk, user in rows]


def active_kiosks() -> list[Kiosk]:
    return list(db.session.scalars(select(Kiosk).where(Kiosk.active.is_(True)).order_by(Kiosk.name)))


def kiosk_for_token(token: str | None) -> Kiosk | None:
    """The active kiosk whose token the device presents; None for no, unknown or revoked tokens."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(select(Kiosk).where(Kiosk.token_hash == token_hash(token), Kiosk.active.is_(True)))


def kiosk_pair(*, name: str, actor: Any, replacing: Kiosk | None = None) -> tuple[Kiosk, str]:
    """Pair the device the administrator is on as kiosk `name`; returns the kiosk and the token
    for the device's cookie (never stored). A revoked kiosk's name is reused by the new device;
    `replacing` is the kiosk this device was paired as until now, revoked unless it is the same."""
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        message = _("Give the kiosk a name of at most %(n)s characters, e.g. 前台平板1.", n=NAME_MAX)
        raise ValidationFailed(message, errors={"name": [message]})
    kiosk = db.session.scalar(select(Kiosk).where(Kiosk.name == name).with_for_update())
    if kiosk is not None and kiosk.active and kiosk is not replacing:
        message = _("A kiosk named %(name)s is paired already. Revoke it first, or choose another name.", name=name)
        raise ValidationFailed(message, errors={"name": [message]})
    if replacing is not None and replacing is not kiosk:
        kiosk_revoke(kiosk=replacing, actor=actor, note=_("this device was paired again as %(name)s", name=name))
    token = secrets.token_urlsafe(32)
    if kiosk is None:
        kiosk = Kiosk(name=name, token_hash=token_hash(token), active=True, paired_by_id=actor.id, paired_at=utcnow())
        db.session.add(kiosk)
    else:
        kiosk.token_hash, kiosk.active, kiosk.paired_by_id = token_hash(token), True, actor.id
        kiosk.paired_at, kiosk.revoked_at, kiosk.last_seen_at = utcnow(), None, None
    db.session.flush()
    audit.record("kiosk.paired", kiosk, actor=actor)
    return kiosk, token


def kiosk_revoke(*, kiosk: Kiosk, actor: Any, note: str | None = None) -> Kiosk:
    """The device's token stops working at once; what was waiting on it is cancelled."""
    if not kiosk.active:
        raise DomainError(_("Kiosk %(name)s is revoked already.", name=kiosk.name))
    kiosk.active, kiosk.revoked_at = False, utcnow()
    for request in active_requests(kiosk):
        _finish(request, KioskRequestState.cancelled, actor=actor, note=_("kiosk revoked"))
    db.session.flush()
    audit.record("kiosk.revoked", kiosk, actor=actor, note=note)
    return kiosk


def kiosk_seen(kiosk: Kiosk) -> None:
    now = utcnow()
    if kiosk.last_seen_at is None or now - kiosk.last_seen_at > SEEN_EVERY:
        kiosk.last_seen_at = now


# --- requests ----------------------------------------------------------------------------------------

def active_requests(kiosk: Kiosk) -> list[KioskRequest]:
    return list(db.session.scalars(select(KioskRequest).where(KioskRequest.kiosk_id == kiosk.id,
                                                              KioskRequest.state.in_(ACTIVE))
                                   .order_by(KioskRequest.id)))


def latest_request(document_type: str, document_id: int) -> KioskRequest | None:
    return db.session.scalar(select(KioskRequest).where(KioskRequest.document_type == document_type,
                                                        KioskRequest.document_id == document_id)
                             .order_by(KioskRequest.id.desc()).limit(1))


def _finish(request: KioskRequest, state: KioskRequestState, *, actor: Any, note: str | None = None) -> None:
    audit.record(f"kiosk_request.{state.value}", request, actor=actor,
                 changes={"state": [request.state.value, state.value]}, note=note)
    request.state, request.finished_at = state, utcnow()
    db.session.flush()


def kiosk_send(*, kiosk: Kiosk | None, document_type: str, document_id: int, actor: Any) -> KioskRequest:
    """A clerk sends a complete document to a kiosk; the kiosk shows one document at a time."""
    kind = adapter(document_type)
    document = kind.load(document_id) if kind else None
    if document is None:
        raise DomainError(_("There is no such document."))
    if not kind.signable(document):
        raise DomainError(_("Only a complete document, ready for signature, can be sent to a kiosk."))
    if kiosk is None or not kiosk.active:
        raise ValidationFailed(_("Choose a paired kiosk."), errors={"kiosk_id": [_("Choose a paired kiosk.")]})
    db.session.refresh(kiosk, with_for_update=True)  # two clerks sending at once: one waits for the other
    busy = active_requests(kiosk)
    if busy:
        message = _("%(kiosk)s is busy with %(number)s. Wait until it is signed, or withdraw it.",
                    kiosk=kiosk.name, number=getattr(document_of(busy[0]), "number", "?"))
        raise ValidationFailed(message, errors={"kiosk_id": [message]})
    pending = latest_request(document_type, document_id)
    if pending is not None and pending.state in ACTIVE:
        message = _("This document is on kiosk %(kiosk)s already.", kiosk=pending.kiosk.name)
        raise ValidationFailed(message, errors={"kiosk_id": [message]})
    request = KioskRequest(kiosk_id=kiosk.id, document_type=document_type, document_id=document_id,
                           state=KioskRequestState.waiting, sent_by_id=actor.id, sent_at=utcnow())
    db.session.add(request)
    db.session.flush()
    audit.record("kiosk_request.created", request, actor=actor,
                 note=f"{getattr(document, 'number', document_id)} → {kiosk.name}")
    return request


def current_request(kiosk: Kiosk) -> KioskRequest | None:
    """What the kiosk shows now (marking a waiting request shown). A document that cannot be
    signed any more (reopened as a draft, signed elsewhere) is taken off the kiosk."""
    for request in active_requests(kiosk):
        document = document_of(request)
        kind = adapter(request.document_type)
        if document is None or not kind.signable(document):
            _finish(request, KioskRequestState.cancelled, actor=None, note=_("no longer ready for signature"))
            continue
        if request.state is KioskRequestState.waiting:
            request.state = KioskRequestState.shown
            db.session.flush()
        return request
    return None


def _lock_active(request: KioskRequest) -> None:
    db.session.refresh(request, with_for_update=True)
    if request.state not in ACTIVE:
        raise DomainError(_("This document was taken off the kiosk (%(state)s).", state=request.state.label))


def kiosk_sign(*, request: KioskRequest, signer_name: str, rating: int | None, comment: str, image: Any,
               address: str | None, user_agent: str, verify_url: Any) -> Any:
    """The customer signs on the kiosk: the document's own signing service, with the kiosk as the
    device and the clerk who sent it as the staff member present; then the request is done."""
    _lock_active(request)
    document = document_of(request)
    archived = adapter(request.document_type).sign(
        document, signer_name=signer_name, rating=rating, comment=comment, image=image, address=address,
        user_agent=user_agent, device=request.kiosk.name, staff=request.sent_by, verify_url=verify_url)
    _finish(request, KioskRequestState.signed, actor=request.sent_by, note=request.kiosk.name)
    return archived


def kiosk_cancel(*, request: KioskRequest) -> None:
    """The customer pressed Cancel on the kiosk."""
    _lock_active(request)
    _finish(request, KioskRequestState.cancelled, actor=None, note=_("cancelled on kiosk %(kiosk)s",
                                                                      kiosk=request.kiosk.name))


def request_withdraw(*, request: KioskRequest, actor: Any) -> None:
    """The clerk takes the document off the kiosk again."""
    _lock_active(request)
    _finish(request, KioskRequestState.cancelled, actor=actor, note=_("withdrawn"))
