from __future__ import annotations

import re

from flask import abort, make_response, request

from portal.core import htmx
from portal.core.access import roles
from portal.core.forms import RATING_CHOICES
from portal.core.pdf import pdf_response, render_pdf
from portal.reports import READ, bp, excel, forms, printing, services

BUCKET = re.compile(r"^20\d\d-(0[1-9]|1[0-2])$")  # a month of the trend (forms.FIRST_YEAR…LAST_YEAR)


def _filter_form() -> forms.KpiFilterForm:
    return forms.KpiFilterForm(formdata=request.args).set_technicians(services.technician_choices())


def _invalid(form: forms.KpiFilterForm):
    """Bad period: the messages under the fields, what was typed kept, no figures."""
    return htmx.render("reports/kpis.html", "reports/_kpis.html", form=form, summary=None,
                       status=htmx.VALIDATION_STATUS)


def _summary(form: forms.KpiFilterForm) -> services.KpiSummary:
    start, end = form.period()
    return services.kpi_summary(start=start, end=end, technician_id=form.technician.data)


@bp.get("/")
@roles(READ)
def kpis():
    form = _filter_form()
    if not form.validate():
        return _invalid(form)
    return htmx.render("reports/kpis.html", "reports/_kpis.html", form=form, summary=_summary(form))


@bp.get("/cases")
@roles(READ)
def cases():
    metric = request.args.get("metric", "")
    if metric not in services.DRILL_METRICS:
        abort(404)
    form = _filter_form()
    if not form.validate():
        return _invalid(form)
    start, end = form.period()
    bucket = request.args.get("bucket") if BUCKET.match(request.args.get("bucket", "")) else None
    drill = services.kpi_cases(metric=metric, start=start, end=end, technician_id=form.technician.data, bucket=bucket,
                               outcome=request.args.get("outcome"), page=request.args.get("page", 1, type=int))
    return htmx.render("reports/cases.html", "reports/_cases.html", drill=drill, rating_labels=dict(RATING_CHOICES))


@bp.get("/fines")
@roles(READ)
def fines():
    form = forms.MonthForm(formdata=request.args)
    if not form.validate():
        return htmx.render("reports/fines.html", "reports/_fines.html", form=form, people=None,
                           status=htmx.VALIDATION_STATUS)
    month = form.chosen_month()
    return htmx.render("reports/fines.html", "reports/_fines.html", form=form, month=month,
                       people=services.fine_events(month=month), kinds=services.FINE_KINDS,
                       rating_labels=dict(RATING_CHOICES))


@bp.get("/kpis.xlsx")
@roles(READ)
def kpis_xlsx():
    form = _filter_form()
    if not form.validate():
        return _invalid(form)
    summary = _summary(form)
    response = make_response(excel.kpi_workbook(summary))
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = excel.filename_header(summary)
    return response


@bp.get("/monthly.pdf")
@roles(READ)
def monthly_pdf():
    form = _filter_form()
    if not form.validate():
        return _invalid(form)
    month = form.chosen_month()
    data = render_pdf("print/kpi_monthly.html", **printing.monthly_context(month))
    return pdf_response(data, f"售后服务KPI月报-{month:%Y-%m}.pdf")
