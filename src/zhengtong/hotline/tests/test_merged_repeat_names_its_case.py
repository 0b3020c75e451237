"""A repeat merged into its person's open case (已合并) names that case wherever it is shown.

The repeat's own history read 受理登记 only, and the citizen's list 已合并
only: neither said which case handles and answers it. The history now names
the case in both languages; the citizen's page and list link to it when it
is the citizen's own, and the staff pages when the viewer may open it.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, submit
from zhengtong.hotline.tests.cast import (
    PASSWORD,
    HotlineCast,
    make_hotline_cast,
    train_active_model,
)
from zhengtong.identity.actions import do_create_staff

LANGUAGES = ("zh-hans", "en")
CALLER = "13900001111"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _merged_repeat(cast: HotlineCast) -> tuple[str, Case]:
    """张三's message and his repeat of it, merged into it."""
    citizen = as_user(cast.zhangsan)
    first = submit(citizen, title="化工厂排放刺鼻废气")["number"]
    repeat = submit(citizen, title="化工厂排放刺鼻废气", content=POLLUTION + "还没有人来处理！")
    assert (repeat["state"], repeat["merged_into"]) == ("merged", first)
    return first, Case.objects.get(number=repeat["number"])


def _in(language: str, http: Client, path: str) -> str:
    response = http.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_citizens_own_page_links_the_case_and_its_history_names_it(
    cast: HotlineCast, language: str
) -> None:
    first, repeat = _merged_repeat(cast)
    page = _in(language, as_user(cast.zhangsan), f"/hotline/mine/{repeat.number}/")
    assert f'href="/hotline/mine/{first}/"' in page
    history = page[page.index('class="timeline"') :]
    assert first in history


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_citizens_list_names_and_links_the_case_a_repeat_went_to(
    cast: HotlineCast, language: str
) -> None:
    first, repeat = _merged_repeat(cast)
    page = _in(language, as_user(cast.zhangsan), "/hotline/mine/")
    row = page[page.index(f"/hotline/mine/{repeat.number}/") :]
    row = row[: row.index("</tr>")]
    assert f'href="/hotline/mine/{first}/"' in row


def test_a_tracking_link_names_the_case_without_a_way_into_it(cast: HotlineCast) -> None:
    first, repeat = _merged_repeat(cast)
    page = _in("zh-hans", Client(), f"/hotline/track/{repeat.tracking_code}/")
    assert "本次诉求已合并到工单" in page and first in page[page.index('class="timeline"') :]
    # The tracking link is a way into this case only, not into the others of its sender.
    assert f"/hotline/mine/{first}/" not in page
    signed_in = _in("zh-hans", as_user(cast.zhangsan), f"/hotline/track/{repeat.tracking_code}/")
    assert f'href="/hotline/mine/{first}/"' in signed_in


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_apis_history_names_the_case_for_the_citizen_and_the_staff(
    cast: HotlineCast, language: str
) -> None:
    first, repeat = _merged_repeat(cast)
    for http in (as_user(cast.zhangsan), as_user(cast.chenhuan)):
        got = ok(http.get(f"{URL}/cases/{repeat.number}", HTTP_ACCEPT_LANGUAGE=language))
        [received] = [e for e in got["events"] if e["kind"] == "received"]
        assert received["state_after"] == "merged" and first in received["note"]
    tracked = ok(Client().get(f"{URL}/track/{repeat.tracking_code}", HTTP_ACCEPT_LANGUAGE=language))
    assert any(first in e["note"] for e in tracked["events"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_page_links_the_case_and_its_history_names_it(
    cast: HotlineCast, language: str
) -> None:
    first, repeat = _merged_repeat(cast)
    page = _in(language, as_user(cast.chenhuan), f"/hotline/cases/{repeat.number}/")
    assert f'href="/hotline/cases/{first}/"' in page
    history = page[page.index('class="timeline"') :]
    assert first in history


def test_the_call_page_names_the_case_a_repeated_call_went_to(cast: HotlineCast) -> None:
    agent = do_create_staff(
        "xiaohua", PASSWORD, "小话", cast.centre, ["hotline_agent"], actor=TEST_ACTOR
    )
    for user, caller, linked in ((agent, CALLER, False), (cast.dispatcher, "13900002222", True)):
        call = {"content": POLLUTION, "contact_phone": caller, "urgency": "normal"}
        http = as_user(user)
        assert http.post("/hotline/calls/new/", call).status_code == 302
        assert http.post("/hotline/calls/new/", call).status_code == 302
        first = Case.objects.filter(contact_phone=caller).exclude(state="merged").get().number
        page = http.get("/hotline/calls/new/").content.decode()
        shown = page[page.index('id="saved-call"') :]
        assert first in shown
        # Agents may not open cases: the number alone, no link that would answer 404.
        assert (f'href="/hotline/cases/{first}/"' in shown) is linked
