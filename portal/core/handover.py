"""Hand-over mode (交给客户签字): a staff member gives their own signed-in tablet to the customer to
sign one document (a repair receipt, a goods receipt at the take-in or the hand-back, a return slip).

While the session carries the hand-over mark, a hook lets through only the signing screen of that
one document (and what that screen loads, such as its photos), the thank-you screen, the
customer's language switch, static files and the staff unlock; every other address shows the
locked screen, without navigation. Getting back to the staff screen takes the staff member's
password (attempts limited like the sign-in). The staff session itself stays signed in throughout.

Each family registers a `Kind` for its document type and offers its own "Hand over" button, whose
view calls `start()`. The shared screens are mounted once on the receipts blueprint (`mount`),
where hand-over mode was first built, so their addresses stay /receipts/handover/….
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import (Blueprint, abort, current_app, flash, g, has_request_context, make_response, redirect, request,
                   session, url_for)
from flask_babel import force_locale, get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from portal.core import htmx
from portal.core.access import roles
from portal.core.i18n import LANGUAGE_NAMES
from portal.core.roles import Role
from portal.core.web import done, safe_next
from portal.extensions import limiter

SESSION_KEY = "handover"
SIGNERS = frozenset({Role.technician, Role.clerk, Role.manager})
LOCKED_STATUS = 423
DEVICE = "staff tablet, handed over"


@dataclass(frozen=True)
class Kind:
    """How one type of document is signed in hand-over mode."""
    name: Any                          # shown to the customer: "Goods receipt SJ-2026-000001 is signed …"
    id_arg: str                        # the signing screen's view argument that names the document
    load: Callable[[int], Any]
    check: Callable[[Any, Any], None]  # (document, actor): aborts or raises unless the customer may sign it now
    sign_endpoint: str                 # GET shows the signing screen, POST signs
    is_signed: Callable[[Any], bool]
    signature: Callable[[Any], Any]
    staff_url: Callable[[Any], str]    # where the unlock takes the staff member back to
    # Other endpoints of the same document the signing screen needs (its photos, say).
    also_open: frozenset[str] = frozenset()
    # Staff pages a successful signature redirects to: they show the thank-you screen instead.
    after_signing: frozenset[str] = frozenset()


KINDS: dict[str, Kind] = {}
# The shared screens' endpoints, set by mount().
SCREENS: dict[str, str] = {}


def register(document_type: str, kind: Kind) -> None:
    KINDS[document_type] = kind


class UnlockForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class HandoverLanguageForm(FlaskForm):
    lang = StringField(validators=[DataRequired(), Length(max=8)])
    next = HiddenField()


# --- the mark in the session ---------------------------------------------------------------------

def mark_for(document_type: str, document: Any, actor: Any) -> dict[str, Any]:
    """Check the document can be signed by the customer now; return the session mark. The id is
    kept under the signing screen's own argument name, so the guard compares like with like."""
    kind = KINDS[document_type]
    kind.check(document, actor)
    locale = get_locale()
    lang = "zh_CN" if locale is None or locale.language == "zh" else str(locale)
    return {"type": document_type, kind.id_arg: document.id, "user_id": actor.id, "lang": lang, "signed": False}


def active_handover() -> dict[str, Any] | None:
    """The mark, if this session is handed over by the user signed in on it."""
    state = session.get(SESSION_KEY)
    if not state:
        return None
    if not current_user.is_authenticated or current_user.id != state.get("user_id"):
        return None
    return state


def _kind(state: dict[str, Any]) -> Kind:
    return KINDS[state.get("type", "repair_receipt")]


def _document_id(state: dict[str, Any]) -> int | None:
    return state.get(_kind(state).id_arg)


def _document(state: dict[str, Any]) -> Any:
    return _kind(state).load(_document_id(state))


def signing_device(default: str = "staff tablet") -> str:
    """What the signature record says about the device: the staff member's own device, or the same
    tablet handed to the customer."""
    return DEVICE if active_handover() else default


def thanks_url() -> str:
    return url_for(SCREENS["thanks"])


def after_signing(url: str, message: str | None = None):
    """Finish a signing POST: the thank-you screen in hand-over mode (no staff message for the
    customer to read), else the staff page with its message."""
    if active_handover():
        return done(thanks_url())
    return done(url, message)


def start(document_type: str, document: Any):
    """The "Hand over" button: set the mark and open the signing screen as a full page load (the
    signing screen brings its own script)."""
    kind = KINDS[document_type]
    session[SESSION_KEY] = mark_for(document_type, document, current_user._get_current_object())
    target = url_for(kind.sign_endpoint, **{kind.id_arg: document.id})
    if not htmx.is_htmx():
        return redirect(target, code=303)
    response = make_response("", 200)
    response.headers["HX-Redirect"] = target
    return response


def _update(**changes: Any) -> None:
    session[SESSION_KEY] = {**session[SESSION_KEY], **changes}


def _use_locale(lang: str) -> None:
    """The customer's language for the rest of this request (the staff member's own preference
    is left alone). flask_babel keeps the forced locale until the manager exits, so keep it on g."""
    manager = force_locale(lang)
    manager.__enter__()
    g.handover_locale = manager


# --- the guard ------------------------------------------------------------------------------------

def _locked():
    if htmx.is_htmx():
        return htmx.redirect(url_for(SCREENS["locked"]))
    return _locked_page(UnlockForm(formdata=None), status=LOCKED_STATUS)


def _locked_page(form: UnlockForm, *, status: int = 200):
    state = active_handover()
    kind, document = _kind(state), _document(state)
    signed = bool(state.get("signed") or (document is not None and kind.is_signed(document)))
    sign_url = url_for(kind.sign_endpoint, **{kind.id_arg: document.id}) if document is not None else None
    return htmx.render("receipts/handover_locked.html", status=status, document=document, kind=kind,
                       sign_url=sign_url, unlock_form=form, signed=signed)


def guard():
    state = session.get(SESSION_KEY)
    if not state:
        return None
    if active_handover() is None or state.get("type", "repair_receipt") not in KINDS:
        session.pop(SESSION_KEY, None)  # signed out, or another user on this browser: the mark is stale
        return None
    if state.get("lang") in LANGUAGE_NAMES:
        _use_locale(state["lang"])
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static" or endpoint in SCREENS.values():
        return None
    kind = _kind(state)
    ours = (request.view_args or {}).get(kind.id_arg) == _document_id(state)
    if ours and endpoint in kind.after_signing:
        return redirect(thanks_url())
    if ours and endpoint == kind.sign_endpoint:
        if request.method == "GET" and (state.get("signed") or kind.is_signed(_document(state))):
            return redirect(thanks_url())
        return None
    if ours and endpoint in kind.also_open and request.method == "GET":
        return None
    return _locked()


def _context():
    state = active_handover() if has_request_context() else None
    return {"handover": state, "bare": True} if state else {"handover": None}


# --- the shared screens ---------------------------------------------------------------------------

@roles(SIGNERS)
def locked_screen():
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
    from portal.accounts.services import authenticate
    return authenticate(username=current_user.username, password=password)[1]


@roles(SIGNERS)
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMIT"], key_func=_unlock_key, methods=["POST"],
               deduct_when=lambda response: g.get("unlock_failed", False), on_breach=_unlock_breached)
def unlock():
    if active_handover() is None:
        return _not_handed_over()
    form = UnlockForm()
    if not form.validate_on_submit() or not _password_ok(form.password.data):
        g.unlock_failed = form.is_submitted() and bool(form.password.data)
        form.form_errors.append(_("Wrong password: only the staff member who handed the tablet over can unlock it."))
        return _locked_page(form, status=htmx.VALIDATION_STATUS)
    state = session.pop(SESSION_KEY)
    document = _document(state)
    flash(_("Back on the staff screen."), "info")
    return htmx.redirect(_kind(state).staff_url(document) if document is not None else url_for("accounts.home"))


@roles(SIGNERS)
def thanks():
    state = active_handover()
    if state is None:
        return _not_handed_over()
    kind, document = _kind(state), _document(state)
    if document is None:
        abort(404)
    if not kind.is_signed(document):
        return redirect(url_for(SCREENS["locked"]))
    _update(signed=True)
    return htmx.render("receipts/handover_thanks.html", document=document, kind=kind,
                       signature=kind.signature(document))


@roles(SIGNERS)
def language():
    """The customer's language switch: only for this hand-over, the staff member's preference stays."""
    form = HandoverLanguageForm()
    if active_handover() is not None and form.validate() and form.lang.data in LANGUAGE_NAMES:
        _update(lang=form.lang.data)
    return htmx.redirect(safe_next(form.next.data, url_for(SCREENS["locked"])))


def _not_handed_over():
    abort(404)  # no hand-over in progress on this browser


def mount(bp: Blueprint) -> None:
    """Serve the shared screens under `bp` (once) and install the guard for the whole app."""
    if SCREENS:
        raise RuntimeError("hand-over screens are mounted already")
    for name, rule, view, methods in (("locked", "/handover", locked_screen, ["GET"]),
                                      ("unlock", "/handover/unlock", unlock, ["POST"]),
                                      ("thanks", "/handover/thanks", thanks, ["GET"]),
                                      ("language", "/handover/language", language, ["POST"])):
        endpoint = f"handover_{name}"
        bp.add_url_rule(rule, endpoint, view, methods=methods)
        SCREENS[name] = f"{bp.name}.{endpoint}"
    bp.before_app_request(guard)
    bp.app_context_processor(_context)
