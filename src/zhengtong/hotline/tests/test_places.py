"""Place resolution against the demo city 长沙市, whose divisions come from the shipped list."""

import time
from collections import defaultdict
from functools import cache

import pytest

from zhengtong.core.divisions import Division, division_list
from zhengtong.core.errors import InvalidInput
from zhengtong.hotline.places import PlaceMatch, PlaceResolver

CHANGSHA = "430100"


def _children(parent_code: str) -> list[Division]:
    return [d for d in division_list().divisions if d.parent_code == parent_code]


def district(name: str, city_code: str = CHANGSHA) -> Division:
    (found,) = [d for d in _children(city_code) if d.name == name]
    return found


def street(name: str, city_code: str = CHANGSHA) -> Division:
    districts = {d.code for d in _children(city_code)}
    (found,) = [
        d
        for d in division_list().divisions
        if d.level == 4 and d.parent_code in districts
        if d.name == name
    ]
    return found


@cache
def changsha() -> PlaceResolver:
    return PlaceResolver(CHANGSHA)


def resolve(*texts: str) -> PlaceMatch:
    return changsha().resolve(*texts)


@pytest.mark.parametrize("name", ["岳麓区", "望城区", "浏阳市", "宁乡市", "长沙县"])
def test_it_finds_a_district_by_its_full_name(name: str) -> None:
    match = resolve(f"{name}某小区门口的路灯坏了一个月")

    assert match.district_code == district(name).code
    assert match.district_name == name
    assert match.street_code is None
    assert match.matched == (name,)
    assert not match.ambiguous


@pytest.mark.parametrize(("short", "name"), [("岳麓", "岳麓区"), ("开福", "开福区")])
def test_it_finds_a_district_by_its_short_form(short: str, name: str) -> None:
    match = resolve(f"我家在{short}，楼下烧烤店油烟很大")

    assert match.district_code == district(name).code
    assert match.matched == (short,)


def test_a_short_form_that_is_an_everyday_word_names_no_district() -> None:
    assert resolve("芙蓉路上的井盖缺失").district_code is None
    assert resolve("芙蓉区的井盖缺失").district_code == district("芙蓉区").code


@pytest.mark.parametrize(
    "text",
    ["橘子洲街道", "桔子洲街道", "橘子洲街道办事处", "橘子洲办事处", "橘子洲街道办", "橘子洲街办"],
)
def test_it_finds_a_street_by_its_name_or_its_short_form_with_an_office(text: str) -> None:
    match = resolve(f"已向{text}反映多次")
    official = street("桔子洲街道")

    assert match.street_code == official.code
    assert match.street_name == official.name
    assert match.district_code == official.parent_code == district("岳麓区").code
    # The dispatcher sees the words the citizen wrote, not the official spelling.
    assert match.matched == (text,)


def test_a_street_short_form_alone_names_nothing() -> None:
    assert resolve("周末去橘子洲看烟花，人太多") == PlaceMatch(None, "", None, "", (), False)


@pytest.mark.parametrize(
    ("name", "district_name"),
    [("星沙街道", "长沙县"), ("靖港镇", "望城区"), ("沩山乡", "宁乡市"), ("㮾梨街道", "长沙县")],
)
def test_a_street_or_town_implies_its_district(name: str, district_name: str) -> None:
    match = resolve(f"{name}某村的自来水经常停水")

    assert match.street_code == street(name).code
    assert match.district_code == district(district_name).code


def test_the_common_spelling_of_a_rare_character_is_understood() -> None:
    assert resolve("榔梨街道").street_code == street("㮾梨街道").code


def test_a_river_or_area_named_like_a_district_does_not_name_that_district() -> None:
    # 浏阳河 flows through several districts and 望城坡 lies in 岳麓区.
    assert resolve("浏阳河边有人倒垃圾").district_code is None
    assert resolve("望城坡附近晚上施工扰民").district_code is None
    assert resolve("望城坡街道").district_code == district("岳麓区").code


def test_a_district_and_its_own_street_win_over_a_district_mentioned_alone() -> None:
    match = resolve("我住岳麓区，但问题在开福区四方坪街道的一个工地")

    assert match.district_code == district("开福区").code
    assert match.street_code == street("四方坪街道").code
    assert match.matched == ("开福区", "四方坪街道")


def test_a_consistent_pair_is_found_across_the_texts() -> None:
    match = resolve("开福区", "", "四方坪街道某小区电梯坏了")

    assert match.district_code == district("开福区").code
    assert match.street_code == street("四方坪街道").code


def test_without_a_consistent_pair_the_earlier_text_wins() -> None:
    location_first = resolve("岳麓区", "星沙街道某小区噪音扰民")
    assert location_first.district_code == district("岳麓区").code
    assert location_first.street_code is None

    street_first = resolve("星沙街道", "岳麓区某小区噪音扰民")
    assert street_first.district_code == district("长沙县").code
    assert street_first.street_code == street("星沙街道").code


def test_within_one_text_the_street_is_more_specific_than_another_district() -> None:
    match = resolve("岳麓区的车主反映星沙街道的停车难")

    assert match.district_code == district("长沙县").code
    assert match.street_code == street("星沙街道").code


def test_two_districts_in_the_same_text_are_ambiguous() -> None:
    match = resolve("岳麓区和开福区之间的公交线路太少")

    assert match.ambiguous
    assert match.district_code is None
    assert set(match.matched) == {"岳麓区", "开福区"}


def test_the_district_mentioned_more_often_is_not_ambiguous() -> None:
    match = resolve("岳麓区某路口积水，岳麓区相关部门一直没处理，开福区早就修好了")

    assert not match.ambiguous
    assert match.district_code == district("岳麓区").code


def test_the_location_field_settles_what_the_body_leaves_ambiguous() -> None:
    match = resolve("开福区", "", "岳麓区和开福区之间的公交线路太少")

    assert not match.ambiguous
    assert match.district_code == district("开福区").code


def _city_with_a_shared_township_name() -> tuple[str, str, list[Division]]:
    """A city in the list where two districts have a township of the same name."""
    divisions = division_list().divisions
    county_city = {d.code: d.parent_code for d in divisions if d.level == 3}
    townships: dict[tuple[str, str], list[Division]] = defaultdict(list)
    for d in divisions:
        if d.level == 4 and d.parent_code in county_city:
            townships[(county_city[d.parent_code], d.name)].append(d)
    for (city_code, name), found in sorted(townships.items()):
        if len({d.parent_code for d in found}) > 1:
            return city_code, name, found
    raise AssertionError("the division list has no shared township name")


def test_a_shared_street_name_alone_is_ambiguous() -> None:
    city_code, name, shared = _city_with_a_shared_township_name()

    match = PlaceResolver(city_code).resolve(f"{name}卫生院门口乱停车")

    assert match.ambiguous
    assert match.district_code is None
    assert match.matched == (name,)
    assert len({d.parent_code for d in shared}) > 1


def test_a_shared_street_name_with_its_district_resolves() -> None:
    city_code, name, shared = _city_with_a_shared_township_name()
    resolver = PlaceResolver(city_code)
    for township in shared:
        county = next(d for d in _children(city_code) if d.code == township.parent_code)

        match = resolver.resolve(f"{name}卫生院门口乱停车", f"我是{county.name}的居民")

        assert not match.ambiguous
        assert match.district_code == county.code
        assert match.street_code == township.code


def test_the_city_s_own_name_gives_no_district() -> None:
    assert resolve("长沙市政府应该管一管") == PlaceMatch(None, "", None, "", (), False)
    assert resolve("长沙的夏天") == PlaceMatch(None, "", None, "", (), False)
    assert resolve("湖南省长沙市长沙县").district_code == district("长沙县").code


def test_a_district_of_another_city_is_ignored() -> None:
    assert resolve("株洲市天元区的亲戚来长沙玩").district_code is None
    assert resolve("株洲市天元区的亲戚", "岳麓区").district_code == district("岳麓区").code


def test_a_street_named_like_one_of_the_city_but_in_another_city_is_ignored() -> None:
    divisions = division_list().divisions
    ours = street("东湖街道")
    elsewhere = next(
        d
        for d in divisions
        if d.level == 4 and d.name == ours.name and not d.code.startswith(CHANGSHA[:4])
    )
    (county,) = [d for d in divisions if d.code == elsewhere.parent_code]
    (city,) = [d for d in divisions if d.code == county.parent_code]

    assert resolve(f"{city.name}{county.name}{ours.name}").district_code is None
    assert resolve(f"长沙市芙蓉区{ours.name}").street_code == ours.code


def test_an_alias_names_its_street() -> None:
    wuyi = street("五里牌街道")
    resolver = PlaceResolver(CHANGSHA, {"五一广场": wuyi.code})

    match = resolver.resolve("五一广场地下通道漏水")

    assert match.street_code == wuyi.code
    assert match.district_code == wuyi.parent_code
    assert match.matched == ("五一广场",)


def test_an_alias_wins_over_a_division_name_in_the_same_text() -> None:
    wuyi = street("五里牌街道")
    resolver = PlaceResolver(CHANGSHA, {"五一广场": wuyi.code})

    match = resolver.resolve("岳麓区的游客在五一广场被拉客")

    assert match.district_code == wuyi.parent_code
    assert changsha().resolve("岳麓区的游客在五一广场被拉客").district_code == (
        district("岳麓区").code
    )


def test_an_alias_can_reuse_a_name_the_division_list_reads_differently() -> None:
    resolver = PlaceResolver(
        CHANGSHA, {"望城坡": street("望城坡街道").code, "麓谷": district("岳麓区").code}
    )

    assert resolver.resolve("望城坡附近晚上施工").street_code == street("望城坡街道").code
    assert resolver.resolve("麓谷企业广场").district_code == district("岳麓区").code


def test_it_refuses_an_alias_outside_the_city_or_too_short() -> None:
    hunan = next(d for d in division_list().divisions if d.name == "湖南省")
    tianyuan = next(d for d in division_list().divisions if d.name == "天元区")
    for aliases in (
        {"某广场": hunan.code},
        {"某广场": tianyuan.code},
        {"某广场": "999999"},
        {"某": district("岳麓区").code},
    ):
        with pytest.raises(InvalidInput):
            PlaceResolver(CHANGSHA, aliases)


def test_it_refuses_a_code_that_is_not_a_city() -> None:
    with pytest.raises(InvalidInput):
        PlaceResolver(district("岳麓区").code)


def test_it_is_fast_enough_to_run_on_every_message() -> None:
    started = time.perf_counter()
    resolver = PlaceResolver(CHANGSHA)
    built = time.perf_counter() - started
    body = (
        "小区门口的道路坑洼不平，下雨天积水严重，居民出行非常不便，希望有关部门尽快修复。" * 13
    )[:480] + "地址在开福区四方坪街道"

    started = time.perf_counter()
    for _ in range(100):
        match = resolver.resolve("", "道路积水", body)
    per_message = (time.perf_counter() - started) / 100

    assert match.street_code == street("四方坪街道").code
    # Measured at a few tens of milliseconds and about a tenth of a millisecond;
    # the bounds leave room for a slow, busy machine.
    assert built < 1.0
    assert per_message < 0.002


@pytest.mark.parametrize(
    ("texts", "span"),
    [
        (("株洲市天元区泰山路", "", "学校乱收费"), "株洲市天元区"),
        (("", "", "我在湘潭市岳塘区上班，社保转移办不了"), "湘潭市岳塘区"),
        (("", "", "湘潭市的化工厂偷排污水"), "湘潭市"),
    ],
)
def test_it_names_a_place_outside_the_city_instead_of_dropping_it(
    texts: tuple[str, ...], span: str
) -> None:
    match = resolve(*texts)

    assert match.district_code is None
    assert match.outside == (span,)


def test_a_bare_short_form_of_another_city_in_a_road_name_is_no_place_outside() -> None:
    match = resolve("岳麓区北京路的餐馆油烟扰民")

    assert match.district_name == "岳麓区"
    assert match.outside == ()


def test_a_district_of_ours_in_the_location_field_wins_but_notes_the_other_city() -> None:
    match = resolve("岳麓区桃子湖路", "", "我从湘潭市过来上班，小区门口路灯坏了")

    assert match.district_name == "岳麓区"
    assert match.outside == ("湘潭市",)
