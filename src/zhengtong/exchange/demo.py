"""The demo city's shared data: hosted datasets, applications, grants and governed reads.

``load_demo_exchange`` (called by ``load_demo`` after the catalog) is
idempotent: a dataset is registered and loaded only while it has no version,
an application is filed only while its system has none for that resource, and
a governed read is made only while the access log holds none with the same
system, resource and purpose. Running it again changes nothing.

Every person and firm here is invented. The rows are drawn from a seeded
random generator, so every run builds the same city: Chinese names, addresses
on real roads in the real 街道 of 长沙市's districts, 身份证号 and
统一社会信用代码 with valid check digits that belong to nobody. The demo
city's own people and firms (``demo/city.py``) are in the rows too, so their
log-ins show their data and 我的数据使用记录 is not empty.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from zhengtong.catalog.models import Resource
from zhengtong.catalog.states import ResourceState
from zhengtong.core.actors import Actor
from zhengtong.core.calendar import add_working_days
from zhengtong.core.divisions import division_list
from zhengtong.core.errors import ZhengtongError
from zhengtong.core.models import Department
from zhengtong.core.testing import make_credit_code, make_id_number
from zhengtong.demo import city
from zhengtong.exchange import governed
from zhengtong.exchange.actions import (
    ApplicationInput,
    do_apply_for_access,
    do_grant_application,
    do_load_dataset_rows,
    do_refuse_application,
    do_register_hosted_dataset,
)
from zhengtong.exchange.models import (
    AccessApplication,
    AccessLog,
    ApplicationState,
    HostedDataset,
    Record,
)
from zhengtong.exchange.selectors import grants_in_force
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import SystemClient, User

SEED = 2260
# The day the demo data describes; fixed so that every run draws the same rows.
AS_OF = date(2025, 12, 31)
POPULATION = 2000
ENTERPRISES = 600

Row = dict[str, str]


# --- The fictitious city -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resident:
    name: str
    id_number: str
    sex: str  # "M" or "F"
    birth: date
    district: str  # GB/T 2260 code
    street: str  # 街道 or 镇 name
    address: str
    named: bool = False  # one of city.PEOPLE

    @property
    def age(self) -> int:
        years = AS_OF.year - self.birth.year
        return years - ((AS_OF.month, AS_OF.day) < (self.birth.month, self.birth.day))


@dataclass(frozen=True, slots=True)
class Firm:
    name: str
    uscc: str
    district: str
    address: str
    legal_rep: Resident
    founded: date
    kind: str  # one of the keys of INDUSTRIES
    capital: Decimal
    named: bool = False  # one of city.ENTERPRISES


# Trade words, industry, registration type: kind -> (words, industry, suffix).
INDUSTRIES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "food": (("餐饮管理", "餐饮", "食品"), "正餐服务", "有限公司"),
    "software": (("科技", "信息技术", "软件"), "软件开发", "有限公司"),
    "trade": (("商贸", "贸易", "供应链"), "其他综合零售", "有限公司"),
    "building": (("建设工程", "建筑", "装饰工程"), "房屋建筑业", "有限公司"),
    "materials": (("建材", "新材料", "水泥制品"), "水泥制品制造", "有限公司"),
    "machinery": (("机械", "智能装备", "机电"), "通用设备制造业", "有限公司"),
    "culture": (("文化传媒", "广告", "文化创意"), "广告业", "有限公司"),
    "logistics": (("物流", "运输", "货运"), "道路货物运输", "有限公司"),
}
# Kinds whose firms discharge pollutants, and so hold a 排污许可证.
POLLUTING = ("materials", "machinery", "food")
TRADE_NAMES = (
    "湘江", "麓谷", "星沙", "橘洲", "岳麓", "楚天", "潇湘", "三湘", "湘楚", "梅溪", "洋湖",
    "金霞", "松雅", "月湖", "德润", "恒信", "华瑞", "兴达", "鼎盛", "卓越", "同创", "博远",
    "明德", "弘毅", "嘉禾", "聚鑫", "盛世", "瑞丰", "汇通", "天顺", "远景", "安信", "长青",
    "蓝天", "中南", "芙蓉", "浏阳河", "湘运", "金洲", "望岳", "雨花", "新开", "凯达", "和润",
)  # fmt: skip
DISTRICT_WEIGHTS = {
    "430102": 14, "430103": 12, "430104": 16, "430105": 12, "430111": 16,
    "430112": 8, "430121": 10, "430181": 6, "430182": 6,
}  # fmt: skip


def _district_names() -> tuple[dict[str, str], dict[str, list[str]]]:
    """The names of 长沙市's districts and of their 街道 and 镇, from the bundled list."""
    districts: dict[str, str] = {}
    streets: dict[str, list[str]] = {}
    for division in division_list().divisions:
        if division.parent_code == city.CITY_CODE and division.code in city.ROADS:
            districts[division.code] = division.name
        elif division.parent_code in city.ROADS:
            streets.setdefault(division.parent_code, []).append(division.name)
    return districts, streets


class CityBuilder:
    """Draws the fictitious city from one seeded generator: the same city every run."""

    def __init__(self) -> None:
        # Reproducible fictitious data, not secrets: a seeded generator is the point.
        self.rng = random.Random(SEED)  # noqa: S311
        self.districts, self.streets = _district_names()
        self._ids: set[str] = set()
        self._uscc_seq = 1000
        self.residents = self._residents()
        self.firms = self._firms()

    # People

    def _name(self, sex: str) -> str:
        rng = self.rng
        surname = (
            rng.choice(city.COMPOUND_SURNAMES) if rng.random() < 0.01 else rng.choice(city.SURNAMES)
        )
        pool = city.GIVEN_MALE if sex == "M" else city.GIVEN_FEMALE
        given = "".join(rng.choice(pool) for _ in range(1 if rng.random() < 0.3 else 2))
        return surname + given

    def address(self, district: str) -> tuple[str, str]:
        rng = self.rng
        street = rng.choice(self.streets[district])
        road = rng.choice(city.ROADS[district])
        number = rng.randint(1, 480)
        flat = ""
        if rng.random() < 0.7:
            building, unit = rng.randint(1, 30), rng.randint(1, 4)
            flat = f"{building}栋{unit}单元{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
        place = f"湖南省长沙市{self.districts[district]}{street}{road}{number}号{flat}"
        return street, place

    def _district(self) -> str:
        codes = list(DISTRICT_WEIGHTS)
        return self.rng.choices(codes, weights=[DISTRICT_WEIGHTS[c] for c in codes])[0]

    def _resident(self) -> Resident:
        rng = self.rng
        while True:
            sex = rng.choice("MF")
            # Ages 0 to 90, with more people of working age, as in a city.
            age = min(90, max(0, int(rng.triangular(0, 90, 36))))
            birth = date(AS_OF.year - age, 1, 1) + timedelta(days=rng.randrange(365))
            birth = min(birth, AS_OF)
            district = self._district()
            number = make_id_number(district, birth, rng.randint(1, 499), sex)
            if number not in self._ids:
                break
        self._ids.add(number)
        street, place = self.address(district)
        return Resident(self._name(sex), number, sex, birth, district, street, place)

    def _residents(self) -> list[Resident]:
        named = []
        for person in city.PEOPLE:
            number = make_id_number(person.region_code, person.birth, person.seq, person.sex)
            self._ids.add(number)
            # The named cast's street is the first part of their address after the district.
            district_name = self.districts.get(person.region_code, "")
            rest = person.address.split(district_name, 1)[-1] if person.address else ""
            street = next(
                (s for s in self.streets.get(person.region_code, []) if rest.startswith(s)), ""
            )
            address = person.address or self.address(person.region_code)[1]
            named.append(
                Resident(
                    person.name, number, person.sex, person.birth, person.region_code,
                    street or self.streets[person.region_code][0], address, named=True,
                )
            )  # fmt: skip
        return named + [self._resident() for _ in range(POPULATION)]

    # Firms

    def _firms(self) -> list[Firm]:
        by_name = {r.name: r for r in self.residents if r.named}
        kinds = {"H6210": "food", "N7723": "materials", "C3021": "materials", "R8710": "culture"}
        firms = [
            Firm(
                item.name,
                make_credit_code(item.region_code, item.seq),
                item.region_code,
                item.address,
                by_name[item.legal_representative],
                item.established_on,
                kinds.get(item.industry_code, "trade"),
                Decimal(self.rng.choice((10, 50, 100, 500))),
                named=True,
            )
            for item in city.ENTERPRISES
        ]
        adults = [r for r in self.residents if 25 <= r.age <= 65 and not r.named]
        names: set[str] = {f.name for f in firms}
        while len(firms) < ENTERPRISES + len(city.ENTERPRISES):
            rng = self.rng
            kind = rng.choice(list(INDUSTRIES))
            words, _industry, suffix = INDUSTRIES[kind]
            district = self._district()
            prefix = "湖南" if rng.random() < 0.25 else "长沙"
            trade = "".join(rng.sample(TRADE_NAMES, 2))
            name = f"{prefix}{trade}{rng.choice(words)}{suffix}"
            if name in names:
                continue
            names.add(name)
            self._uscc_seq += rng.randint(1, 40)
            founded = date(rng.randint(1998, 2025), rng.randint(1, 12), rng.randint(1, 28))
            firms.append(
                Firm(
                    name,
                    make_credit_code(district, self._uscc_seq),
                    district,
                    self.address(district)[1],
                    rng.choice(adults),
                    min(founded, AS_OF),
                    kind,
                    Decimal(rng.choice((10, 30, 50, 100, 200, 500, 1000, 5000))),
                )
            )
        return firms


# --- Rows of each dataset ----------------------------------------------------------


def _d(value: date) -> str:
    return value.isoformat()


def _day(rng: random.Random, start: date, end: date = AS_OF) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days))


def _sex(resident: Resident) -> str:
    return "男" if resident.sex == "M" else "女"


def population_rows(c: CityBuilder) -> Iterator[Row]:
    for r in c.residents:
        yield {
            "id_number": r.id_number,
            "name": r.name,
            "gender": _sex(r),
            "birth": _d(r.birth),
            "address": r.address,
        }


def enterprise_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    for f in c.firms:
        status = "存续" if f.named or rng.random() < 0.92 else rng.choice(("注销", "吊销"))
        kind = "有限责任公司（自然人投资或控股）" if f.name.endswith("公司") else "个体工商户"
        yield {
            "uscc": f.uscc,
            "name": f.name,
            "legal_rep": f.legal_rep.name,
            "legal_rep_id": f.legal_rep.id_number,
            "address": f.address,
            "founded": _d(f.founded),
            "type": kind,
            "capital": str(f.capital),
            "industry": INDUSTRIES[f.kind][1],
            "status": status,
        }


def food_licence_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    for n, f in enumerate(c.firms, start=1):
        # The demo story's food shop is still applying for its licence.
        if f.kind != "food" or f.name == city.ENTERPRISES[0].name:
            continue
        issued = _day(rng, max(f.founded, date(2019, 1, 1)))
        yield {
            "licence_no": f"JY2{f.district}{n:07d}",
            "uscc": f.uscc,
            "valid_until": _d(issued.replace(year=issued.year + 5)),
        }


def pollution_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    pollutants = (
        "颗粒物、二氧化硫、氮氧化物",
        "化学需氧量、氨氮",
        "颗粒物、挥发性有机物",
        "油烟、化学需氧量",
    )
    for f in c.firms:
        if f.kind not in POLLUTING or not (f.named or rng.random() < 0.5):
            continue
        issued = _day(rng, max(f.founded, date(2020, 1, 1)))
        yield {
            "permit_no": f"{f.uscc}001{rng.choice('PVU')}",
            "uscc": f.uscc,
            "pollutants": rng.choice(pollutants),
            "valid_until": _d(issued.replace(year=issued.year + 5)),
        }


def credit_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    events = (
        "未按规定公示年度报告，列入经营异常名录",
        "通过登记的住所无法联系，列入经营异常名录",
        "销售不符合食品安全标准的食品，罚款",
        "发布虚假广告，罚款并责令停止发布",
        "未按规定办理排污登记，责令改正",
    )
    for f in c.firms:
        if f.named or rng.random() < 0.3:
            records = []
            if not f.named and rng.random() < 0.7:
                when = _day(rng, max(f.founded, date(2020, 1, 1)))
                bureau = f"长沙市{c.districts[f.district]}市场监督管理局"
                records.append(f"{when:%Y-%m-%d} {rng.choice(events)}（{bureau}）")
            yield {"uscc": f.uscc, "record": "；".join(records) or "无不良信用记录"}


def dishonesty_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    reasons = (
        ("拒不履行生效法律文书确定的义务", "长沙市中级人民法院"),
        ("重大税收违法失信", "国家税务总局长沙市税务局"),
        ("拖欠农民工工资，情节严重", "长沙市人力资源和社会保障局"),
        ("严重危害人民群众身体健康和生命安全的食品安全违法行为", "长沙市市场监督管理局"),
        ("安全生产严重失信", "长沙市应急管理局"),
    )
    for f in c.firms:
        if f.named or rng.random() > 0.2:
            continue
        reason, authority = rng.choice(reasons)
        listed = _day(rng, max(f.founded, date(2022, 1, 1)))
        yield {
            "uscc": f.uscc,
            "name": f.name,
            "reason": reason,
            "authority": authority,
            "listed_on": _d(listed),
            "expires_on": _d(listed.replace(year=listed.year + 3)),
        }


def _employer(c: CityBuilder, r: Resident) -> Firm:
    """A resident's employer, the same one in every dataset."""
    return c.firms[int(r.id_number[6:17]) % len(c.firms)]


def social_insurance_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    for r in c.residents:
        if r.age < 18 or not (r.named or rng.random() < 0.8):
            continue
        worker = r.named or (r.age < 60 and rng.random() < 0.75)
        status = (
            "正常参保" if r.named or rng.random() < 0.9 else rng.choice(("暂停缴费", "终止参保"))
        )
        yield {
            "id_number": r.id_number,
            "insurance": "企业职工基本养老保险" if worker else "城乡居民基本养老保险",
            "status": status,
            "since": _d(_day(rng, date(max(2000, r.birth.year + 18), 1, 1))),
            "employer": _employer(c, r).name if worker else "",
        }


def medical_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    chronic = ("高血压", "2型糖尿病", "慢性阻塞性肺疾病", "冠心病")
    for r in c.residents:
        if not (r.named or rng.random() < 0.92):
            continue
        worker = 18 <= r.age < 60 and (r.named or rng.random() < 0.7)
        illness = rng.choice(chronic) if r.age >= 55 and rng.random() < 0.25 else ""
        yield {
            "id_number": r.id_number,
            "name": r.name,
            "scheme": "职工基本医疗保险" if worker else "城乡居民基本医疗保险",
            "status": "正常参保" if rng.random() < 0.95 else "暂停参保",
            "since": _d(_day(rng, max(r.birth, date(2008, 1, 1)))),
            "chronic": illness,
        }


def housing_fund_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    for r in c.residents:
        if not 22 <= r.age < 60 or not (r.named or rng.random() < 0.45):
            continue
        base = Decimal(rng.randrange(2500, 30000, 100))
        monthly = (base * Decimal("0.24")).quantize(Decimal("1"))
        opened = _day(rng, date(max(2005, r.birth.year + 22), 1, 1))
        months = max(1, (AS_OF - opened).days // 30)
        balance = (monthly * min(months, rng.randint(6, 120))).quantize(Decimal("0.01"))
        yield {
            "id_number": r.id_number,
            "name": r.name,
            "account": f"{r.district}{int(r.id_number[6:17]) % 10**6:06d}",
            "employer": _employer(c, r).name,
            "base": str(base),
            "monthly": str(monthly),
            "balance": str(balance),
            "status": "正常缴存" if rng.random() < 0.88 else "封存",
            "since": _d(opened),
        }


def property_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    uses = ("住宅", "住宅", "住宅", "商业", "办公")
    for n, r in enumerate(c.residents, start=1):
        if r.age < 25 or not (r.named or rng.random() < 0.4):
            continue
        registered = _day(rng, date(max(2016, r.birth.year + 25), 1, 1))
        use = rng.choice(uses)
        yield {
            "id_number": r.id_number,
            "owner_name": r.name,
            "cert_no": f"湘（{registered.year}）长沙市不动产权第{n * 37 % 10**7:07d}号",
            "location": c.address(r.district)[1],
            "area": str(Decimal(rng.randint(4500, 16000)) / 100),
            "use": use,
            "right_type": "国有建设用地使用权/房屋所有权",
            "registered": _d(registered),
            "count": str(1 if rng.random() < 0.8 else rng.randint(2, 3)),
        }


def student_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    grades = (
        "一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
        "初一", "初二", "初三", "高一", "高二", "高三",
    )  # fmt: skip
    for r in c.residents:
        if not 6 <= r.age <= 17:
            continue
        year = min(11, r.age - 6)
        # Years since the pupil entered their present school (小学 6, 初中 3, 高中 3).
        in_school = year if year < 6 else (year - 6 if year < 9 else year - 9)
        district = c.districts[r.district]
        school = (
            f"长沙市{district}{r.street.removesuffix('街道').removesuffix('镇')}小学"
            if year < 6
            else f"长沙市{district}{rng.choice(('第一', '第二', '实验', '外国语'))}中学"
        )
        yield {
            "id_number": r.id_number,
            "name": r.name,
            "school": school,
            "grade": grades[year],
            "enrolled": _d(date(AS_OF.year - in_school, 9, 1)),
            "status": "在籍",
        }


def vehicle_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    models = (
        "比亚迪牌BYD7152WT6HEVC2", "大众汽车牌SVW7152NPD", "丰田牌TV7201HEV",
        "吉利牌MR7152D03", "广汽传祺牌GAC6450J1F6", "长安牌SC7154AAA6",
    )  # fmt: skip
    letters, digits = "ABCDEFGHJKLMNPQRSTUVWXYZ", "0123456789"
    plates: set[str] = set()
    for r in c.residents:
        if r.age < 20 or not ((r.named and r.name == "张三") or rng.random() < 0.25):
            continue
        electric = rng.random() < 0.3
        while True:
            # 湘A and five characters; new-energy plates have six, starting with D.
            if electric:
                plate = "湘AD" + "".join(rng.choice(digits) for _ in range(5))
            else:
                head = rng.choice(letters + digits)
                plate = f"湘A{head}{rng.choice(letters + digits)}" + "".join(
                    rng.choice(digits) for _ in range(3)
                )
            if plate not in plates:
                break
        plates.add(plate)
        yield {
            "plate": plate,
            "vehicle_type": "小型新能源客车" if electric else "小型普通客车",
            "model": rng.choice(models),
            "owner_name": r.name,
            "owner_id_number": r.id_number,
            "registered": _d(_day(rng, date(max(2010, r.birth.year + 20), 1, 1))),
            "status": "正常",
        }


def assistance_rows(c: CityBuilder) -> Iterator[Row]:
    rng = c.rng
    for r in c.residents:
        if r.named or r.age < 18 or rng.random() > 0.06:
            continue
        members = rng.randint(1, 4)
        yield {
            "id_number": r.id_number,
            "name": r.name,
            "members": str(members),
            "amount": str(members * rng.choice((420, 560, 680, 800))),
            "street": r.street,
            "since": _d(_day(rng, date(2018, 1, 1))),
        }


# resource code -> (key item, rows)
DATASETS: dict[str, tuple[str, Callable[[CityBuilder], Iterator[Row]]]] = {
    "101000000/000001": ("id_number", population_rows),
    "102000000/000001": ("uscc", enterprise_rows),
    "103000000/000002": ("id_number", property_rows),
    "104000000/000001": ("uscc", credit_rows),
    "104000000/000002": ("uscc", dishonesty_rows),
    "303000000/000001": ("id_number", social_insurance_rows),
    "304000000/000001": ("licence_no", food_licence_rows),
    "305000000/000001": ("permit_no", pollution_rows),
    "306000000/000002": ("id_number", assistance_rows),
    "309000000/000002": ("id_number", student_rows),
    "310000000/000001": ("id_number", medical_rows),
    "311000000/000001": ("id_number", housing_fund_rows),
    "312000000/000001": ("plate", vehicle_rows),
}


# --- Department systems, applications and governed reads ----------------------------


@dataclass(frozen=True, slots=True)
class DemoSystem:
    department_code: str
    name: str


MARKET_SYSTEM = DemoSystem(city.DEMO_CLIENT_DEPARTMENT, city.DEMO_CLIENT_NAME)
ONE_STOP = DemoSystem("cs-service-centre", "一网通办综合受理系统")
HOUSING = DemoSystem("cs-housing", "住房保障资格审核系统")
ENROLMENT = DemoSystem("cs-education", "义务教育招生入学服务系统")
ASSISTANCE = DemoSystem("cs-civil", "社会救助家庭经济状况核对系统")
SYSTEM_SCOPES = ("exchange.read_shared",)


@dataclass(frozen=True, slots=True)
class DemoApplication:
    system: DemoSystem
    resource_code: str
    data: ApplicationInput
    applicant: str  # username of the officer who files it, if that account exists
    # "granted", "refused", "pending" or "overdue"
    outcome: str
    answerer: str = ""
    reason: str = ""


POPULATION_CODE = "101000000/000001"
APPLICATIONS: tuple[DemoApplication, ...] = (
    DemoApplication(
        MARKET_SYSTEM,
        POPULATION_CODE,
        ApplicationInput(
            purpose="市场主体登记时核验法定代表人、负责人的身份信息",
            legal_basis="《中华人民共和国市场主体登记管理条例》第十九条",
            fields=["id_number", "name", "gender", "birth"],
            duration_days=365,
            expected_per_day=800,
        ),
        "wushi",
        "granted",
        "caiming",
        "同意。姓名按脱敏方式提供，仅用于登记核验。",
    ),
    DemoApplication(
        ONE_STOP,
        POPULATION_CODE,
        ApplicationInput(
            purpose="政务服务事项受理时自动填写申请人身份信息（免填单）",
            legal_basis="《国务院关于在线政务服务的若干规定》（国务院令第716号）",
            fields=["id_number", "name", "gender", "birth", "address"],
            clear_fields=["name"],
            duration_days=730,
            expected_per_day=3000,
        ),
        "",
        "granted",
        "caiming",
        "同意。姓名明文用于申请表自动填写，户籍地址脱敏提供。",
    ),
    DemoApplication(
        ENROLMENT,
        "311000000/000001",
        ApplicationInput(
            purpose="核验义务教育入学适龄儿童家庭的居住情况",
            legal_basis="《中华人民共和国义务教育法》第十二条",
            fields=["id_number", "name", "balance", "employer"],
            duration_days=180,
            expected_per_day=500,
        ),
        "",
        "refused",
        "",
        "入学资格审核应使用不动产登记或居住证信息，公积金账户余额与该用途无关，不符合最小必要原则。",
    ),
    DemoApplication(
        HOUSING,
        "103000000/000002",
        ApplicationInput(
            purpose="公共租赁住房申请家庭住房状况核查",
            legal_basis="《公共租赁住房管理办法》第七条",
            fields=["id_number", "owner_name", "count", "use"],
            duration_days=365,
            expected_per_day=200,
        ),
        "denglei",
        "pending",
    ),
    DemoApplication(
        ASSISTANCE,
        "311000000/000001",
        ApplicationInput(
            purpose="最低生活保障家庭经济状况核对",
            legal_basis="《社会救助暂行办法》第十一条",
            fields=["id_number", "name", "base", "monthly", "status"],
            duration_days=365,
            expected_per_day=100,
        ),
        "",
        "overdue",
    ),
)
# How long ago the overdue application was filed, in calendar days.
OVERDUE_AGE_DAYS = 30


@dataclass(frozen=True, slots=True)
class DemoRead:
    system: DemoSystem
    resource_code: str
    key: str  # a person by name in city.PEOPLE, or a firm by name in city.ENTERPRISES
    purpose: str
    claims: tuple[str, ...] = ()  # items to verify (核验) instead of reading


SHOP = city.ENTERPRISES[0].name
READS: tuple[DemoRead, ...] = (
    DemoRead(ONE_STOP, POPULATION_CODE, "张三", "办理居住证申领，自动填写申请人信息"),
    DemoRead(
        MARKET_SYSTEM,
        POPULATION_CODE,
        "张三",
        "个体工商户设立登记核验经营者身份",
        ("name", "birth"),
    ),
    DemoRead(ONE_STOP, POPULATION_CODE, "刘晓梅", "食品经营许可申请，自动填写法定代表人信息"),
    DemoRead(MARKET_SYSTEM, POPULATION_CODE, "刘晓梅", "食品经营许可核验法定代表人身份", ("name",)),
    DemoRead(ONE_STOP, "102000000/000001", SHOP, "食品经营许可申请核验营业执照信息"),
    DemoRead(ONE_STOP, "104000000/000002", SHOP, "食品经营许可审批前信用审查"),
    DemoRead(MARKET_SYSTEM, POPULATION_CODE, "陈建国", "企业变更登记核验法定代表人身份"),
)


@dataclass(frozen=True, slots=True)
class ExchangeSummary:
    datasets: int
    records: int
    grants: int
    applications: int
    reads: int
    new_datasets: int
    new_applications: int
    new_reads: int


def load_demo_exchange(*, actor: Actor) -> ExchangeSummary:
    """Host the demo datasets, file the applications and make the reads that are missing."""
    new_datasets = _load_datasets(actor)
    systems = _systems(actor)
    new_applications = _file_applications(systems, actor)
    new_reads = _make_reads(systems)
    demo_clients = list(systems.values())
    return ExchangeSummary(
        datasets=HostedDataset.objects.count(),
        records=Record.objects.filter(deleted=False).count(),
        # Printed as 有效授权: those in force, as the grant lists show them.
        grants=grants_in_force().count(),
        applications=AccessApplication.objects.count(),
        reads=AccessLog.objects.filter(client__in=demo_clients).count(),
        new_datasets=new_datasets,
        new_applications=new_applications,
        new_reads=new_reads,
    )


def _load_datasets(actor: Actor) -> int:
    builder: CityBuilder | None = None
    loaded = 0
    for code, (key_item, make_rows) in DATASETS.items():
        resource = Resource.objects.filter(code=code, state=ResourceState.PUBLISHED).first()
        if resource is None:
            continue
        dataset = HostedDataset.objects.filter(resource=resource).first()
        if dataset is None:
            dataset = do_register_hosted_dataset(resource, key_item, actor=actor)
        if dataset.versions.exists():
            continue
        # Drawn once, only when some dataset still needs its rows.
        builder = builder or CityBuilder()
        items = set(resource.items.values_list("code", flat=True))
        # A catalog entry made by an older demo may lack an item: leave that column out.
        rows = [{k: v for k, v in row.items() if k in items} for row in make_rows(builder)]
        do_load_dataset_rows(dataset, rows, actor=actor, source_name="演示数据（虚构）")
        loaded += 1
    return loaded


def _systems(actor: Actor) -> dict[DemoSystem, SystemClient]:
    """Find or issue the demo departments' systems; their secrets are not needed here."""
    wanted = {MARKET_SYSTEM} | {a.system for a in APPLICATIONS} | {r.system for r in READS}
    found: dict[DemoSystem, SystemClient] = {}
    for system in sorted(wanted, key=lambda s: (s.department_code, s.name)):
        department = Department.objects.filter(code=system.department_code).first()
        if department is None:
            continue
        client = (
            SystemClient.objects.filter(
                department=department, name=system.name, revoked_at__isnull=True
            )
            .order_by("-pk")
            .first()
        )
        if client is None:
            scopes = city.DEMO_CLIENT_SCOPES if system == MARKET_SYSTEM else SYSTEM_SCOPES
            client, _secret = do_issue_client(department, system.name, list(scopes), actor=actor)
        found[system] = client
    return found


def _officer(username: str, fallback: Actor) -> Actor:
    user = User.objects.filter(username=username).first() if username else None
    return actor_of(user) if user is not None else fallback


def _file_applications(systems: Mapping[DemoSystem, SystemClient], actor: Actor) -> int:
    filed = 0
    for demo in APPLICATIONS:
        client = systems.get(demo.system)
        resource = Resource.objects.filter(
            code=demo.resource_code, state=ResourceState.PUBLISHED
        ).first()
        if client is None or resource is None:
            continue
        if AccessApplication.objects.filter(resource=resource, client=client).exists():
            continue
        application = do_apply_for_access(
            resource, client, demo.data, actor=_officer(demo.applicant, actor)
        )
        answerer = _officer(demo.answerer, actor)
        if demo.outcome == "granted":
            do_grant_application(application, actor=answerer, reason=demo.reason)
        elif demo.outcome == "refused":
            do_refuse_application(application, actor=answerer, reason=demo.reason)
        elif demo.outcome == "overdue":
            # Demo only: backdate an application so that an overdue answer shows on
            # the data bureau's overview at once. The ledger entry keeps the real
            # filing time; nothing outside the demo ever rewrites these dates.
            filed_at = timezone.now() - timedelta(days=OVERDUE_AGE_DAYS)
            AccessApplication.objects.filter(
                pk=application.pk, state=ApplicationState.PENDING
            ).update(
                submitted_at=filed_at,
                due_at=add_working_days(filed_at, settings.EXCHANGE_ANSWER_WORKING_DAYS),
            )
        filed += 1
    return filed


def _demo_key(name: str) -> tuple[str, dict[str, str]]:
    """The key of a demo person or firm, with what a form would claim about them."""
    for person in city.PEOPLE:
        if person.name == name:
            number = make_id_number(person.region_code, person.birth, person.seq, person.sex)
            return number, {"name": person.name, "birth": person.birth.isoformat()}
    for firm in city.ENTERPRISES:
        if firm.name == name:
            return make_credit_code(firm.region_code, firm.seq), {"name": firm.name}
    raise LookupError(name)


def _make_reads(systems: Mapping[DemoSystem, SystemClient]) -> int:
    made = 0
    for read in READS:
        client = systems.get(read.system)
        resource = Resource.objects.filter(code=read.resource_code).first()
        if client is None or resource is None:
            continue
        if AccessLog.objects.filter(
            client=client, resource=resource, data__purpose=read.purpose
        ).exists():
            continue
        key, facts = _demo_key(read.key)
        try:
            if read.claims:
                claims = {code: facts[code] for code in read.claims}
                governed.do_verify_record(
                    client, read.resource_code, key, claims, purpose=read.purpose
                )
            else:
                governed.do_look_up_record(client, read.resource_code, key, purpose=read.purpose)
        except ZhengtongError:
            # A refused read is in the access log too, which is all the demo needs.
            pass
        made += 1
    return made
