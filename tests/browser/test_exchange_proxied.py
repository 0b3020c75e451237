"""A provider department connects its own API on 数据托管, and a department system reads
through the exchange a record that stays in that department's system."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_catalog import log_in, shoot
from tests.browser.test_exchange import look_up_in
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.tests.cast import make_exchange_cast
from zhengtong.exchange.tests.fake_upstream import FakeUpstream, Reply, running_fake_upstream
from zhengtong.exchange.tests.sharing import Sharing, make_sharing, publish

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CODE = "102000000/000009"
SLUG = CODE.replace("/", "-")
USCC = make_credit_code(seq=19)


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with running_fake_upstream() as server:
        yield server


@pytest.fixture
def sharing(live_server: LiveServer) -> Sharing:
    made = make_sharing(make_exchange_cast())
    publish(made.cast, resource_input(CODE, name="个体工商户登记信息"))
    return made


def test_the_provider_connects_its_api_and_a_system_reads_through_it(
    page: Page, live_server: LiveServer, screenshots: Path, sharing: Sharing, fake: FakeUpstream
) -> None:
    fake.responder = lambda received: Reply(json_body={"uscc": USCC, "name": "芙蓉区某某餐馆"})
    log_in(page, live_server, "wushi")
    page.goto(f"{live_server.url}/exchange/datasets/{SLUG}/")
    form = page.locator("form", has=page.get_by_role("heading", name="或接入部门接口"))
    form.get_by_label("主键信息项").select_option("uscc")
    form.get_by_label("接口地址").fill(fake.base_url)
    form.get_by_label("路径模板").fill("/enterprises/{key}")
    form.get_by_label("接口凭据").fill("Bearer upstream-secret")
    shoot(page, screenshots, "exchange-connect-api")
    form.get_by_role("button", name="接入部门接口").click()
    expect(page.get_by_text("已接入部门接口")).to_be_visible()
    expect(page.get_by_role("heading", name="接口代理数据集")).to_be_visible()
    expect(page.get_by_text("已设置（不显示）")).to_be_visible()
    assert "upstream-secret" not in page.content()
    shoot(page, screenshots, "exchange-connected-api")

    status, answer = look_up_in(
        live_server, SLUG, sharing.reader_token, {"key": USCC, "purpose": "核对个体工商户"}
    )
    assert status == 200, answer
    assert answer["values"]["name"] == "芙蓉区某某餐馆"
    assert fake.received[-1].headers["Authorization"] == "Bearer upstream-secret"

    # The department disconnects its API: asked first, then the exchange stops asking it.
    page.goto(f"{live_server.url}/exchange/datasets/{SLUG}/")
    page.get_by_role("button", name="断开部门接口").click()
    expect(page.get_by_text("确定断开部门接口吗？")).to_be_in_viewport()
    shoot(page, screenshots, "exchange-disconnect-api")
    page.get_by_role("button", name="确认断开").click()
    expect(page.get_by_text("已断开部门接口")).to_be_visible()
    expect(page.get_by_role("heading", name="或接入部门接口")).to_be_visible()
    shoot(page, screenshots, "exchange-disconnected-api")
    asked = len(fake.received)
    status, answer = look_up_in(
        live_server, SLUG, sharing.reader_token, {"key": USCC, "purpose": "核对个体工商户"}
    )
    assert (status, answer["code"]) == (409, "not_hosted"), answer
    assert len(fake.received) == asked
