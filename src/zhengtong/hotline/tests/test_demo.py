"""The hotline demo: where its messages go, and a history that reads like weeks of work.

The model here is trained on invented messages labelled as the real 12345
taxonomy labels them: complaints about buses and the metro are 城乡建设
(城市建设和市政管理 › 公共汽车, 地铁城铁), which the city's housing bureau
answers for except for that topic. The demo's departments are made with the
demo's codes in a small slice of 长沙市.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from zhengtong.core.models import Department, Region, RegionLevel
from zhengtong.core.testing import TEST_ACTOR, make_department, make_region_tree
from zhengtong.hotline import demo, routing, selectors
from zhengtong.hotline.classifier_actions import (
    do_activate_classifier,
    do_queue_training,
    run_training,
)
from zhengtong.hotline.models import Case, CaseEvent, ClassifierVersion, LabelledExample
from zhengtong.hotline.states import CaseState, EventKind, WarningLevel
from zhengtong.hotline.tests.cast import invented_examples
from zhengtong.identity.actions import do_create_staff

# Buses and the metro, labelled 城乡建设 as in the real labelled messages.
TRANSIT = [
    "公交车班次太少，早高峰等车要四十分钟",
    "公交线路绕路太远，建议调整线路走向",
    "地铁早高峰太挤，连续几趟车都上不去",
    "公交车司机不按站点停靠，乘客下不了车",
    "建议开通小区到地铁站的公交线路",
    "公交站台被拆除后一直没有恢复",
    "末班公交车收车太早，下晚班没车回家",
    "地铁站出口太少，进出站排长队",
    "公交车空调不开，车厢里闷热难受",
    "公交首末班时间不公示，乘客等车不知道时间",
]

DISTRICTS = (
    ("430104", "岳麓区"),
    ("430105", "开福区"),
    ("430111", "雨花区"),
    ("430121", "长沙县"),
)


def train_taxonomy_model() -> ClassifierVersion:
    """A small model that, like the real one, files buses and the metro under 城乡建设."""
    now = timezone.now()
    for example in invented_examples():
        if "公交" in example.body or "网约车" in example.body:
            continue
        LabelledExample.objects.create(
            title=example.title,
            body=example.body,
            label=example.label,
            labelled_by="fixture",
            labelled_at=now,
        )
    for body in TRANSIT:
        LabelledExample.objects.create(
            title="", body=body, label="城乡建设", labelled_by="fixture", labelled_at=now
        )
    version = do_queue_training(actor=TEST_ACTOR, data_path=None, include_corrections=True)
    version = run_training(version, actor=TEST_ACTOR, folds=0)
    assert version.state == "ready", version.error
    return do_activate_classifier(version, actor=TEST_ACTOR, confirm_unmapped=True)


def make_demo_departments() -> dict[str, Department]:
    """The departments the demo's rules, handlers and dispatchers name, with the demo's codes."""
    tree = make_region_tree()
    for code, name in DISTRICTS:
        Region.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": RegionLevel.COUNTY,
                "parent": tree.city,
                "path": f"{tree.city.path}/{code}",
            },
        )
    codes = {code for _r, _c, code in demo.RULES}
    codes |= {rule[-1] for rule in demo.TOPIC_RULES}
    codes |= {code for _u, code in demo.HANDLERS + demo.DISPATCHERS}
    made = {}
    for code in sorted(codes):
        region = {"fr": tree.furong, "tx": tree.tianxin}.get(code.split("-")[0], tree.city)
        made[code] = make_department(f"演示部门 {code}", code=code, region=region)
    # The demo's staff accounts, which load_demo gives their posts: a case is
    # dispatched only where someone can sign for it.
    for accounts, role in (
        (demo.HANDLERS, "hotline_handler"),
        (demo.DISPATCHERS, "hotline_dispatcher"),
    ):
        for username, code in accounts:
            do_create_staff(
                username, "Zhengtong-demo-2026", username, made[code], [role], actor=TEST_ACTOR
            )
    return made


@pytest.fixture
def demo_city(db: None) -> dict[str, Department]:
    departments = make_demo_departments()
    train_taxonomy_model()
    return departments


def test_the_model_files_buses_under_urban_construction_and_the_rules_send_them_to_transport(
    demo_city: dict[str, Department],
) -> None:
    demo.load_demo_hotline(actor=TEST_ACTOR)
    bus = next(m for m in demo.MESSAGES if m.title == "公交车班次太少")
    suggestion = routing.suggest(bus.location, bus.title, bus.content)
    assert suggestion.prediction is not None
    assert suggestion.prediction.label == "城乡建设"  # the cause: the taxonomy's category
    assert suggestion.department == demo_city["cs-transport"]
    assert suggestion.topic == "公共交通"
    # The category's other matters still go to the housing bureau.
    assert (
        routing.department_for("城乡建设", None, text="小区电梯经常故障，物业拖着不修")
        == (demo_city["cs-housing"])
    )
    # So does a bus fare read as a price complaint, even in a district with its own market branch.
    assert (
        routing.department_for("商贸旅游", "430102", text="公交车票价无故上涨")
        == (demo_city["cs-transport"])
    )
    assert (
        routing.department_for("商贸旅游", "430102", text="超市缺斤少两")
        == (demo_city["fr-market"])
    )


def test_the_demos_bus_and_metro_messages_land_at_the_transport_bureau(
    demo_city: dict[str, Department],
) -> None:
    assert demo.load_demo_hotline(actor=TEST_ACTOR) == len(demo.MESSAGES)
    transit = [m for m in demo.MESSAGES if any(w in m.content for w in ("公交", "地铁"))]
    assert len(transit) >= 2
    for message in transit:
        case = Case.objects.get(contact_phone=message.phone)
        assert case.department == demo_city["cs-transport"], message.title
        # Routed there, not returned by the housing bureau and sent on by hand.
        assert case.return_count == 0
        assert not case.events.filter(kind=EventKind.RETURNED).exists()


def test_the_demo_messages_are_spread_over_weeks_with_consistent_deadlines(
    demo_city: dict[str, Department],
) -> None:
    now = timezone.now()
    demo.load_demo_hotline(actor=TEST_ACTOR)
    cases = list(Case.objects.all())
    assert len(cases) == len(demo.MESSAGES)
    days = {timezone.localtime(case.received_at).date() for case in cases}
    assert len(days) > 7
    assert max(days) - min(days) >= dt.timedelta(days=21)
    assert all(case.received_at <= now for case in cases)
    assert not CaseEvent.objects.filter(at__gt=now).exists()
    for case in cases:
        # (A reopened case is sent back to the department anew: its dispatch time moves on.)
        times = [t for t in (case.received_at, case.signed_at, case.replied_at) if t is not None]
        assert times == sorted(times), case.title
        assert case.dispatched_at is None or case.dispatched_at >= case.received_at
        if case.closed_at is not None:
            assert case.replied_at is not None and case.closed_at >= case.replied_at
        # Every event is dated at or after the message came in, in order.
        events = list(case.events.order_by("pk").values_list("at", flat=True))
        assert events == sorted(events) and events[0] >= case.received_at
    levels = {
        case.title or case.content[:8]: selectors.clock(case, now).level
        for case in cases
        if case.state in (CaseState.ASSIGNED, CaseState.HANDLING)
    }
    assert WarningLevel.RED in levels.values()  # some past their deadline ...
    assert WarningLevel.NONE in levels.values()  # ... and some well in time
    overdue = Case.objects.get(title="公司拖欠工资三个月")
    assert overdue.state == CaseState.HANDLING and overdue.reply_due is not None
    assert overdue.reply_due < now and overdue.urge_count == 1
    assert {case.state for case in cases} >= STAGES
    assert any(case.reopened for case in cases)
    # The leader's trend has something to show across the month.
    figures = selectors.overview(now - dt.timedelta(days=30), now)
    assert len(figures.by_day) > 7 and figures.ratings


# The stages of handling the demo's cases show.
STAGES = {CaseState.ASSIGNED, CaseState.HANDLING, CaseState.REPLIED, CaseState.CLOSED}

# Loaded just after midnight, the worst hour: each day of a week, and the first
# working days after the National Day and Spring Festival holidays of 2026.
LOAD_TIMES = [dt.datetime(2026, 11, 30, 0, 30) + dt.timedelta(days=n) for n in range(7)] + [
    dt.datetime(2026, 10, 8, 0, 30),
    dt.datetime(2026, 2, 24, 0, 30),
]


@pytest.mark.parametrize("local_time", LOAD_TIMES, ids=lambda t: f"{t:%a-%Y-%m-%d}")
def test_whatever_day_it_is_loaded_the_demo_shows_every_stage_of_handling(
    demo_city: dict[str, Department], monkeypatch: pytest.MonkeyPatch, local_time: dt.datetime
) -> None:
    now = local_time.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: now)

    demo.load_demo_hotline(actor=TEST_ACTOR)

    cases = list(Case.objects.all())
    assert {case.state for case in cases} >= STAGES
    assert any(case.reopened for case in cases)
    assert all(case.received_at <= now for case in cases)
    assert not CaseEvent.objects.filter(at__gt=now).exists()


def test_loading_the_demo_again_adds_nothing(demo_city: dict[str, Department]) -> None:
    assert demo.load_demo_hotline(actor=TEST_ACTOR) == len(demo.MESSAGES)
    assert demo.load_demo_hotline(actor=TEST_ACTOR) == 0
    assert Case.objects.count() == len(demo.MESSAGES)
