"""The reply-quality score, on invented messages and replies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import translation

from zhengtong.hotline.reply_quality import (
    NEUTRAL_TIMELINESS,
    WEIGHTS,
    IdfTable,
    ReplyScore,
    ReplyScorer,
    fit_idf,
    score_reply,
)

TITLE = "B区滨江花园小区楼下餐馆油烟噪音扰民"
BODY = (
    "我住在B区滨江花园小区3栋，楼下的湘味餐馆每天营业到凌晨两点，排风扇噪音很大，"
    "油烟直接排到居民窗口，家里不敢开窗。多次找物业没有结果。请问餐馆的油烟排放是否合规？"
    "希望有关部门尽快处理噪音和油烟问题。"
)
SPECIFIC = (
    "网友您好！您反映的问题已收悉。经区城管执法局和区生态环境分局现场核查，滨江花园小区楼下"
    "湘味餐馆未安装油烟净化设施，排风扇夜间噪音超过《社会生活环境噪声排放标准》限值。根据"
    "《中华人民共和国大气污染防治法》第八十一条，执法人员已于5月8日责令该餐馆限期整改，要求在"
    "5月20日前安装油烟净化设施并更换低噪音风机，每日营业至22时。下一步我局将跟踪复查整改情况。"
    "如有疑问请致电0731-85551234。"
)
GENERIC = "您好，您的留言已收悉，将转交相关部门处理。感谢您对我们工作的支持。"
NOISE_ONLY = (
    "网友您好！经现场核查，滨江花园小区楼下湘味餐馆的排风扇夜间噪音超标，执法人员已责令该餐馆"
    "更换低噪音风机，每日营业至22时。"
)

BUS_TITLE = "希望延长C县18路公交车末班时间"
BUS_BODY = (
    "C县18路公交车末班车晚上七点就收车了，我们在工业园上晚班的职工下班后没有公交车回城，"
    "只能打车，每月多花好几百元。希望公交公司把18路末班车延长到晚上十点。"
)
BUS_REPLY = (
    "网友您好！经县交通运输局与公交公司调查，工业园片区晚间客流确有增长。公交公司已调整18路"
    "运营计划，自6月1日起末班车由19时延至21时30分，并将根据客流情况研究进一步延长。"
    "咨询电话0739-62221234。"
)

RECEIVED = datetime(2024, 5, 6, 9, 30)


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def components(score: ReplyScore) -> dict[str, int]:
    return {
        "relevance": score.relevance,
        "completeness": score.completeness,
        "interpretability": score.interpretability,
        "timeliness": score.timeliness,
    }


def test_a_specific_reply_outranks_a_generic_one_on_every_component() -> None:
    times = {"received_at": RECEIVED, "replied_at": RECEIVED + timedelta(days=4)}
    specific = score_reply(TITLE, BODY, SPECIFIC, **times)
    generic = score_reply(TITLE, BODY, GENERIC, **times)

    assert specific.relevance > generic.relevance
    assert specific.completeness > generic.completeness
    assert specific.interpretability > generic.interpretability
    assert specific.timeliness == generic.timeliness  # same times, same timeliness
    assert specific.total > generic.total
    for value in (*components(specific).values(), *components(generic).values()):
        assert 0 <= value <= 100


def test_a_generic_reply_scores_low_on_relevance_even_when_it_repeats_the_title() -> None:
    generic = score_reply(TITLE, BODY, GENERIC)
    echo = score_reply(TITLE, BODY, f"您好，您反映的“{TITLE}”问题已收悉，将转交相关部门处理。")
    unquoted = score_reply(TITLE, BODY, f"关于{TITLE}的问题，已收悉，将转交相关部门处理。")
    paraphrased = score_reply(
        TITLE, BODY, "您好，您反映的“滨江花园小区楼下餐馆的油烟和噪音扰民”问题已收悉，将转交处理。"
    )

    assert generic.relevance < 20
    assert echo.relevance < 20
    assert unquoted.relevance < 20
    assert paraphrased.relevance < 20
    assert score_reply(TITLE, BODY, SPECIFIC).relevance > 80


def test_a_reply_to_another_message_is_not_relevant() -> None:
    own = score_reply(BUS_TITLE, BUS_BODY, BUS_REPLY)
    stranger = score_reply(BUS_TITLE, BUS_BODY, SPECIFIC)
    swapped = score_reply(TITLE, BODY, BUS_REPLY)

    assert own.relevance > 60
    assert stranger.relevance < 20
    assert swapped.relevance < 20
    assert stranger.completeness < own.completeness


def test_a_reply_that_leaves_out_the_oil_smoke_is_told_so() -> None:
    partial = score_reply(TITLE, BODY, NOISE_ONLY)
    full = score_reply(TITLE, BODY, SPECIFIC)

    assert partial.completeness < full.completeness
    unanswered = [hint for hint in partial.advice if hint.startswith("答复未回应留言中提到的")]
    assert len(unanswered) == 1
    assert "“油烟”" in unanswered[0]
    assert "噪音" not in unanswered[0]  # the noise was answered
    assert not any(hint.startswith("答复未回应") for hint in full.advice)


def test_a_generic_reply_is_told_everything_it_lacks_and_a_full_reply_nothing() -> None:
    generic = score_reply(TITLE, BODY, GENERIC)
    for hint in (
        "答复过于简短，请针对留言反映的问题具体说明",
        "未说明调查核实情况",
        "未说明处理结果或下一步安排",
        "未引用政策依据",
        "未提供联系电话",
    ):
        assert hint in generic.advice
    named = next(hint for hint in generic.advice if hint.startswith("答复未回应"))
    assert "“油烟”" in named and "“噪音”" in named

    assert score_reply(TITLE, BODY, SPECIFIC).advice == ()


def test_a_rule_cited_without_its_name_is_asked_to_be_named() -> None:
    vague = NOISE_ONLY + "根据有关规定，该餐馆夜间不得超标排放噪声。"
    named = (
        NOISE_ONLY + "根据《中华人民共和国噪声污染防治法》第六十四条，该餐馆夜间不得超标排放噪声。"
    )
    vague_score = score_reply(TITLE, BODY, vague)
    named_score = score_reply(TITLE, BODY, named)

    assert "未写明所依据的政策文件名称或条款" in vague_score.advice
    assert "未引用政策依据" not in vague_score.advice
    assert not any("政策" in hint for hint in named_score.advice)
    plain = score_reply(TITLE, BODY, NOISE_ONLY)
    assert plain.interpretability < vague_score.interpretability < named_score.interpretability


def test_a_next_step_without_a_date_is_asked_for_one_and_the_signing_date_does_not_count() -> None:
    promise = NOISE_ONLY + "下一步我局将加强夜间巡查。2024年5月10日"
    dated = NOISE_ONLY + "下一步我局将于5月31日前完成复查。2024年5月10日"

    assert "说明了下一步安排，但未说明完成时限" in score_reply(TITLE, BODY, promise).advice
    assert "说明了下一步安排，但未说明完成时限" not in score_reply(TITLE, BODY, dated).advice
    assert (
        score_reply(TITLE, BODY, dated).interpretability
        > score_reply(TITLE, BODY, promise).interpretability
    )


def test_forwarding_the_message_is_not_a_result() -> None:
    forwarded = "网友您好！您的留言已收悉，已转交区城管执法局办理。"
    assert "未说明处理结果或下一步安排" in score_reply(TITLE, BODY, forwarded).advice


def test_an_overdue_reply_loses_timeliness_and_says_by_how_many_days() -> None:
    due = RECEIVED + timedelta(days=10)

    def timely(replied_at: datetime) -> ReplyScore:
        return score_reply(
            TITLE, BODY, SPECIFIC, received_at=RECEIVED, replied_at=replied_at, due_at=due
        )

    early = timely(RECEIVED + timedelta(days=2))
    at_deadline = timely(due)
    late = timely(due + timedelta(days=3))
    later = timely(due + timedelta(days=8))

    assert early.timeliness > at_deadline.timeliness > late.timeliness > later.timeliness
    assert late.total < early.total
    assert "超过办理时限 3 天" in late.advice
    assert not any(hint.startswith("超过办理时限") for hint in at_deadline.advice)
    # Part of a day late counts as a day.
    assert "超过办理时限 1 天" in timely(due + timedelta(hours=2)).advice


def test_without_a_due_time_the_fifteen_day_standard_applies() -> None:
    on_time = score_reply(
        TITLE, BODY, SPECIFIC, received_at=RECEIVED, replied_at=RECEIVED + timedelta(days=14)
    )
    late = score_reply(
        TITLE, BODY, SPECIFIC, received_at=RECEIVED, replied_at=RECEIVED + timedelta(days=16)
    )

    assert not any(hint.startswith("超过办理时限") for hint in on_time.advice)
    assert "超过办理时限 1 天" in late.advice
    assert on_time.timeliness > late.timeliness


def test_missing_times_give_the_neutral_timeliness() -> None:
    assert score_reply(TITLE, BODY, SPECIFIC).timeliness == NEUTRAL_TIMELINESS
    only_replied = score_reply(TITLE, BODY, SPECIFIC, replied_at=RECEIVED)
    assert only_replied.timeliness == NEUTRAL_TIMELINESS
    not_yet_replied = score_reply(TITLE, BODY, SPECIFIC, received_at=RECEIVED)
    assert not_yet_replied.timeliness == NEUTRAL_TIMELINESS


def test_with_only_a_due_time_a_reply_is_on_time_or_late() -> None:
    due = RECEIVED + timedelta(days=10)
    on_time = score_reply(TITLE, BODY, SPECIFIC, replied_at=due - timedelta(days=1), due_at=due)
    late = score_reply(TITLE, BODY, SPECIFIC, replied_at=due + timedelta(days=2), due_at=due)

    assert on_time.timeliness == NEUTRAL_TIMELINESS
    assert late.timeliness < on_time.timeliness
    assert "超过办理时限 2 天" in late.advice


def test_the_total_is_the_documented_weighted_sum() -> None:
    for reply in (SPECIFIC, GENERIC, NOISE_ONLY):
        score = score_reply(
            TITLE, BODY, reply, received_at=RECEIVED, replied_at=RECEIVED + timedelta(days=20)
        )
        expected = sum(WEIGHTS[name] * value for name, value in components(score).items())
        assert score.total == round(expected)
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)


def test_a_fitted_idf_table_weighs_common_words_less_and_survives_storage() -> None:
    texts = [
        f"{TITLE}\n{BODY}",
        SPECIFIC,
        GENERIC,
        NOISE_ONLY,
        f"{BUS_TITLE}\n{BUS_BODY}",
        BUS_REPLY,
    ]
    table = fit_idf(texts, min_df=1)
    assert table.weight("公交公司") > table.weight("网友")  # 网友 is in four texts
    assert table.weight("从未出现的词语") == table.unseen

    stored = IdfTable.from_dict(table.to_dict())
    assert stored == table
    fitted, restored = ReplyScorer(table), ReplyScorer(stored)
    assert fitted.score(TITLE, BODY, SPECIFIC) == restored.score(TITLE, BODY, SPECIFIC)
    assert (
        fitted.score(TITLE, BODY, SPECIFIC).relevance > fitted.score(TITLE, BODY, GENERIC).relevance
    )
    assert (
        fitted.score(TITLE, BODY, BUS_REPLY).relevance
        < fitted.score(TITLE, BODY, SPECIFIC).relevance
    )


def test_empty_texts_score_without_failing() -> None:
    for title, body, reply in (("", "", ""), (TITLE, BODY, ""), ("", "", SPECIFIC)):
        score = score_reply(title, body, reply)
        for value in components(score).values():
            assert 0 <= value <= 100
    assert score_reply(TITLE, BODY, "").relevance == 0
    assert ReplyScorer(fit_idf([])).score(TITLE, BODY, SPECIFIC).relevance > 0
