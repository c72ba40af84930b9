"""Counter kiosks: the administrator's list and pairing, the clerk's "send to kiosk" panel, and the
device's own screens (public endpoints guarded by the kiosk cookie instead of a sign-in)."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, has_request_context, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, logout_user

from portal.archive import bp, kiosks
from portal.archive import services as archive_services
from portal.archive.kiosk_forms import KioskPairForm, KioskSendForm
from portal.archive.models import Kiosk, KioskRequest, KioskRequestState
from portal.core import htmx, nav, templating
from portal.core.forms import signature_image
from portal.core.access import public, roles
from portal.core.db import writes
from portal.core.errors import DomainError, ValidationFailed
from portal.core.roles import Role
from portal.core.web import attach_errors, attempt, done, form_status, get_or_404
from portal.extensions import db
from portal.core.forms import SignatureForm

OFFICE = frozenset({Role.clerk, Role.manager})
DEVICE_ENDPOINTS = frozenset({"archive.kiosk", "archive.kiosk_screen", "archive.kiosk_sign", "archive.kiosk_cancel"})

nav.add("archive.kiosks_index", _l("Kiosks"), {Role.admin}, order=905)
templating.describe_fields({"kiosk_id": _l("Kiosk")}, {"state": KioskRequestState}, entity="kiosk_request")
for _verb, _label in (("paired", _l("paired")), ("revoked", _l("revoked"))):
    templating.ACTION_LABELS.setdefault(_verb, _label)


def kiosk_panel(document_type: str, document_id: int, form: KioskSendForm | None = None) -> dict:
    """The clerk's kiosk box for one document: its latest request, and the send form."""
    kind = kiosks.adapter(document_type)
    document = kind.load(document_id) if kind else None
    latest = kiosks.latest_request(document_type, document_id)
    available = kiosks.active_kiosks()
    return {"document_type": document_type, "document_id": document_id, "document": document, "kind": kind,
            "request": latest, "active": latest is not None and latest.state in kiosks.ACTIVE,
            "signable": bool(document is not None and kind.signable(document)), "kiosks": available,
            "form": form or KioskSendForm(formdata=None).offer(available)}


@bp.app_context_processor
def _kiosk_context():
    extra = {"kiosk_panel": kiosk_panel}
    if has_request_context() and request.endpoint in DEVICE_ENDPOINTS:
        extra["bare"] = True
    return extra


# --- the administrator ---------------------------------------------------------------------------

def _device() -> Kiosk | None:
    return kiosks.kiosk_for_token(request.cookies.get(kiosks.COOKIE))


@bp.get("/kiosks")
@roles(Role.admin)
def kiosks_index():
    return htmx.render("archive/kiosks.html", kiosks=kiosks.kiosks_list(), form=KioskPairForm(formdata=None),
                       current=_device())


@bp.route("/kiosks/pair", methods=["GET", "POST"])
@roles(Role.admin)
def kiosk_pair():
    """Run on the tablet itself: it gets the token cookie, and the administrator is signed out on it."""
    form = KioskPairForm()
    outcome = attempt(form, lambda: kiosks.kiosk_pair(name=form.name.data, actor=current_user._get_current_object(),
                                                      replacing=_device()))
    if not outcome.ok:
        return htmx.render("archive/kiosk_pair.html", form=form, current=_device(), status=form_status(outcome))
    kiosk, token = outcome.result
    db.session.commit()
    logout_user()
    flash(_("This device is now the kiosk %(name)s.", name=kiosk.name), "success")
    response = redirect(url_for("archive.kiosk"), code=303)
    response.set_cookie(kiosks.COOKIE, token, max_age=kiosks.COOKIE_MAX_AGE, httponly=True, samesite="Strict",
                        secure=request.is_secure, path="/")
    return response


@bp.post("/kiosks/<int:kiosk_id>/revoke")
@roles(Role.admin)
def kiosk_revoke(kiosk_id: int):
    kiosk = get_or_404(Kiosk, kiosk_id)
    kiosks.kiosk_revoke(kiosk=kiosk, actor=current_user._get_current_object())
    return done(url_for("archive.kiosks_index"), _("Kiosk %(name)s is revoked: the device shows nothing any more.",
                                                      name=kiosk.name))


# --- the clerk -------------------------------------------------------------------------------------

def _panel(document_type: str, document_id: int, form: KioskSendForm | None = None, *, status: int = 200):
    panel = kiosk_panel(document_type, document_id, form)
    if panel["document"] is None:
        abort(404)
    return htmx.render("archive/kiosk_document.html", "archive/_kiosk_panel.html", status=status, panel=panel,
                       polled=htmx.is_partial())


@bp.post("/kiosks/send/<document_type>/<int:document_id>")
@roles(OFFICE)
def kiosk_send(document_type: str, document_id: int):
    kind = kiosks.adapter(document_type) or abort(404)
    document = kind.load(document_id) or abort(404)
    form = KioskSendForm().offer(kiosks.active_kiosks())
    outcome = attempt(form, lambda: kiosks.kiosk_send(
        kiosk=db.session.get(Kiosk, form.kiosk_id.data or 0), document_type=document_type, document_id=document_id,
        actor=current_user._get_current_object()))
    if not outcome.ok:
        return _panel(document_type, document_id, form, status=form_status(outcome))
    if not htmx.is_partial():
        return done(kind.page_url(document), _("Sent to %(kiosk)s.", kiosk=outcome.result.kiosk.name))
    db.session.commit()
    return _panel(document_type, document_id)


@bp.get("/kiosks/requests/<int:request_id>")
@roles(OFFICE)
def kiosk_request(request_id: int):
    """The request's status; the clerk's panel polls it every 2 s until it is signed or cancelled."""
    sent = get_or_404(KioskRequest, request_id)
    return _panel(sent.document_type, sent.document_id)


@bp.post("/kiosks/requests/<int:request_id>/withdraw")
@roles(OFFICE)
def kiosk_withdraw(request_id: int):
    sent = get_or_404(KioskRequest, request_id)
    kiosks.request_withdraw(request=sent, actor=current_user._get_current_object())
    if not htmx.is_partial():
        return done(url_for("archive.kiosk_request", request_id=sent.id), _("Taken off the kiosk."))
    db.session.commit()
    return _panel(sent.document_type, sent.document_id)


# --- the kiosk device ----------------------------------------------------------------------------

def _unpaired():
    response = make_response(render_template("archive/kiosk_unpaired.html"), 403)
    if htmx.is_htmx():
        response.headers["HX-Refresh"] = "true"  # a poll after revoking: reload into the plain page
    return response


def _sign_form(shown: KioskRequest | None, **kwargs: Any) -> SignatureForm:
    kind = kiosks.adapter(shown.document_type) if shown is not None else None
    make = (kind.form if kind is not None else None) or SignatureForm
    return make(**kwargs)


def _screen(kiosk: Kiosk, shown: KioskRequest | None, form: SignatureForm | None = None) -> dict:
    kind = kiosks.adapter(shown.document_type) if shown else None
    return {"kiosk": kiosk, "shown": shown, "kind": kind, "document": kiosks.document_of(shown) if shown else None,
            "sign_form": form or _sign_form(shown, formdata=None)}


def _current(kiosk: Kiosk) -> KioskRequest | None:
    kiosks.kiosk_seen(kiosk)
    shown = kiosks.current_request(kiosk)
    db.session.commit()  # seen; a waiting request is now on screen (or taken off, if it went stale)
    return shown


@bp.get("/kiosk")
@public
@writes  # the kiosk was seen; a waiting request goes on screen
def kiosk():
    """The kiosk's screen: idle, or the one document sent to it (cookie-guarded, no sign-in)."""
    device = _device()
    if device is None:
        return _unpaired()
    return htmx.render("archive/kiosk.html", **_screen(device, _current(device)))


@bp.get("/kiosk/screen")
@public
@writes  # as kiosk()
def kiosk_screen():
    """Polled every 2 s: 204 while the screen is still right, else the new screen."""
    device = _device()
    if device is None:
        return _unpaired()
    shown = _current(device)
    if request.args.get("showing", -1, type=int) == (shown.id if shown else 0):
        return make_response("", 204)
    return htmx.render("archive/kiosk.html", "archive/_kiosk_screen.html", **_screen(device, shown))


def _request_on(device: Kiosk, document_type: str, document_id: int) -> KioskRequest:
    """Only the document of the kiosk's current request; any other id is not found."""
    shown = kiosks.current_request(device)
    if shown is None or (shown.document_type, shown.document_id) != (document_type, document_id):
        abort(404)
    return shown




def _back_to_idle(message: str):
    db.session.rollback()
    flash(message, "error")
    return redirect(url_for("archive.kiosk"), code=303)


def _try_sign(device: Kiosk, shown: KioskRequest, form: SignatureForm):
    """None once signed; else the answer: the form again with its messages, or back to idle."""
    try:
        kiosks.kiosk_sign(request=shown, image=signature_image(form), signer_name=form.signer_name.data,
                          rating=form.rating.data if "rating" in form else None, comment=form.comment.data, address=request.remote_addr,
                          user_agent=request.user_agent.string, verify_url=archive_services.verification_url)
    except ValidationFailed as error:
        attach_errors(form, error)
        return htmx.render("archive/kiosk.html", status=error.status, **_screen(device, shown, form))
    except DomainError as error:
        return _back_to_idle(error.message)
    return None


@bp.post("/kiosk/<document_type>/<int:document_id>/sign")
@public
def kiosk_sign(document_type: str, document_id: int):
    device = _device()
    if device is None:
        return _unpaired()
    shown = _request_on(device, document_type, document_id)
    form = _sign_form(shown)
    if not form.validate_on_submit():
        return htmx.render("archive/kiosk.html", status=form_status(), **_screen(device, shown, form))
    failed = _try_sign(device, shown, form)
    return failed or done(url_for("archive.kiosk"), _("Thank you! The document is signed."))


@bp.post("/kiosk/<document_type>/<int:document_id>/cancel")
@public
def kiosk_cancel(document_type: str, document_id: int):
    device = _device()
    if device is None:
        return _unpaired()
    kiosks.kiosk_cancel(request=_request_on(device, document_type, document_id))
    return done(url_for("archive.kiosk"), _("Cancelled. Nothing was signed."), "info")
