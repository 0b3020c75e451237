"""The demo city's online monitoring (长沙市), idempotent.

Three demo enterprises have a monitoring point each: the cement-products
maker's flue-gas outlet, the food shop's kitchen exhaust and the waste
treatment company's waste-water outlet, with the usual limits. Their
collectors are the simulator's first three points (same MN and PW), so
``hj212_simulate --points 3`` keeps them reporting. The last 24 hours of
5-minute real-time uploads are stored through the receiver's own batch
commit; the food shop's particulate rises over its limit at dinner time, so
the demo shows an open over-limit alarm, and the waste-water collector sent
two packets with a wrong CRC. The regulator 周检 of the city's environment
bureau watches the whole city.

``load_demo_regulation_work`` then adds the credit files and the
serious-dishonesty list (``credit_demo``), the inspector register and two
random-inspection tasks (``inspection_demo``) and a credit-repair request
(``enterprise_demo``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.errors import NotFound
from zhengtong.core.models import Enterprise
from zhengtong.core.selectors import find_enterprise_by_credit_code, get_department, get_region
from zhengtong.core.testing import make_credit_code
from zhengtong.demo import city
from zhengtong.identity.actions import do_assign_post, do_create_staff
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import ScopeLevel, StaffPost, User
from zhengtong.regulation.actions import do_register_point, do_set_emission_limit
from zhengtong.regulation.credit_demo import load_demo_credit
from zhengtong.regulation.enterprise_demo import load_demo_enterprise
from zhengtong.regulation.hj212 import HJ212Error, parse_packet
from zhengtong.regulation.ingest import Accepted, Refused, store_batch
from zhengtong.regulation.inspection_demo import load_demo_inspections
from zhengtong.regulation.models import EmissionLimit, MonitoringPoint, Reading
from zhengtong.regulation.simulator import SimulatedPoint, points_for

STEP = dt.timedelta(minutes=5)
HOURS = 24

# (enterprise, point name); the n-th is the simulator's n-th point (the third reports water).
POINTS = (
    ("长沙麓山建材有限公司", "1号废气排放口"),
    ("长沙市芙蓉区湘味小厨餐饮店", "厨房油烟废气排放口"),
    ("长沙星城环保科技有限公司", "废水总排口"),
)
AIR_LIMITS = (("a21026", 35.0, "mg/m3"), ("a21002", 50.0, "mg/m3"), ("a34013", 10.0, "mg/m3"))
WATER_LIMITS = (("w01018", 50.0, "mg/L"), ("w21003", 5.0, "mg/L"))
# Ordinary levels, well under the limits: SO2, NOx, particulate; COD, ammonia nitrogen.
TYPICAL = {"a21026": 14.0, "a21002": 28.0, "a34013": 3.5, "w01018": 26.0, "w21003": 1.8}
# The food shop's particulate goes over its limit at dinner time.
EPISODE_POINT = 1
EPISODE_POLLUTANT = "a34013"
EPISODE_START = dt.time(18, 0)
EPISODE_LENGTH = dt.timedelta(minutes=45)

REGULATOR = ("zhoujian", "周检", "cs-environment")
# Who to log in as (username, what they do), printed by load_demo.
LOGINS = (
    (
        "zhoujian",
        "监管执法人员：在线监控和报警处理，企业信用，信用修复审核，双随机抽查",
    ),
    ("chenjianguo", "企业（长沙星城环保科技有限公司）：监测数据、报警、信用等级和信用修复"),
    ("huangli", "企业（长沙橘洲文化传媒有限公司）：列入严重失信主体名单，在线申请时被提示"),
)


@dataclass(slots=True)
class DemoPoint(SimulatedPoint):
    """A simulated collector whose values stay under the limits except in one episode."""

    episode: tuple[dt.datetime, dt.datetime] | None = None
    episode_pollutant: str = ""
    # Values are made from this generator's own draws, so a demo day is reproducible.
    noise: random.Random = field(default_factory=random.Random)

    def data_area(self, when: dt.datetime) -> str:
        hour = when.hour + when.minute / 60
        daily = 1 + 0.2 * math.sin((hour - 8) / 24 * 2 * math.pi)
        items = [f"DataTime={when:%Y%m%d%H%M%S}"]
        for code, _typical, limit in self.pollutants:
            value = TYPICAL[code] * daily * (1 + self.noise.gauss(0, 0.06))
            value = min(max(value, 0.0), limit * 0.8)
            if self.episode and code == self.episode_pollutant:
                start, end = self.episode
                if start <= when <= end:
                    share = (when - start) / (end - start)
                    value = limit * (1.25 + 1.1 * math.sin(math.pi * share))
            items.append(f"{code}-Rtd={value:.3f},{code}-Flag=N")
        flow = "w00000" if self.water else "a00000"
        items.append(f"{flow}-Rtd={self.noise.uniform(80, 120):.2f},{flow}-Flag=N")
        return ";".join(items)


def dinner_episode(
    now_local: dt.datetime, window_start: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """Return the latest dinner-time episode in the window that ended a quarter of an hour ago.

    Between about six and seven in the evening neither today's dinner (not
    over) nor yesterday's (before the window) fits; the episode then ends a
    quarter of an hour ago.
    """
    settled = now_local - dt.timedelta(minutes=15)
    start = dt.datetime.combine(now_local.date(), EPISODE_START)
    if start + EPISODE_LENGTH > settled:
        start -= dt.timedelta(days=1)
    if start < window_start:
        start = settled - EPISODE_LENGTH
    return start, start + EPISODE_LENGTH


def _enterprise(name: str) -> Enterprise | None:
    item = next((e for e in city.ENTERPRISES if e.name == name), None)
    if item is None:
        return None
    return find_enterprise_by_credit_code(make_credit_code(item.region_code, item.seq))


def _register(actor: Actor) -> list[tuple[MonitoringPoint, SimulatedPoint]]:
    registered = []
    for (enterprise_name, point_name), simulated in zip(
        POINTS, points_for(len(POINTS)), strict=True
    ):
        point = MonitoringPoint.objects.filter(mn=simulated.mn).first()
        if point is None:
            enterprise = _enterprise(enterprise_name)
            if enterprise is None:
                continue
            point = do_register_point(
                enterprise,
                simulated.mn,
                point_name,
                simulated.pw,
                actor=actor,
                system_code=simulated.system_code,
                interval_s=int(STEP.total_seconds()),
            )
        for code, upper, unit in WATER_LIMITS if simulated.water else AIR_LIMITS:
            if not EmissionLimit.objects.filter(point=point, pollutant=code).exists():
                do_set_emission_limit(point, code, upper, actor=actor, unit=unit)
        registered.append((point, simulated))
    return registered


def _regulator(actor: Actor) -> None:
    username, name, department_code = REGULATOR
    try:
        department = get_department(department_code)
        region = get_region(city.CITY_CODE)
    except NotFound:
        return
    user = User.objects.filter(username=username).first()
    if user is None:
        do_create_staff(
            username,
            city.DEMO_PASSWORD,
            name,
            department,
            ["regulator"],
            actor=actor,
            scope=ScopeLevel.REGION,
            scope_region=region,
        )
    elif not StaffPost.objects.filter(user=user, role__code="regulator", is_active=True).exists():
        do_assign_post(
            user, department, "regulator", actor=actor, scope=ScopeLevel.REGION, scope_region=region
        )


def _upload_day(registered: list[tuple[MonitoringPoint, SimulatedPoint]], actor: Actor) -> int:
    """Store the last 24 hours of uploads, an hour of every point per batch."""
    now_local = timezone.localtime(timezone.now(), SHANGHAI).replace(
        tzinfo=None, second=0, microsecond=0
    )
    end = now_local.replace(minute=now_local.minute - now_local.minute % 5)
    start = end - dt.timedelta(hours=HOURS) + STEP
    episode = dinner_episode(now_local, start)
    devices = []
    for n, (point, simulated) in enumerate(registered):
        device = DemoPoint(
            mn=simulated.mn,
            pw=simulated.pw,
            water=simulated.water,
            # Reproducible demo values, not secrets.
            noise=random.Random(2026 + n),  # noqa: S311
        )
        if n == EPISODE_POINT:
            device.episode, device.episode_pollutant = episode, EPISODE_POLLUTANT
        devices.append((point, device))
    stored = 0
    per_batch = int(dt.timedelta(hours=1) / STEP)
    sequence = 0
    when = start
    while when <= end:
        accepted = []
        for _slot in range(per_batch):
            if when > end:
                break
            for point, device in devices:
                _qn, raw = device.upload(when, sequence)
                received = when.replace(tzinfo=SHANGHAI) + dt.timedelta(seconds=2)
                accepted.append(Accepted(point.pk, parse_packet(raw), raw, received))
            sequence += 1
            when += STEP
        store_batch(accepted, [], actor=actor)
        stored += len(accepted)
    if len(devices) > 2:
        point, device = devices[2]
        store_batch([], _bad_crc(point, device, end - dt.timedelta(hours=3)), actor=actor)
    return stored


def _bad_crc(point: MonitoringPoint, device: SimulatedPoint, when: dt.datetime) -> list[Refused]:
    """Two uploads whose CRC a line fault changed, as the receiver refuses them."""
    refused = []
    for minute in (0, 1):
        at = when + dt.timedelta(minutes=minute)
        _qn, raw = device.upload(at, 900 + minute)
        # The CRC is the four hexadecimal digits before CR LF.
        broken = raw[:-6] + (b"0000" if raw[-6:-2] != b"0000" else b"FFFF") + raw[-2:]
        try:
            parse_packet(broken)
        except HJ212Error as error:
            refused.append(
                Refused(
                    point.pk,
                    point.mn,
                    error,
                    "10.20.31.7:40212",
                    broken,
                    at.replace(tzinfo=SHANGHAI),
                )
            )
    return refused


def load_demo_regulation(*, actor: Actor) -> int:
    """Register the demo points and limits and the regulator; store a day of uploads once."""
    _regulator(actor)
    registered = _register(actor)
    if not registered:
        return 0
    if Reading.objects.filter(point__in=[point for point, _ in registered]).exists():
        return 0
    return _upload_day(registered, actor)


def load_demo_regulation_work(*, actor: Actor) -> list[str]:
    """Credit files, random inspections and a credit-repair request; one summary line each.

    In this order: the inspection draw reads the grades the credit records
    give, and a recorded inspection result is itself a credit record.
    """
    regulator = User.objects.filter(username=REGULATOR[0]).first()
    return [
        load_demo_credit(actor=actor),
        load_demo_inspections(
            actor=actor, recorder=actor_of(regulator) if regulator is not None else None
        ),
        load_demo_enterprise(actor=actor),
    ]
