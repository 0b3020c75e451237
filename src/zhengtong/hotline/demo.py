"""The demo city's 12345 set-up (长沙市), idempotent.

Routing rules send the seven first-level categories to the city's bureaus,
and to the district branches where the demo city has them (芙蓉区 and
天心区); time limits follow common practice (dispatch within 1/2/24 hours,
reply within 2 hours, 24 hours or 15 working days); a few landmarks teach the
place resolver names that are not divisions. The departments' clerks get
the handler's post, and some invented messages from citizens show every
queue. When a routing model is active they are routed by it; otherwise
they wait for the dispatcher. The buses and the metro, which the taxonomy
files under 城乡建设, go to the transport bureau by a topic rule. The messages
are dated over the past five weeks and handled as far as their dates allow,
so the deadlines, lights, callbacks and the leaders' trend read as in a
working centre.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.calendar import SHANGHAI, is_working_day
from zhengtong.core.errors import NotFound
from zhengtong.core.models import Department
from zhengtong.core.selectors import get_department, get_region
from zhengtong.hotline.actions import (
    CaseInput,
    acting_as_of,
    do_dispatch_case,
    do_rate_case,
    do_reply_case,
    do_return_case,
    do_sign_case,
    do_submit_case,
    do_urge_overdue_cases,
)
from zhengtong.hotline.models import Case
from zhengtong.hotline.routing import RuleBook, city_region
from zhengtong.hotline.routing_actions import (
    do_set_place_alias,
    do_set_routing_rule,
    do_set_time_limit,
)
from zhengtong.hotline.states import CaseState, Channel, LimitUnit, Urgency
from zhengtong.identity.actions import do_assign_post
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import StaffPost, User

CITY = "430100"
FURONG = "430102"
TIANXIN = "430103"

# (region, category, department code)
RULES = (
    (CITY, "城乡建设", "cs-housing"),
    (CITY, "环境保护", "cs-environment"),
    (CITY, "交通运输", "cs-transport"),
    (CITY, "教育文体", "cs-education"),
    (CITY, "劳动和社会保障", "cs-hrss"),
    (CITY, "卫生计生", "cs-health"),
    (CITY, "商贸旅游", "cs-market"),
    (FURONG, "环境保护", "fr-environment"),
    (FURONG, "商贸旅游", "fr-market"),
    (TIANXIN, "商贸旅游", "tx-market"),
)

# (urgency, dispatch hours, reply amount, unit)
LIMITS = (
    (Urgency.CRITICAL, 1, 2, LimitUnit.HOURS),
    (Urgency.URGENT, 2, 24, LimitUnit.HOURS),
    (Urgency.NORMAL, 24, 15, LimitUnit.WORKING_DAYS),
)

# Landmarks people name instead of a division (name, GB/T 2260 county code).
ALIASES = (
    ("长沙火车站", FURONG),
    ("黄兴路步行街", TIANXIN),
    ("贺龙体育中心", TIANXIN),
    ("烈士公园", "430105"),
    ("岳麓山", "430104"),
)

# Demo staff who answer the department's 12345 cases: (username, department code).
HANDLERS = (
    ("denglei", "cs-housing"),
    ("clerk-cs-transport", "cs-transport"),
    ("clerk-cs-education", "cs-education"),
    ("fangyu", "cs-environment"),
    ("yuanfang", "cs-hrss"),
    ("kongli", "cs-health"),
    ("hejing", "cs-market"),
    ("lisi", "fr-market"),
    ("wangwu", "tx-market"),
    ("clerk-fr-environment", "fr-environment"),
)
DISPATCHERS = (("clerk-cs-12345", "cs-12345"),)

# Topics that a category's rules carve out for another bureau (region,
# category, topic, keywords, department code). In the common 12345 taxonomy
# buses and the metro are 城乡建设 (城市建设和市政管理 › 公共汽车, 地铁城铁), as in
# the labelled messages the model learns from, and bus fares often read as
# 商贸旅游 (prices); the city's transport bureau answers for all of them.
PUBLIC_TRANSPORT = "公交 公共汽车 地铁 轨道交通 城铁 磁浮 站台 首末班"
TOPIC_RULES = (
    (CITY, "城乡建设", "公共交通", PUBLIC_TRANSPORT, "cs-transport"),
    (CITY, "商贸旅游", "公共交通", PUBLIC_TRANSPORT, "cs-transport"),
)


@dataclass(frozen=True, slots=True)
class DemoMessage:
    """An invented message and how far its handling had come when the demo was loaded.

    ``days_ago`` and ``hour`` date it: the local hour on that day, or for a
    message of today the hours before now. ``category`` is what the centre
    decides when the model leaves it to the dispatcher (or sent it to the
    wrong department, which returns it). ``outcome`` is how far it got:
    ``queued`` (waits for the dispatcher), ``assigned`` (not signed for yet),
    ``handling``, ``replied`` (waits for the callback), ``closed`` (rated
    ``rating`` at the callback) or ``reopened`` (rated 不满意). A reply comes
    ``reply_days`` working days after signing. A message of an earlier day
    comes in as many days earlier as its handling needs to reach its outcome
    by now (weekends and holidays move it); a step that would still lie in the
    future is left out, so the states always agree with their dates.
    """

    title: str
    content: str
    location: str
    phone: str
    category: str
    days_ago: int
    hour: float
    outcome: str
    reply: str = ""
    reply_days: int = 0
    rating: str = ""
    comment: str = ""


# Invented messages, written for the demo, spread over five weeks: some
# closed, some waiting for the callback, one reopened, one past its deadline,
# one near it, and three neighbours of one barbecue stall (a hot issue).
MESSAGES = (
    DemoMessage(
        "芙蓉区某小区楼下烧烤店油烟扰民",
        "芙蓉区文艺路街道锦华苑小区楼下新开的烧烤店每天营业到凌晨两点，油烟直排进居民家里，"
        "噪音也很大，老人孩子都睡不好，希望环保部门尽快处理。",
        "芙蓉区文艺路街道",
        "13907310001",
        "环境保护",
        6,
        22.2,
        "handling",
    ),
    DemoMessage(
        "",
        "天心区黄兴路步行街有商家销售假冒名牌鞋子，价格虚高，买到后发现是假货，商家拒绝退货。",
        "黄兴路步行街",
        "13907310002",
        "商贸旅游",
        12,
        15.3,
        "closed",
        reply=(
            "您好！您反映的问题已收悉。经天心区市场监管局执法人员现场检查，黄兴路步行街该鞋店"
            "销售的两款运动鞋无法提供品牌授权和进货凭证，涉嫌销售侵犯注册商标专用权的商品。"
            "根据《中华人民共和国商标法》第六十条，我局已依法扣押涉嫌侵权商品36双并立案调查，"
            "责令商家为您办理退货退款，商家已于前日与您联系并退款。如有疑问请致电0731-85891234。"
        ),
        reply_days=4,
        rating="satisfied",
    ),
    DemoMessage(
        "公交车班次太少",
        "从星沙到火车站的公交线路早高峰班次太少，等车要四十分钟，车上拥挤不堪，建议增加班次。",
        "",
        "13907310003",
        "城乡建设",
        4,
        7.8,
        "handling",
    ),
    DemoMessage(
        "孩子入学问题咨询",
        "我们一家户籍在开福区，孩子今年满六岁，想咨询片区小学的入学登记需要哪些材料，什么时候报名。",
        "开福区",
        "13907310004",
        "教育文体",
        20,
        10.25,
        "closed",
        reply=(
            "您好！感谢您的来电。根据《长沙市义务教育阶段学校招生入学工作实施方案》，开福区小学"
            "新生入学实行网上登记，登记时间为每年7月上旬，具体日期以区教育局发布的公告为准。"
            "需准备的材料：户口簿、房屋产权证明或租房备案证明、孩子的预防接种证。孩子户籍和住房"
            "均在片区内的，可以按片区划分就近入学。如有疑问可拨打开福区教育局招生咨询电话"
            "0731-84561234。"
        ),
        reply_days=3,
        rating="satisfied",
    ),
    DemoMessage(
        "公司拖欠工资三个月",
        "我在岳麓区一家装修公司上班，公司已经拖欠我们十几个人三个月工资，老板一直推脱，请求帮助讨薪。",
        "岳麓区",
        "13907310005",
        "劳动和社会保障",
        30,
        9.7,
        "handling",
    ),
    DemoMessage(
        "",
        "小区物业费上涨却没有经过业主大会同意，电梯经常坏，楼道灯也不亮，物业不作为，请住建部门管一管。",
        "雨花区",
        "13907310006",
        "城乡建设",
        9,
        19.5,
        "replied",
        reply=(
            "您好！您反映的问题已收悉。经市住建局物业监管科会同雨花区住建局现场核查，该小区物业"
            "服务企业调整物业费前未按《湖南省物业管理条例》第四十二条的规定经业主大会表决，"
            "我局已责令其暂停执行新收费标准，已多收的费用在下次收费时抵扣。电梯已于本周由维保"
            "单位全面检修，楼道灯已更换。下一步我局将在一个月内再次回访检查。如有疑问请致电"
            "0731-88661234。"
        ),
        reply_days=5,
    ),
    DemoMessage(
        "社区卫生服务中心疫苗预约难",
        "天心区社区卫生服务中心的疫苗接种预约总是约不上，现场排队要半天，希望增加接种时段。",
        "天心区",
        "13907310007",
        "卫生计生",
        12,
        11.0,
        "reopened",
        reply="您好，您的留言已收悉，我们会转交相关部门研究处理，感谢您对卫生健康工作的关心和支持。",
        reply_days=3,
        rating="unsatisfied",
        comment="答复没有说什么时候增加接种时段。",
    ),
    DemoMessage(
        "",
        "路边有人乱扔东西，希望有人管管。",
        "",
        "13907310008",
        "城乡建设",
        0,
        1.0,
        "queued",
    ),
    DemoMessage(
        "芙蓉区锦华苑小区烧烤店油烟太大",
        "锦华苑小区临街的烧烤店晚上把炉子摆到人行道上，烟直接飘进三楼的窗户，衣服都不敢晾，"
        "希望查一下有没有油烟净化设备。",
        "芙蓉区文艺路街道",
        "13907310009",
        "环境保护",
        4,
        21.5,
        "handling",
    ),
    DemoMessage(
        "锦华苑楼下烧烤店半夜还在营业",
        "芙蓉区文艺路街道锦华苑小区楼下的烧烤店半夜还在营业，油烟和吵闹声很大，"
        "已经反映过多次了，请尽快处理。",
        "芙蓉区文艺路街道",
        "13907310010",
        "环境保护",
        1,
        23.1,
        "assigned",
    ),
    DemoMessage(
        "地铁2号线早高峰太挤",
        "地铁2号线早高峰从五一广场到长沙火车站方向太挤了，连续几趟车都上不去，"
        "建议早高峰加密班次或者增开区间车。",
        "",
        "13907310011",
        "城乡建设",
        8,
        8.75,
        "closed",
        reply=(
            "您好！您反映的问题已收悉。经市交通运输局会同长沙市轨道交通运营公司核实，2号线早高峰"
            "7时30分至9时行车间隔为3分钟，五一广场往长沙火车站方向满载率超过百分之一百一十。"
            "运营公司已调整运行图，计划于下月起早高峰增开4趟区间车，行车间隔缩短至2分40秒。"
            "如有疑问请致电0731-85451234。"
        ),
        reply_days=5,
        rating="basically",
    ),
    DemoMessage(
        "工地夜间施工噪音扰民",
        "雨花区万家丽路附近一处工地每天晚上十一点以后还在打桩，噪音非常大，附近居民无法休息。",
        "雨花区",
        "13907310012",
        "环境保护",
        14,
        23.3,
        "closed",
        reply=(
            "您好！您反映的问题已收悉。经市生态环境局执法人员夜间现场检查，该工地未取得夜间施工"
            "许可，23时后仍进行打桩作业。根据《中华人民共和国噪声污染防治法》第四十三条，我局已"
            "责令其立即停止夜间施工，并依法立案处罚。下一步我局将在施工期间不定期夜查。"
            "如有疑问请致电0731-88991234。"
        ),
        reply_days=2,
        rating="satisfied",
    ),
    DemoMessage(
        "楼上漏水物业不管",
        "岳麓区一小区我家楼上卫生间漏水，天花板都泡坏了，楼上住户不配合维修，物业也不管，请帮忙协调。",
        "岳麓区",
        "13907310013",
        "城乡建设",
        25,
        20.0,
        "closed",
        reply=(
            "您好！经岳麓区住建局会同社区和物业现场查看，漏水系楼上卫生间防水层老化所致。经调解，"
            "楼上住户已同意由物业安排维修，已于上周完成防水层修复，您家天花板的修复费用由楼上"
            "住户承担。如有疑问请致电0731-88881234。"
        ),
        reply_days=8,
        rating="basically",
    ),
    DemoMessage(
        "灵活就业人员养老保险怎么缴",
        "我在开福区打零工，没有单位，想咨询灵活就业人员怎么缴纳养老保险，缴费标准是多少，在哪里办理。",
        "开福区",
        "13907310014",
        "劳动和社会保障",
        18,
        14.5,
        "closed",
        reply=(
            "您好！根据《湖南省企业职工基本养老保险省级统筹实施办法》，灵活就业人员可以按照上年度"
            "全省全口径城镇单位就业人员平均工资的60%至300%之间自选缴费基数，缴费比例为20%。"
            "您可以凭身份证到开福区社保经办窗口办理参保登记，也可以通过“湘税社保”小程序直接办理。"
            "如有疑问请拨打12333或0731-84231234咨询。"
        ),
        reply_days=2,
        rating="satisfied",
    ),
    DemoMessage(
        "超市销售过期食品",
        "天心区一家连锁超市货架上的酸奶已经过期三天还在卖，我买回家才发现，超市只肯退钱不肯赔偿。",
        "天心区",
        "13907310015",
        "商贸旅游",
        3,
        18.7,
        "handling",
    ),
    DemoMessage(
        "网约车绕路多收费",
        "晚上从长沙火车站打网约车回家，司机故意绕路，平时二十多块的路程收了六十多块，平台客服不处理。",
        "长沙火车站",
        "13907310016",
        "交通运输",
        22,
        23.8,
        "closed",
        reply=(
            "您好！经市交通运输局调取行程轨迹核实，该驾驶员确有绕路行为。根据《网络预约出租汽车"
            "经营服务管理暂行办法》第二十七条，我局已责令平台公司退还多收的车费38元，已于本周退至"
            "您的支付账户，并对驾驶员作出处罚。如有疑问请致电0731-84111234。"
        ),
        reply_days=6,
        rating="satisfied",
    ),
    DemoMessage(
        "幼儿园乱收费",
        "长沙县星沙街道一所民办幼儿园开学另收三千元“建园费”，说不交就不能入园，请问这合规吗？",
        "长沙县",
        "13907310017",
        "教育文体",
        27,
        9.0,
        "closed",
        reply=(
            "您好！经县教育局核查，该幼儿园收取“建园费”不在备案的收费项目内。我局已责令其立即停止"
            "收取并退还已收费用，目前已退还。如有疑问请致电0731-86981234。"
        ),
        reply_days=17,
        rating="basically",
    ),
    DemoMessage(
        "医院挂号难",
        "雨花区一家三甲医院的专家号在网上一放出来就没了，现场也挂不到，怀疑有号贩子倒号。",
        "雨花区",
        "13907310018",
        "卫生计生",
        1,
        16.3,
        "assigned",
    ),
    DemoMessage(
        "岳麓山停车场乱收费",
        "岳麓山景区东门停车场收费没有公示标准，停两个小时收了五十元，也不给发票。",
        "岳麓山",
        "13907310019",
        "商贸旅游",
        11,
        13.2,
        "handling",
    ),
    DemoMessage(
        "老旧小区加装电梯",
        "天心区我们小区是九十年代的老房子，很多老人上下楼困难，想申请加装电梯，需要什么条件，有没有补贴？",
        "天心区",
        "13907310020",
        "城乡建设",
        33,
        10.5,
        "closed",
        reply=(
            "您好！根据《长沙市既有住宅增设电梯实施办法》，增设电梯须经本单元专有部分面积占比三分之二"
            "以上且人数占比三分之二以上的业主同意，并在单元内公示不少于10日。符合条件的项目可以"
            "申请每台最高20万元的财政补贴。您可以到所在街道的老旧小区改造办公室领取申请资料，"
            "我局将安排专人指导。如有疑问请致电0731-85121234。"
        ),
        reply_days=12,
        rating="satisfied",
    ),
    DemoMessage(
        "",
        "开福区一小区二次供水水质发黄，烧开后有沉淀，已经持续一个多星期，希望检测水质并清洗水箱。",
        "开福区",
        "13907310021",
        "城乡建设",
        19,
        8.3,
        "handling",
    ),
    DemoMessage(
        "火车站出租车拒载",
        "在长沙火车站出租车上客区，几辆出租车司机嫌路近拒载，还让我们去坐别的车。",
        "长沙火车站",
        "13907310022",
        "交通运输",
        0,
        3.0,
        "assigned",
    ),
)


def _assign(username: str, department_code: str, role: str, actor: Actor) -> None:
    user = User.objects.filter(username=username).first()
    if user is None:
        return
    department = get_department(department_code)
    if not StaffPost.objects.filter(
        user=user, department=department, role__code=role, is_active=True
    ).exists():
        do_assign_post(user, department, role, actor=actor)


# Who to log in as to see each part (username, what they do), printed by load_demo.
LOGINS = (
    ("clerk-cs-12345", "12345派单员：派单队列、延期审批、催办督办、回访"),
    ("clerk-fr-environment", "芙蓉生态环境分局承办人员：签收、答复12345工单"),
    ("clerk-cs-transport", "市交通运输局承办人员：公交、地铁诉求按“公共交通”事项规则派到本局"),
    ("zhaoliu", "领导：全市12345工单、诉求统计和热点问题"),
    ("sunba", "系统管理员：分拨模型的训练、启用和回滚"),
)

# The platform's own 催办/督办 run (``hotline.tasks.urge_overdue_cases``).
SCHEDULER = Actor.system("hotline.urge_overdue_cases")


# A step is played when it lies at least this far in the past.
PAST = dt.timedelta(minutes=1)
# How many days a message of an earlier day may come in earlier than its
# ``days_ago`` so that its handling has got as far as its outcome (the longest
# holidays, 春节 and 国庆, are eight or nine days).
MAX_DAYS_EARLIER = 14


def _local(day: dt.date, hour: float) -> dt.datetime:
    minutes = round(hour * 60)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=SHANGHAI)


def _next_working_day(moment: dt.datetime, count: int = 1) -> dt.date:
    """The ``count``-th working day after the day of ``moment``."""
    day = timezone.localtime(moment, SHANGHAI).date()
    while count > 0:
        day += dt.timedelta(days=1)
        count -= is_working_day(day)
    return day


def received_at(message: DemoMessage, now: dt.datetime) -> dt.datetime:
    """When the demo message came in: ``days_ago`` days before today at ``hour``."""
    if message.days_ago == 0:
        return now - dt.timedelta(hours=message.hour)
    today = timezone.localtime(now, SHANGHAI).date()
    return _local(today - dt.timedelta(days=message.days_ago), message.hour)


def _actor_of(username: str, fallback: Actor) -> Actor:
    user = User.objects.filter(username=username).first()
    return actor_of(user) if user is not None else fallback


class _History:
    """Plays the demo messages' handling in the order it happened, each step at its time."""

    def __init__(self, actor: Actor, now: dt.datetime) -> None:
        self.actor = actor
        self.now = now
        self.city = city_region()
        self.dispatcher = _actor_of(DISPATCHERS[0][0], actor)
        self.handlers = {code: _actor_of(username, actor) for username, code in HANDLERS}
        self.cases: dict[int, Case] = {}
        self.stopped: set[int] = set()

    def plan(self) -> list[tuple[dt.datetime, int, int, str]]:
        """(time, message, order within the message, step) of every step, oldest first."""
        steps: list[tuple[dt.datetime, int, int, str]] = []
        for n, message in enumerate(MESSAGES):
            start = received_at(message, self.now)
            own = self._steps(n, message, start)
            # Weekends and holidays move the working days a message's handling
            # took: a message of an earlier day comes in a day earlier until
            # its handling has got as far as its outcome says, whatever day
            # the demo is loaded on.
            for _ in range(MAX_DAYS_EARLIER):
                if not message.days_ago or own[-1][0] <= self.now - PAST:
                    break
                start -= dt.timedelta(days=1)
                own = self._steps(n, message, start)
            steps.extend(own)
        first = min(step[0] for step in steps)
        day = timezone.localtime(first, SHANGHAI).date()
        while (tick := _local(day, 8.0)) <= self.now:
            if tick > first:
                steps.append((tick, -1, 0, "urge"))
            day += dt.timedelta(days=1)
        return sorted(steps)

    @staticmethod
    def _steps(
        n: int, message: DemoMessage, start: dt.datetime
    ) -> list[tuple[dt.datetime, int, int, str]]:
        """The message's steps up to its outcome, when it comes in at ``start``."""
        steps = [(start, n, 0, "submit")]
        if message.outcome == "queued":
            return steps
        # The dispatchers work round the clock: a queued message is sent on within two hours.
        steps.append((start + dt.timedelta(minutes=90), n, 1, "route"))
        if message.outcome == "assigned":
            return steps
        signed = _local(_next_working_day(start), 9.5 + 0.25 * (n % 4))
        steps.append((signed, n, 2, "sign"))
        if message.outcome == "handling":
            return steps
        replied = _local(_next_working_day(signed, message.reply_days), 15.0 + 0.5 * (n % 3))
        steps.append((replied, n, 3, "reply"))
        if message.outcome == "replied":
            return steps
        # The callback (回访) the next working day.
        steps.append((_local(_next_working_day(replied), 10.0), n, 4, "rate"))
        return steps

    def play(self) -> int:
        for at, n, _order, step in self.plan():
            if at > self.now - PAST or n in self.stopped:
                # Not yet happened: the message stays where it got to.
                self.stopped.add(n)
                continue
            with acting_as_of(at):
                if step == "urge":
                    do_urge_overdue_cases(actor=SCHEDULER, now=at)
                else:
                    getattr(self, f"_{step}")(n, MESSAGES[n])
        return len(self.cases)

    def _intended(self, case: Case, message: DemoMessage) -> Department | None:
        return RuleBook(self.city).department_for(
            message.category, case.district_id or None, f"{case.title}\n{case.content}"
        )

    def _submit(self, n: int, message: DemoMessage) -> None:
        self.cases[n] = do_submit_case(
            CaseInput(
                content=message.content,
                channel=Channel.PHONE if n % 3 == 2 else Channel.WEB,
                title=message.title,
                location_text=message.location,
                contact_phone=message.phone,
            ),
            actor=self.actor,
            entered_by="demo",
        )

    def _route(self, n: int, message: DemoMessage) -> None:
        """Dispatch a queued message; a misrouted one is returned and dispatched again."""
        case = self.cases[n]
        intended = self._intended(case, message)
        if intended is None:
            self.stopped.add(n)
            return
        if case.state == CaseState.MERGED:
            self.stopped.add(n)
            return
        wrong = case.department if case.state == CaseState.ASSIGNED else None
        if wrong is not None and wrong.pk != intended.pk:
            case = do_return_case(
                case,
                "该诉求不属于本单位职责，请重新派单。",
                actor=self.handlers.get(wrong.code, self.actor),
                departments=[wrong.pk],
            )
        if case.state == CaseState.DISPATCHING:
            case = do_dispatch_case(case, message.category, intended, actor=self.dispatcher)
        self.cases[n] = case

    def _handler(self, case: Case) -> Actor:
        return self.handlers.get(case.department.code if case.department else "", self.actor)

    def _sign(self, n: int, message: DemoMessage) -> None:
        case = self.cases[n]
        self.cases[n] = do_sign_case(
            case, actor=self._handler(case), departments=[case.department_id or 0]
        )

    def _reply(self, n: int, message: DemoMessage) -> None:
        case = self.cases[n]
        self.cases[n] = do_reply_case(
            case, message.reply, actor=self._handler(case), departments=[case.department_id or 0]
        )

    def _rate(self, n: int, message: DemoMessage) -> None:
        self.cases[n] = do_rate_case(
            self.cases[n], message.rating, actor=self.dispatcher, comment=message.comment
        )


def load_demo_hotline(*, actor: Actor) -> int:
    """Set up routing, limits, aliases and staff posts; add the demo messages once.

    The messages are dated over the past five weeks, relative to now, and
    handled as far as their dates allow: their times, deadlines, lights,
    催办 and callbacks are what they would be had the centre worked them.
    """
    for region_code, category, department_code in RULES:
        try:
            department = get_department(department_code)
            region = get_region(region_code)
        except NotFound:
            continue
        do_set_routing_rule(region, category, department, actor=actor)
    for region_code, category, topic, keywords, department_code in TOPIC_RULES:
        try:
            department = get_department(department_code)
            region = get_region(region_code)
        except NotFound:
            continue
        do_set_routing_rule(
            region, category, department, actor=actor, topic=topic, keywords=keywords
        )
    for urgency, hours, amount, unit in LIMITS:
        do_set_time_limit(urgency, "", hours, amount, unit, actor=actor)
    for name, code in ALIASES:
        try:
            do_set_place_alias(name, get_region(code), actor=actor)
        except NotFound:
            continue
    for username, department_code in HANDLERS:
        _assign(username, department_code, "hotline_handler", actor)
    for username, department_code in DISPATCHERS:
        _assign(username, department_code, "hotline_dispatcher", actor)
    if Case.objects.exists():
        return 0
    return _History(actor, timezone.now()).play()
