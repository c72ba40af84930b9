"""The returns ledger (per product type, reason and month, rejected apart, Excel export) and the
printed slip (Chinese, draft until signed)."""
import io
from datetime import datetime, timezone

from openpyxl import load_workbook

from portal.core.pdf import render_pdf
from portal.core.roles import Role
from portal.core.timeutil import travel
from portal.extensions import db
from portal.returns import services
from portal.returns.models import ReturnState
from portal.returns.printing import slip_print_context
from tests.returns import helpers

RS = ReturnState
EN = {"Accept-Language": "en"}


def _seed(app):
    with app.app_context():
        with travel(datetime(2026, 8, 10, 3, tzinfo=timezone.utc)):
            helpers.new_slip(sale_reference="A1")
            helpers.new_slip(sale_reference="A2", reason="transport_damage")
        with travel(datetime(2026, 10, 5, 3, tzinfo=timezone.utc)):
            helpers.new_slip(sale_reference="A3")
            helpers.slip_in(RS.rejected, sale_reference="A4")
            helpers.slip_in(RS.cancelled, sale_reference="A5")
        db.session.commit()


def test_ledger_counts_per_type_reason_and_month(app):
    _seed(app)
    with app.test_request_context(headers=EN):
        from datetime import date
        book = services.ledger(start=date(2026, 1, 1), end=date(2026, 11, 21))
        assert book.months[0] == "2026-01" and book.months[-1] == "2026-11"
        rows = {(r.product_type, r.reason.value): r for r in book.rows}
        assert rows[("燃气热水器", "quality_defect")].months["2026-08"] == 1
        assert rows[("燃气热水器", "quality_defect")].months["2026-10"] == 1
        assert rows[("燃气热水器", "transport_damage")].total == 1
        assert book.total == 3 and len(book.rejected) == 1 and book.month_totals["2026-10"] == 1


def test_ledger_page_and_excel_export(app, client, login_as):
    _seed(app)
    login_as(Role.manager)
    page = client.get("/returns/ledger?start=2026-01-01&end=2026-11-21", headers=EN).get_data(as_text=True)
    assert "Rejected requests" in page and "超过退货期限" in page and "2026-08" in page
    bad = client.get("/returns/ledger?start=nonsense", headers=EN).get_data(as_text=True)
    assert "could not be read" in bad
    export = client.get("/returns/ledger.xlsx?start=2026-01-01&end=2026-11-21")
    assert export.status_code == 200 and "filename*=UTF-8''" in export.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(export.data))
    assert book.sheetnames == ["汇总", "审核拒绝", "明细"]
    summary = list(book["汇总"].values)
    assert summary[0][:3] == ("产品类型", "退货原因", "2026-01")
    assert summary[-2][0] == "合计" and summary[-2][-2] == 3
    assert [r[7] for r in list(book["审核拒绝"].values)[1:]] == ["超过退货期限"]
    assert len(list(book["明细"].values)) == 1 + 4  # cancelled requests are left out


def test_ledger_export_headings_are_bold_and_stay_in_view(app, client, login_as):
    _seed(app)
    login_as(Role.manager)
    export = client.get("/returns/ledger.xlsx?start=2026-01-01&end=2026-11-21")
    sheet = load_workbook(io.BytesIO(export.data))["明细"]
    assert sheet.freeze_panes == "A2"
    assert [c.font.b for c in sheet[1]] == [True] * 15 and not any(c.font.b for c in sheet[2])
    assert sheet.column_dimensions["A"].width == 18 and sheet.column_dimensions["C"].width == 24
    assert sheet["B2"].number_format == "yyyy-mm-dd" and sheet["A2"].data_type == "s"


def test_the_print_is_chinese_with_draft_and_history(app):
    with app.test_request_context(headers=EN):
        slip = helpers.slip_in(RS.inspected, actor=None)
        context = slip_print_context(slip)
        assert context["draft"] and context["title"].startswith("售后服务信息反馈表")
        assert [h["what"] for h in context["history"]][:2] == ["登记退货申请", "→ 审核通过"]
        assert ("质量缺陷", True) in context["reasons"]
        data = render_pdf("print/return_slip.html", **context)
        assert data[:4] == b"%PDF" and len(data) > 5000
