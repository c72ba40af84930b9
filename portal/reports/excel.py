"""The KPI figures of a period as an Excel workbook (Chinese headings, like every export): the
department's figures against the targets, one row per technician, one per month of the trend."""
from __future__ import annotations

from functools import partial
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal.core import xlsx
from portal.reports.display import row_name, target_text, verdict
from portal.reports.services import Figure, KpiSummary

GOOD, BAD = Font(color="1A7F37"), Font(color="C62828")


def _cell(sheet, value: Any, *, bold: bool = False, font: Font | None = None) -> WriteOnlyCell:
    return xlsx.cell(sheet, value, bold=bold, font=font, float_format="0.0")  # figures are rounded to 0.1


_sheet = partial(xlsx.sheet_with_headings, freeze="B2")  # the name column stays in view too


def _value(figure: Figure | None) -> float | None:
    return None if figure is None or figure.value is None else round(figure.value, 1)


def _font(figure: Figure | None) -> Font | None:
    return None if figure is None or figure.ok is None else (GOOD if figure.ok else BAD)


def _unit(figure: Figure) -> str:
    return "%" if figure.metric.kind == "rate" else "小时"


def kpi_workbook(summary: KpiSummary) -> bytes:
    workbook = Workbook(write_only=True)
    metrics = summary.shown_metrics
    overview = _sheet(workbook, "部门汇总", ["指标", "数值", "单位", "目标", "是否达标", "分子", "分母", "口径"],
                      [14, 9, 7, 11, 9, 10, 10, 60])
    for metric in metrics:
        f = summary.department[metric.key]
        numerator = f.numerator if metric.kind == "rate" else round(f.numerator / 60, 1)
        overview.append([_cell(overview, metric.print_label, bold=True), _cell(overview, _value(f), font=_font(f)),
                         _cell(overview, _unit(f)), _cell(overview, target_text(metric, f.target, chinese=True)),
                         _cell(overview, verdict(f, chinese=True), font=_font(f)), _cell(overview, numerator),
                         _cell(overview, f.denominator), _cell(overview, metric.print_definition)])
    who = f"技术员：{summary.technician_name}" if summary.technician_id else "全部门"
    overview.append([])
    overview.append([_cell(overview, f"统计期间 {summary.start.isoformat()} 至 {summary.end.isoformat()}（{who}）；"
                                     "按报修受理日统计，已取消的报修不计。")])

    per_tech = [m for m in metrics if m.per_technician]
    people = _sheet(workbook, "技术员", ["技术员", *(m.print_label for m in per_tech),
                                       *(f"{m.print_label}（分子/分母）" for m in per_tech if m.kind == "rate")],
                    [12, *([11] * len(per_tech)), *([16] * sum(1 for m in per_tech if m.kind == "rate"))])
    for row in summary.technicians:
        figures = row.figures
        people.append([_cell(people, row_name(row, chinese=True)),
                       *(_cell(people, _value(figures[m.key]), font=_font(figures[m.key])) for m in per_tech),
                       *(_cell(people, f"{row.figures[m.key].numerator}/{row.figures[m.key].denominator}")
                         for m in per_tech if m.kind == "rate")])

    trend = _sheet(workbook, "月度趋势", ["月份", *(m.print_label for m in metrics)], [10, *([11] * len(metrics))])
    for month in summary.months:
        trend.append([_cell(trend, month.key), *(_cell(trend, _value(month.figures.get(m.key)),
                                                       font=_font(month.figures.get(m.key))) for m in metrics)])
    return xlsx.workbook_bytes(workbook)


def filename_header(summary: KpiSummary) -> str:
    span = f"{summary.start.isoformat()}_{summary.end.isoformat()}"
    return xlsx.content_disposition(f"售后服务KPI-{span}.xlsx", f"kpis-{span}.xlsx")
