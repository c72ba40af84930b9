"""Excel import and export of customers; the logic lives in portal.customers.excel."""
from __future__ import annotations

from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge

from portal.core import htmx
from portal.core.access import roles
from portal.core.errorpages import error_response
from portal.core.errors import ValidationFailed
from portal.core.web import done
from portal.customers import OFFICE, bp, excel, services
from portal.extensions import db


class ImportForm(FlaskForm):
    file = FileField(_l("Excel file (.xlsx)"), validators=[
        FileRequired(_l("Choose the Excel file to import.")),
        FileAllowed(["xlsx"], _l("Choose an Excel workbook (.xlsx). Save a .csv or old .xls file as .xlsx in "
                                 "Excel first."))])


def _upload_page(form: ImportForm, status: int = 200):
    return htmx.render("customers/import.html", form=form, columns=excel.COLUMNS, max_rows=excel.MAX_ROWS,
                       max_size=excel.size_text(excel.MAX_UPLOAD_BYTES), status=status)


def _preview_page(token: str, preview: excel.ImportPreview, *, message: str | None = None, status: int = 200):
    only_errors = request.args.get("show") == "errors"
    rows = preview.bad_rows if only_errors else preview.rows
    return htmx.render("customers/import_preview.html", token=token, preview=preview, rows=rows,
                       only_errors=only_errors, message=message, status=status)


@bp.get("/import/template.xlsx")
@roles(OFFICE)
def import_template():
    response = make_response(excel.template_workbook())
    response.mimetype = excel.XLSX_MIMETYPE
    response.headers["Content-Disposition"] = excel.content_disposition("客户导入模板.xlsx",
                                                                        "customer-import-template.xlsx")
    return response


@bp.route("/import", methods=["GET", "POST"])
@roles(OFFICE)
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        preview = excel.read_upload(form.file.data.stream, form.file.data.filename)
        if not preview.file_errors:
            token = excel.save_preview(preview, owner_id=current_user.id)
            return htmx.redirect(url_for("customers.import_preview", token=token))
        form.file.errors = list(form.file.errors) + preview.file_errors
    return _upload_page(form, htmx.VALIDATION_STATUS if request.method == "POST" else 200)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """Larger than MAX_CONTENT_LENGTH: the upload page answers at the field, other pages as usual."""
    if request.endpoint != "customers.import_upload":
        return error_response(413)
    form = ImportForm(formdata=None)
    form.file.errors = [_("The file is larger than %(size)s. Split it into several files.",
                          size=excel.size_text(excel.MAX_UPLOAD_BYTES))]
    return _upload_page(form, htmx.VALIDATION_STATUS)


@bp.get("/import/<token>")
@roles(OFFICE)
def import_preview(token: str):
    return _preview_page(token, excel.load_preview(token, owner_id=current_user.id))


@bp.post("/import/<token>/commit")
@roles(OFFICE)
def import_commit(token: str):
    try:
        with excel.claimed(token, owner_id=current_user.id) as preview:
            excel.commit_import(preview, actor=current_user)
            return done(url_for("customers.index"), _("Imported: %(customers)s, %(units)s.", customers=ngettext(
                "%(num)d customer", "%(num)d customers", preview.customer_count), units=ngettext(
                "%(num)d unit", "%(num)d units", preview.unit_count)))
    except ValidationFailed as error:
        db.session.rollback()
        return _preview_page(token, preview, message=error.message, status=htmx.VALIDATION_STATUS)


@bp.post("/import/<token>/cancel")
@roles(OFFICE)
def import_cancel(token: str):
    excel.discard_preview(token, owner_id=current_user.id)
    flash(_("Import cancelled: nothing was saved."), "info")
    return htmx.redirect(url_for("customers.import_upload"))


@bp.get("/export.<fmt>")
@roles(OFFICE)
def export(fmt: str):
    if fmt not in excel.EXPORT_FORMATS:
        abort(404)
    filters = services.Filters.from_args(request.args)
    response = make_response(excel.export_xlsx(filters) if fmt == "xlsx" else excel.export_csv(filters))
    response.headers["Content-Type"] = excel.XLSX_MIMETYPE if fmt == "xlsx" else excel.CSV_MIMETYPE
    response.headers["Content-Disposition"] = excel.content_disposition(*excel.export_filename(fmt))
    response.headers["Cache-Control"] = "private, no-store"
    return response
