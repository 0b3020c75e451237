"""A case a dispatcher corrected and the centre then recalled keeps the person's category.

刘派 decided that the model's 环境保护 was wrong and sent the case to the
housing bureau as 城乡建设; recalled before anyone signed for it, the case is
back in the queue, where the next dispatch starts from that decision, not
from the model's guess it corrected (which, accepted, would also overwrite
the labelled example with the wrong category).
"""

from __future__ import annotations

import re

import pytest

from zhengtong.hotline.models import Case, LabelledExample
from zhengtong.hotline.tests.api_calls import as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _selected_category(page: str, case: Case) -> str:
    select = re.search(rf'<select name="c{case.pk}-category".*?</select>', page, flags=re.DOTALL)
    assert select is not None
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(0))
    return chosen.group(1) if chosen else ""


def test_the_queue_offers_the_dispatchers_category_after_a_recall(cast: HotlineCast) -> None:
    created = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")
    number = created["number"]
    assert Case.objects.get(number=number).predicted_category == "环境保护"
    dispatcher = as_user(cast.dispatcher)
    ok(post(dispatcher, f"/cases/{number}/recall", {"reason": "派错部门"}))
    ok(
        post(
            dispatcher,
            f"/cases/{number}/dispatch",
            {"category": "城乡建设", "department_code": cast.city_housing.code},
        )
    )
    ok(post(dispatcher, f"/cases/{number}/recall", {"reason": "住建局请示后仍派错"}))

    case = Case.objects.get(number=number)
    page = dispatcher.get("/hotline/dispatch/").content.decode()
    assert _selected_category(page, case) == "城乡建设"
    row = page[page.index(f'id="queue-{case.pk}"') :]
    assert cast.city_housing.name in row[: row.index("</form>")]
    assert LabelledExample.objects.get(case=case).label == "城乡建设"
