import subprocess
from datetime import date

import pytest

from portal.core.roles import Role
from portal.customers import services
from tests.customers import helpers

pytestmark = pytest.mark.pdf


def test_customer_info_table_prints_in_chinese(app, client, login_as, tmp_path):
    with app.app_context():
        customer = helpers.customer("泉城大酒店", "0531-88881234", is_organisation=True, province="山东省", city="济南市",
                                    street="泉城路 1 号", region="济南东片", key_customer=True)
        old = helpers.unit(customer, "ZG-2025-0100", bought=date(2025, 3, 2))
        helpers.unit(customer, "ZG-2026-0007", bought=date(2026, 6, 1))
        services.contract_create(customer=customer, values={
            "equipment_ids": [old.id], "start_date": date(2026, 1, 1), "end_date": date(2030, 12, 31),
            "parts_terms": "discount", "parts_discount_pct": 20, "labour_terms": "free"}, actor=None)
        helpers.commit()
        cid, number = customer.id, customer.number
    login_as(Role.clerk)
    response = client.get(f"/customers/{cid}/info.pdf", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "info.pdf"
    pdf.write_bytes(response.data)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Sans-CJK-SC" in fonts
    text = "".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    for expected in ("客户信息登记表", number, "泉城大酒店", "0531-88881234", "ZG-2025-0100", "合同保修",
                     "购买于2026-06-01，保修12个月，至2027-05-31止", "第1页/共1页"):
        assert expected in text, expected
