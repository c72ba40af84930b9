"""Pure rules: phone normalisation and warranty computation, boundary days included."""
from datetime import date
from decimal import Decimal

import pytest

from portal.customers import phones
from portal.customers.models import ContractStatus, ServiceContract, WarrantyKind
from portal.customers.warranty import add_months, status_for, warranty_end


@pytest.mark.parametrize("raw,normal,kind", [
    ("13812345678", "13812345678", "mobile"),
    ("138 1234 5678", "13812345678", "mobile"),
    ("138-1234-5678", "13812345678", "mobile"),
    ("+86 138 1234 5678", "13812345678", "mobile"),
    ("0086-13812345678", "13812345678", "mobile"),
    ("8613812345678", "13812345678", "mobile"),
    ("0531-88881234", "0531-88881234", "landline"),
    ("(0531) 8888 1234", "0531-88881234", "landline"),
    ("010-62345678", "010-62345678", "landline"),
    ("02162345678", "021-62345678", "landline"),
    ("0531-8888123", "0531-8888123", "landline"),
    ("0531-88881234转201", "0531-88881234-201", "landline"),
    ("0531-88881234 ext 5", "0531-88881234-5", "landline"),
    ("400-123-4567", "400-123-4567", "service"),
    ("4001234567", "400-123-4567", "service"),
    ("１３８１２３４５６７８".translate(str.maketrans("１２３４５６７８", "12345678")), "13812345678", "mobile"),
])
def test_valid_numbers_are_normalised(raw, normal, kind):
    phone = phones.normalise(raw)
    assert (phone.normal, phone.kind) == (normal, kind)


@pytest.mark.parametrize("raw", ["", "12345678901", "1381234567", "138123456789", "88881234", "0531-123",
                                 "0531-0888123", "abc", "138-1234-567a", "13812345678转1"])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(phones.PhoneError):
        phones.normalise(raw)


def test_digits_fragment():
    assert phones.digits_fragment("138 1234") == "1381234"
    assert phones.digits_fragment("0531-8888") == "05318888"
    assert phones.digits_fragment("12") is None and phones.digits_fragment("张伟") is None


def test_add_months_clamps_to_month_end():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 2), 12) == date(2026, 3, 2)


def test_twelve_months_from_march_2nd_end_on_march_1st():
    assert warranty_end(date(2025, 3, 2), 12) == date(2026, 3, 1)
    assert warranty_end(date(2025, 3, 2), 0) is None


@pytest.mark.parametrize("today,kind", [
    (date(2026, 2, 28), WarrantyKind.in_warranty),
    (date(2026, 3, 1), WarrantyKind.in_warranty),  # the last covered day
    (date(2026, 3, 2), WarrantyKind.out_of_warranty),  # the first day out
    (date(2025, 3, 2), WarrantyKind.in_warranty),  # the purchase day
])
def test_boundary_days(app, today, kind):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        status = status_for(purchase_date=date(2025, 3, 2), months=12, today=today)
    assert status.kind is kind and status.ends_on == date(2026, 3, 1)


def test_reason_in_chinese_and_english(app):
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        zh = status_for(purchase_date=date(2025, 3, 2), months=12, today=date(2026, 11, 21)).reason
    with app.test_request_context(headers={"Accept-Language": "en"}):
        en = status_for(purchase_date=date(2025, 3, 2), months=12, today=date(2026, 11, 21)).reason
        inside = status_for(purchase_date=date(2026, 3, 2), months=12, today=date(2026, 11, 21)).reason
        none = status_for(purchase_date=date(2026, 3, 2), months=0, today=date(2026, 11, 21))
    assert zh == "购买于 2025-03-02，保修 12 个月，2026-03-01 到期"
    assert en == "bought 2025-03-02, 12-month warranty, expired 2026-03-01"
    assert inside == "bought 2026-03-02, 12-month warranty, until 2027-03-01"
    assert none.kind is WarrantyKind.out_of_warranty and "no warranty" in none.reason


@pytest.mark.parametrize("today,kind", [
    (date(2026, 5, 31), WarrantyKind.out_of_warranty),
    (date(2026, 6, 1), WarrantyKind.under_contract),
    (date(2026, 12, 31), WarrantyKind.under_contract),
    (date(2027, 1, 1), WarrantyKind.out_of_warranty),
])
def test_active_contract_puts_a_unit_under_contract_within_its_dates(app, today, kind):
    contract = ServiceContract(number="HT-2026-000001", start_date=date(2026, 6, 1), end_date=date(2026, 12, 31),
                               status=ContractStatus.active, parts_discount_pct=Decimal(0))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        status = status_for(purchase_date=date(2020, 1, 1), months=12, today=today, contract=contract)
    assert status.kind is kind


def test_cancelled_contract_does_not_cover(app):
    contract = ServiceContract(number="HT-1", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
                               status=ContractStatus.cancelled)
    with app.test_request_context():
        assert status_for(purchase_date=date(2020, 1, 1), months=12, today=date(2026, 6, 1),
                          contract=contract).kind is WarrantyKind.out_of_warranty
