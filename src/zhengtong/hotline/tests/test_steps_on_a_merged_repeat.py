"""A department's step on a repeat merged into its case points it to that case.

The department sees a citizen's repeat (重复来电) merged into one of its cases,
but signing for it, answering it, returning it or asking to extend it was
refused 403 ``not_your_department`` (该工单不由您的部门办理。), and the case
page answered with the bare "no access" page. It is now ``case_merged``
(409), naming the case to work on, and the page says so above the repeat.
"""

from __future__ import annotations

from typing import Any

import pytest

from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState
from zhengtong.hotline.tests.api_calls import POLLUTION, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def merged_repeat(cast: HotlineCast) -> tuple[str, str]:
    """张三's message and his repeat of it, merged into the case 陈环's branch has."""
    train_active_model()
    citizen = as_user(cast.zhangsan)
    original = submit(citizen)["number"]
    repeat = submit(citizen, content=POLLUTION + "到现在还没有人来处理！")
    assert repeat["state"] == CaseState.MERGED
    assert Case.objects.get(number=original).department == cast.furong_environment
    return original, repeat["number"]


@pytest.mark.parametrize(
    ("step", "body"),
    [
        ("sign", {}),
        ("reply", {"reply": "已派员现场核查并责令整改。"}),
        ("return", {"reason": "不属于本分局辖区。"}),
        ("extensions", {"days": 3, "reason": "需要会同街道现场核查。"}),
    ],
)
def test_the_api_points_a_step_on_a_merged_repeat_to_its_case(
    cast: HotlineCast, step: str, body: dict[str, Any]
) -> None:
    original, repeat = merged_repeat(cast)
    refused = ok(post(as_user(cast.chenhuan), f"/cases/{repeat}/{step}", body), 409)
    assert refused["code"] == "case_merged"
    assert refused["message"] == f"该诉求已合并到工单 {original}，请在该工单上办理。"
    assert refused["detail"] == {"merged_into": original}
    assert Case.objects.get(number=repeat).state == CaseState.MERGED
    assert not LedgerEntry.objects.filter(
        action__in=[
            "hotline.sign_case",
            "hotline.reply_case",
            "hotline.return_case",
            "hotline.request_extension",
        ]
    ).exists()


def test_the_case_page_of_a_merged_repeat_says_where_to_work(cast: HotlineCast) -> None:
    original, repeat = merged_repeat(cast)
    handler = as_user(cast.chenhuan)
    sent = handler.post(f"/hotline/cases/{repeat}/", {"action": "sign"}, follow=True)
    assert sent.status_code == 200
    assert f"该诉求已合并到工单 {original}，请在该工单上办理。" in sent.content.decode()
    assert Case.objects.get(number=original).state == CaseState.ASSIGNED
    # Another department's handler is still answered "not found" for it.
    other = as_user(cast.wangzhu).post(f"/hotline/cases/{repeat}/", {"action": "sign"})
    assert other.status_code == 404
