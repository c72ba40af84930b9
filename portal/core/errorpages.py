"""Error pages in the user's language, as a full page or as an htmx message in #flash."""
from __future__ import annotations

from flask import Flask, Response, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.core import htmx
from portal.core.errors import DomainError
from portal.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Not allowed"), _l("Your role does not give you access to this page.")),
    404: (_l("Not found"), _l("There is no such page or record.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    409: (_l("Not possible now"), _l("This record is not in a state that allows this action.")),
    413: (_l("Too large"), _l("What you sent is larger than the portal accepts.")),
    422: (_l("Please check your input"), _l("Some fields need correcting.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Please wait a while and try again.")),
    500: (_l("Something went wrong"), _l("The portal hit an error. Nothing was saved. Please try again; "
                                         "if it happens again, tell the administrator.")),
}


def error_response(status: int, detail: str | None = None) -> Response:
    title, message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    text = detail or str(message)
    if htmx.is_partial():
        body = render_template("layout/_flash.html", messages=[("error", text)], oob=False)
        response = make_response(body, status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return make_response(render_template("errors/error.html", status=status, title=title,
                                          message=text), status)


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return error_response(error.status, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(400, str(_l("Your form expired or came from elsewhere. "
                                          "Reload the page and submit again.")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if error.code == 429 and error.response is not None:
            return error.response  # the page the limited view chose (e.g. the login form)
        return error_response(error.code)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        return error_response(500)
