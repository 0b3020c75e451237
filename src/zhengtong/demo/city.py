"""The demo city: 长沙市 with real GB/T 2260 codes and fictitious people and firms.

Every person and enterprise here is invented; their numbers are valid by the
check-digit rules (GB 11643, GB 32100) but belong to nobody.
"""

from dataclasses import dataclass, field
from datetime import date

PROVINCE_CODE = "430000"  # 湖南省
CITY_CODE = "430100"  # 长沙市
FURONG_CODE = "430102"  # 芙蓉区
TIANXIN_CODE = "430103"  # 天心区

# One password for every demo account, printed by load_demo. Demo only.
DEMO_PASSWORD = "Zhengtong@2026"  # noqa: S105


@dataclass(frozen=True)
class DemoDepartment:
    code: str
    name: str
    short_name: str
    kind: str
    region_code: str
    parent_code: str | None = None


@dataclass(frozen=True)
class DemoStaff:
    username: str
    name: str
    department_code: str
    roles: tuple[str, ...]
    scope: str = "department"
    scope_region_code: str | None = None
    note: str = ""


@dataclass(frozen=True)
class DemoPerson:
    username: str | None
    name: str
    region_code: str
    birth: date
    sex: str
    seq: int
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class DemoEnterprise:
    name: str
    region_code: str
    seq: int
    legal_representative: str  # name of a DemoPerson
    address: str
    industry_code: str
    industry: str
    established_on: date
    agents: tuple[str, ...] = field(default_factory=tuple)  # usernames of authorised agents


DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment("cs-gov-office", "长沙市人民政府办公厅", "市政府办", "government", CITY_CODE),
    DemoDepartment("cs-market", "长沙市市场监督管理局", "市市场监管局", "government", CITY_CODE),
    DemoDepartment("cs-environment", "长沙市生态环境局", "市生态环境局", "government", CITY_CODE),
    DemoDepartment("cs-hrss", "长沙市人力资源和社会保障局", "市人社局", "government", CITY_CODE),
    DemoDepartment("cs-housing", "长沙市住房和城乡建设局", "市住建局", "government", CITY_CODE),
    DemoDepartment("cs-transport", "长沙市交通运输局", "市交通运输局", "government", CITY_CODE),
    DemoDepartment("cs-education", "长沙市教育局", "市教育局", "government", CITY_CODE),
    DemoDepartment("cs-health", "长沙市卫生健康委员会", "市卫健委", "government", CITY_CODE),
    DemoDepartment("cs-civil", "长沙市民政局", "市民政局", "government", CITY_CODE),
    DemoDepartment("cs-police", "长沙市公安局", "市公安局", "government", CITY_CODE),
    DemoDepartment(
        "cs-resources", "长沙市自然资源和规划局", "市自然资源规划局", "government", CITY_CODE
    ),
    DemoDepartment("cs-emergency", "长沙市应急管理局", "市应急管理局", "government", CITY_CODE),
    DemoDepartment("cs-finance", "长沙市财政局", "市财政局", "government", CITY_CODE),
    DemoDepartment("cs-audit", "长沙市审计局", "市审计局", "government", CITY_CODE),
    DemoDepartment("cs-data", "长沙市数据资源管理局", "市数据局", "direct", CITY_CODE),
    DemoDepartment("cs-12345", "长沙市12345政务服务便民热线中心", "12345热线", "centre", CITY_CODE),
    DemoDepartment(
        "cs-service-centre", "长沙市政务服务中心", "市政务服务中心", "centre", CITY_CODE
    ),
    DemoDepartment("cs-discipline", "中共长沙市纪律检查委员会", "市纪委监委", "party", CITY_CODE),
    DemoDepartment(
        "fr-market",
        "长沙市芙蓉区市场监督管理局",
        "芙蓉区市场监管局",
        "government",
        FURONG_CODE,
        "cs-market",
    ),
    DemoDepartment(
        "tx-market",
        "长沙市天心区市场监督管理局",
        "天心区市场监管局",
        "government",
        TIANXIN_CODE,
        "cs-market",
    ),
    DemoDepartment(
        "fr-environment",
        "长沙市生态环境局芙蓉分局",
        "芙蓉生态环境分局",
        "government",
        FURONG_CODE,
        "cs-environment",
    ),
    DemoDepartment(
        "fr-service-centre",
        "长沙市芙蓉区政务服务中心",
        "芙蓉区政务服务中心",
        "centre",
        FURONG_CODE,
        "cs-service-centre",
    ),
    # Appended, not inserted: a department's credit code is made from its position.
    DemoDepartment(
        "cs-development", "长沙市发展和改革委员会", "市发改委（市信用办）", "government", CITY_CODE
    ),
    DemoDepartment("cs-medical", "长沙市医疗保障局", "市医保局", "government", CITY_CODE),
    DemoDepartment(
        "cs-housing-fund", "长沙住房公积金管理中心", "市公积金中心", "centre", CITY_CODE
    ),
    # 国家综合性消防救援队伍: neither a government work department nor a 事业单位.
    DemoDepartment("cs-fire", "长沙市消防救援支队", "市消防救援支队", "other", CITY_CODE),
)

# Staff: the named cast first, then one clerk for every other department.
STAFF: tuple[DemoStaff, ...] = (
    DemoStaff(
        "lisi", "李四", "fr-market", ("clerk",), note="芙蓉区市场监管局窗口受理人员：只看本局业务"
    ),
    DemoStaff(
        "wangwu", "王五", "tx-market", ("clerk",), note="天心区市场监管局：看不到芙蓉区的业务"
    ),
    DemoStaff(
        "zhaoliu", "赵六", "cs-gov-office", ("leader",), "region", CITY_CODE, "副市长：全市范围"
    ),
    DemoStaff(
        "qianqi", "钱七", "cs-discipline", ("auditor",), "region", CITY_CODE, "审计人员：审计台账"
    ),
    DemoStaff(
        "sunba",
        "孙八",
        "cs-data",
        ("administrator", "data_reviewer"),
        "region",
        CITY_CODE,
        "数据局系统管理员、数据资源审核人员：审核发布全市目录",
    ),
    DemoStaff("zhoujiu", "周九", "fr-market", ("reviewer",), note="芙蓉区市场监管局审核人员"),
    DemoStaff(
        "wushi",
        "吴十",
        "cs-market",
        ("administrator",),
        note="市市场监管局数据管理员：目录编制；本局系统已获人口基本信息授权（数据共享申请）",
    ),
    # Data officers (the administrator role) who answer and file data-sharing applications.
    DemoStaff(
        "caiming",
        "蔡明",
        "cs-police",
        ("administrator",),
        note="市公安局数据管理员：答复人口基本信息的共享申请（已同意两项）",
    ),
    DemoStaff(
        "tangjing",
        "唐静",
        "cs-resources",
        ("administrator",),
        note="市自然资源规划局数据管理员：有一项不动产登记信息的申请待答复",
    ),
    DemoStaff(
        "denglei",
        "邓磊",
        "cs-housing",
        ("administrator",),
        note="市住建局数据管理员：申请使用不动产登记信息（待答复）",
    ),
    # Who works online applications through their BPMN lanes (一网通办).
    DemoStaff(
        "hejing", "何静", "cs-market", ("acceptor",), note="市市场监管局受理人员：受理、送达"
    ),
    DemoStaff("luobin", "罗斌", "cs-market", ("reviewer",), note="市市场监管局审核人员：审查"),
    DemoStaff(
        "xiaoyun", "萧云", "cs-market", ("decider",), note="市市场监管局决定人员：决定、差评整改"
    ),
    DemoStaff(
        "fangyu", "方宇", "cs-environment", ("reviewer",), note="市生态环境局审核人员：并联审批"
    ),
    DemoStaff(
        "leiming",
        "雷鸣",
        "cs-fire",
        ("reviewer",),
        note="市消防救援支队审核人员：开办餐饮店“一件事”的消防审查（告知承诺）",
    ),
    DemoStaff(
        "kongli",
        "孔丽",
        "cs-health",
        ("acceptor", "reviewer", "decider"),
        note="市卫健委：公共场所卫生许可的受理、审查和决定",
    ),
    DemoStaff(
        "yuanfang",
        "袁芳",
        "cs-hrss",
        ("acceptor", "reviewer", "decider"),
        note="市人社局：城乡居民养老保险的受理、审查和决定",
    ),
)

# Names for the clerk of each remaining department, in department order.
CLERK_NAMES = (
    "郑一鸣",
    "冯晓琳",
    "陈志强",
    "褚红梅",
    "卫国平",
    "蒋丽华",
    "沈建军",
    "韩雪",
    "杨帆",
    "朱晓东",
    "秦文静",
    "尤海涛",
    "许佳",
    "何振宇",
    "吕婷",
    "施明",
    "张晓燕",
    "孔德胜",
    "曹敏",
    "严立新",
    "华晨",
    "金秀英",
)

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "zhangsan",
        "张三",
        FURONG_CODE,
        date(1988, 5, 17),
        "M",
        11,
        "13807311234",
        "湖南省长沙市芙蓉区文艺路街道八一路12号",
    ),
    DemoPerson(
        "liuxiaomei",
        "刘晓梅",
        FURONG_CODE,
        date(1979, 11, 3),
        "F",
        22,
        "13975102468",
        "湖南省长沙市芙蓉区五里牌街道人民东路88号",
    ),
    DemoPerson(
        "chenjianguo",
        "陈建国",
        TIANXIN_CODE,
        date(1965, 2, 9),
        "M",
        31,
        "13307316789",
        "湖南省长沙市天心区坡子街街道解放西路5号",
    ),
    DemoPerson(
        "huangli",
        "黄丽",
        TIANXIN_CODE,
        date(1995, 8, 26),
        "F",
        42,
        "15874120357",
        "湖南省长沙市天心区城南路街道劳动西路66号",
    ),
    DemoPerson(
        "maqiang",
        "马强",
        FURONG_CODE,
        date(1990, 12, 1),
        "M",
        53,
        "18673109876",
        "湖南省长沙市芙蓉区马王堆街道远大一路201号",
    ),
    DemoPerson(None, "欧阳明", FURONG_CODE, date(1972, 4, 15), "M", 64, "", ""),
)

ENTERPRISES: tuple[DemoEnterprise, ...] = (
    # The demo story's food shop: its owner applies for a food business licence.
    DemoEnterprise(
        "长沙市芙蓉区湘味小厨餐饮店",
        FURONG_CODE,
        1,
        "刘晓梅",
        "湖南省长沙市芙蓉区文艺路街道八一路18号",
        "H6210",
        "正餐服务",
        date(2021, 3, 18),
        agents=("maqiang",),
    ),
    DemoEnterprise(
        "长沙星城环保科技有限公司",
        TIANXIN_CODE,
        2,
        "陈建国",
        "湖南省长沙市天心区坡子街街道解放西路120号",
        "N7723",
        "固体废物治理",
        date(2015, 7, 1),
    ),
    DemoEnterprise(
        "长沙麓山建材有限公司",
        FURONG_CODE,
        3,
        "欧阳明",
        "湖南省长沙市芙蓉区东湖街道东二环一段300号",
        "C3021",
        "水泥制品制造",
        date(2009, 10, 12),
    ),
    DemoEnterprise(
        "长沙橘洲文化传媒有限公司",
        TIANXIN_CODE,
        4,
        "黄丽",
        "湖南省长沙市天心区城南路街道书院路9号",
        "R8710",
        "广播电视节目制作",
        date(2019, 5, 20),
    ),
)

# The department system that holds demo API credentials (G2G).
DEMO_CLIENT_DEPARTMENT = "cs-market"
DEMO_CLIENT_NAME = "市场主体登记系统"
DEMO_CLIENT_SCOPES = (
    "core.read_registers",
    "ledger.read_proofs",
    "exchange.read_shared",
    "exchange.push_records",
)

# Where the demo's fictitious residents live: real roads of each district of
# 长沙市 (the 街道 come from the GB/T 2260 list itself).
ROADS: dict[str, tuple[str, ...]] = {
    "430102": (
        "五一大道",
        "八一路",
        "人民东路",
        "韶山北路",
        "车站北路",
        "远大一路",
        "解放东路",
        "蔡锷中路",
    ),
    "430103": (
        "解放西路",
        "劳动西路",
        "书院路",
        "湘府中路",
        "新姚南路",
        "芙蓉南路",
        "城南西路",
        "白沙路",
    ),
    "430104": (
        "麓山南路",
        "枫林一路",
        "岳麓大道",
        "桐梓坡路",
        "金星中路",
        "麓谷大道",
        "潇湘中路",
        "银盆南路",
    ),
    "430105": (
        "湘江中路",
        "湘春路",
        "营盘路",
        "中山路",
        "三一大道",
        "福城路",
        "开福寺路",
        "芙蓉北路",
    ),
    "430111": (
        "韶山中路",
        "劳动东路",
        "万家丽中路",
        "井湾路",
        "湘府东路",
        "人民中路",
        "曙光中路",
        "时代阳光大道",
    ),
    "430112": ("雷锋大道", "金星北路", "普瑞大道", "腾飞路", "郭亮中路", "旺旺中路"),
    "430121": ("星沙大道", "开元路", "东八线", "漓湘路", "特立路", "东六路"),
    "430181": ("金沙路", "白沙路", "人民路", "浏阳大道", "圭斋路", "花园路"),
    "430182": ("花明路", "玉潭路", "人民路", "一环路", "金洲大道", "春城路"),
}

# Common surnames, with the compound ones found in 湖南; given-name characters by sex.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎"
    "贺顾毛郝龚邵万严覃戴莫孔向汤易文伍颜柳阳"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "上官")
GIVEN_MALE = "伟强军磊洋勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林峰建国志文斌博睿轩"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英梅琳婷雪慧莉萍红颖琴倩洁佳欣怡彤瑶萱晴悦蕾"
