from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.core import audit, htmx
from portal.core.access import roles
from portal.core.errors import EditConflict
from portal.core.pdf import pdf_response, render_pdf
from portal.core.roles import Role
from portal.core.timeutil import local_now
from portal.core.web import done, restamp_version
from portal.settings import bp, services
from portal.settings.forms import SettingsForm


@bp.route("/", methods=["GET", "POST"])
@roles(Role.manager, Role.admin)
def edit():
    row = services.get_settings()
    form = SettingsForm(obj=row if not SettingsForm().is_submitted() else None)
    conflict = None
    if form.validate_on_submit():
        try:
            services.settings_update(values=form.values(), expected_version=form.version.data, actor=current_user)
            return done(url_for("settings.edit"), _("Settings saved."))
        except EditConflict as error:
            conflict = error
            restamp_version(form, row)
    status = 409 if conflict else htmx.VALIDATION_STATUS if form.is_submitted() else 200
    timeline = audit.timeline(row) if row.id else []
    return htmx.render("settings/edit.html", form=form, conflict=conflict, timeline=timeline, status=status)


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
