"""The demo city's 12345 set-up (长沙市), idempotent.

Routing rules send the seven first-level categories to the city's bureaus,
and to the district branches where the demo city has them (芙蓉区 and
天心区); time limits follow common practice (dispatch within 1/2/24 hours,
reply within 2 hours, 24 hours or 15 working days); a few landmarks teach the
place resolver names that are not divisions. The departments' clerks get
the handler's post, and some invented messages from citizens show every
queue. When a routing model is active they are routed by it; otherwise
they wait for the dispatcher.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.errors import NotFound
from zhengtong.core.selectors import get_department, get_region
from zhengtong.hotline.actions import CaseInput, do_submit_case
from zhengtong.hotline.models import Case
from zhengtong.hotline.routing_actions import (
    do_set_place_alias,
    do_set_routing_rule,
    do_set_time_limit,
)
from zhengtong.hotline.states import Channel, LimitUnit, Urgency
from zhengtong.identity.actions import do_assign_post
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

# Invented messages (title, content, location, phone), written for the demo.
MESSAGES = (
    (
        "芙蓉区某小区楼下烧烤店油烟扰民",
        "芙蓉区文艺路街道一小区楼下新开的烧烤店每天营业到凌晨两点，油烟直排进居民家里，"
        "噪音也很大，老人孩子都睡不好，希望环保部门尽快处理。",
        "芙蓉区文艺路街道",
        "13907310001",
    ),
    (
        "",
        "天心区黄兴路步行街有商家销售假冒名牌鞋子，价格虚高，买到后发现是假货，商家拒绝退货。",
        "黄兴路步行街",
        "13907310002",
    ),
    (
        "公交车班次太少",
        "从星沙到火车站的公交线路早高峰班次太少，等车要四十分钟，车上拥挤不堪，建议增加班次。",
        "",
        "13907310003",
    ),
    (
        "孩子入学问题咨询",
        "我们一家户籍在开福区，孩子今年满六岁，想咨询片区小学的入学登记需要哪些材料，什么时候报名。",
        "开福区",
        "13907310004",
    ),
    (
        "公司拖欠工资三个月",
        "我在岳麓区一家装修公司上班，公司已经拖欠我们十几个人三个月工资，老板一直推脱，请求帮助讨薪。",
        "岳麓区",
        "13907310005",
    ),
    (
        "",
        "小区物业费上涨却没有经过业主大会同意，电梯经常坏，楼道灯也不亮，物业不作为，请住建部门管一管。",
        "雨花区",
        "13907310006",
    ),
    (
        "社区卫生服务中心疫苗预约难",
        "天心区社区卫生服务中心的疫苗接种预约总是约不上，现场排队要半天，希望增加接种时段。",
        "天心区",
        "13907310007",
    ),
    (
        "",
        "路边有人乱扔东西，希望有人管管。",
        "",
        "13907310008",
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
    ("zhaoliu", "领导：12345诉求统计和热点问题"),
    ("sunba", "系统管理员：分拨模型的训练、启用和回滚"),
)


def load_demo_hotline(*, actor: Actor) -> int:
    """Set up routing, limits, aliases and staff posts; add the demo messages once."""
    for region_code, category, department_code in RULES:
        try:
            department = get_department(department_code)
            region = get_region(region_code)
        except NotFound:
            continue
        do_set_routing_rule(region, category, department, actor=actor)
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
    start = timezone.now() - dt.timedelta(hours=len(MESSAGES))
    for n, (title, content, location, phone) in enumerate(MESSAGES):
        do_submit_case(
            CaseInput(
                content=content,
                channel=Channel.PHONE if n % 3 == 2 else Channel.WEB,
                title=title,
                location_text=location,
                contact_phone=phone,
                received_at=start + dt.timedelta(hours=n),
            ),
            actor=actor,
            entered_by="demo",
        )
    return len(MESSAGES)
