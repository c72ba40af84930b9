"""The n-gram index behind the customer search, on whichever database the suite runs."""
import pytest
from sqlalchemy import select

from portal.customers import search, services
from portal.customers.models import Customer
from tests.customers import helpers


def test_tokens_cut_runs_into_grams_and_keep_parts_apart():
    tokens = search.tokens_for("kh-2026-000001 | 张伟 | 13812345678")
    assert tokens[:4] == ["kh", "h", "202", "026"]
    assert "张伟" in tokens and "伟" in tokens and "381" in tokens and "8" in tokens
    assert tokens.count(search.SEPARATOR) == 3


@pytest.fixture
def people(db):
    zhang = helpers.customer("张伟", "13812345678", street="经十路 100 号")
    helpers.customer("张伟民", "13912345678")
    helpers.customer("李伟", "0531-88881234")
    helpers.customer("王张", "13700001111")
    db.commit()
    return zhang


def _names(q):
    return sorted(c.name for c in services.search_customers(services.Filters(q=q)).items)


@pytest.mark.parametrize("q,names", [
    ("张伟", ["张伟", "张伟民"]),
    ("张", ["张伟", "张伟民", "王张"]),  # one character: prefix of a gram, also at the end of a run
    ("伟", ["张伟", "张伟民", "李伟"]),
    ("伟民", ["张伟民"]),
    ("3812345", ["张伟"]),
    ("8", ["张伟", "张伟民", "李伟"]),
    ("88881234", ["李伟"]),
    ("经十路 100", ["张伟"]),  # two terms, both required
    ("伟李", []),  # never across two parts of the text
    ("...", []),  # nothing indexable: LIKE alone decides
])
def test_queries(people, q, names):
    assert _names(q) == names


def test_index_follows_edits_and_merges(db, people):
    other = db.scalar(select(Customer).where(Customer.name == "李伟"))
    services.customer_update(customer=other, values={"name": "李卫东"}, contacts=[
        services.ContactInput(name="李卫东", phone="0531-88881234")], expected_version=other.version, actor=None)
    db.commit()
    assert _names("李伟") == [] and _names("卫东") == ["李卫东"]
    services.customer_merge(survivor=people, duplicate=other, actor=None)
    db.commit()
    assert _names("卫东") == ["张伟"]  # the contact moved to the survivor; the duplicate left the index
