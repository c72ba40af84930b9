"""Hand-over mode (交给客户签字): a staff member gives their own signed-in tablet to the customer.

While the session carries the hand-over mark, a hook lets through only the signing screen of that
one receipt, the thank-you screen, the customer's language switch, static files and the staff
unlock; every other address shows the locked screen, without navigation. Getting back to the staff
screen takes the staff member's password (attempts limited like the sign-in). The staff session
itself stays signed in throughout.
"""
from __future__ import annotations

from typing import Any

from flask import (abort, current_app, flash, g, has_request_context, make_response, redirect, request, session,
                   url_for)
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from portal.accounts.services import authenticate
from portal.core import htmx
from portal.core.access import roles
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.roles import Role
from portal.core.web import get_or_404, safe_next
from portal.extensions import limiter
from portal.receipts import bp, services
from portal.receipts.models import ReceiptState, RepairReceipt
from portal.repairs.actions import Step, register_link
from portal.repairs.models import CaseState, RepairCase
from portal.repairs.services import ensure_can_work_on

SESSION_KEY = "handover"
SIGNERS = frozenset({Role.technician, Role.clerk, Role.manager})
# Always reachable while handed over (besides the signing screen of the one receipt).
OPEN_WHILE_HANDED_OVER = frozenset({"static", "receipts.handover_locked", "receipts.handover_unlock",
                                    "receipts.handover_thanks", "receipts.handover_language"})
RECEIPT_ENDPOINTS = frozenset({"receipts.sign", "receipts.signed"})
LOCKED_STATUS = 423


class UnlockForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class HandoverLanguageForm(FlaskForm):
    lang = StringField(validators=[DataRequired(), Length(max=8)])
    next = HiddenField()


# --- the mark in the session ---------------------------------------------------------------------

def handover_start(*, receipt: RepairReceipt, actor: Any) -> dict[str, Any]:
    """Check the receipt can be signed by the customer now; return the session mark."""
    services.ensure_can_see(receipt, actor)
    services.ensure_signable(receipt)
    locale = get_locale()
    lang = "zh_CN" if locale is None or locale.language == "zh" else str(locale)
    return {"receipt_id": receipt.id, "user_id": actor.id, "lang": lang, "signed": False}


def active_handover() -> dict[str, Any] | None:
    """The mark, if this session is handed over by the user signed in on it."""
    state = session.get(SESSION_KEY)
    if not state:
        return None
    if not current_user.is_authenticated or current_user.id != state.get("user_id"):
        return None
    return state


def signing_device() -> str:
    """What the signature record says about the device: the staff member's own tablet, or the same
    tablet handed to the customer."""
    return "staff tablet, handed over" if active_handover() else "staff tablet"


def _update(**changes: Any) -> None:
    session[SESSION_KEY] = {**session[SESSION_KEY], **changes}


def _use_locale(lang: str) -> None:
    """The customer's language for the rest of this request (the staff member's own preference
    is left alone). flask_babel keeps the forced locale until the manager exits, so keep it on g."""
    manager = force_locale(lang)
    manager.__enter__()
    g.handover_locale = manager


def _locked():
    if htmx.is_htmx():
        return htmx.redirect(url_for("receipts.handover_locked"))
    return _locked_page(UnlockForm(formdata=None), status=LOCKED_STATUS)


def _locked_page(form: UnlockForm, *, status: int = 200):
    state = active_handover()
    receipt = services.get_receipt(state["receipt_id"])
    return htmx.render("receipts/handover_locked.html", status=status, receipt=receipt, unlock_form=form,
                       signed=state.get("signed") or (receipt is not None and receipt.state is not ReceiptState.ready))


@bp.before_app_request
def guard():
    state = session.get(SESSION_KEY)
    if not state:
        return None
    if active_handover() is None:  # signed out, or another user on this browser: the mark is stale
        session.pop(SESSION_KEY, None)
        return None
    if state.get("lang") in LANGUAGE_NAMES:
        _use_locale(state["lang"])
    endpoint = request.endpoint
    if endpoint is None or endpoint in OPEN_WHILE_HANDED_OVER:
        return None
    if endpoint in RECEIPT_ENDPOINTS and (request.view_args or {}).get("receipt_id") == state["receipt_id"]:
        if endpoint == "receipts.signed" or (state.get("signed") and request.method == "GET"):
            return redirect(url_for("receipts.handover_thanks"))
        return None
    return _locked()


@bp.app_context_processor
def _handover_context():
    state = active_handover() if has_request_context() else None
    return {"handover": state, "bare": True} if state else {"handover": None}


# --- on the case page, next to "Customer signs the receipt" ---------------------------------------

def _case_url(case) -> str:
    return url_for("receipts.handover_case", case_id=case.id)


register_link(Step(target=CaseState.signed, label=_l("Hand over to the customer"), roles=frozenset({Role.technician}),
                   own_job_only=True, method="post", url=_case_url))
register_link(Step(target=CaseState.signed, label=_l("Hand over to the customer"),
                   roles=frozenset({Role.clerk, Role.manager}), method="post", url=_case_url))


# --- views ----------------------------------------------------------------------------------------

def _start(receipt: RepairReceipt):
    session[SESSION_KEY] = handover_start(receipt=receipt, actor=current_user._get_current_object())
    target = url_for("receipts.sign", receipt_id=receipt.id)
    if not htmx.is_htmx():
        return redirect(target, code=303)
    response = make_response("", 200)  # a full page load: the signing screen brings its own script
    response.headers["HX-Redirect"] = target
    return response


@bp.post("/<int:receipt_id>/handover")
@roles(SIGNERS)
def handover(receipt_id: int):
    return _start(get_or_404(RepairReceipt, receipt_id))


@bp.post("/case/<int:case_id>/handover")
@roles(SIGNERS)
def handover_case(case_id: int):
    case = get_or_404(RepairCase, case_id)
    ensure_can_work_on(case, current_user)
    receipt = services.open_receipt_for(case)
    if receipt is None:
        return htmx.redirect(url_for("repairs.show", case_id=case.id))
    return _start(receipt)


@bp.get("/handover")
@roles(SIGNERS)
def handover_locked():
    if active_handover() is None:
        return _not_handed_over()
    return _locked_page(UnlockForm(formdata=None))


def _unlock_key() -> str:
    return f"handover-unlock:{getattr(current_user, 'id', '-')}|{request.remote_addr}"


def _unlock_breached(_limit):
    form = UnlockForm(formdata=None)
    form.form_errors.append(_("Too many wrong passwords. Try again in 15 minutes."))
    return _locked_page(form, status=429)


def _password_ok(password: str) -> bool:
    return authenticate(username=current_user.username, password=password)[1]


@bp.post("/handover/unlock")
@roles(SIGNERS)
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMIT"], key_func=_unlock_key, methods=["POST"],
               deduct_when=lambda response: g.get("unlock_failed", False), on_breach=_unlock_breached)
def handover_unlock():
    if active_handover() is None:
        return _not_handed_over()
    form = UnlockForm()
    if not form.validate_on_submit() or not _password_ok(form.password.data):
        g.unlock_failed = form.is_submitted() and bool(form.password.data)
        form.form_errors.append(_("Wrong password: only the staff member who handed the tablet over can unlock it."))
        return _locked_page(form, status=htmx.VALIDATION_STATUS)
    receipt_id = session.pop(SESSION_KEY)["receipt_id"]
    receipt = services.get_receipt(receipt_id)
    signed = receipt is not None and receipt.state is ReceiptState.signed
    flash(_("Back on the staff screen."), "info")
    return htmx.redirect(url_for("receipts.signed" if signed else "receipts.show", receipt_id=receipt_id))


@bp.get("/handover/thanks")
@roles(SIGNERS)
def handover_thanks():
    state = active_handover()
    if state is None:
        return _not_handed_over()
    receipt = get_or_404(RepairReceipt, state["receipt_id"])
    if receipt.state is not ReceiptState.signed:
        return redirect(url_for("receipts.handover_locked"))
    _update(signed=True)
    return htmx.render("receipts/handover_thanks.html", receipt=receipt, signature=services.signature_for(receipt))


@bp.post("/handover/language")
@roles(SIGNERS)
def handover_language():
    """The customer's language switch: only for this hand-over, the staff member's preference stays."""
    form = HandoverLanguageForm()
    if active_handover() is not None and form.validate() and form.lang.data in LANGUAGE_NAMES:
        _update(lang=form.lang.data)
    return htmx.redirect(safe_next(form.next.data, url_for("receipts.handover_locked")))


def _not_handed_over():
    abort(404)  # no hand-over in progress on this browser
