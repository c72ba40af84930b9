import subprocess

import pytest

from portal.core.roles import Role
from portal.extensions import db
from portal.receipts import services
from portal.receipts.models import ReceiptState, RepairReceipt
from tests.receipts import helpers

pytestmark = pytest.mark.pdf


def _run(*args) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def _pdf(client, tmp_path, receipt_id, name="receipt.pdf"):
    response = client.get(f"/receipts/{receipt_id}.pdf", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / name
    path.write_bytes(response.data)
    return path


def _text(path) -> str:
    return "".join(_run("pdftotext", "-raw", str(path), "-").split())


def _pages(path) -> int:
    info = _run("pdfinfo", str(path))
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_draft_receipt_with_ten_part_lines_and_a_fee_prints_on_one_page_with_the_watermark(app, client, login_as, tmp_path):
    tech = login_as(Role.technician, display_name="李师傅")
    with app.app_context():
        case = helpers.job(tech)
        parts = [(helpers.part(f"配件{i:02d} 燃气灶专用", f"{10 + i}.50", spec="规格 ZG-型-加长"), i) for i in range(1, 11)]
        helpers.report_used(case, parts)
        visit = helpers.fee("上门费", "50.00", visit=True)
        receipt = services.receipt_open(case=case, actor=None)
        services.receipt_load_parts(receipt=receipt, actor=None)
        services.receipt_set_fee(receipt=receipt, fee_item=visit, quantity="1", actor=None)
        receipt.fault_cause = "点火针积碳严重，燃气阀门老化漏气，导致点火困难并伴有燃气味。" * 2
        receipt.solution = "更换点火针、燃气阀门及密封圈，清理燃烧器，调整风门，现场试机十次均一次点火成功。" * 2
        receipt.test_run_shown = receipt.instructions_given = True
        receipt.collect_later = True
        services.reprice(receipt)
        helpers.commit()
        rid, number, case_number, total = receipt.id, receipt.number, case.number, receipt.total
    pdf = _pdf(client, tmp_path, rid)
    assert "Noto-Sans-CJK-SC" in _run("pdffonts", str(pdf))
    assert _pages(pdf) == 1
    text = _text(pdf)
    for expected in ("维修服务回执单", "草稿", number, case_number, "泉城大酒店", "A类有费服务", "配件10燃气灶专用",
                     "上门费", f"{total:,.2f}", "待收（后续收取）", "客户验收签字", "非常满意", "非常不满意", "李师傅",
                     "第1页/共1页"):
        assert expected in text, expected


def test_agent_billing_note_and_no_watermark_once_signed(app, client, login_as, tmp_path):
    tech = login_as(Role.technician)
    with app.app_context():
        case = helpers.job(tech, bought=helpers.in_warranty(), agent=True)
        helpers.report_used(case, [(helpers.part("点火针", "15.00"), 2)])
        receipt = services.receipt_open(case=case, actor=None)
        services.receipt_load_parts(receipt=receipt, actor=None)
        helpers.commit()
        rid = receipt.id
    draft = _text(_pdf(client, tmp_path, rid, "draft.pdf"))
    assert "C类免费服务" in draft and "费用由代理商济南鑫源商贸结算" in draft and "草稿" in draft
    with app.app_context():
        db.session.get(RepairReceipt, rid).state = ReceiptState.signed  # signing is the next issue's job
        helpers.commit()
    signed = _text(_pdf(client, tmp_path, rid, "signed.pdf"))
    assert "草稿" not in signed and "费用由代理商济南鑫源商贸结算" in signed
