"""Merging repeats and linking similar messages, on invented messages."""

import json

import pytest

from zhengtong.hotline.similar_messages import (
    RELATED,
    SAME_MATTER,
    SKETCH_SIZE,
    MessageFingerprint,
    fingerprint,
    most_similar,
    normalise,
    similarity,
)

# 张三 writes about a building-site fence that blocks a road ...
BLOCKED_ROAD = (
    "枫林三路施工围挡占道，早晚高峰堵死",
    "岳麓区枫林三路与西二环交叉口往东约200米，施工单位用围挡把两条机动车道围了一条半，"
    "只留下一条车道通行。每天早上七点半到九点、傍晚五点半以后车辆排成长龙，公交车也过不去。"
    "围挡里面半个多月没见施工，请相关部门督促施工单位缩小围挡或者尽快完工，恢复通行。",
)
# ... and a fortnight later sends it again with a few words changed.
BLOCKED_ROAD_AGAIN = (
    "再次反映枫林三路施工围挡占道，早晚高峰堵死",
    "岳麓区枫林三路与西二环交叉口往东约200米处，施工单位用围挡把两条机动车道围了一条半，"
    "只剩一条车道通行。每天早上七点半到九点、傍晚五点半以后车辆排成长龙，公交车也过不去。"
    "围挡里面快一个月没见施工了，请相关部门督促施工单位缩小围挡或尽快完工，恢复通行，谢谢。",
)
# 李四 drives the same road and writes in his own words.
SAME_ROAD_OTHER_PERSON = (
    "枫林三路围挡占道导致严重拥堵",
    "我每天开车经枫林三路上班，西二环路口东边那段被施工围挡占了大半条路，只能单车道通行，"
    "上下班高峰要堵四十分钟。围挡里没看到有人干活，希望交警和城管管一管，让施工方把围挡往里收。",
)
# The same kind of problem somewhere else, in a letter full of stock phrases.
OTHER_ROAD = (
    "开福区某路段施工围挡占道",
    "尊敬的领导您好！希望相关部门尽快解决，严重影响居民生活。开福区某路口施工围挡占道，"
    "晚上施工噪音扰民。",
)
BARBECUE_SMOKE = (
    "雨花区某小区楼下烧烤店油烟扰民",
    "小区临街一楼的烧烤店每天营业到凌晨两点，油烟直接排到楼上住户窗口，夏天根本不敢开窗，"
    "还有客人喝酒喧哗。多次打电话给物业没有用，请环保和城管部门查处。",
)
NEWBORN_INSURANCE = (
    "咨询新生儿医保办理流程",
    "孩子上个月出生，想给孩子办理城乡居民医保，请问需要带哪些材料，在哪里办理，可以网上办吗？",
)


def fp(message: tuple[str, str]) -> MessageFingerprint:
    return fingerprint(*message)


def test_a_resubmission_with_small_edits_is_the_same_matter() -> None:
    assert similarity(fp(BLOCKED_ROAD), fp(BLOCKED_ROAD_AGAIN)) >= SAME_MATTER


def test_another_person_on_the_same_blocked_road_is_related_but_not_merged() -> None:
    score = similarity(fp(BLOCKED_ROAD), fp(SAME_ROAD_OTHER_PERSON))

    assert RELATED <= score < SAME_MATTER


@pytest.mark.parametrize("other", [BARBECUE_SMOKE, NEWBORN_INSURANCE, OTHER_ROAD])
def test_unrelated_messages_are_below_both_thresholds(other: tuple[str, str]) -> None:
    assert similarity(fp(BLOCKED_ROAD), fp(other)) < RELATED
    assert similarity(fp(SAME_ROAD_OTHER_PERSON), fp(other)) < RELATED


def test_stock_phrases_alone_make_no_similarity() -> None:
    letter = "尊敬的领导您好！希望相关部门尽快解决，严重影响居民生活，谢谢！"
    a = fingerprint("咨询新生儿医保办理流程", letter + "孩子上个月出生，医保在哪里办理？")
    b = fingerprint("小区烧烤店油烟扰民", letter + "楼下烧烤店油烟直排，每天营业到凌晨。")

    assert normalise(letter) == ""
    assert similarity(a, b) < RELATED


def test_similarity_is_symmetric_and_between_zero_and_one() -> None:
    messages = [BLOCKED_ROAD, BLOCKED_ROAD_AGAIN, SAME_ROAD_OTHER_PERSON, BARBECUE_SMOKE]
    for a in messages:
        assert similarity(fp(a), fp(a)) == 1.0
        for b in messages:
            score = similarity(fp(a), fp(b))
            assert 0.0 <= score <= 1.0
            assert score == similarity(fp(b), fp(a))


def test_punctuation_width_and_case_do_not_matter() -> None:
    plain = fingerprint("G107国道塌方", "国道G107在K12处塌方，车辆无法通行。")
    styled = fingerprint("Ｇ１０７国道塌方！", "国道ｇ１０７在Ｋ１２处塌方——车辆无法通行！！　")

    assert similarity(plain, styled) == 1.0


def test_a_message_without_a_title_is_compared_on_all_its_words() -> None:
    title, body = BLOCKED_ROAD_AGAIN
    call_summary = fingerprint("", title + "。" + body)

    assert similarity(fp(BLOCKED_ROAD), call_summary) >= SAME_MATTER
    assert similarity(fp(BARBECUE_SMOKE), call_summary) < RELATED
    assert similarity(fingerprint("", ""), call_summary) == 0.0


def test_long_messages_are_compared_through_their_sketches() -> None:
    title, body = BLOCKED_ROAD
    # An appendix of many distinct characters, so that the body has far more
    # bigrams than the sketch keeps.
    appendix = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(1200))
    long_body = body + appendix
    long = fingerprint(title, long_body)
    edited = fingerprint(title, long_body.replace("公交车也过不去", "公交车也绕行了"))

    assert len(long.body) == SKETCH_SIZE
    assert similarity(long, edited) >= SAME_MATTER
    assert similarity(long, fp(BARBECUE_SMOKE)) < RELATED


def _distinct_characters(start: int, count: int) -> str:
    return "".join(chr(0x4E00 + (start + n * 7919) % 20000) for n in range(count))


def _bigrams(text: str) -> set[str]:
    return {piece[i : i + 2] for piece in normalise(text).split() for i in range(len(piece) - 1)}


def test_the_sketch_estimate_is_close_to_the_exact_jaccard_index() -> None:
    shared = _distinct_characters(0, 700)
    a = shared + _distinct_characters(30011, 700)
    b = shared + _distinct_characters(60013, 350)
    bigrams_a, bigrams_b = _bigrams(a), _bigrams(b)
    exact = len(bigrams_a & bigrams_b) / len(bigrams_a | bigrams_b)

    estimate = similarity(fingerprint("", a), fingerprint("", b))

    assert len(bigrams_a) > len(bigrams_b) > 3 * SKETCH_SIZE
    assert abs(estimate - exact) < 0.05


def test_a_fingerprint_survives_json_and_stays_compact() -> None:
    original = fp(BLOCKED_ROAD)

    stored = json.dumps(original.to_json())
    restored = MessageFingerprint.from_json(json.loads(stored))

    assert restored == original
    assert similarity(restored, fp(BLOCKED_ROAD_AGAIN)) == similarity(
        original, fp(BLOCKED_ROAD_AGAIN)
    )
    assert restored.length == original.length > 100
    assert len(stored) < 2 * 4 * SKETCH_SIZE


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"v": 99, "n": 1, "t": "", "b": ""},
        {"v": 1, "n": 1, "t": "not base64!", "b": ""},
        {"v": 1, "n": 1, "t": "", "b": "AQID"},  # three bytes are not a 32-bit word
        {"v": 1, "n": 1, "t": "AgAAAAEAAAA=", "b": ""},  # hashes out of order
    ],
)
def test_it_refuses_what_is_not_a_fingerprint(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        MessageFingerprint.from_json(data)


def test_most_similar_ranks_the_candidates_and_leaves_out_unrelated_ones() -> None:
    candidates = [
        ("smoke", fp(BARBECUE_SMOKE)),
        ("other person", fp(SAME_ROAD_OTHER_PERSON)),
        ("insurance", fp(NEWBORN_INSURANCE)),
        ("repeat", fp(BLOCKED_ROAD_AGAIN)),
    ]

    ranked = most_similar(fp(BLOCKED_ROAD), candidates, limit=10)
    keys = [key for key, _ in ranked]

    assert keys[:2] == ["repeat", "other person"]
    assert "insurance" not in keys
    assert all(score > 0 for _, score in ranked)
    assert [score for _, score in ranked] == sorted((s for _, s in ranked), reverse=True)
    assert most_similar(fp(BLOCKED_ROAD), candidates, limit=1) == ranked[:1]
