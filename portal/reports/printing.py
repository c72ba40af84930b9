"""The monthly KPI report (售后服务月度KPI报告) as plain data for templates/print/kpi_monthly.html:
always Chinese, charts as inline SVG (WeasyPrint draws them), no links."""
from __future__ import annotations

from datetime import date

from portal.core.timeutil import local_now, local_today
from portal.reports.display import ratio_text, row_name, target_text, technician_chart, trend_chart, value_text, verdict
from portal.reports.services import FINE_KINDS, fine_events, kpi_summary, month_bounds
from portal.settings.services import letterhead

CHARTS = (("technician", "ontime"), ("technician", "satisfaction"), ("trend", "ontime"), ("trend", "satisfaction"),
          ("trend", "complaints"))


def _cell(figure) -> dict:
    return {"value": value_text(figure, chinese=True), "state": "none" if figure is None or figure.ok is None else
            ("ok" if figure.ok else "bad")}


def monthly_context(month: date) -> dict:
    start, end = month_bounds(month)
    summary = kpi_summary(start=start, end=end)
    metrics = summary.shown_metrics
    per_tech = [m for m in metrics if m.per_technician]
    draw = {"technician": technician_chart, "trend": trend_chart}
    people = fine_events(month=start)
    return {
        "letterhead": letterhead(), "title": "售后服务月度KPI报告", "number": f"KPI-{start:%Y%m}",
        "draft": end >= local_today(), "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
        "month": f"{start.year} 年 {start.month} 月", "first": start.isoformat(), "last": end.isoformat(),
        "figures": [{"label": m.print_label, "value": value_text(summary.department[m.key], chinese=True),
                     "target": target_text(m, summary.department[m.key].target, chinese=True),
                     "ratio": ratio_text(summary.department[m.key]) if m.kind == "rate" else
                     f"{summary.department[m.key].denominator} 单",
                     "verdict": verdict(summary.department[m.key], chinese=True),
                     "state": _cell(summary.department[m.key])["state"], "definition": m.print_definition}
                    for m in metrics],
        "charts": [draw[kind](summary, key, chinese=True, links=False) for kind, key in CHARTS],
        "tech_headings": [m.print_label for m in per_tech],
        "technicians": [{"name": row_name(row, chinese=True), "cells": [_cell(row.figures[m.key]) for m in per_tech]}
                        for row in summary.technicians],
        "trend_headings": [m.print_label for m in metrics],
        "trend": [{"month": row.key, "cells": [_cell(row.figures.get(m.key)) for m in metrics]}
                  for row in summary.months],
        "fine_kinds": [{"label": k.print_label, "amount": k.amount, "rule": k.rule} for k in FINE_KINDS],
        "fines": [{"name": p.name, "counts": [p.count(k.key) for k in FINE_KINDS], "total": p.total} for p in people],
        "fines_total": sum(p.total for p in people),
    }
