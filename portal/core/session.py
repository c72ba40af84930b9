"""Staff sessions: cookie flags, and the end of a session left idle.

A signed-in session ends after IDLE_MINUTES (config; env PORTAL_IDLE_MINUTES; 0 = never) without a
request from its user. The next request then lands on the sign-in page with a message and `next`
pointing back; an htmx request gets HX-Redirect, so the browser loads the sign-in page whole
instead of swapping it into a fragment.

What does not count as the user being there: the screen's own polling (BACKGROUND_ENDPOINTS,
asked for by an `hx-trigger="every …"` element) — otherwise a manager's overdue board left open
would keep the desk signed in forever. Public endpoints (sign-in, static files, the counter
kiosk's screens, which authenticate by their kiosk cookie and hold no staff session) are neither
checked nor counted. A tablet handed over to a customer for signing is still its staff member's
session: it ends like any other, and the customer then sees the sign-in page, nothing else.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, flash, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_logged_in

from portal.core import htmx
from portal.core.access import PUBLIC, declared_access
from portal.core.timeutil import utcnow
from portal.core.web import safe_next

SEEN_KEY = "_seen"
# The stamp is rewritten at most this often, so most responses do not re-send the cookie.
TOUCH_EVERY = 60
# Kept across an expiry: the language the sign-in page is shown in, and Flask-Login's note to
# delete a remember-me cookie.
KEPT_ON_EXPIRY = ("lang", "_remember")
# Polled fragments: a partial htmx GET to these is the page refreshing itself, not the user.
BACKGROUND_ENDPOINTS: set[str] = {"repairs.overdue", "archive.kiosk_request"}


def background(*endpoints: str) -> None:
    """Declare endpoints a page polls by itself (hx-trigger="every …"); tests/security checks that
    every polled endpoint is declared."""
    BACKGROUND_ENDPOINTS.update(endpoints)


def register(app: Flask) -> None:
    public_https = str(app.config.get("PUBLIC_URL") or "").lower().startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = public_https
    # First of all hooks: an expired session must not reach the hand-over guard or any view.
    app.before_request_funcs.setdefault(None, []).insert(0, end_idle_session)
    user_logged_in.connect(_stamp_sign_in, app)


def _now() -> int:
    return int(utcnow().timestamp())


def _stamp_sign_in(_app, **_extra) -> None:
    # A fresh sign-in starts a fresh clock, whatever an earlier session on this browser left behind.
    session[SEEN_KEY] = _now()


def _is_background() -> bool:
    return request.method == "GET" and htmx.is_partial() and request.endpoint in BACKGROUND_ENDPOINTS


def end_idle_session():
    minutes = current_app.config.get("IDLE_MINUTES") or 0
    endpoint = request.endpoint
    if not minutes or endpoint is None or declared_access(endpoint) == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return None
    now, seen = _now(), session.get(SEEN_KEY)
    if isinstance(seen, int) and now - seen > minutes * 60:
        return _expired(int(minutes))
    if not isinstance(seen, int) or (now - seen >= TOUCH_EVERY and not _is_background()):
        session[SEEN_KEY] = now
    return None


def _same_site_path(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, "") or None


def _return_to() -> str | None:
    """Where the user was, for `next`: the page an htmx request came from, a GET's own address,
    else (a POST, whose form data is gone) the page the form was on."""
    if htmx.is_htmx():
        back = _same_site_path(request.headers.get("HX-Current-URL"))
    elif request.method == "GET":
        back = request.full_path.rstrip("?")
    else:
        back = _same_site_path(request.referrer)
    if back and urlsplit(back).path == url_for("accounts.login"):
        return None
    return back


def _expired(minutes: int):
    back = _return_to()
    logout_user()
    kept = {key: session[key] for key in KEPT_ON_EXPIRY if key in session}
    session.clear()  # the hand-over mark, form drafts, everything of the old session
    session.update(kept)
    flash(_("You were signed out after %(minutes)d minutes without activity. Sign in again to continue.",
            minutes=minutes), "info")
    target = url_for("accounts.login", next=back)
    if htmx.is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)
