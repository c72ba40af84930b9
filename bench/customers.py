"""Customer archive at scale (issue 3): 100 000 customers, 200 000 units.

Builds a fresh database from the real migrations, bulk-loads it with SQLAlchemy Core (the services
are far too slow for 100k records) while writing exactly the derived columns the services write
(number, search_text, warranty_ends_on, the number_sequence row, and the n-gram search index through
portal.customers.search.store when the code has one), then times

  * services.search_customers() for a phone fragment, a common two-character name and a serial
    (the count query and the page of 25 included), N=200 each after a warm-up;
  * GET /customers/?q=张 as a signed-in clerk against a bare route that returns a string of the
    same size, on the same app (so the ratio is the cost of the list page itself).

Used by bench/run.py; on PostgreSQL only the search figures are taken (prefixed pg_).
"""
from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from sqlalchemy import func, insert, select, text

from bench.common import percentile
from portal.core.models import NumberSequence
from portal.core.numbering import format_number
from portal.core.timeutil import local_now, local_today
from portal.customers.demo import PhoneMaker
from portal.customers.models import (Contact, Customer, CustomerKind, CustomerStatus, Equipment, ProductType)
from portal.customers.warranty import warranty_end
from portal.extensions import db

CUSTOMERS = 100_000
UNITS = 200_000
CHUNK = 5_000
N = 200
WARMUP = 10
SEED = 3

PRODUCT_TYPES = [("节能灶", 12, "JN"), ("商用炒灶", 12, "CZ"), ("蒸柜", 24, "ZG"), ("燃气灶", 12, "RQ"),
                 ("油烟净化器", 18, "YJ"), ("煲仔炉", 12, "BZ")]
MODELS = {"JN": ["JN-800", "JN-1000", "JN-1200"], "CZ": ["CZ-2A", "CZ-3B", "CZ-1S"], "ZG": ["ZG-12", "ZG-24", "ZG-D10"],
          "RQ": ["RQ-B2", "RQ-T2"], "YJ": ["YJ-4000", "YJ-8000", "YJ-12000"], "BZ": ["BZ-4", "BZ-6"]}
CITIES = [("济南市", "0531", ["历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区"],
           ["经十路", "泉城路", "解放路", "山大路", "工业南路", "二环东路"]),
          ("青岛市", "0532", ["市南区", "市北区", "黄岛区", "崂山区", "李沧区", "城阳区"],
           ["香港中路", "延安三路", "辽阳西路", "长江中路"]),
          ("淄博市", "0533", ["张店区", "淄川区", "博山区", "临淄区", "周村区"], ["人民西路", "华光路", "柳泉路"]),
          ("潍坊市", "0536", ["奎文区", "潍城区", "坊子区", "寒亭区", "寿光市"], ["东风东街", "胜利东街", "北海路"]),
          ("烟台市", "0535", ["芝罘区", "莱山区", "福山区", "牟平区"], ["南大街", "迎春大街", "观海路"]),
          ("临沂市", "0539", ["兰山区", "罗庄区", "河东区", "沂南县"], ["沂蒙路", "通达路", "北京路"])]
EAST_JINAN = {"历下区", "历城区", "章丘区"}
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建红鹏飞宇浩凯斌波辉晨鑫峰国庆志新德振永金宏雪春"
# Names searched by the benchmark; each is given to ~0.3 % of the people generated.
COMMON_NAMES = ["张伟", "王芳", "李娜", "刘洋"]
COMPANY_WORDS = ["鲁味居", "聚丰园", "福满楼", "海悦", "齐鲁香", "金百合", "好客来", "御膳坊", "一品香", "蓬莱阁"]
COMPANY_KINDS = ["餐馆", "饭店", "酒楼", "大酒店", "快餐店", "学校食堂", "工厂食堂", "职工食堂", "宾馆"]
TITLES = ["老板", "经理", "厨师长", "后勤主任", "采购", "店长"]


from portal.customers.search import search_text_from as search_text_for  # noqa: E402


@dataclass
class Loaded:
    customers: int = 0
    contacts: int = 0
    units: int = 0
    seconds: float = 0.0
    phones: list[str] = field(default_factory=list)      # sample of mobile numbers in the data
    serials: list[str] = field(default_factory=list)     # sample of serials in the data
    name_share: dict[str, int] = field(default_factory=dict)
    search_index: str = "none (LIKE on customer.search_text only)"


class _Generator(PhoneMaker):
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.phones: set[str] = set()

    def person(self) -> str:
        rng = self.rng
        if rng.random() < 0.012:
            return rng.choice(COMMON_NAMES)
        surname = rng.choice(SURNAMES)
        given = rng.choice(GIVEN) if rng.random() < 0.4 else rng.choice(GIVEN) + rng.choice(GIVEN)
        name = surname + given
        return name if name not in COMMON_NAMES else name + "华"


def load(*, customers: int = CUSTOMERS, units: int = UNITS, seed: int = SEED, verify: int = 50) -> Loaded:
    """Bulk-insert the archive into the (empty, migrated) database of the current app context."""
    started = time.perf_counter()
    gen = _Generator(seed)
    rng = gen.rng
    today = local_today()
    now = datetime.now(timezone.utc)
    year = local_now().year
    result = Loaded()

    with db.engine.begin() as conn:
        type_rows = [{"id": i + 1, "name": name, "default_warranty_months": months, "active": True,
                      "created_at": now, "updated_at": now, "version": 1}
                     for i, (name, months, _prefix) in enumerate(PRODUCT_TYPES)]
        conn.execute(insert(ProductType.__table__), type_rows)

        # Every customer has one unit, the rest are spread at random (so 1 to ~7 per customer).
        unit_counts = [1] * customers
        for _ in range(units - customers):
            unit_counts[rng.randrange(customers)] += 1
        agent_ids = [i for i in range(1, customers + 1) if i % 400 == 7]  # ~250 dealers
        serial_seq: dict[tuple[str, int, int], int] = {}
        customer_rows: list[dict[str, Any]] = []
        contact_rows: list[dict[str, Any]] = []
        unit_rows: list[dict[str, Any]] = []
        contact_id = unit_id = 0
        indexed: list[tuple[int, str]] = []

        def flush(force: bool = False) -> None:
            for table, rows in ((Customer.__table__, customer_rows), (Contact.__table__, contact_rows),
                                (Equipment.__table__, unit_rows)):
                if rows and (force or len(customer_rows) >= CHUNK):
                    conn.execute(insert(table), rows)
                    rows.clear()

        for cid in range(1, customers + 1):
            agent = cid in agent_ids
            organisation = agent or rng.random() < 1 / 3
            city, area, districts, roads = rng.choice(CITIES)
            district = rng.choice(districts)
            region = city.removesuffix("市")
            if city == "济南市":
                region = "济南东片" if district in EAST_JINAN else "济南西片"
            street = f"{rng.choice(roads)}{rng.randint(1, 1999)}号"
            number = format_number("KH", year, cid)
            if organisation:
                name = (f"{region[:2]}{rng.choice(COMPANY_WORDS)}厨具经销部" if agent else
                        f"{region[:2]}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_KINDS)}{cid % 97}")
                contacts = [(gen.person(), rng.choice(TITLES), gen.mobile(),
                             gen.landline(area) if position == 0 and rng.random() < 0.3 else "")
                            for position in range(rng.choice((1, 2)))]
            else:
                name = gen.person()
                contacts = [(name, "", gen.mobile(), gen.landline(area) if rng.random() < 0.1 else "")]
                if rng.random() < 0.5:
                    contacts.append((gen.person(), "家属", gen.mobile(), ""))
            units_here = []
            for _ in range(unit_counts[cid - 1]):
                type_index = rng.randrange(len(PRODUCT_TYPES))
                _type_name, default_months, prefix = PRODUCT_TYPES[type_index]
                purchase = today - timedelta(days=rng.randint(0, 6 * 365))
                made = purchase - timedelta(days=rng.randint(10, 60))
                key = (prefix, made.year, made.month)
                serial_seq[key] = serial_seq.get(key, 0) + 1
                serial = f"{prefix}-{made.year}-{made.month:02d}-{serial_seq[key]:04d}"
                override = rng.choice((24, 36, 0)) if rng.random() < 0.03 else None
                months = override if override is not None else default_months
                unit_id += 1
                units_here.append((serial, rng.choice(MODELS[prefix])))
                unit_rows.append({"id": unit_id, "customer_id": cid, "product_type_id": type_index + 1,
                                  "model": units_here[-1][1], "serial": serial, "purchase_date": purchase,
                                  "warranty_months": override, "warranty_ends_on": warranty_end(purchase, months),
                                  "agent_id": rng.choice(agent_ids) if agent_ids and rng.random() < 0.2 else None,
                                  "notes": "", "created_at": now, "updated_at": now, "version": 1})
            for position, (contact_name, title, phone, alt_phone) in enumerate(contacts):
                contact_id += 1
                contact_rows.append({"id": contact_id, "customer_id": cid, "position": position, "name": contact_name,
                                     "title": title, "phone": phone, "alt_phone": alt_phone})
            address = "".join(p for p in ("山东省", city, district, street) if p)
            indexed.append((cid, search_text_for(number, name, address, region, contacts, units_here)))
            customer_rows.append({
                "id": cid, "number": number, "name": name, "is_organisation": organisation,
                "kind": CustomerKind.agent if agent else CustomerKind.end_customer, "province": "山东省",
                "city": city, "district": district, "street": street, "region": region,
                "key_customer": rng.random() < 0.15, "notes": "", "status": CustomerStatus.active,
                "merged_into_id": None, "search_text": indexed[-1][1],
                "created_at": now, "updated_at": now, "version": 1})
            if rng.random() < 0.01 and len(result.phones) < 2000:
                result.phones.append(contacts[0][2])
            if rng.random() < 0.01 and len(result.serials) < 2000:
                result.serials.append(units_here[0][0])
            flush()
        flush(force=True)
        conn.execute(insert(NumberSequence.__table__), [{"prefix": "KH", "year": year, "last_value": customers}])
        if conn.dialect.name == "postgresql":
            for table in ("product_type", "customer", "contact", "equipment", "number_sequence"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    store = search_index_writer()
    if store is not None:
        _fill_search_index(store, indexed)
        result.search_index = f"{store.__module__}.{store.__name__} (filled in chunks of {CHUNK})"
    del indexed
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))

    result.customers, result.contacts, result.units = customers, contact_id, unit_id
    result.seconds = time.perf_counter() - started
    for term in COMMON_NAMES:
        result.name_share[term] = db.session.scalar(
            select(func.count()).select_from(Customer).where(Customer.search_text.contains(term)))
    db.session.remove()
    if verify:
        _verify_derived_columns(verify, seed)
    return result


def _verify_derived_columns(sample: int, seed: int) -> None:
    """The bulk load must write what the services would: compare a sample with the real code."""
    from portal.customers import services

    pure = getattr(services, "search_text_for", None)  # search_text_for(customer) -> str, when there
    rng = random.Random(seed)
    total = db.session.scalar(select(func.count(Customer.id)))
    for cid in rng.sample(range(1, total + 1), min(sample, total)):
        customer = db.session.get(Customer, cid)
        stored = customer.search_text
        if pure is not None:
            expected = pure(customer)
        else:
            services.refresh_search_text(customer)
            expected = customer.search_text
        if expected != stored:
            raise AssertionError(f"search_text of customer {cid} differs from the services':\n"
                                 f"  bulk:     {stored!r}\n  services: {expected!r}")
        for unit in customer.equipment:
            months = unit.warranty_months if unit.warranty_months is not None else unit.product_type.default_warranty_months
            if warranty_end(unit.purchase_date, months) != unit.warranty_ends_on:
                raise AssertionError(f"warranty_ends_on of unit {unit.id}: bulk {unit.warranty_ends_on}")
    db.session.rollback()
    db.session.remove()


def search_index_writer() -> Callable[[list[tuple[int, str]]], None] | None:
    """The services' own writer of a separate search index (portal.customers.search.store), if
    the code has one; the bulk load feeds it exactly what refresh_search_text would."""
    try:
        from portal.customers import search
    except ImportError:
        return None
    return getattr(search, "store", None)


def _fill_search_index(store: Callable[[list[tuple[int, str]]], None], rows: list[tuple[int, str]]) -> None:
    for start in range(0, len(rows), CHUNK):
        store(rows[start:start + CHUNK])
        db.session.commit()
    db.session.remove()


# --- timing -----------------------------------------------------------------------------------

def timed(call: Callable[[Any], Any], args: Sequence[Any], *, n: int = N, warmup: int = WARMUP,
          after: Callable[[], None] | None = None) -> list[float]:
    """Milliseconds for n calls, cycling through args, after `warmup` untimed calls."""
    samples = []
    for i in range(warmup + n):
        arg = args[i % len(args)]
        start = time.perf_counter()
        call(arg)
        elapsed = (time.perf_counter() - start) * 1000
        if after:
            after()
        if i >= warmup:
            samples.append(elapsed)
    return samples


def search_terms(loaded: Loaded, *, n: int = N) -> dict[str, list[str]]:
    rng = random.Random(SEED + 1)
    phones = rng.sample(loaded.phones, min(n, len(loaded.phones)))
    serials = rng.sample(loaded.serials, min(n, len(loaded.serials)))
    return {
        "phone": [phone[2:9] for phone in phones],  # 7 middle digits, e.g. 13812345678 -> 8123456
        "name": [COMMON_NAMES[i % len(COMMON_NAMES)] for i in range(n)],
        "serial": serials,
    }


def measure_search(terms: dict[str, list[str]], *, n: int = N) -> dict[str, dict[str, float]]:
    """p50/p95 ms of services.search_customers(Filters(q=term), page=1); a fresh session each call,
    like a request."""
    from portal.customers import services

    figures: dict[str, dict[str, float]] = {}
    for kind, values in terms.items():
        matches: list[int] = []

        def search(term: str) -> None:
            matches.append(services.search_customers(services.Filters(q=term), page=1).total)

        samples = timed(search, values, n=n, after=db.session.remove)
        figures[kind] = {"p50": percentile(samples, 50), "p95": percentile(samples, 95),
                         "matches": statistics.mean(matches[WARMUP:]) if len(matches) > WARMUP else 0,
                         "zero": sum(1 for m in matches if m == 0)}
    return figures


def measure_list_page(app, *, user_id: int, holder: list[bytes], n: int = N) -> dict[str, float]:
    """GET /customers/?q=张 against /bench-bare on the same app; holder[0] becomes the bare body."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    first = client.get("/customers/?q=张")
    if first.status_code != 200 or b"KH-" not in first.data:
        raise AssertionError(f"list page answered {first.status_code}, {len(first.data)} bytes")
    holder[0] = b"x" * len(first.data)

    def get(url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"{url} answered {response.status_code}")

    page = timed(get, ["/customers/?q=张"], n=n)
    bare = timed(get, ["/bench-bare"], n=n)
    if len(client.get("/bench-bare").data) != len(first.data):
        raise AssertionError("bare body size differs from the list page")
    return {"list_p50": percentile(page, 50), "list_p95": percentile(page, 95),
            "bare_p50": percentile(bare, 50), "bare_p95": percentile(bare, 95), "bytes": len(first.data)}


def add_bare_route(app) -> list[bytes]:
    """Register /bench-bare (public, before the first request); it answers holder[0]."""
    holder = [b""]

    def bench_bare():
        return holder[0]

    bench_bare.portal_access = "public"
    app.add_url_rule("/bench-bare", "bench_bare", bench_bare)
    return holder
