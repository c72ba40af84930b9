"""The KPI pages: access, the period form's messages, drill-down, Excel, the monthly PDF, the home partial."""
from __future__ import annotations

import io
import re
import subprocess

import pytest
from flask import render_template

from portal.core.roles import Role
from portal.core.timeutil import travel
from portal.extensions import db
from tests.conftest import ARTIFACTS
from tests.reports import helpers

EN = {"Accept-Language": "en"}
OCTOBER = "start=2026-10-01&end=2026-10-31"


@pytest.fixture
def manager(client, login_as):
    return login_as(Role.manager)


@pytest.mark.parametrize("role, status", [(Role.manager, 200), (Role.clerk, 200), (Role.technician, 403),
                                          (Role.operator, 403), (Role.warehouse, 403)])
def test_who_may_read_the_kpis(client, login_as, role, status):
    login_as(role)
    for url in ("/reports/", "/reports/cases?metric=ontime", "/reports/fines", "/reports/kpis.xlsx"):
        assert client.get(url, headers=EN).status_code == status, url


def test_signed_out_is_sent_to_sign_in(client):
    assert client.get("/reports/").status_code in (302, 303)


def test_the_page_shows_the_figures_against_the_targets(client, manager, world):
    with travel(helpers.NOW):
        page = client.get(f"/reports/?{OCTOBER}", headers=EN).get_data(as_text=True)
    assert "75.0%" in page and "40.0%" in page and "25.0%" in page  # on time, complaints, follow-ups
    assert page.count('class="kpi-tile kpi-bad"') >= 3 and "<svg" in page and "甲师傅" in page
    assert "/reports/cases?metric=satisfaction" in page
    assert 'href="/reports/kpis.xlsx?' in page and "/reports/monthly.pdf?month=2026-10" in page


def test_clicking_the_satisfaction_rate_lists_the_rated_cases(client, manager, world):
    with travel(helpers.NOW):
        page = client.get(f"/reports/?{OCTOBER}", headers=EN).get_data(as_text=True)
        link = re.search(r'href="(/reports/cases\?metric=satisfaction[^"]*)"', page).group(1).replace("&amp;", "&")
        listing = client.get(link, headers=EN).get_data(as_text=True)
    numbers = world["numbers"]
    for rated in ("c1", "c2", "c4"):
        assert numbers[rated] in listing
    for other in ("c3", "c5", "c6", "c7", "c8"):
        assert numbers[other] not in listing
    assert "Very satisfied" in listing and "Neutral" in listing


@pytest.mark.parametrize("query, field, message", [
    ("start=2026-10-31&end=2026-10-01", "end", "The end date is before the start date."),
    ("start=2020-01-01&end=2025-01-01", "end", "A range can be at most 5 years long."),
    ("start=2026-10-01&end=", "end", "Enter both dates of the range"),
    ("start=2026-13-01&end=2026-10-01", "start", "Enter a date such as 2026-11-03."),
    ("month=2026-13", "month", "Enter a month such as 2026-11."),
    ("month=0001-01", "month", "Enter a date between 2000 and 2099."),
    ("start=0001-01-01&end=0001-02-01", "start", "Enter a date between 2000 and 2099."),
])
def test_a_bad_period_gets_a_message_under_the_field_and_keeps_the_values(client, manager, query, field, message):
    response = client.get(f"/reports/?{query}&technician=", headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(rf'<p class="error" id="{field}-error">[^<]*{re.escape(message)}', page)
    for name, value in (pair.split("=") for pair in query.split("&")):
        if value:
            assert f'value="{value}"' in page
    assert "kpi-tile" not in page


def test_five_years_exactly_is_allowed(client, manager):
    assert client.get("/reports/?start=2020-01-02&end=2025-01-01", headers=EN).status_code == 200


def test_the_filter_answers_a_fragment_to_htmx(client, manager):
    response = client.get("/reports/?month=2026-10", headers={**EN, "HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.lstrip().startswith("{#") is False
    assert page.count('id="kpi-page"') == 1 and "<html" not in page


def test_unknown_metric_is_404(client, manager):
    assert client.get("/reports/cases?metric=nope", headers=EN).status_code == 404


def test_fines_page_lists_the_events(client, manager, world):
    with travel(helpers.NOW):
        page = client.get("/reports/fines?month=2026-10", headers=EN).get_data(as_text=True)
        assert client.get("/reports/fines?month=10-2026", headers=EN).status_code == 422
    assert "Late dispatch" in page and "Late on site" in page and world["numbers"]["c5"] in page


def test_excel_has_the_figures(client, manager, world):
    from openpyxl import load_workbook
    with travel(helpers.NOW):
        response = client.get(f"/reports/kpis.xlsx?{OCTOBER}", headers=EN)
    assert response.status_code == 200 and "kpis-2026-10-01_2026-10-31.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["部门汇总", "技术员", "月度趋势"]
    rows = {r[0]: r for r in book["部门汇总"].iter_rows(values_only=True) if r and r[0]}
    assert rows["服务及时率"][1:7] == (75.0, "%", "≥ 90%", "未达标", 3, 4)
    assert rows["用户抱怨率"][1] == 40.0 and rows["回访及时率"][5:7] == (1, 4)
    people = {r[0]: r for r in book["技术员"].iter_rows(values_only=True)}
    assert people["甲师傅"][1] == 50.0 and people["乙师傅"][1] == 100.0
    months = [r[0] for r in book["月度趋势"].iter_rows(values_only=True)][1:]
    assert months[0] == "2025-11" and months[-1] == "2026-10"
    # Bold headings and the name column stay in view; figures with one decimal, coloured by verdict.
    overview = book["部门汇总"]
    assert overview.freeze_panes == "B2" and all(c.font.b for c in overview[1])
    assert overview.column_dimensions["A"].width == 14 and overview.column_dimensions["H"].width == 60
    timely = next(row for row in overview.iter_rows() if row[0].value == "服务及时率")
    assert timely[0].font.b and timely[1].number_format == "0.0" and timely[1].font.color.rgb.endswith("C62828")


def test_home_partial_renders_from_the_summary_alone(app, world):
    from portal.reports.services import home_context
    with app.test_request_context(headers=EN), travel(helpers.NOW):
        html = render_template("reports/_kpi_tiles.html", **home_context())
    assert html.count("kpi-tile ") == 7 and html.count("<svg") == 3 and "100.0%" in html


def test_signing_a_receipt_records_the_rating_on_the_case(app, make_user):
    from portal.core.signatures import drawn_signature
    from portal.receipts import services as receipts
    from portal.receipts.models import RepairReceipt
    from tests.archive import helpers as archive_helpers
    tech = make_user(Role.technician)
    with app.app_context():
        receipt_id = archive_helpers.ready_receipt(tech).id
    with app.test_request_context(headers=EN):
        receipt = db.session.get(RepairReceipt, receipt_id)
        receipts.receipt_sign(receipt=receipt, signer_name="王经理", rating=2, comment="", device="test",
                              image=drawn_signature(archive_helpers.data_url(archive_helpers.png())),
                              address="127.0.0.1", user_agent="pytest", staff=None,
                              verify_url=lambda n, c: f"https://x/verify/{n}?code={c}")
        db.session.commit()
        case = db.session.get(RepairReceipt, receipt_id).case
        assert case.rating == 2 and case.kpi_ontime is not None and case.kpi_day is not None


@pytest.mark.pdf
def test_the_monthly_report_pdf_has_its_charts_in_chinese(client, manager, world):
    with travel(helpers.NOW):
        response = client.get("/reports/monthly.pdf?month=2026-10", headers=EN)
        assert client.get("/reports/monthly.pdf?month=2026-99", headers=EN).status_code == 422
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "kpi-monthly.pdf"  # kept for a look: pdftoppm -png test-artifacts/kpi-monthly.pdf
    pdf.write_bytes(response.data)
    text = "".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    for heading in ("售后服务月度KPI报告", "一、部门指标", "服务及时率", "用户满意度", "用户抱怨率", "五、考核事项",
                    "服务及时率（按技术员）", "服务及时率月度趋势", "甲师傅", "75.0%", "目标≥90%"):
        assert heading in text, heading
    assert "Noto-Sans-CJK-SC" in subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
