import subprocess
from datetime import timedelta

import pytest

from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.dispatch import services
from portal.extensions import db
from tests.dispatch import helpers
from tests.repairs import helpers as repair_helpers

pytestmark = pytest.mark.pdf


def _text(pdf) -> str:
    return "".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())


def test_dispatch_slip_prints_in_chinese_with_history(app, client, login_as, make_user, tmp_path):
    tech = make_user(Role.technician, display_name="王师傅")
    other = make_user(Role.technician, display_name="李师傅")
    with app.app_context():
        case = helpers.waiting_case()
        case.probable_cause, case.parts_to_prepare = "喷嘴堵塞", "3 号喷嘴"
        slip = services.dispatch_case(case=case, technician=repair_helpers.user(tech),
                                      appointment_at=utcnow() + timedelta(hours=5), late_reason="客户下午才在家",
                                      customer_agreed=True, instructions="先电话确认", actor=None)
        services.reassign(slip=slip, technician=repair_helpers.user(other), reason="王师傅请假", actor=None)
        services.record_contact(case=case, outcome="no_answer", note="无人接听", actor=repair_helpers.user(other))
        db.session.commit()
        slip_id, slip_number, case_number = slip.id, slip.number, case.number
    login_as(Role.clerk)
    response = client.get(f"/dispatch/slips/{slip_id}.pdf", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(response.data)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts
    text = _text(pdf)
    for expected in ("售后派工单", slip_number, case_number, "张伟", "点不着火", "喷嘴堵塞", "3号喷嘴", "李师傅",
                     "客户下午才在家", "先电话确认", "改派", "王师傅请假", "无人接听", "故障原因", "解决办法", "更换配件",
                     "客户签字", "已过保", "第1页/共1页"):
        assert expected in text, expected


def test_the_technician_of_the_slip_prints_it_too(app, client, login_as):
    tech = login_as(Role.technician)
    with app.app_context():
        _case, slip = helpers.dispatched_case(tech)
        db.session.commit()
        slip_id = slip.id
    response = client.get(f"/dispatch/slips/{slip_id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
