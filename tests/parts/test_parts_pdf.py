import subprocess

import pytest

from portal.core.roles import Role
from portal.extensions import db
from portal.parts import services
from portal.repairs.models import RepairCase
from tests.parts import helpers

pytestmark = pytest.mark.pdf


def _text(tmp_path, data: bytes, name: str) -> tuple[str, str]:
    pdf = tmp_path / name
    pdf.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    text = "".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    return fonts, text


def test_fee_schedule_prints_active_lines_in_chinese(app, client, login_as, tmp_path):
    with app.app_context():
        helpers.part("熄火保护热电偶", price="28", code="XH-001", spec="M8×1长450mm")
        retired = helpers.part("旧款点火针", price="9.9", code="OLD-1")
        services.part_update(part=retired, values={"code": "OLD-1", "name": "旧款点火针", "spec": "", "unit": "个",
                                                   "unit_price": "9.90", "reorder_level": 0, "active": False},
                             expected_version=None, actor=None)
        helpers.fee("上门服务费", price="50", visit=True)
        helpers.fee("维修工时费", price="80", unit="小时")
        helpers.commit()
        effective = services.schedule_effective_date().isoformat()
    login_as(Role.technician)
    response = client.get("/parts/schedule.pdf", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    fonts, text = _text(tmp_path, response.data, "schedule.pdf")
    assert "Noto-Sans-CJK-SC" in fonts
    for expected in ("收费标准卡", "零配件", "编码", "规格", "服务收费", "熄火保护热电偶", "XH-001", "¥28.00", "上门服务费",
                     "¥50.00", "维修工时费", "小时", "¥80.00", f"本标准自{effective}起执行", "第1页/共1页"):
        assert expected in text, expected
    assert "旧款点火针" not in text


def test_requisition_slip_prints_the_quantities_and_signature_lines(app, client, make_user, tmp_path):
    tech = make_user(Role.technician, display_name="张师傅")
    keeper = make_user(Role.warehouse, display_name="陈库管")
    with app.app_context():
        case = helpers.job(tech)
        igniter = helpers.part("点火针", code="DH-001", stock=10)
        valve = helpers.part("电磁阀", code="FM-001", stock=3)
        req = helpers.issued(case, tech, [(igniter, 3), (valve, 1)], keeper=helpers.case_helpers.user(keeper))
        services.requisition_report_use(requisition=req, actor=helpers.case_helpers.user(tech),
                                        used={req.lines[0].id: 1, req.lines[1].id: 1},
                                        returned={req.lines[0].id: 2, req.lines[1].id: 0})
        helpers.commit()
        req_id, number, case_number = req.id, req.number, db.session.get(RepairCase, case.id).number
        customer = case.customer.name
    with client.session_transaction() as session:
        session["_user_id"] = str(tech)
    response = client.get(f"/parts/requisitions/{req_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    fonts, text = _text(tmp_path, response.data, "requisition.pdf")
    assert "Noto-Sans-CJK-SC" in fonts
    for expected in ("零配件领料单", number, case_number, customer, "张师傅", "陈库管", "点火针", "电磁阀",
                     "申领", "实发", "实用", "退回", "个3312", "个1110", "合计4422", "领料人：", "仓库管理员：", "第1页/共1页"):
        assert expected in text, expected
