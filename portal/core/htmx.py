"""htmx conventions used by every view.

- A normal or boosted request gets the full page; any other htmx request gets the fragment.
- HTML responses carry `Vary: HX-Request`, since one URL serves both shapes.
- After a successful POST the answer is 200 with HX-Location (htmx) or 303 (plain form).
- Validation errors answer 422 everywhere; htmx is configured to swap 422 (static/js/app.js).
- Flash messages reach htmx replies as an out-of-band swap of #flash.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Response, get_flashed_messages, make_response, redirect as flask_redirect
from flask import render_template, request, session

VALIDATION_STATUS = 422


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def is_partial() -> bool:
    """True for htmx requests that swap a fragment (not boosted navigation, not history restore)."""
    return (is_htmx() and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(page: str, partial: str | None = None, *, status: int = 200, **context: Any) -> Response:
    template = partial if partial and is_partial() else page
    return make_response(render_template(template, **context), status)


def invalid(page: str, partial: str | None = None, **context: Any) -> Response:
    return render(page, partial, status=VALIDATION_STATUS, **context)


def redirect(url: str) -> Response:
    if not is_htmx():
        return flask_redirect(url, code=303)
    response = make_response("", 200)
    # The target page is fetched as a boosted request, so the server sends it whole and htmx
    # swaps the body and pushes the URL: a navigation without a full reload.
    response.headers["HX-Location"] = json.dumps(
        {"path": url, "target": "body", "headers": {"HX-Boosted": "true"}})
    return response


def trigger(response: Response, event: str, detail: Any = None) -> Response:
    response.headers["HX-Trigger"] = json.dumps({event: detail}) if detail is not None else event
    return response


def after_request(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")
        if (is_partial() and "_flashes" in session and not 300 <= response.status_code < 400
                and "HX-Location" not in response.headers and "HX-Redirect" not in response.headers):
            messages = get_flashed_messages(with_categories=True)
            response.set_data(response.get_data() + render_template(
                "layout/_flash.html", messages=messages, oob=True).encode())
    return response
