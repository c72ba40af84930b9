from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import audit, htmx
from portal.core.access import roles
from portal.core.pdf import pdf_response, render_pdf
from portal.core.roles import Role
from portal.core.timeutil import local_now
from portal.core.web import attempt, done, form_status
from portal.settings import bp, services
from portal.settings.forms import SettingsForm


@bp.route("/", methods=["GET", "POST"])
@roles(Role.manager, Role.admin)
def edit():
    row = services.get_settings()
    form = SettingsForm(obj=row if request.method == "GET" else None)
    outcome = attempt(form, lambda: services.settings_update(values=form.values(), expected_version=form.version.data,
                                                             actor=current_user), obj=row)
    if outcome.ok:
        return done(url_for("settings.edit"), _("Settings saved."))
    return htmx.render("settings/edit.html", form=form, conflict=outcome.conflict, status=form_status(outcome),
                       timeline=audit.timeline(row) if row.id else [])


def _printer_test_context() -> dict:
    return {"letterhead": services.letterhead(), "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
            "title": "打印机测试页", "number": "TEST-" + local_now().strftime("%Y%m%d"), "draft": False}


@bp.get("/printer-test")
@roles(Role.admin)
def printer_test():
    return htmx.render("settings/printer_test.html")


@bp.get("/printer-test.pdf")
@roles(Role.admin)
def printer_test_pdf():
    return pdf_response(render_pdf("print/printer_test.html", **_printer_test_context()), "printer-test.pdf")


@bp.get("/printer-test.html")
@roles(Role.admin)
def printer_test_html():
    # The same HTML WeasyPrint receives, for layout work in a browser.
    return htmx.render("print/printer_test.html", **_printer_test_context())
