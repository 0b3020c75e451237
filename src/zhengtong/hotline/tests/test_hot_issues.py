"""Hot-issue mining on small invented messages written in the style of a city message board."""

from datetime import datetime, timedelta

from zhengtong.hotline.hot_issues import (
    DISTRICT,
    ROAD,
    SITE,
    HotIssue,
    MessageForMining,
    heat_jumps,
    mine_hot_issues,
    places_in,
)

START = datetime(2024, 5, 1, 9, 0)


def _message(
    key: str,
    title: str,
    body: str,
    day: float,
    *,
    supporters: int = 0,
    author: str = "",
) -> MessageForMining:
    return MessageForMining(
        key=key,
        title=title,
        body=body,
        created_at=START + timedelta(days=day),
        supporters=supporters,
        author=author or f"user-{key}",
    )


# Four people about the barbecue stalls under one estate, over two weeks, each
# naming the estate a little differently.
BARBECUE = [
    _message(
        "n1",
        "A3区枫林东路青枫苑小区楼下烧烤摊噪音扰民",
        "青枫苑小区3栋楼下的烧烤摊每天营业到凌晨两点，划拳声、音响声不断，油烟直往楼上飘，"
        "孩子晚上根本睡不着，请城管部门管一管。",
        0,
        supporters=3,
    ),
    _message(
        "n2",
        "青枫苑小区烧烤摊深夜噪音太大",
        "小区门口新开了两家烧烤摊，桌子摆到人行道上，凌晨还在喝酒吵闹，噪音和油烟严重影响休息。",
        3,
    ),
    _message(
        "n3",
        "A市万家青枫苑底层烧烤店油烟噪音扰民",
        "万家青枫苑底层商铺开了烧烤店，没有油烟净化设备，夜里烧烤油烟和噪音扰民，多次投诉无果。",
        8,
        supporters=5,
    ),
    _message(
        "n4",
        "投诉A3区青枫苑小区烧烤摊占道经营扰民",
        "青枫苑小区楼下烧烤摊占道经营，每晚营业到深夜，噪音大，油烟熏得窗户都不敢开。",
        13,
    ),
]
# The same complaint about another estate, another matter at the same estate,
# and a question about no place at all.
UNRELATED = [
    _message(
        "u1",
        "A5区金桂花园小区烧烤摊噪音扰民",
        "金桂花园小区南门的烧烤摊每晚营业到凌晨，噪音和油烟扰民，希望相关部门整治。",
        5,
    ),
    _message(
        "u2",
        "A3区青枫苑小区电梯经常故障停运",
        "青枫苑小区5栋电梯本月已经停运三次，有老人被困在电梯里，物业只说等厂家维修配件。",
        6,
    ),
    _message(
        "u3",
        "咨询A市住房公积金贷款额度",
        "本人连续缴存公积金三年，想了解首套房公积金贷款最高额度是多少，需要哪些材料。",
        9,
    ),
]


def _issue_with(issues: list[HotIssue], key: str) -> HotIssue:
    return next(issue for issue in issues if key in issue.message_keys)


def test_it_finds_the_districts_roads_and_estate_a_title_names() -> None:
    places = places_in("A3区枫林东路青枫苑小区楼下烧烤摊噪音扰民")

    assert [(place.level, place.name) for place in places] == [
        (DISTRICT, "A3区"),
        (ROAD, "枫林东路"),
        (SITE, "青枫苑小区"),
    ]
    assert places[-1].key == "青枫苑"


def test_it_reads_no_place_into_a_question_without_one() -> None:
    assert [place.name for place in places_in("咨询A市住房公积金贷款额度")] == ["A市"]


def test_it_makes_one_issue_of_four_complaints_about_one_estate() -> None:
    issues = mine_hot_issues(BARBECUE + UNRELATED, now=START + timedelta(days=14))

    issue = _issue_with(issues, "n1")
    assert sorted(issue.message_keys) == ["n1", "n2", "n3", "n4"]
    assert issue.message_count == 4
    assert issue.supporters == 8
    assert "青枫苑" in issue.place
    assert issue.place.startswith("A3区")
    assert issue.label.startswith(issue.place)
    assert "烧烤" in "".join(issue.keywords)
    assert issue.first_at == START
    assert issue.last_at == START + timedelta(days=13)


def test_it_keeps_unrelated_messages_out_of_the_estate_issue() -> None:
    issues = mine_hot_issues(BARBECUE + UNRELATED, now=START + timedelta(days=14))

    issue = _issue_with(issues, "n1")
    assert not {"u1", "u2", "u3"} & set(issue.message_keys)
    # None of the unrelated messages has a second message to form an issue with.
    assert [sorted(issue.message_keys) for issue in issues] == [["n1", "n2", "n3", "n4"]]


def test_it_keeps_the_same_complaint_in_two_districts_apart() -> None:
    here = _message(
        "d1",
        "A1区共享单车乱停乱放堵塞人行道",
        "地铁站出口的共享单车乱停乱放，把人行道和盲道都堵死了，行人只能走机动车道。",
        0,
    )
    there = _message(
        "d2",
        "A6区共享单车乱停乱放堵塞人行道",
        "地铁站出口的共享单车乱停乱放，人行道和盲道都被堵死，行人只能走到机动车道上。",
        1,
    )
    again_here = _message(
        "d3",
        "A1区共享单车乱停乱放占用盲道",
        "共享单车乱停乱放，盲道和人行道被占，运营企业不来清理，行人走路很危险。",
        2,
    )

    assert mine_hot_issues([here, there]) == []
    issues = mine_hot_issues([here, there, again_here])
    assert [sorted(issue.message_keys) for issue in issues] == [["d1", "d3"]]
    assert issues[0].place == "A1区"


def test_it_uses_the_place_the_application_resolved() -> None:
    located = [
        MessageForMining(
            key=message.key,
            title=message.title.replace("青枫苑小区", "").replace("万家青枫苑", ""),
            body=message.body.replace("青枫苑小区", "小区").replace("万家青枫苑", "小区"),
            created_at=message.created_at,
            place="A3区青枫苑小区",
        )
        for message in BARBECUE
    ]

    issue = mine_hot_issues(located)[0]

    assert issue.place == "A3区青枫苑小区"
    assert len(issue.message_keys) == 4


def test_it_leaves_out_messages_outside_the_window() -> None:
    issues = mine_hot_issues(BARBECUE, now=START + timedelta(days=14), window=timedelta(days=7))

    assert [sorted(issue.message_keys) for issue in issues] == [["n3", "n4"]]


def test_it_counts_a_copy_of_a_message_once_and_lists_both_keys() -> None:
    copy = MessageForMining(
        key="n1-copy",
        title=BARBECUE[0].title,
        body=BARBECUE[0].body,
        created_at=BARBECUE[0].created_at,
        supporters=BARBECUE[0].supporters,
        author="someone-else",
    )
    issue = mine_hot_issues([*BARBECUE, copy])[0]

    assert issue.message_count == 4
    assert "n1-copy" in issue.message_keys
    assert issue.supporters == 8


def test_it_does_not_make_an_issue_of_one_person_repeating_a_message() -> None:
    repeats = [
        _message(
            f"r{day}", "A3区青枫苑小区烧烤摊噪音扰民", "楼下烧烤摊太吵了。", day, author="same"
        )
        for day in (0, 2, 4)
    ]

    assert mine_hot_issues(repeats) == []


def test_support_and_more_people_make_an_issue_hotter() -> None:
    quiet = mine_hot_issues(BARBECUE[:2])[0]
    supported = mine_hot_issues(
        [
            BARBECUE[0],
            _message("n2", BARBECUE[1].title, BARBECUE[1].body, 3, supporters=40),
        ]
    )[0]
    crowded = mine_hot_issues(BARBECUE)[0]

    assert supported.heat > quiet.heat
    assert crowded.heat > quiet.heat


def _street_lights(first_key: int, count: int, first_day: float) -> list[MessageForMining]:
    bodies = [
        "湘江中路从五一大道到解放路一段的路灯已经坏了，晚上一片漆黑，行人和电动车很危险。",
        "湘江中路路灯一到晚上就不亮，路面漆黑，昨天还有人摔倒，请尽快维修路灯。",
        "晚上走湘江中路黑漆漆的，路灯全部不亮，老人小孩出行很不安全。",
    ]
    return [
        _message(
            f"l{first_key + index}",
            "A2区湘江中路路灯不亮" if index % 2 else "A2区湘江中路晚上路灯全坏了",
            bodies[index % len(bodies)],
            first_day + index * 0.5,
            supporters=index * 4,
        )
        for index in range(count)
    ]


def test_a_growing_issue_shows_a_heat_jump() -> None:
    first_week = _street_lights(0, 2, 1)
    second_week = first_week + _street_lights(2, 7, 8)
    before = mine_hot_issues(first_week, now=START + timedelta(days=7))
    after = mine_hot_issues(second_week, now=START + timedelta(days=14))

    jumps = heat_jumps(before, after)

    assert [sorted(issue.message_keys) for issue, _ in jumps] == [
        sorted(message.key for message in second_week)
    ]
    issue, factor = jumps[0]
    assert factor >= 2.0
    assert issue.growth > 0
    assert abs(factor - issue.heat / before[0].heat) < 1e-9


def test_a_steady_issue_shows_no_heat_jump() -> None:
    issues = mine_hot_issues(BARBECUE, now=START + timedelta(days=14))

    assert heat_jumps(issues, issues) == []


def test_a_new_hot_issue_counts_as_a_jump_and_a_small_one_does_not() -> None:
    issues = mine_hot_issues(BARBECUE, now=START + timedelta(days=14))
    small = mine_hot_issues(BARBECUE[:2])

    assert [issue.message_keys for issue, _ in heat_jumps([], issues)] == [issues[0].message_keys]
    assert heat_jumps([], small, minimum=50.0) == []


def test_it_finds_nothing_in_nothing() -> None:
    assert mine_hot_issues([]) == []
    assert heat_jumps([], []) == []


# Titles in which the word cutter guesses pieces of names it does not know: 金贷案
# (of the lending platform 66金贷) and 穿长 (of 下穿长浏高速, an underpass).
LENDING_PLATFORM = [
    _message(
        "p1",
        "A2区66金贷案立案半年仍无进展",
        "66金贷平台去年底停止兑付，投资人的钱至今没有追回，立案已经半年，请公布办案进展。",
        0,
        supporters=40,
    ),
    _message(
        "p3",
        "A2区66金贷案何时能有结果",
        "66金贷案立案多月，投资人多次到公安分局询问，办案民警只说在侦查中，请给个说法。",
        5,
        supporters=30,
    ),
]
UNDERPASS = [
    _message(
        "r1",
        "A6区枫林路下穿长浏高速工程进展如何",
        "枫林路下穿长浏高速的工程开工一年多了，现在进展如何，什么时候能通车？",
        1,
    ),
    _message(
        "r2",
        "A6区枫林路下穿长永高速能否如期通车",
        "听说枫林路下穿长永高速年底通车，现在工地好像停工了，能否如期通车？",
        4,
    ),
    _message(
        "r3",
        "枫林路下穿长永高速月底能否通车",
        "枫林路下穿长永高速的工程月底能否通车，附近居民出行绕路很远。",
        9,
    ),
]


def test_a_label_shows_a_guessed_name_whole_and_no_piece_of_one() -> None:
    issues = mine_hot_issues(
        BARBECUE + UNRELATED + LENDING_PLATFORM + UNDERPASS, now=START + timedelta(days=14)
    )

    lending = _issue_with(issues, "p1")
    assert "p3" in lending.message_keys
    assert "66金贷案" in lending.keywords
    underpass = _issue_with(issues, "r1")
    assert sorted(underpass.message_keys) == ["r1", "r2", "r3"]
    assert "枫林路" in underpass.place
    assert underpass.keywords
    # 穿长 is cut so in one title only; 下穿长 is no word either.
    assert not any("穿长" in word for word in underpass.keywords)


# Forty everyday complaints about ten estates in nine districts: the window in
# which a rare name stands out.
_ESTATES = ["金桂花园", "翠湖家园", "东方名苑", "阳光新城", "锦绣山庄"]
_ESTATES += ["湘江公寓", "梧桐华庭", "银杏小区", "和平新村", "长青大厦"]
_MATTERS = [
    ("电梯经常故障停运", "电梯本月已经停运三次，有老人被困，物业只说等配件。"),
    ("地下车库积水严重", "一下雨地下车库就积水，车辆被泡，物业一直不处理。"),
    ("垃圾清运不及时", "小区垃圾站的垃圾好几天没人清运，臭气熏天，蚊蝇滋生。"),
    ("路灯坏了无人修", "小区主干道的路灯坏了一个多月，晚上出行很不安全。"),
    ("供水水压不足", "高层住户水压不足，早晚用水高峰时段经常没水。"),
]
EVERYDAY = [
    _message(
        f"e{n}",
        f"A{n % 9 + 1}区{_ESTATES[n % 10]}{_MATTERS[n % 5][0]}",
        f"{_ESTATES[n % 10]}{_MATTERS[n % 5][1]}",
        n % 14,
    )
    for n in range(40)
]


def test_messages_naming_the_same_unknown_platform_in_one_district_are_one_issue() -> None:
    about_the_platform = [
        _message(
            "q1",
            "A2区66金贷恶性退出立案半年仍无进展",
            "66金贷平台去年底停止兑付，投资人的钱至今没有追回，立案已经半年，请公布办案进展。",
            0,
            supporters=40,
        ),
        _message(
            "q2",
            "A2区66金贷老板跑路，经侦拖延办案",
            "66金贷老板带着投资人的钱跑到国外，经侦部门至今没有追逃消息，请督促办案。",
            3,
            supporters=25,
        ),
    ]

    issues = mine_hot_issues(EVERYDAY + about_the_platform, now=START + timedelta(days=14))

    issue = _issue_with(issues, "q1")
    assert sorted(issue.message_keys) == ["q1", "q2"]
    assert issue.keywords[0] == "66金贷"
    assert issue.place == "A2区"


def test_with_a_minimum_of_one_message_every_message_belongs_to_an_issue() -> None:
    messages = BARBECUE + UNRELATED
    issues = mine_hot_issues(messages, now=START + timedelta(days=14), min_messages=1, limit=50)

    keys = sorted(key for issue in issues for key in issue.message_keys)
    assert keys == sorted(message.key for message in messages)
    assert sorted(_issue_with(issues, "n1").message_keys) == ["n1", "n2", "n3", "n4"]


# Three people asking when work on one park will start: every title says 正式
# (officially), which says how, not what; and two estates' residents asking
# who is in charge of their rubbish.
PARK = [
    _message(
        "k1",
        "A6区桃花岭公园建设何时正式启动",
        "桃花岭公园规划公示已经两年，现场一直是围挡，建设计划何时正式启动？",
        1,
        supporters=6,
    ),
    _message(
        "k2",
        "桃花岭公园什么时候正式动工",
        "A6区桃花岭公园的建设规划早已批复，什么时候正式动工？周边居民都在等。",
        4,
        supporters=9,
    ),
    _message(
        "k3",
        "A6区桃花岭公园到底何时正式开工建设",
        "桃花岭公园项目迟迟不开工，请问何时正式开工建设？",
        9,
    ),
]
RUBBISH = [
    _message(
        "w1",
        "A2区翠湖家园小区建筑垃圾谁来管",
        "翠湖家园小区装修产生的建筑垃圾堆在楼道口一个多月，物业和社区互相推诿，到底谁来管？",
        2,
    ),
    _message(
        "w2",
        "A2区翠湖家园建筑垃圾堆放谁来管",
        "翠湖家园3栋旁边堆满了建筑垃圾，没人清运，这个到底谁来管？",
        6,
    ),
]


def test_a_label_names_the_matter_not_how_or_who_is_asked() -> None:
    issues = mine_hot_issues(BARBECUE + UNRELATED + PARK + RUBBISH, now=START + timedelta(days=14))

    park = _issue_with(issues, "k1")
    assert sorted(park.message_keys) == ["k1", "k2", "k3"]
    assert park.keywords and "正式" not in park.keywords
    rubbish = _issue_with(issues, "w1")
    assert sorted(rubbish.message_keys) == ["w1", "w2"]
    assert "建筑垃圾" in "".join(rubbish.keywords)
    assert "谁来管" not in rubbish.keywords
