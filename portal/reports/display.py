"""How KPI figures read and draw: value and target texts, the charts of a summary, drill-down links.
Registered as template globals (portal/reports/__init__.py), so a template given only `summary`
(templates/reports/_kpi_tiles.html on the manager's home page) can draw everything. `chinese=True`
is the printed wording (PDF, Excel); otherwise the reader's language."""
from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import g, url_for
from flask_babel import format_date, gettext as _
from markupsafe import Markup

from portal.reports import charts
from portal.reports.services import METRIC_BY_KEY, Figure, KpiSummary, Metric, TechnicianRow

# Chart sizes: the page's full charts and the home page's small ones.
SIZES = {"full": {"bars": 560, "trend": 640, "trend_h": 210}, "small": {"bars": 420, "trend": 460, "trend_h": 170}}


def value_text(figure: Figure | None, *, chinese: bool = False) -> str:
    if figure is None or figure.value is None:
        return "—"
    if figure.metric.kind == "rate":
        return f"{figure.value:.1f}%"
    return f"{figure.value:.1f} 小时" if chinese else _("%(hours)s h", hours=f"{figure.value:.1f}")


def target_text(metric: Metric, target: float | None, *, chinese: bool = False) -> str:
    if target is None:
        return "无目标" if chinese else _("no target")
    amount = f"{target:g}%" if metric.kind == "rate" else (f"{target:g} 小时" if chinese else
                                                            _("%(hours)s h", hours=f"{target:g}"))
    sign = "<" if metric.key == "complaints" else ("≥" if metric.higher_is_better else "≤")
    return f"{sign} {amount}"


def ratio_text(figure: Figure) -> str:
    """"45 / 50" for a rate; the number of jobs averaged for a time."""
    if figure.metric.kind == "rate":
        return f"{figure.numerator} / {figure.denominator}"
    return str(figure.denominator)


def verdict(figure: Figure | None, *, chinese: bool = False) -> str:
    if figure is None or figure.ok is None:
        return "—" if chinese else ""
    if chinese:
        return "达标" if figure.ok else "未达标"
    return _("on target") if figure.ok else _("off target")


def state_class(figure: Figure | None) -> str:
    return "none" if figure is None or figure.ok is None else ("ok" if figure.ok else "bad")


def cases_url(**args: Any) -> str:
    """url_for("reports.cases", **args) for the hundreds of links of a KPI page: the route is built once
    per request, the query string here."""
    base = g.get("kpi_cases_url")
    if base is None:
        base = g.kpi_cases_url = url_for("reports.cases")
    return f"{base}?{urlencode({k: v for k, v in args.items() if v is not None})}"


def drill_url(summary: KpiSummary, metric: str, **extra: Any) -> str:
    args = {"metric": metric, "start": summary.start.isoformat(), "end": summary.end.isoformat(),
            "technician": summary.technician_id}
    args.update(extra)
    return cases_url(**args)


def row_name(row: TechnicianRow, *, chinese: bool = False) -> str:
    """A technician's name; the row of cases nobody was dispatched to is named in the printed language."""
    if row.user_id is None:
        return "未派工" if chinese else _("Not assigned")
    return row.name


def month_label(month: date, *, chinese: bool = False) -> str:
    if chinese:
        return f"{month.month}月"
    return format_date(month, "MMM")


def _unit(metric: Metric) -> str:
    return "%" if metric.kind == "rate" else "h"


def _target_label(metric: Metric, target: float | None, chinese: bool) -> str:
    if target is None:
        return ""
    return ("目标 " if chinese else _("target") + " ") + target_text(metric, target, chinese=chinese)


def technician_chart(summary: KpiSummary, key: str, *, chinese: bool = False, size: str = "full",
                     links: bool = True) -> Markup:
    metric = METRIC_BY_KEY[key]
    target = summary.targets.get(key)
    bars = []
    for row in summary.technicians:
        figure = row.figures.get(key)
        if figure is None or (row.user_id is None and not figure.denominator):
            continue
        href = None
        if links and row.user_id is not None and figure.denominator:
            href = cases_url(metric=key, start=summary.start.isoformat(), end=summary.end.isoformat(),
                           technician=row.user_id)
        bars.append(charts.Bar(row_name(row, chinese=chinese), figure.value, figure.ok, href,
                               ratio_text(figure) if metric.kind == "rate" else ""))
    title = (metric.print_label + "（按技术员）") if chinese else _("%(metric)s by technician", metric=metric.label)
    return charts.bar_chart(bars, title=title, target=target, target_label=_target_label(metric, target, chinese),
                            unit=_unit(metric), width=SIZES[size]["bars"])


def trend_chart(summary: KpiSummary, key: str, *, chinese: bool = False, size: str = "full",
                links: bool = True) -> Markup:
    metric = METRIC_BY_KEY[key]
    target = summary.targets.get(key)
    points = []
    for month in summary.months:
        figure = month.figures.get(key)
        if figure is None:
            continue
        href = drill_url(summary, key, bucket=month.key) if links and figure.denominator else None
        points.append(charts.Bar(month_label(month.first, chinese=chinese), figure.value, figure.ok, href,
                                 ratio_text(figure) if metric.kind == "rate" else ""))
    first, last = summary.months[0].first, summary.months[-1].first
    span = f"{first:%Y-%m} – {last:%Y-%m}"
    title = f"{metric.print_label}月度趋势 {span}" if chinese else _("%(metric)s per month, %(span)s",
                                                                 metric=metric.label, span=span)
    return charts.trend_chart(points, title=title, target=target, target_label=_target_label(metric, target, chinese),
                              unit=_unit(metric), width=SIZES[size]["trend"], height=SIZES[size]["trend_h"])


TEMPLATE_GLOBALS = {"kpi_value": value_text, "kpi_cases_url": cases_url, "kpi_target": target_text, "kpi_ratio": ratio_text,
                    "kpi_verdict": verdict, "kpi_class": state_class, "kpi_drill_url": drill_url,
                    "kpi_technician_chart": technician_chart, "kpi_trend_chart": trend_chart,
                    "kpi_month_label": month_label}
