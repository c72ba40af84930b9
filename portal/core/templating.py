from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from flask import Flask, Response, current_app, request
from flask_babel import format_datetime, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.core import nav
from portal.core.i18n import LANGUAGE_NAMES, html_lang
from portal.core.pdf import asset_url
from portal.core.timeutil import as_local


# Scripts only from the portal's own files. Styles may be inline: htmx adds its indicator <style>
# and some templates use style attributes; neither can run code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'")
# Photos are taken through <input type=file>, which hands over to the device's camera app and
# needs no camera permission in the page; nothing in the portal uses these browser features.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000"


def security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Only over HTTPS (request.is_secure honours X-Forwarded-Proto when PROXY_FIX is set): sent over
    # plain HTTP it would be ignored anyway, and a test install on http:// must stay reachable.
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if ("Cache-Control" not in response.headers and request.endpoint != "static"
            and response.mimetype in ("text/html", "application/pdf")):
        # Pages and PDFs show customers' names and phones: a shared tablet's disk cache must not
        # keep them for the next person after sign-out.
        response.headers["Cache-Control"] = "private, no-store"
    return response


def localtime(moment, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    local = as_local(moment)
    return format_datetime(local, fmt) if local else ""


ACTION_LABELS = {
    "created": _l("created"),
    "updated": _l("changed"),
    "activated": _l("activated"),
    "deactivated": _l("deactivated"),
    "password_reset": _l("password reset"),
    "login": _l("signed in"),
    "contacts_changed": _l("contacts changed"),
    "equipment_added": _l("unit added"),
    "merged": _l("merged into another record"),
    "merged_in": _l("duplicate merged in"),
    "mismatch_reported": _l("wrong data reported"),
    "mismatch_fixed": _l("data corrected"),
    "units_changed": _l("covered units changed"),
    "contact_attempt": _l("call to the customer"),
    "parts_requested": _l("parts requested"),
    "reassigned": _l("reassigned"),
    "rescheduled": _l("rescheduled"),
    "superseded": _l("superseded"),
    "stock_counted": _l("stock counted"),
    "stock_received": _l("stock received"),
    "collected": _l("collected"),
    "withdrawn": _l("withdrawn"),
    "repriced": _l("repriced"),
    "parts_loaded": _l("used parts loaded"),
    "fee_set": _l("fee added"),
    "fee_removed": _l("fee removed"),
    "archived": _l("PDF archived"),
    "voided": _l("voided"),
    "amended": _l("corrected by a new receipt"),
    "opened": _l("opened"),
    "downloaded": _l("downloaded"),
    "printed": _l("printed"),
    "paired": _l("paired"),
    "revoked": _l("revoked"),
    "cancelled": _l("cancelled"),
}


def describe_actions(labels: dict[str, Any]) -> None:
    """A family's own audit verbs (`goods_receipt.taken_in` → "taken in"), registered once in its
    package __init__; tests/test_audit_labels.py fails on a verb the timeline cannot name."""
    ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    """`user.created` → "created"; a transition `repair_case.dispatched` → "→ Dispatched"."""
    entity, _sep, verb = action.rpartition(".")
    # A workflow's own state names come first: `repair_case.archived` is the case being filed,
    # `repair_receipt.archived` (no such receipt state) is its PDF going into the archive.
    state_names = VALUE_NAMES.get(f"{entity}.state", {})
    if verb in state_names:
        return f"→ {getattr(state_names[verb], 'label', state_names[verb])}"
    if verb in ACTION_LABELS:
        return str(ACTION_LABELS[verb])
    return verb.replace("_", " ")


# What the audit timeline shows for a field name and for stored enum values; each family describes
# its own fields once in its package __init__ (describe_fields), so every timeline reads well.
FIELD_LABELS: dict[str, Any] = {}
VALUE_NAMES: dict[str, dict[str, Any]] = {}


DOCUMENT_TYPES: dict[str, Any] = {"repair_receipt": _l("Repair service receipt")}


@dataclass(frozen=True)
class SourcePage:
    """Where an archived document comes from in the portal: its page, and the link's wording."""
    url: Callable[[int], str]  # document_id → the page's address
    label: Any


# document_type → its source page; each family registers its own next to DOCUMENT_TYPES.
SOURCE_PAGES: dict[str, SourcePage] = {}


def register_source(document_type: str, url: Callable[[int], str], label: Any) -> None:
    SOURCE_PAGES[document_type] = SourcePage(url, label)


def source_link(document: Any) -> tuple[str, str] | None:
    """(address, label) of the page an archived document was signed from, if its family has one."""
    page = SOURCE_PAGES.get(document.document_type)
    return (page.url(document.document_id), str(page.label)) if page else None


def describe_fields(labels: dict[str, Any], enums: dict[str, Any] | None = None, *, entity: str = "") -> None:
    """Register field labels and enum value names; `entity` (a table name) scopes the enums when
    the same field name means different things, like `state`."""
    FIELD_LABELS.update(labels)
    for field, enum_cls in (enums or {}).items():
        key = f"{entity}.{field}" if entity else field
        # The members themselves: their labels are looked up at render time, in the reader's language.
        VALUE_NAMES.setdefault(key, {}).update({member.value: member for member in enum_cls})


def audit_value(value, names: dict | None = None) -> str:
    """A before/after value of the audit trail as a reader expects it: labels, yes/no, a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return localtime(datetime.fromisoformat(value))
        except ValueError:
            pass
    if names and str(value) in names:
        name = names[str(value)]
        return str(getattr(name, "label", name))
    return str(value)


def their_value(conflict, field):
    """The other person's saved value for a form field in an edit conflict, when it differs."""
    if conflict is None or field.name not in conflict.theirs:
        return None
    value = conflict.theirs[field.name]
    mine = field.data.value if hasattr(field.data, "value") else field.data
    plain = value.value if hasattr(value, "value") else value
    if str(plain if plain is not None else "") == str(mine if mine is not None else ""):
        return None
    return str(getattr(value, "label", None) or ("" if value is None else value))


def input_attrs(field, described: str | None, autofocus: bool, extra: dict, check: dict | None = None) -> dict:
    """Attributes for a form input; `check` = {"url": ..., "vals": {...}, "include": "..."} wires an
    inline check that answers into the field's .inline-check paragraph while the user types."""
    attrs = dict(extra)
    if check:
        attrs.update({"hx-get": check["url"], "hx-trigger": "input changed delay:400ms, change",
                      "hx-target": f"#{field.id}-field .inline-check", "hx-swap": "innerHTML", "hx-sync": "this:replace"})
        if check.get("vals"):
            attrs["hx-vals"] = json.dumps(check["vals"])
        if check.get("include"):
            attrs["hx-include"] = check["include"]
    if autofocus:
        attrs["autofocus"] = True
    if field.errors:
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = described
    return attrs


def register(app: Flask) -> None:
    app.jinja_env.globals["input_attrs"] = input_attrs
    app.jinja_env.globals["audit_value"] = audit_value
    app.jinja_env.globals["doc_type_label"] = lambda kind: str(DOCUMENT_TYPES.get(kind, kind))
    app.jinja_env.globals["source_link"] = source_link
    app.jinja_env.globals["field_labels"] = FIELD_LABELS
    app.jinja_env.globals["value_names"] = VALUE_NAMES
    app.jinja_env.globals["their"] = their_value
    app.jinja_env.filters["action_label"] = action_label
    app.jinja_env.globals["form_labels"] = lambda form: [(f.name, f.label.text) for f in form]
    app.jinja_env.filters["localtime"] = localtime

    @app.context_processor
    def portal_globals():
        current = get_locale()
        locale = "zh_CN" if current is None or current.language == "zh" else str(current)
        role = current_user.role if current_user and current_user.is_authenticated else None
        return {
            "nav_items": nav.for_role(role), "nav_layout": nav.layout_for(role),
            "current_locale": locale,
            "html_lang": html_lang(locale),
            "language_names": LANGUAGE_NAMES,
            "print_static": asset_url,
            "request_path": request.path if request else "/",
            "url_map_endpoints": current_app.view_functions,
        }
