"""The exchange at its edges: text that is not Unicode, and the change feed's keys."""

from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from zhengtong.catalog.actions import ItemInput
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import TEST_ACTOR, make_id_number
from zhengtong.exchange import actions
from zhengtong.exchange.govstack import DATA_CLIENT_HEADER, client_identifier
from zhengtong.exchange.models import AccessLog, DatasetVersion, RecordChange
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import PURPOSE, logged_in, make_sharing, publish
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

ENTERPRISES = "102000000-000002"
# A register keyed by a plain text item: no identity number's check stands
# between the key and its hash.
UNITS = "102000000/000009"
UNIT = "CS-UNIT-0001"


def _units(cast: ExchangeCast, key_share: str) -> Resource:
    """A register of property units whose key item, 不动产单元号, is shared as ``key_share``."""
    legal = "《不动产登记暂行条例》第二十七条" if key_share != "unconditional" else ""
    # A negative-list line says how far it reaches and when it is reviewed.
    never = key_share == "none"
    data = replace(
        resource_input(UNITS),
        items=[
            ItemInput(
                "unit",
                "不动产单元号",
                "C",
                40,
                share_attribute=key_share,
                legal_basis=legal,
                negative_scope="仅登记机关" if never else "",
                review_date=date(2099, 6, 30) if never else None,
            ),
            ItemInput("name", "名称", "C", 40),
        ],
    )
    resource = publish(cast, data)
    officer = actor_of(cast.catalog.officer)
    dataset = actions.do_register_hosted_dataset(resource, "unit", actor=officer)
    actions.do_load_dataset_rows(
        dataset, [{"unit": UNIT, "name": "某某大厦"}], actor=officer, source_name="units.csv"
    )
    return resource


def _county_system(cast: ExchangeCast) -> tuple[Any, Client]:
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区不动产系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    return client, Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")


# The Django test client writes "\ud800" into the JSON body as the escape
# \ud800, as a caller's JSON library would: a lone surrogate that JSON allows
# and UTF-8 cannot encode.
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("look-up", {"purpose": "核对\ud800企业信息"}, "purpose"),
        ("verify", {"purpose": "核对企业信息", "claims": {"name": "\ud800"}}, "claims"),
        ("batch-look-up", {"purpose": "核对企业信息", "keys": ["\ud800"]}, "keys"),
    ],
)
def test_text_that_is_not_unicode_is_refused_as_invalid_input_and_logged(
    cast: ExchangeCast, path: str, body: dict[str, Any], field: str
) -> None:
    sharing = make_sharing(cast)
    http = sharing.api(sharing.reader_token)
    if "keys" not in body:
        body = {"key": sharing.uscc, **body}
    else:  # a plain text key among good ones, on the plain-text register
        _units(cast, "unconditional")
        body = {**body, "keys": [UNIT, *body["keys"]]}
    slug = ENTERPRISES if "keys" not in body else UNITS.replace("/", "-")
    before = LedgerEntry.objects.count()
    answer = http.post(f"/api/exchange/shared/{slug}/{path}", body, "application/json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid_input"
    assert answer.json()["detail"]["field"] == field
    log = AccessLog.objects.get()
    assert log.result == log.data["result"] == "invalid_input"
    assert log.client_id == sharing.reader.pk
    assert LedgerEntry.objects.count() == before + 1
    if field == "purpose":
        # What the caller stated, as far as it is text.
        assert log.data["purpose"] == "核对\ufffd企业信息"


@pytest.mark.parametrize(
    ("purpose", "char", "logged"),
    [
        ("核对\x1b[2J企业信息", "U+001B", "核对\ufffd[2J企业信息"),
        ("核对企业\r\n信息", "U+000D", "核对企业\ufffd\ufffd信息"),
        ("核对\u0085企业信息", "U+0085", "核对\ufffd企业信息"),
    ],
)
def test_a_purpose_holding_control_characters_is_refused_and_logged_visibly(
    cast: ExchangeCast, purpose: str, char: str, logged: str
) -> None:
    # The purpose is what the citizen reads in 我的数据使用记录: an escape
    # sequence or a line break in it would be stored and shown as stated.
    sharing = make_sharing(cast)
    http = sharing.api(sharing.reader_token)
    answer = http.post(
        f"/api/exchange/shared/{ENTERPRISES}/look-up",
        {"key": sharing.uscc, "purpose": purpose},
        "application/json",
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid_input"
    assert answer.json()["detail"] == {"field": "purpose", "char": char}
    log = AccessLog.objects.get()
    assert log.result == "invalid_input" and log.data["keys"] == []
    assert log.data["purpose"] == logged
    # White space around the purpose is no part of it, a line break included.
    fine = http.post(
        f"/api/exchange/shared/{ENTERPRISES}/look-up",
        {"key": sharing.uscc, "purpose": " 核对企业信息\n"},
        "application/json",
    )
    assert fine.status_code == 200, fine.content


def test_a_plain_text_key_that_is_not_unicode_is_refused_before_it_is_read(
    cast: ExchangeCast,
) -> None:
    # The native look-up's schema already refuses such a key (422); GovStack's
    # read takes its key from free-form content and hands it on as it is.
    _units(cast, "unconditional")
    client, http = _county_system(cast)
    path = f"/api/govstack/data/{UNITS.replace('/', '-')}/1.0/read"
    headers = {
        "Zhengtong-Purpose": quote("核对房产"),
        DATA_CLIENT_HEADER: client_identifier(client),
    }
    answer = http.post(
        path, {"query": {"content": {"unit": "CS-\udfff"}}}, "application/json", headers=headers
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid_input"
    assert answer.json()["detail"]["field"] == "key"
    log = AccessLog.objects.get()
    assert (log.operation, log.result) == ("look_up", "invalid_input")
    # No key was read, so none is named.
    assert log.data["keys"] == []
    good = http.post(
        path, {"query": {"content": {"unit": UNIT}}}, "application/json", headers=headers
    )
    assert good.status_code == 200 and good.json()["content"]["name"] == "某某大厦"


@pytest.mark.parametrize("key_share", ["conditional", "none"])
def test_the_change_feed_hides_a_key_whose_item_the_caller_may_not_read(
    cast: ExchangeCast, key_share: str
) -> None:
    _units(cast, key_share)
    _client, http = _county_system(cast)
    feed = http.get(f"/api/exchange/shared/{UNITS.replace('/', '-')}/changes", {"purpose": "同步"})
    assert feed.status_code == 200, feed.json()
    (change,) = feed.json()["changes"]
    assert change["key"] != UNIT and UNIT not in str(feed.json())
    assert change["values"] == {"name": "某某大厦"}
    refused = http.post(
        f"/api/exchange/shared/{UNITS.replace('/', '-')}/look-up",
        {"key": UNIT, "purpose": "核对房产", "fields": ["unit"]},
        "application/json",
    )
    assert refused.status_code == 403


def test_the_change_feed_shows_a_conditional_key_to_a_grant_that_names_its_item(
    cast: ExchangeCast,
) -> None:
    resource = _units(cast, "conditional")
    client, http = _county_system(cast)
    application = actions.do_apply_for_access(
        resource,
        client,
        actions.ApplicationInput(
            purpose=PURPOSE,
            legal_basis="《不动产登记暂行条例》第二十七条",
            fields=["unit", "name"],
            duration_days=30,
            expected_per_day=10,
        ),
        actor=actor_of(cast.catalog.county_officer),
    )
    actions.do_grant_application(application, actor=actor_of(cast.catalog.officer))
    feed = http.get(f"/api/exchange/shared/{UNITS.replace('/', '-')}/changes", {"purpose": "同步"})
    assert [c["key"] for c in feed.json()["changes"]] == [UNIT]


def test_pushed_text_that_is_not_unicode_is_refused_and_loads_nothing(cast: ExchangeCast) -> None:
    sharing = make_sharing(cast)
    http = sharing.api(sharing.pusher_token)
    base = f"/api/exchange/shared/{ENTERPRISES}"
    versions = DatasetVersion.objects.count()
    for path, body, field in [
        ("records", {"rows": [{"uscc": sharing.uscc, "name": "某某\ud800公司"}]}, "rows"),
        ("records:delete", {"keys": [sharing.uscc, "\udc00"]}, "keys"),
    ]:
        answer = http.post(f"{base}/{path}", body, "application/json")
        assert answer.status_code == 400, answer.content
        assert answer.json()["code"] == "invalid_input"
        assert answer.json()["detail"]["field"] == field
    assert DatasetVersion.objects.count() == versions


PEOPLE = "102000000/000010"


@pytest.mark.parametrize("key_share", ["conditional", "none"])
def test_the_change_feed_leaves_nothing_of_a_personal_key_the_caller_may_not_read(
    cast: ExchangeCast, key_share: str
) -> None:
    never = key_share == "none"
    data = replace(
        resource_input(PEOPLE),
        items=[
            ItemInput(
                "id_number",
                "公民身份号码",
                "C",
                18,
                is_personal=True,
                share_attribute=key_share,
                legal_basis="《居民身份证法》第十九条",
                negative_scope="仅户籍管理机关" if never else "",
                review_date=date(2099, 6, 30) if never else None,
            ),
            ItemInput("name", "名称", "C", 40),
        ],
    )
    resource = publish(cast, data)
    officer = actor_of(cast.catalog.officer)
    dataset = actions.do_register_hosted_dataset(resource, "id_number", actor=officer)
    id_number = make_id_number(seq=77)
    actions.do_load_dataset_rows(
        dataset, [{"id_number": id_number, "name": "某某"}], actor=officer, source_name="p.csv"
    )
    _client, http = _county_system(cast)
    feed = http.get(f"/api/exchange/shared/{PEOPLE.replace('/', '-')}/changes", {"purpose": "同步"})
    assert feed.status_code == 200, feed.json()
    (change,) = feed.json()["changes"]
    # Not even the masked form a readable 身份证号 would have (its region and last digits).
    assert change["key"] == "***"
    assert id_number[:6] not in str(feed.json()) and id_number[-4:] not in str(feed.json())
    assert change["values"] == {"name": "某某"}


def test_a_cursor_beyond_the_last_change_is_refused_not_served_as_the_end(
    cast: ExchangeCast,
) -> None:
    # A cursor no read ever handed out (a typo, another installation's) read
    # as "no changes yet" for ever, while the changes up to it went unread.
    sharing = make_sharing(cast)
    http = sharing.api(sharing.reader_token)
    path = f"/api/exchange/shared/{ENTERPRISES}/changes"
    first = http.get(path, {"purpose": "同步企业信息"})
    assert first.status_code == 200, first.content
    last = first.json()["next_cursor"]
    assert last > 0
    caught_up = http.get(path, {"purpose": "同步企业信息", "cursor": last})
    assert caught_up.status_code == 200
    assert (caught_up.json()["changes"], caught_up.json()["next_cursor"]) == ([], last)
    # ``seq`` numbers the changes of every dataset together: beyond the last
    # of them, not merely beyond this dataset's last.
    end = RecordChange.objects.order_by("-seq").values_list("seq", flat=True)[0]
    for cursor in (str(end + 1), str(10**20)):
        beyond = http.get(path, {"purpose": "同步企业信息", "cursor": cursor})
        assert beyond.status_code == 400, beyond.content
        assert beyond.json()["code"] == "invalid_cursor"
        assert beyond.json()["detail"] == {"field": "cursor"}
    results = list(AccessLog.objects.order_by("ledger_seq").values_list("result", flat=True))
    assert results == ["ok", "ok", "invalid_cursor", "invalid_cursor"]
    staff = logged_in(sharing.officer).get(
        f"/api/exchange/datasets/{ENTERPRISES}/changes", {"cursor": end + 1}
    )
    assert staff.status_code == 400 and staff.json()["code"] == "invalid_cursor"
