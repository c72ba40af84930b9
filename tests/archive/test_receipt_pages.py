"""The signed receipt on paper (issue 5 point 9): one A4 page with up to 10 part lines, a clean
second page beyond that (the signature block never split), and the company header and the page
counter on every printed document."""
import re
import subprocess
from pathlib import Path

import pytest
from flask import url_for

from portal.accounts.models import User
from portal.archive import services as archive
from portal.core.signatures import drawn_signature
from portal.extensions import db
from portal.core.roles import Role
from portal.receipts import services as receipts
from portal.settings.services import letterhead
from tests.archive import helpers as archive_helpers
from tests.receipts import helpers

pytestmark = pytest.mark.pdf
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "print"


def _run(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def _pages(path: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", _run("pdfinfo", str(path)), re.M).group(1))


def _page_text(path: Path, page: int) -> str:
    return "".join(_run("pdftotext", "-raw", "-f", str(page), "-l", str(page), str(path), "-").split())


def _signed_receipt_pdf(app, tech_id: int, part_lines: int, tmp_path: Path) -> tuple[Path, str]:
    """A charged receipt at its fullest (long texts, consent, collect later, visit fee and labour) with
    `part_lines` part lines, signed through the service; returns the archived PDF and its code."""
    with app.app_context(), app.test_request_context("/"):
        tech = db.session.get(User, tech_id)
        case = helpers.job(tech_id)
        used = [(helpers.part(f"配件{i:02d} 燃气灶专用", f"{10 + i}.50", spec="规格 ZG-型-加长"), 1 + i % 3)
                for i in range(1, part_lines + 1)]
        helpers.report_used(case, used)
        receipt = receipts.receipt_open(case=case, actor=tech)
        receipts.receipt_load_parts(receipt=receipt, actor=tech)
        receipts.receipt_set_fee(receipt=receipt, fee_item=helpers.fee("上门服务费", "50.00", visit=True), quantity="1",
                                 actor=tech)
        receipts.receipt_set_fee(receipt=receipt, fee_item=helpers.fee("维修工时费", "80.00", unit="小时"),
                                 quantity="1.5", actor=tech)
        receipts.receipt_save(receipt=receipt, expected_version=receipt.version, actor=tech, ready=True, values={
            "arrived_at": case.on_site_at, "finished_at": case.on_site_at,
            "fault_cause": "点火针积碳严重，燃气阀门老化漏气，导致点火困难并伴有燃气味。" * 2,
            "solution": "更换点火针、燃气阀门及密封圈，清理燃烧器，调整风门，现场试机十次均一次点火成功。" * 2,
            "test_run_shown": True, "instructions_given": True, "misuse": False, "misuse_reason": "",
            "customer_consented": True, "collected": 100, "collect_later": True})
        document = receipts.receipt_sign(
            receipt=receipt, signer_name="王建国", rating=4, comment="维修及时，师傅讲解很清楚，希望以后提前电话联系。",
            image=drawn_signature(archive_helpers.data_url(archive_helpers.png()), "[]"), address="10.0.0.8",
            user_agent="pytest", device="staff tablet", staff=tech,
            verify_url=lambda number, code: url_for("archive.verify", number=number, code=code, _external=True))
        db.session.commit()
        assert len(receipt.lines) == part_lines + 2
        target = tmp_path / f"receipt-{part_lines}.pdf"
        target.write_bytes(archive.file_path(document).read_bytes())
        return target, document.verification_code


def _header_and_counter(path: Path, page: int, pages: int, company: str) -> None:
    text = _page_text(path, page)
    assert company in text, f"page {page}: no company header"
    assert f"第{page}页/共{pages}页" in text, f"page {page}: no page counter"


def test_ten_part_lines_signed_fit_one_page(app, make_user, tmp_path):
    tech = make_user(Role.technician, display_name="李师傅")
    pdf, code = _signed_receipt_pdf(app, tech, 10, tmp_path)
    assert _pages(pdf) == 1
    text = _page_text(pdf, 1)
    for expected in ("配件10燃气灶专用", "维修工时费", "客户验收签字", "签字人：王建国", "满意度评价", code):
        assert expected in text, expected
    with app.app_context():
        _header_and_counter(pdf, 1, 1, letterhead()["company_name"])


@pytest.mark.parametrize("part_lines", [15, 28])
def test_more_part_lines_flow_to_a_second_page_with_the_signature_block_whole(app, make_user, tmp_path, part_lines):
    tech = make_user(Role.technician, display_name="李师傅")
    pdf, code = _signed_receipt_pdf(app, tech, part_lines, tmp_path)
    assert _pages(pdf) == 2
    first, second = _page_text(pdf, 1), _page_text(pdf, 2)
    # Lines flow on whole rows (each on exactly one page); if any reaches page 2, the heads repeat there.
    names = [f"配件{n:02d}燃气灶专用" for n in range(1, part_lines + 1)] + ["上门服务费", "维修工时费"]
    for name in names:
        assert (name in first) != (name in second), name
    assert "名称规格" in second or not any(name in second for name in names)
    if part_lines > 20:
        assert "名称规格" in second  # the table itself was split
    assert "合计" in first + second
    # The acceptance block (signature, rating, QR and code) stays together on the last page.
    for part in ("客户验收签字", "签字人：王建国", "满意度评价", "客户意见", code):
        assert part in second and part not in first, part
    with app.app_context():
        company = letterhead()["company_name"]
    _header_and_counter(pdf, 1, 2, company)
    _header_and_counter(pdf, 2, 2, company)
    # The number of the document is in the footer of every page.
    number = re.search(r"HZ-\d{4}-\d{6}", first).group(0)
    assert number in second


def test_every_print_template_uses_the_letterhead_base():
    """The company header and the page counter live in print/_base.html and print.css."""
    base = (TEMPLATES / "_base.html").read_text(encoding="utf-8")
    assert "letterhead.company_name" in base and "print_static('css/print.css')" in base
    css = (TEMPLATES.parents[1] / "static" / "css" / "print.css").read_text(encoding="utf-8")
    assert 'counter(page) " 页 / 共 " counter(pages)' in css
    for template in TEMPLATES.glob("*.html"):
        if template.name != "_base.html":
            assert template.read_text(encoding="utf-8").startswith('{% extends "print/_base.html" %}'), template.name
