"""Demo customer archive: product types, customers, agents, units and service contracts.

Everything goes through the real services, so numbers, the audit trail, search_text and
warranty_ends_on are exactly what the portal itself would have written. Deterministic for a
given seed and day (the purchase dates are relative to today, so that some units are always in
warranty, many are out of it and a few sit on the boundary). Never commits: the caller does.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from portal.core.timeutil import local_today
from portal.customers import services
from portal.customers.models import Customer, CustomerKind, Equipment, LabourTerms, PartsTerms
from portal.customers.warranty import add_months, warranty_end
from portal.extensions import db

# name, default warranty months, serial prefix, models
PRODUCT_TYPES = [
    ("节能灶", 12, "JN", ["JN-800 单眼节能灶", "JN-1000 双眼节能灶", "JN-1200 猛火节能灶"]),
    ("商用炒灶", 12, "CZ", ["CZ-2A 双头大锅灶", "CZ-3B 三头炒灶", "CZ-1S 单头小炒灶"]),
    ("蒸柜", 24, "ZG", ["ZG-12 十二盘蒸柜", "ZG-24 二十四盘蒸柜", "ZG-D10 电蒸柜"]),
    ("燃气灶", 12, "RQ", ["RQ-B2 嵌入式双眼灶", "RQ-T2 台式双眼灶"]),
    ("油烟净化器", 18, "YJ", ["YJ-4000 静电式", "YJ-8000 静电式", "YJ-12000 复合式"]),
    ("煲仔炉", 12, "BZ", ["BZ-4 四头煲仔炉", "BZ-6 六头煲仔炉"]),
]

# city: (area code, [(district, region)], [roads])
CITIES: dict[str, tuple[str, list[tuple[str, str]], list[str]]] = {
    "济南市": ("0531", [("历下区", "济南东片"), ("历城区", "济南东片"), ("章丘区", "济南东片"),
                        ("市中区", "济南西片"), ("槐荫区", "济南西片"), ("天桥区", "济南西片"), ("长清区", "济南西片")],
             ["经十路", "泉城路", "解放路", "山大路", "工业南路", "二环东路", "经七路", "纬二路", "英雄山路", "北园大街"]),
    "青岛市": ("0532", [("市南区", "青岛"), ("市北区", "青岛"), ("黄岛区", "青岛"), ("崂山区", "青岛"),
                        ("李沧区", "青岛"), ("城阳区", "青岛")],
             ["香港中路", "延安三路", "辽阳西路", "长江中路", "黑龙江中路", "南京路", "重庆南路"]),
    "淄博市": ("0533", [("张店区", "淄博"), ("淄川区", "淄博"), ("博山区", "淄博"), ("临淄区", "淄博"),
                        ("周村区", "淄博")],
             ["人民西路", "华光路", "柳泉路", "联通路", "共青团西路", "金晶大道"]),
    "潍坊市": ("0536", [("奎文区", "潍坊"), ("潍城区", "潍坊"), ("坊子区", "潍坊"), ("寒亭区", "潍坊"),
                        ("青州市", "潍坊"), ("寿光市", "潍坊")],
             ["东风东街", "胜利东街", "北海路", "福寿东街", "健康东街", "新华路"]),
    "烟台市": ("0535", [("芝罘区", "烟台"), ("莱山区", "烟台"), ("福山区", "烟台"), ("牟平区", "烟台"),
                        ("龙口市", "烟台")],
             ["南大街", "迎春大街", "观海路", "港城西大街", "青年南路"]),
    "临沂市": ("0539", [("兰山区", "临沂"), ("罗庄区", "临沂"), ("河东区", "临沂"), ("沂南县", "临沂")],
             ["沂蒙路", "解放路", "通达路", "北京路", "金雀山路", "红旗路"]),
}
CITY_WEIGHTS = {"济南市": 40, "青岛市": 18, "淄博市": 11, "潍坊市": 11, "烟台市": 10, "临沂市": 10}

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔")
GIVEN_ONE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建红鹏飞宇浩凯斌波辉晨鑫鹤峰"
GIVEN_TWO = ["建国", "建华", "志强", "秀英", "桂英", "玉兰", "海燕", "晓东", "文静", "丽娟", "春梅", "国庆", "红梅",
             "立新", "德明", "振华", "永刚", "金凤", "宏伟", "雪梅", "新民", "庆华", "子涵", "浩然", "欣怡", "俊杰", "淑珍", "凤英", "玉梅", "广军",
             "国强", "学军", "春华", "明辉", "晓燕", "丽华", "志刚", "爱华", "书涛", "克勤", "晓峰", "佳怡", "梓轩"]
# Two-character names that come up several times, so that a search for "张伟" finds several people.
COMMON_NAMES = ["张伟", "王芳", "李娜", "刘洋", "王静", "李强", "张敏", "王磊"]

RESTAURANT_WORDS = ["鲁味居", "老济南", "聚丰园", "福满楼", "海悦", "泉城人家", "齐鲁香", "金百合", "好客来", "御膳坊",
                    "顺和", "一品香", "大明湖", "家和", "渔港", "蓬莱阁", "沂蒙山", "孔府", "东方红", "新世纪"]
RESTAURANT_KINDS = ["餐馆", "饭店", "酒楼", "大酒店", "快餐店", "宾馆", "火锅店", "食府"]
SCHOOLS = ["第一中学", "第三中学", "实验中学", "第二实验小学", "职业技术学院", "外国语学校", "第十一中学", "师范学校"]
FACTORIES = ["重型机械厂", "纺织集团", "化工有限公司", "食品有限公司", "钢铁有限公司", "汽车配件厂", "橡胶厂",
             "电子科技有限公司"]
OTHER_UNITS = ["人民医院职工食堂", "市政府机关食堂", "中心医院营养食堂", "物流园员工餐厅", "部队营区炊事班"]
# Dealers, each in its own city (the number of agents created cycles through this list).
AGENTS = [("济南市", "济南泉城厨具经销部"), ("青岛市", "青岛海丰厨房设备有限公司"), ("淄博市", "淄博鑫源商用厨具店"),
          ("潍坊市", "潍坊鸢都厨业设备行"), ("烟台市", "烟台港城厨具批发部"), ("临沂市", "临沂沂蒙厨具商贸有限公司"),
          ("济南市", "济南齐鲁炉灶销售中心"), ("青岛市", "青岛东方厨房工程有限公司"), ("淄博市", "淄博恒通厨具城"),
          ("潍坊市", "潍坊金灶商贸有限公司")]
TITLES_COMPANY = ["老板", "经理", "厨师长", "后勤主任", "采购", "店长", "行政主管", "食堂管理员", "设备科"]
NOTES = ["送货需提前电话联系", "后厨在地下一层，走货梯", "只接受上午上门", "周一闭店", "门卫处登记后进入",
         "老客户，介绍过多家餐馆", "付款走公司对公账户", "夜间营业，下午两点后联系", ""]


def load_customer_demo(*, actor: Any = None, count: int = 200, seed: int = 2026) -> int:
    """Create the demo archive if there is no customer yet; return the number of customers created."""
    if db.session.scalar(select(func.count(Customer.id))):
        return 0
    return _DemoBuilder(actor=actor, count=count, seed=seed).build()


MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
                   "157", "158", "159", "166", "175", "176", "177", "180", "181", "182", "183", "185", "186", "187",
                   "188", "189", "191", "198", "199")


class PhoneMaker:
    """Unique, valid Chinese phone numbers from a seeded generator (also used by bench/)."""
    rng: random.Random
    phones: set[str]

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def landline(self, area: str) -> str:
        while True:
            number = f"{area}-{self.rng.choice('5678')}{self.rng.randrange(10 ** 7):07d}"
            if number not in self.phones:
                self.phones.add(number)
                return number


class _DemoBuilder(PhoneMaker):
    def __init__(self, *, actor: Any, count: int, seed: int) -> None:
        self.actor = actor
        self.count = max(count, 20)
        self.rng = random.Random(seed)  # nosec B311  # demo data: seeded on purpose, no secrets
        self.today = local_today()
        self.phones: set[str] = set()
        self.serial_counter = 0
        self.used_company_names: set[str] = set()
        self.types: list[tuple[Any, str, list[str]]] = []
        self.agents: list[Customer] = []
        self.customers: list[Customer] = []

    # --- names, phones, addresses ---------------------------------------------------------

    def person_name(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.12:
            return rng.choice(COMMON_NAMES)
        surname = rng.choice(SURNAMES[:40]) if rng.random() < 0.7 else rng.choice(SURNAMES)
        if roll < 0.55:
            return surname + rng.choice(GIVEN_ONE)
        return surname + rng.choice(GIVEN_TWO)

    def place(self, city: str | None = None) -> tuple[str, str, str, str, str]:
        rng = self.rng
        city = city or rng.choices(list(CITY_WEIGHTS), weights=list(CITY_WEIGHTS.values()))[0]
        area, districts, roads = CITIES[city]
        district, region = rng.choice(districts)
        street = f"{rng.choice(roads)}{rng.randint(1, 1999)}号"
        roll = rng.random()
        if roll < 0.2:
            street += f"{rng.randint(1, 12)}号楼{rng.randint(1, 6)}单元{rng.randint(1, 20)}0{rng.randint(1, 4)}"
        elif roll < 0.35:
            street += f"{rng.choice(['东', '西', '南', '北'])}门"
        return city, district, street, region, area

    def company_name(self, city: str, district: str) -> str:
        rng = self.rng
        short_city = city.removesuffix("市")
        while True:
            roll = rng.random()
            if roll < 0.55:
                name = f"{short_city}{rng.choice(RESTAURANT_WORDS)}{rng.choice(RESTAURANT_KINDS)}"
            elif roll < 0.72:
                name = f"{short_city}{rng.choice(SCHOOLS)}食堂"
            elif roll < 0.9:
                name = f"{short_city}{rng.choice(FACTORIES)}职工食堂"
            else:
                name = f"{short_city}{rng.choice(OTHER_UNITS)}"
            if name in self.used_company_names:
                name = f"{name}（{district}店）" if roll < 0.55 else f"{name}（{district}）"
            if name not in self.used_company_names:
                self.used_company_names.add(name)
                return name

    # --- records ------------------------------------------------------------------------

    def create_customer(self, *, organisation: bool, agent: bool = False) -> Customer:
        rng = self.rng
        agent_city, name = AGENTS[len(self.agents) % len(AGENTS)] if agent else (None, "")
        city, district, street, region, area = self.place(agent_city)
        if agent:
            self.used_company_names.add(name)
        elif organisation:
            name = self.company_name(city, district)
        else:
            name = self.person_name()
        contacts = []
        if organisation:
            for position in range(rng.choices([1, 2, 3], weights=[45, 40, 15])[0]):
                title = TITLES_COMPANY[0] if agent and position == 0 else rng.choice(TITLES_COMPANY)
                alt = self.landline(area) if position == 0 and rng.random() < 0.4 else ""
                contacts.append(services.ContactInput(name=self.person_name(), title=title,
                                                      phone=self.mobile(), alt_phone=alt))
        else:
            alt = self.landline(area) if rng.random() < 0.15 else ""
            contacts.append(services.ContactInput(name=name, phone=self.mobile(), alt_phone=alt))
            if rng.random() < 0.1:  # a relative who answers the phone too
                contacts.append(services.ContactInput(name=name[0] + rng.choice(GIVEN_ONE), title="家属",
                                                      phone=self.mobile()))
        values = {"name": name, "is_organisation": organisation,
                  "kind": CustomerKind.agent if agent else CustomerKind.end_customer,
                  "province": "山东省", "city": city, "district": district, "street": street, "region": region,
                  "key_customer": (not agent) and rng.random() < (0.22 if organisation else 0.06),
                  "notes": rng.choice(NOTES) if rng.random() < 0.3 else ""}
        return services.customer_create(values=values, contacts=contacts, actor=self.actor)

    def serial(self, prefix: str, purchase: date) -> str:
        self.serial_counter += 1
        made = purchase - timedelta(days=self.rng.randint(10, 90))
        return f"{prefix}-{made.year}-{made.month:02d}-{self.serial_counter:04d}"

    def add_unit(self, customer: Customer, *, purchase: date | None = None, type_index: int | None = None,
                 warranty_months: int | None = None, agent: Customer | None = None, notes: str = "") -> Equipment:
        rng = self.rng
        if type_index is None:
            type_index = rng.choices(range(len(self.types)), weights=[30, 25, 15, 10, 15, 5][:len(self.types)])[0]
        product_type, prefix, models = self.types[type_index]
        if purchase is None:
            purchase = self.today - timedelta(days=rng.randint(3, 4 * 365))
        values = {"product_type_id": product_type.id, "model": rng.choice(models),
                  "serial": self.serial(prefix, purchase), "purchase_date": purchase,
                  "warranty_months": warranty_months, "agent_id": agent.id if agent else None, "notes": notes}
        return services.equipment_create(customer=customer, values=values, actor=self.actor, today=self.today)

    def purchase_ending_on(self, ends_on: date, months: int) -> date:
        """A purchase date whose warranty (of `months`) ends exactly on `ends_on`."""
        guess = add_months(ends_on + timedelta(days=1), -months)
        for shift in range(0, 5):
            for candidate in (guess - timedelta(days=shift), guess + timedelta(days=shift)):
                if warranty_end(candidate, months) == ends_on:
                    return candidate
        return guess

    # --- the archive --------------------------------------------------------------------

    def build(self) -> int:
        rng = self.rng
        for name, months, prefix, models in PRODUCT_TYPES:
            product_type = services.product_type_save(product_type=None, name=name, default_warranty_months=months,
                                                      active=True, expected_version=None, actor=self.actor)
            self.types.append((product_type, prefix, models))

        for _ in range(8):
            self.agents.append(self.create_customer(organisation=True, agent=True))
        for _ in range(self.count - len(self.agents)):
            self.customers.append(self.create_customer(organisation=rng.random() < 0.55))

        for customer in self.customers:
            for _ in range(rng.choices([1, 2, 3, 4], weights=[45, 30, 17, 8])[0]):
                agent = rng.choice(self.agents) if rng.random() < 0.3 else None
                self.add_unit(customer, agent=agent)
        for agent in self.agents[:3]:  # dealers run a demo stove in their own showroom
            self.add_unit(agent, notes="展厅样机")

        self.boundary_units()
        self.warranty_overrides()
        self.contracts()
        db.session.flush()
        return len(self.agents) + len(self.customers)

    def boundary_units(self) -> None:
        """Units whose warranty ends yesterday, today, tomorrow and in a week (12-month types)."""
        targets = [(-1, "保修昨天到期"), (0, "保修今天最后一天"), (1, "保修明天到期"), (7, "保修一周后到期")]
        people = self.rng.sample(self.customers, len(targets))
        for (offset, note), customer in zip(targets, people):
            type_index = 0  # 节能灶, 12 months
            purchase = self.purchase_ending_on(self.today + timedelta(days=offset), self.types[type_index][0].default_warranty_months)
            self.add_unit(customer, purchase=purchase, type_index=type_index, notes=note)

    def warranty_overrides(self) -> None:
        rng = self.rng
        overrides = [(36, "大客户延保至36个月"), (24, "活动赠送延保12个月"), (24, "活动赠送延保12个月"),
                     (6, "展会样机，保修6个月"), (0, "二手转让，不在保修内")]
        for months, note in overrides:
            customer = rng.choice(self.customers)
            purchase = self.today - timedelta(days=rng.randint(60, 900))
            self.add_unit(customer, purchase=purchase, warranty_months=months, notes=note)

    def contracts(self) -> None:
        rng = self.rng
        candidates = [c for c in self.customers if c.is_organisation and c.key_customer and c.equipment]
        candidates += [c for c in self.customers if c.is_organisation and not c.key_customer and len(c.equipment) >= 2]
        chosen = candidates[:10]
        plans = [
            # (start offset days, length months, parts terms, discount, labour terms, fee, note)
            (-200, 12, PartsTerms.free, 0, LabourTerms.free, 0, "全保：配件、人工、上门全免"),
            (-30, 12, PartsTerms.free, 0, LabourTerms.free, 0, "年度维保合同"),
            (-400, 24, PartsTerms.free, 0, LabourTerms.fixed, 50, "配件全免，上门费每次50元"),
            (-90, 12, PartsTerms.discount, 30, LabourTerms.free, 0, "配件七折，人工免费"),
            (-500, 12, PartsTerms.free, 0, LabourTerms.free, 0, "去年的维保合同，已到期未续签"),
            (-10, 36, PartsTerms.free, 0, LabourTerms.free, 0, "三年维保，每季度巡检一次"),
            (-300, 12, PartsTerms.discount, 15, LabourTerms.fixed, 80, "配件八五折，上门费每次80元"),
            (-60, 12, PartsTerms.free, 0, LabourTerms.free, 0, "学校食堂寒暑假各检修一次"),
            (-150, 24, PartsTerms.free, 0, LabourTerms.fixed, 30, ""),
            (-20, 12, PartsTerms.free, 0, LabourTerms.free, 0, "合同录错，作废重签"),
        ]
        for customer, (offset, months, parts, discount, labour, fee, note) in zip(chosen, plans):
            units = customer.equipment
            covered = units if len(units) <= 2 else rng.sample(units, len(units) - 1)
            start = self.today + timedelta(days=offset)
            values = {"start_date": start, "end_date": add_months(start, months) - timedelta(days=1),
                      "parts_terms": parts, "parts_discount_pct": Decimal(discount), "labour_terms": labour,
                      "labour_fee": Decimal(fee), "equipment_ids": [u.id for u in covered], "notes": note}
            contract = services.contract_create(customer=customer, values=values, actor=self.actor)
            if note == "合同录错，作废重签":
                services.contract_cancel(contract=contract, reason="合同录错，作废重签", actor=self.actor)
