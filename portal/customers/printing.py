"""Plain-data contexts for the customer info table (客户信息登记表); always printed in Chinese."""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale

from portal.core.timeutil import local_now
from portal.customers.models import Customer
from portal.customers.warranty import equipment_status
from portal.settings.services import letterhead


def customer_info_context(customer: Customer, *, today: date) -> dict:
    with force_locale("zh_CN"):
        units = []
        for unit in customer.equipment:
            status = equipment_status(unit, today=today)
            units.append({"product_type": unit.product_type.name, "model": unit.model, "serial": unit.serial,
                          "purchase_date": unit.purchase_date.isoformat(), "months": unit.effective_warranty_months,
                          "agent": unit.agent.name if unit.agent else "", "status": status.kind.label,
                          "status_class": status.kind.value, "reason": status.reason})
        contracts = [{"number": c.number, "period": f"{c.start_date} 至 {c.end_date}",
                      "parts": c.parts_terms.label + (f" {c.parts_discount_pct:.0f}%" if c.parts_terms.value == "discount" else ""),
                      "labour": c.labour_terms.label + (f" ¥{c.labour_fee}" if c.labour_terms.value == "fixed" else ""),
                      "units": "、".join(u.serial for u in c.equipment),
                      "state": "已取消" if c.status.value == "cancelled" else ("有效" if c.covers(today) else "未生效/已到期")}
                     for c in customer.contracts]
        return {
            "letterhead": letterhead(), "title": "客户信息登记表", "number": customer.number, "draft": False,
            "printed_at": local_now().strftime("%Y-%m-%d %H:%M"),
            "customer": {"name": customer.name, "kind": customer.kind.label,
                         "is_organisation": "单位" if customer.is_organisation else "个人",
                         "address": customer.address, "region": customer.region,
                         "key_customer": "是" if customer.key_customer else "否", "notes": customer.notes,
                         "created": customer.created_at.date().isoformat() if customer.created_at else ""},
            "contacts": [{"name": c.name, "title": c.title, "phone": c.phone, "alt_phone": c.alt_phone}
                         for c in customer.contacts],
            "units": units, "contracts": contracts,
        }
