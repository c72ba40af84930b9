"""The returns ledger (售后服务信息台账 F37) as an Excel workbook: the counts per product type,
reason and month, the rejected requests, and one line per return with its status (落实情况)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook

from portal.core import xlsx
from portal.core.timeutil import as_local, local_today
from portal.returns import services
from portal.returns.printing import (OUTCOME_NAMES, REASON_NAMES, RESOLUTION_NAMES, RESPONSIBILITY_NAMES,
                                     STATE_NAMES)

MAX_SPAN_DAYS = 366 * 5


@dataclass(frozen=True)
class LedgerQuery:
    start: date
    end: date
    product_type_id: int | None
    problem: str = ""

    @classmethod
    def from_args(cls, args) -> "LedgerQuery":
        """The range typed in the filter, or the last 12 months; a range given backwards is turned round."""
        default_start, default_end = services.default_range(local_today())
        start, end = _day(args.get("start")), _day(args.get("end"))
        problem = ""
        if (args.get("start") and start is None) or (args.get("end") and end is None):
            problem = "bad_date"
        start, end = start or default_start, end or default_end
        if start > end:
            start, end = end, start
        if (end - start).days > MAX_SPAN_DAYS:
            start, problem = date(end.year - 5, end.month, 1), "too_long"
        kind = args.get("product_type", "")
        return cls(start, end, int(kind) if kind.isdigit() else None, problem)

    def ledger(self) -> services.Ledger:
        return services.ledger(start=self.start, end=self.end, product_type_id=self.product_type_id)

    def as_args(self) -> dict[str, str]:
        args = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.product_type_id:
            args["product_type"] = str(self.product_type_id)
        return args


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def ledger_workbook(book: services.Ledger) -> bytes:
    workbook = Workbook(write_only=True)
    summary = xlsx.sheet_with_headings(workbook, "汇总", ["产品类型", "退货原因", *book.months, "合计（单）", "合计（件）"],
                                       [16, 12, *([9] * len(book.months)), 11, 11])
    for row in book.rows:
        summary.append([xlsx.cell(summary, v) for v in
                        [row.product_type, REASON_NAMES[row.reason], *(row.months[m] for m in book.months),
                         row.total, row.units]])
    summary.append([xlsx.cell(summary, v, bold=True) for v in
                    ["合计", "", *(book.month_totals[m] for m in book.months), book.total, book.units]])
    summary.append([xlsx.cell(summary, f"统计期间 {book.start.isoformat()} 至 {book.end.isoformat()}；"
                                       f"不含已撤销及审核拒绝的申请（见“审核拒绝”表）。")])

    rejected = xlsx.sheet_with_headings(
        workbook, "审核拒绝", ["退货单号", "申请日期", "客户", "产品类型", "序列号", "数量", "退货原因", "拒绝原因", "审核人",
                             "审核日期"], [18, 12, 24, 14, 18, 8, 12, 40, 10, 12])
    for slip in book.rejected:
        rejected.append([xlsx.cell(rejected, v) for v in
                         [slip.number, as_local(slip.requested_at).date(), slip.customer.name, slip.product_type.name,
                          slip.serial, slip.quantity, REASON_NAMES[slip.reason], slip.review_note,
                          slip.reviewed_by.display_name if slip.reviewed_by else "",
                          as_local(slip.reviewed_at).date() if slip.reviewed_at else None]])

    lines = xlsx.sheet_with_headings(
        workbook, "明细", ["退货单号", "申请日期", "客户", "产品类型", "型号", "序列号", "销售单号", "销售日期", "售出数量",
                         "退货数量", "退货原因", "客户要求", "责任", "处理结果", "落实情况"],
        [18, 12, 24, 14, 12, 18, 16, 12, 9, 9, 12, 9, 14, 14, 14])
    for slip in book.slips:
        lines.append([xlsx.cell(lines, v) for v in
                      [slip.number, as_local(slip.requested_at).date(), slip.customer.name, slip.product_type.name,
                       slip.model, slip.serial, slip.sale_reference, slip.sale_date, slip.quantity_sold,
                       slip.quantity, REASON_NAMES[slip.reason], OUTCOME_NAMES[slip.outcome],
                       RESPONSIBILITY_NAMES[slip.responsibility] if slip.responsibility else "",
                       RESOLUTION_NAMES[slip.resolution] if slip.resolution else "", STATE_NAMES[slip.state]]])
    return xlsx.workbook_bytes(workbook)


def filename_header(query: LedgerQuery) -> str:
    span = f"{query.start.isoformat()}_{query.end.isoformat()}"
    return xlsx.content_disposition(f"售后服务信息台账-{span}.xlsx", f"returns-ledger-{span}.xlsx")
