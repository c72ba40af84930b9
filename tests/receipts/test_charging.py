"""The charging rules as pure functions (forms catalogue §3.4, §3.5): no database, no app."""
from datetime import date
from decimal import Decimal

import pytest

from portal.customers.models import (ContractStatus, Customer, CustomerKind, Equipment, LabourTerms, PartsTerms,
                                     ProductType, ServiceContract)
from portal.receipts.charging import decide_category, line_amount, money, price_line
from portal.receipts.models import ChargeCategory, LineKind

A, B, C = ChargeCategory.paid, ChargeCategory.contract, ChargeCategory.free
TODAY = date(2026, 11, 21)
PART, FEE = LineKind.part, LineKind.fee


def unit(*, bought=date(2026, 6, 1), months=12, contracts=(), agent=None) -> Equipment:
    return Equipment(purchase_date=bought, warranty_months=months, serial="ZG-1",
                     product_type=ProductType(name="节能灶", default_warranty_months=12),
                     contracts=list(contracts), agent=agent)


def contract(*, parts=PartsTerms.free, pct="0", labour=LabourTerms.free, fee="0", status=ContractStatus.active,
             start=date(2026, 1, 1), end=date(2026, 12, 31)) -> ServiceContract:
    return ServiceContract(number="HT-2026-000001", start_date=start, end_date=end, parts_terms=parts,
                           parts_discount_pct=Decimal(pct), labour_terms=labour, labour_fee=Decimal(fee), status=status)


def price(category, kind, list_price, *, contract=None, quantity="1", visit=False):
    return price_line(category=category, contract=contract, kind=kind, list_price=Decimal(list_price),
                      quantity=Decimal(quantity), visit_fee=visit)


# --- the category -------------------------------------------------------------------------------

def test_in_warranty_is_free_service_with_parts_and_fees_free():
    category, reason, deal, agent = decide_category(equipment=unit(), today=TODAY, misuse=False)
    assert (category, deal, agent) == (C, None, None) and "2026-06-01" in reason
    assert price(C, PART, "15.00", quantity="2") == Decimal("0.00")
    assert price(C, FEE, "50.00", visit=True) == Decimal("0.00")


def test_misuse_in_warranty_is_paid_at_list_prices_with_the_reason():
    category, reason, deal, agent = decide_category(equipment=unit(), today=TODAY, misuse=True,
                                                    misuse_reason="用户自行拆改燃气管")
    assert category is A and deal is None and agent is None
    assert "misuse" in reason and "用户自行拆改燃气管" in reason
    assert price(A, PART, "15.00") == Decimal("15.00")


def test_out_of_warranty_and_no_unit_are_paid_at_list_prices():
    assert decide_category(equipment=unit(bought=date(2024, 1, 1)), today=TODAY, misuse=False).category is A
    assert decide_category(equipment=unit(months=0), today=TODAY, misuse=False).category is A
    assert decide_category(equipment=None, today=TODAY, misuse=False).category is A
    assert price(A, PART, "128.50", quantity="3") == Decimal("128.50")
    assert price(A, FEE, "80.00", quantity="1.5") == Decimal("80.00")


def test_warranty_ending_today_is_free_and_yesterday_is_paid():
    bought = date(2025, 11, 21)  # 12 months: the last covered day is 2026-11-20
    assert decide_category(equipment=unit(bought=bought), today=date(2026, 11, 20), misuse=False).category is C
    assert decide_category(equipment=unit(bought=bought), today=date(2026, 11, 21), misuse=False).category is A


def test_active_contract_wins_over_warranty_and_misuse():
    deal = contract()
    category, _reason, found, agent = decide_category(equipment=unit(contracts=[deal]), today=TODAY, misuse=True)
    assert (category, found, agent) == (B, deal, None)


def test_cancelled_or_ended_contract_does_not_count():
    cancelled = contract(status=ContractStatus.cancelled)
    ended = contract(end=date(2026, 11, 20))
    old = unit(bought=date(2024, 1, 1), contracts=[cancelled, ended])
    assert decide_category(equipment=old, today=TODAY, misuse=False).category is A


# --- contract terms ------------------------------------------------------------------------------

def test_contract_parts_free():
    assert price(B, PART, "15.00", contract=contract(parts=PartsTerms.free), quantity="4") == Decimal("0.00")


def test_contract_parts_discount_rounds_half_up():
    deal = contract(parts=PartsTerms.discount, pct="50")
    assert price(B, PART, "22.25", contract=deal) == Decimal("11.13")  # 11.125, half up (not half even)
    assert price(B, PART, "100.00", contract=contract(parts=PartsTerms.discount, pct="15")) == Decimal("85.00")
    assert price(B, PART, "33.33", contract=contract(parts=PartsTerms.discount, pct="12.5")) == Decimal("29.16")


def test_contract_fixed_fee_applies_to_the_visit_fee_line_only():
    deal = contract(labour=LabourTerms.fixed, fee="30.00")
    assert price(B, FEE, "50.00", contract=deal, visit=True) == Decimal("30.00")
    assert price(B, FEE, "80.00", contract=deal, quantity="1.5") == Decimal("0.00")


def test_contract_labour_free_makes_every_fee_free():
    deal = contract(labour=LabourTerms.free)
    assert price(B, FEE, "50.00", contract=deal, visit=True) == Decimal("0.00")
    assert price(B, FEE, "80.00", contract=deal) == Decimal("0.00")


def test_contract_line_without_its_contract_is_a_programming_error():
    with pytest.raises(ValueError):
        price(B, PART, "15.00")


# --- agent billing ------------------------------------------------------------------------------

def test_agent_sold_unit_in_warranty_is_free_for_the_customer_and_billed_to_the_agent():
    dealer = Customer(name="济南鑫源商贸", kind=CustomerKind.agent)
    category, reason, deal, agent = decide_category(equipment=unit(agent=dealer), today=TODAY, misuse=False)
    assert (category, deal, agent) == (C, None, dealer) and "济南鑫源商贸" in reason


def test_agent_is_not_billed_for_misuse_or_after_the_warranty():
    dealer = Customer(name="济南鑫源商贸", kind=CustomerKind.agent)
    misuse = decide_category(equipment=unit(agent=dealer), today=TODAY, misuse=True, misuse_reason="摔坏")
    expired = decide_category(equipment=unit(bought=date(2024, 1, 1), agent=dealer), today=TODAY, misuse=False)
    assert (misuse.category, misuse.agent) == (A, None)
    assert (expired.category, expired.agent) == (A, None)


# --- amounts ------------------------------------------------------------------------------------

def test_amounts_are_decimal_and_rounded_half_up_to_the_fen():
    assert line_amount(Decimal("33.33"), Decimal("1.5")) == Decimal("50.00")  # 49.995
    assert line_amount(Decimal("15.00"), Decimal("3")) == Decimal("45.00")
    assert money("0.005") == Decimal("0.01")
    assert isinstance(price(A, PART, "15"), Decimal)


def test_quantity_must_be_positive():
    with pytest.raises(ValueError):
        price(A, PART, "15.00", quantity="0")
