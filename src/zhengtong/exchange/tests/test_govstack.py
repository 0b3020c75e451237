"""The GovStack profile through HTTP: the Data API, myPersonalDataUsage and the IM directory.

The market bureau (吴十's department) provides an enterprise registry keyed by
统一社会信用代码 and a population registry keyed by 身份证号; the county
bureau's approval system reads them; the market bureau's own system writes.
张三 is a citizen whose record is in the population registry.
"""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client

from zhengtong.catalog.actions import ItemInput
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import TEST_ACTOR, make_credit_code, make_id_number, make_person
from zhengtong.exchange import actions
from zhengtong.exchange.govstack import DATA_CLIENT_HEADER
from zhengtong.exchange.models import AccessLog, DatasetVersion, HostedDataset, Record
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import govstack_http
from zhengtong.exchange.tests.test_governed import publish
from zhengtong.identity.actions import do_create_citizen, do_issue_client, do_revoke_client
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import SystemClient
from zhengtong.ledger.models import LedgerEntry

FIRMS = "102000000-000002"
PEOPLE = "101000000-000001"
# Born before any person the tests register (make_person counts from 1990), so never
# the same number as 张三's however many people earlier tests made.
LISI = make_id_number(birth=dt.date(1970, 5, 5), seq=77)
PURPOSE = {"Zhengtong-Purpose": quote("食品经营许可审批核对")}
# What a citizen's portal sends as GovStack's client header.
PORTAL = "ZHENGTONG/GOV/cs-gov/portal"
PEOPLE_ITEMS = [
    ItemInput("id_number", "公民身份号码", "C", 18, is_personal=True),
    ItemInput("name", "姓名", "C", 20, is_personal=True),
    ItemInput("hukou", "户籍地", "C", 50),
]


@dataclass
class World:
    uscc: str
    zhang_id: str
    reader: Client
    reader_client: SystemClient
    provider: Client
    provider_client: SystemClient
    citizen: Client
    cast: ExchangeCast


def _bearer(client: SystemClient, secret: str) -> Client:
    return govstack_http(client, f"{client.key_id}.{secret}")


def _person() -> Client:
    # For a person the session says who calls; the header only has to be well formed.
    return Client(headers={DATA_CLIENT_HEADER: PORTAL})


@pytest.fixture
def world(cast: ExchangeCast) -> World:
    officer = actor_of(cast.catalog.officer)
    firms = actions.do_register_hosted_dataset(
        publish(cast, resource_input(FIRMS.replace("-", "/"))), "uscc", actor=officer
    )
    uscc = make_credit_code()
    actions.do_load_dataset_rows(
        firms,
        [{"uscc": uscc, "name": "长沙某某餐饮有限公司", "phone": "13812345678"}],
        actor=officer,
        source_name="firms.csv",
    )
    people = actions.do_register_hosted_dataset(
        publish(
            cast, resource_input(PEOPLE.replace("-", "/"), name="人口基本信息", items=PEOPLE_ITEMS)
        ),
        "id_number",
        actor=officer,
    )
    zhang = make_person("张三")
    actions.do_load_dataset_rows(
        people,
        [
            {"id_number": zhang.id_number, "name": "张三", "hukou": "长沙市芙蓉区"},
            {"id_number": LISI, "name": "李四", "hukou": "长沙市天心区"},
        ],
        actor=officer,
        source_name="people.csv",
    )
    reader_client, reader_secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    provider_client, provider_secret = do_issue_client(
        cast.catalog.market,
        "市场监管登记系统",
        ["exchange.push_records", "exchange.read_shared"],
        actor=TEST_ACTOR,
    )
    citizen = _person()
    citizen.force_login(
        do_create_citizen("zhangsan", "Zhengtong-citizen-2026", zhang, actor=TEST_ACTOR)
    )
    return World(
        uscc=uscc,
        zhang_id=zhang.id_number,
        reader=_bearer(reader_client, reader_secret),
        reader_client=reader_client,
        provider=_bearer(provider_client, provider_secret),
        provider_client=provider_client,
        citizen=citizen,
        cast=cast,
    )


def _data(registry: str, op: str = "") -> str:
    return f"/api/govstack/data/{registry}/1.0{op}"


def _post(http: Client, path: str, body: Any) -> Any:
    return http.post(path, body, "application/json", headers=PURPOSE)


def _query(content: dict[str, Any]) -> dict[str, Any]:
    return {"query": {"content": content}}


# --- Reads ---------------------------------------------------------------------------------


def test_a_read_returns_what_the_native_look_up_returns_masked_alike(world: World) -> None:
    native = world.reader.post(
        f"/api/exchange/shared/{PEOPLE}/look-up",
        {"key": world.zhang_id, "purpose": "户籍核对"},
        "application/json",
    )
    answer = _post(world.reader, _data(PEOPLE, "/read"), _query({"id_number": world.zhang_id}))
    assert answer.status_code == 200, answer.json()
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    content = answer.json()["content"]
    assert content == native.json()["values"]
    assert content["name"] != "张三" and content["name"].startswith("张")
    assert content["id_number"] != world.zhang_id
    assert content["hukou"] == "长沙市芙蓉区"


def test_every_read_writes_one_ledger_entry_with_its_purpose(world: World) -> None:
    before = LedgerEntry.objects.count()
    _post(world.reader, _data(FIRMS, "/read"), _query({"uscc": world.uscc}))
    _post(world.reader, _data(FIRMS, "/read"), _query({"uscc": make_credit_code(seq=5)}))
    assert LedgerEntry.objects.count() == before + 2
    logs = list(AccessLog.objects.order_by("ledger_seq"))
    assert [(log.operation, log.result) for log in logs] == [
        ("look_up", "ok"),
        ("look_up", "unknown_key"),
    ]
    assert logs[0].data["purpose"] == "食品经营许可审批核对"
    assert logs[0].data["client"] == world.reader_client.key_id


def test_an_unknown_key_is_404_no_record_found(world: World) -> None:
    answer = _post(world.reader, _data(FIRMS, "/read"), _query({"uscc": make_credit_code(seq=5)}))
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no record found"
    assert answer.json()["code"] == "unknown_key"


def test_a_read_whose_other_criteria_differ_finds_nothing(world: World) -> None:
    same = _query({"uscc": world.uscc, "name": "长沙某某餐饮有限公司"})
    assert _post(world.reader, _data(FIRMS, "/read"), same).status_code == 200
    other = _query({"uscc": world.uscc, "name": "别的公司"})
    assert _post(world.reader, _data(FIRMS, "/read"), other).json()["detail"] == "no record found"


def test_an_item_the_registry_does_not_have_is_named_as_such_by_read_and_exists(
    world: World,
) -> None:
    query = _query({"uscc": world.uscc, "colour": "红"})
    for op in ("/read", "/exists"):
        answer = _post(world.reader, _data(FIRMS, op), query)
        assert answer.status_code == 400, (op, answer.json())
        assert answer.json()["code"] == "unknown_item"
        assert answer.json()["detail"]["items"] == ["colour"]


def test_a_flat_object_of_items_is_read_as_the_content(world: World) -> None:
    read = _post(world.reader, _data(FIRMS, "/read"), {"uscc": world.uscc})
    assert read.status_code == 200, read.json()
    assert read.json()["content"]["name"] == "长沙某某餐饮有限公司"
    other = _post(world.reader, _data(FIRMS, "/exists"), {"uscc": world.uscc, "name": "别的公司"})
    assert other.status_code == 200 and other.json()["answer"]["status"] is False
    new = make_credit_code(seq=40)
    created = _post(world.provider, _data(FIRMS, "/create"), {"uscc": new, "name": "平铺餐馆"})
    assert created.status_code == 200, created.json()
    updated = world.provider.put(
        _data(FIRMS, "/update"), {"uscc": new, "phone": "13900000001"}, "application/json"
    )
    assert updated.json()["content"] == {"uscc": new, "name": "平铺餐馆", "phone": "13900000001"}
    nested = {"write": {"query": {"content": {"uscc": new}}, "content": {"name": "再改名"}}}
    renamed = world.provider.put(_data(FIRMS, "/update"), nested, "application/json")
    assert renamed.json()["content"]["name"] == "再改名"


def test_a_body_that_is_not_an_object_of_items_is_refused(world: World) -> None:
    for body in ([world.uscc], {"query": {"content": "x"}}, {"query": [1]}):
        answer = _post(world.reader, _data(FIRMS, "/read"), body)
        assert answer.status_code in {400, 422}, body
        assert answer.json()["code"] in {"invalid_input", "key_required"}, answer.json()
    assert _post(world.reader, _data(FIRMS, "/read"), {}).json()["code"] == "key_required"
    bare: list[Any] = [[1, 2], None, "str", 123]
    for bare_body in bare:
        body_text = json.dumps(bare_body)
        for http, op in ((world.reader, "/read"), (world.provider, "/create")):
            answer = _post(http, _data(FIRMS, op), body_text)
            assert answer.status_code == 422, (op, body_text)
            assert answer.json()["code"] == "invalid_input", answer.json()
        put = world.provider.put(_data(FIRMS, "/update"), body_text, "application/json")
        assert put.status_code == 422 and put.json()["code"] == "invalid_input"


def test_reads_the_profile_refuses_itself_are_logged_too(world: World) -> None:
    people = _query({"id_number": world.zhang_id})
    other_system = {"Information-Mediator-Client": "ZT/GOV/000000/000000", **PURPOSE}
    refused = [
        (_post(world.reader, _data("999999999-000001", "/read"), people), "resource_not_found"),
        (world.reader.get(_data("999999999-000001"), headers=PURPOSE), "resource_not_found"),
        (_post(world.reader, "/api/govstack/data/101000000-000001/2.0/read", people), None),
        (_post(world.reader, _data(PEOPLE, "/read"), _query({"name": "张三"})), "key_required"),
        (_post(world.reader, _data(PEOPLE, "/exists"), _query({"zzz": "1"})), "unknown_item"),
        (
            _post(world.reader, _data(PEOPLE, "/read"), _query({"id_number": ["x"]})),
            "invalid_value",
        ),
        (_post(world.reader, _data(PEOPLE, "/read"), json.dumps([1])), "invalid_input"),
        (
            world.reader.get(
                _data(PEOPLE, f"/{world.zhang_id}/readValue/name.xml"), headers=PURPOSE
            ),
            "unsupported_format",
        ),
        (
            world.reader.post(
                _data(PEOPLE, "/read"), people, "application/json", headers=other_system
            ),
            "client_mismatch",
        ),
    ]
    codes = [answer.json()["code"] for answer, _code in refused]
    assert codes == [code or "unknown_version" for _answer, code in refused]
    logged = list(AccessLog.objects.order_by("ledger_seq").values_list("result", flat=True))
    assert logged == codes
    seqs = AccessLog.objects.values_list("ledger_seq", flat=True)
    assert LedgerEntry.objects.filter(seq__in=seqs).count() == len(refused)


def test_reads_are_refused_with_the_governed_codes(world: World) -> None:
    body = _query({"uscc": world.uscc})
    no_purpose = world.reader.post(_data(FIRMS, "/read"), body, "application/json")
    assert no_purpose.status_code == 400 and no_purpose.json()["code"] == "purpose_required"
    missing = _post(world.reader, _data("102000000-000099", "/read"), body)
    assert missing.status_code == 404 and missing.json()["code"] == "resource_not_found"
    version = _post(world.reader, "/api/govstack/data/102000000-000002/2.0/read", body)
    assert version.status_code == 404 and version.json()["code"] == "unknown_version"
    no_key = _post(world.reader, _data(FIRMS, "/read"), _query({"name": "长沙某某餐饮有限公司"}))
    assert no_key.status_code == 400 and no_key.json()["code"] == "key_required"
    phone = _data(FIRMS, f"/{world.uscc}/readValue/phone.json")
    conditional = world.reader.get(phone, headers=PURPOSE)
    assert conditional.status_code == 403 and conditional.json()["code"] == "not_granted"
    anonymous = Client().post(_data(FIRMS, "/read"), body, "application/json", headers=PURPOSE)
    assert anonymous.status_code == 401


def test_the_mediator_header_must_name_the_calling_system(world: World) -> None:
    body = _query({"uscc": world.uscc})

    def read_as(claimed: str) -> Any:
        return world.reader.post(
            _data(FIRMS, "/read"),
            body,
            "application/json",
            headers={**PURPOSE, "Information-Mediator-Client": claimed},
        )

    assert read_as(f"ZHENGTONG/GOV/fr-market/{world.reader_client.key_id}").status_code == 200
    forged = read_as("eGovStack/GOV/90000009/digitalregistries")
    assert forged.status_code == 403 and forged.json()["code"] == "client_mismatch"
    bad = read_as("x")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_client_header"


def test_exists_answers_by_key_and_verifies_other_items(world: World) -> None:
    def status(content: dict[str, Any]) -> bool:
        answer = _post(world.reader, _data(FIRMS, "/exists"), _query(content))
        assert answer.status_code == 200, answer.json()
        assert isinstance(answer.json()["answer"]["message"], str)
        return bool(answer.json()["answer"]["status"])

    assert status({"uscc": world.uscc}) is True
    assert status({"uscc": make_credit_code(seq=9)}) is False
    assert status({"uscc": world.uscc, "name": "长沙某某餐饮有限公司"}) is True
    assert status({"uscc": world.uscc, "name": "别的公司"}) is False
    operations = list(AccessLog.objects.order_by("ledger_seq").values_list("operation", flat=True))
    assert operations == ["look_up", "look_up", "verify", "verify"]


def test_read_value_returns_one_item_as_json(world: World) -> None:
    answer = world.reader.get(_data(FIRMS, f"/{world.uscc}/readValue/name.json"), headers=PURPOSE)
    assert answer.status_code == 200 and answer.json() == "长沙某某餐饮有限公司"
    name = _data(PEOPLE, f"/{world.zhang_id}/read-value/name.json")
    masked = world.reader.get(name, headers=PURPOSE)
    assert masked.status_code == 200 and masked.json() != "张三"
    xml = world.reader.get(_data(FIRMS, f"/{world.uscc}/readValue/name.xml"), headers=PURPOSE)
    assert xml.status_code == 400 and xml.json()["code"] == "unsupported_format"


def test_list_by_key_is_a_look_up_and_without_one_pages_the_feed(world: World) -> None:
    by_key = world.reader.get(_data(PEOPLE), {"query.id_number": world.zhang_id}, headers=PURPOSE)
    assert by_key.status_code == 200, by_key.json()
    body = by_key.json()
    assert body["count"] == len(body["results"]) == 1
    assert body["results"][0]["hukou"] == "长沙市芙蓉区"
    everyone = world.reader.get(_data(PEOPLE), {"ordering": "descending"}, headers=PURPOSE).json()
    assert everyone["count"] == len(everyone["results"]) == 2
    assert all(r["name"] not in {"张三", "李四"} for r in everyone["results"])
    filtered = world.reader.get(
        _data(PEOPLE), {"filter": "hukou", "search": "长沙市天心区"}, headers=PURPOSE
    ).json()
    assert [r["hukou"] for r in filtered["results"]] == ["长沙市天心区"]
    paged = world.reader.get(_data(PEOPLE), {"pageSize": 1}, headers=PURPOSE).json()
    assert paged["count"] == 1 and "cursor=" in paged["next"]
    operations = list(AccessLog.objects.order_by("ledger_seq").values_list("operation", flat=True))
    assert operations == ["batch_look_up", "read_changes", "read_changes", "read_changes"]


def test_list_keeps_records_whose_masked_keys_look_alike(world: World) -> None:
    # Two people born on different days with the same order code and check
    # digit: their keys masked alike (430102********0573) are still two records.
    first = make_id_number(birth=dt.date(1960, 1, 1), seq=57)
    second = next(
        number
        for day in range(1, 366)
        if (number := make_id_number(birth=dt.date(1960, 1, 1) + dt.timedelta(days=day), seq=57))[
            -4:
        ]
        == first[-4:]
    )
    people = HostedDataset.objects.get(resource__code=PEOPLE.replace("-", "/"))
    actions.do_load_dataset_rows(
        people,
        [
            {"id_number": first, "name": "王五", "hukou": "长沙市雨花区"},
            {"id_number": second, "name": "赵六", "hukou": "长沙市开福区"},
        ],
        actor=actor_of(world.cast.catalog.officer),
        source_name="people.csv",
    )
    listed = world.reader.get(_data(PEOPLE), {"pageSize": 10}, headers=PURPOSE).json()
    assert listed["count"] == len(listed["results"]) == 4
    hukou = sorted(r["hukou"] for r in listed["results"])
    assert hukou == sorted(["长沙市芙蓉区", "长沙市天心区", "长沙市雨花区", "长沙市开福区"])
    assert len({r["id_number"] for r in listed["results"]}) == 3


# --- Writes --------------------------------------------------------------------------------


def test_the_provider_system_creates_updates_and_deletes_records(world: World) -> None:
    new = make_credit_code(seq=20)
    created = _post(
        world.provider,
        _data(FIRMS, "/create"),
        {"write": {"content": {"uscc": new, "name": "新开张餐馆", "phone": "13900000000"}}},
    )
    assert created.status_code == 200, created.json()
    assert created.json()["content"]["name"] == "新开张餐馆"
    again = _post(world.provider, _data(FIRMS, "/create"), {"write": {"content": {"uscc": new}}})
    assert again.status_code == 409 and again.json()["code"] == "already_exists"
    updated = world.provider.put(
        _data(FIRMS, "/update"),
        {"query": {"content": {"uscc": new}}, "write": {"content": {"name": "改名餐馆"}}},
        "application/json",
    )
    assert updated.status_code == 200, updated.json()
    assert updated.json()["content"] == {"uscc": new, "name": "改名餐馆", "phone": "13900000000"}
    seen = _post(world.reader, _data(FIRMS, "/read"), _query({"uscc": new}))
    assert seen.json()["content"]["name"] == "改名餐馆"
    upserted = _post(
        world.provider,
        _data(FIRMS, "/updateOrCreate"),
        {
            "query": {"content": {"uscc": make_credit_code(seq=21)}},
            "write": {"content": {"name": "又一家"}},
        },
    )
    assert upserted.status_code == 200 and upserted.json()["content"]["name"] == "又一家"
    deleted = world.provider.delete(_data(FIRMS, f"/{new}/delete"))
    assert deleted.status_code == 204
    gone = _post(world.reader, _data(FIRMS, "/read"), _query({"uscc": new}))
    assert gone.status_code == 404
    twice = world.provider.delete(_data(FIRMS, f"/{new}/delete"))
    assert twice.status_code == 404 and twice.json()["detail"] == "no record found"
    actions_done = list(
        LedgerEntry.objects.filter(action__in=["exchange.load_dataset", "exchange.delete_records"])
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions_done[-4:] == [
        "exchange.load_dataset",
        "exchange.load_dataset",
        "exchange.load_dataset",
        "exchange.delete_records",
    ]


def test_an_update_whose_other_criteria_differ_changes_nothing(world: World) -> None:
    firm = {"uscc": world.uscc}
    before = _post(world.reader, _data(FIRMS, "/read"), _query(firm)).json()["content"]
    for op in ("/update", "/updateEntries"):
        missed = world.provider.put(
            _data(FIRMS, op),
            {
                "query": {"content": {**firm, "name": "不是这家"}},
                "write": {"content": {"phone": "13700000000"}},
            },
            "application/json",
        )
        assert missed.status_code == 404 and missed.json()["detail"] == "no record found"
    after = _post(world.reader, _data(FIRMS, "/read"), _query(firm)).json()["content"]
    assert after == before
    hit = world.provider.put(
        _data(FIRMS, "/updateEntries"),
        {
            "query": {"content": {**firm, "name": before["name"]}},
            "write": {"content": {"phone": "13700000000"}},
        },
        "application/json",
    )
    assert hit.status_code == 200 and hit.json()["content"]["phone"] == "13700000000"


def test_update_or_create_will_not_create_under_another_key_than_the_query_names(
    world: World,
) -> None:
    asked, other = make_credit_code(seq=22), make_credit_code(seq=23)
    refused = _post(
        world.provider,
        _data(FIRMS, "/updateOrCreate"),
        {"query": {"content": {"uscc": asked}}, "write": {"content": {"uscc": other}}},
    )
    assert refused.status_code == 400 and refused.json()["code"] == "key_change"
    for key in (asked, other):
        assert _post(world.reader, _data(FIRMS, "/read"), _query({"uscc": key})).status_code == 404
    same = _post(
        world.provider,
        _data(FIRMS, "/updateOrCreate"),
        {
            "query": {"content": {"uscc": asked}},
            "write": {"content": {"uscc": asked, "name": "甲"}},
        },
    )
    assert same.status_code == 200 and same.json()["content"]["uscc"] == asked


def test_another_departments_system_cannot_write(world: World) -> None:
    body = {"write": {"content": {"uscc": make_credit_code(seq=30), "name": "冒名"}}}
    # A system without the push scope is refused for that, as a native push is.
    refused = _post(world.reader, _data(FIRMS, "/create"), body)
    assert refused.status_code == 403 and refused.json()["code"] == "scope_missing"
    removal = world.reader.delete(_data(FIRMS, f"/{world.uscc}/delete"))
    assert removal.status_code == 403 and removal.json()["code"] == "scope_missing"
    # One that holds it finds no registry of its own department there.
    pusher, secret = do_issue_client(
        world.cast.catalog.county, "芙蓉区推送系统", ["exchange.push_records"], actor=TEST_ACTOR
    )
    foreign = _bearer(pusher, secret)
    refused = _post(foreign, _data(FIRMS, "/create"), body)
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert foreign.delete(_data(FIRMS, f"/{world.uscc}/delete")).status_code == 404
    assert (
        _post(world.reader, _data(FIRMS, "/read"), _query({"uscc": world.uscc})).status_code == 200
    )


def test_a_bad_write_is_refused_and_leaves_no_version(world: World) -> None:
    dataset = HostedDataset.objects.get(resource__code=FIRMS.replace("-", "/"))
    versions = DatasetVersion.objects.filter(dataset=dataset).count()
    unknown = _post(
        world.provider,
        _data(FIRMS, "/create"),
        {"write": {"content": {"uscc": make_credit_code(seq=31), "colour": "红"}}},
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_item"
    bad_key = _post(
        world.provider, _data(FIRMS, "/create"), {"write": {"content": {"uscc": "123"}}}
    )
    assert bad_key.status_code == 400 and bad_key.json()["code"] == "bad_key"
    too_long = _post(
        world.provider,
        _data(FIRMS, "/create"),
        {"write": {"content": {"uscc": make_credit_code(seq=32), "phone": "1" * 30}}},
    )
    assert too_long.status_code == 400 and too_long.json()["code"] == "invalid_value"
    assert DatasetVersion.objects.filter(dataset=dataset).count() == versions


# --- myPersonalDataUsage -------------------------------------------------------------------


def test_a_citizen_sees_who_read_their_record(world: World) -> None:
    _post(world.reader, _data(PEOPLE, "/read"), _query({"id_number": world.zhang_id}))
    _post(world.reader, _data(FIRMS, "/read"), _query({"uscc": world.uscc}))
    answer = world.citizen.get(
        "/api/govstack/data/myPersonalDataUsage",
        {"userId": world.zhang_id, "databaseId": PEOPLE},
    )
    assert answer.status_code == 200, answer.json()
    [use] = answer.json()
    assert use["readerId"] == f"ZHENGTONG/GOV/fr-market/{world.reader_client.key_id}"
    assert use["readerInstitutionId"] == "fr-market"
    assert use["readerInstitutionName"] == "芙蓉区市场监督管理局"
    assert use["readerApplicationName"] == "芙蓉区审批系统"
    assert use["refrences"] == [{"ReferenceID": PEOPLE}]
    assert use["purpose"] == "食品经营许可审批核对"
    # The specification types readerInitials a string; nobody's initials are recorded.
    assert use["readerInitials"] == ""
    assert all(value is not None for value in use.values())
    log = AccessLog.objects.get(resource__code=PEOPLE.replace("-", "/"))
    assert use["id"] == str(log.ledger_seq)
    alias = world.citizen.get(
        "/api/govstack/data/MyPersonalDataUsage/1.0",
        {"userID": world.zhang_id, "DatabaseID": PEOPLE},
    )
    assert alias.status_code == 200 and alias.json() == answer.json()


def test_over_long_usage_parameters_are_the_specifications_400(world: World) -> None:
    usage = "/api/govstack/data/myPersonalDataUsage"
    long_user = world.citizen.get(usage, {"userId": "4" * 70, "databaseId": PEOPLE})
    assert (long_user.status_code, long_user.json()["code"]) == (400, "bad_user_id")
    long_database = world.citizen.get(usage, {"userId": world.zhang_id, "databaseId": "1" * 70})
    assert (long_database.status_code, long_database.json()["code"]) == (400, "unknown_database")


def test_nobody_reads_another_persons_data_usage(world: World) -> None:
    other = LISI
    _post(world.reader, _data(PEOPLE, "/read"), _query({"id_number": other}))
    params = {"userId": other, "databaseId": PEOPLE}
    theirs = world.citizen.get("/api/govstack/data/myPersonalDataUsage", params)
    assert theirs.status_code == 403 and theirs.json()["code"] == "not_own_data"
    system = world.reader.get("/api/govstack/data/myPersonalDataUsage", params)
    assert system.status_code == 401
    staff = _person()
    staff.force_login(world.cast.catalog.bureau)
    assert staff.get("/api/govstack/data/myPersonalDataUsage", params).status_code == 403


def test_my_data_usage_checks_its_parameters(world: World) -> None:
    path = "/api/govstack/data/myPersonalDataUsage"
    bad_id = world.citizen.get(path, {"userId": "...", "databaseId": PEOPLE})
    assert bad_id.status_code == 400 and bad_id.json()["code"] == "bad_user_id"
    bad_db = world.citizen.get(path, {"userId": world.zhang_id, "databaseId": "..."})
    assert bad_db.status_code == 400 and bad_db.json()["code"] == "unknown_database"
    everything = world.citizen.get(path, {"userId": world.zhang_id})
    assert everything.status_code == 200 and everything.json() == []


# --- The Information Mediator directory ---------------------------------------------------


def test_list_clients_names_departments_their_systems_and_registries(world: World) -> None:
    answer = world.reader.get("/api/govstack/im/listClients")
    assert answer.status_code == 200, answer.json()
    ids = {
        (m["id"]["objectType"], m["id"]["memberCode"], m["id"].get("applicationCode"))
        for m in answer.json()["member"]
    }
    assert ("MEMBER", "cs-market", None) in ids
    # Every value the answer gives is a string, as the directory's schema types them.
    assert all(
        isinstance(value, str) for m in answer.json()["member"] for value in m["id"].values()
    )
    assert ("APPLICATION", "cs-market", "registries") in ids
    assert ("APPLICATION", "cs-market", world.provider_client.key_id) in ids
    assert ("APPLICATION", "fr-market", world.reader_client.key_id) in ids
    assert ("APPLICATION", "fr-market", "registries") not in ids
    elsewhere = world.reader.get("/api/govstack/im/listClients", {"instanceId": "EE"})
    assert elsewhere.json() == {"member": []}


def _methods(http: Client, name: str, provider: str = "cs-market", r1: bool = True) -> Any:
    prefix = "/api/govstack/im/r1" if r1 else "/api/govstack/im"
    return http.get(f"{prefix}/ZHENGTONG/GOV/{provider}/registries/{name}")


def test_list_methods_shows_every_registry_and_allowed_methods_what_the_caller_may_use(
    world: World,
) -> None:
    listed = _methods(world.reader, "listMethods")
    assert listed.status_code == 200, listed.json()
    services = {s["serviceCode"]: s for s in listed.json()["member"]}
    assert set(services) == {FIRMS, PEOPLE}
    paths = {(e["method"], e["path"]) for e in services[FIRMS]["endpointList"]["member"]}
    assert ("POST", f"/api/govstack/data/{FIRMS}/1.0/read") in paths
    assert ("POST", f"/api/govstack/data/{FIRMS}/1.0/create") in paths

    allowed = _methods(world.reader, "allowedMethods", r1=False).json()["member"]
    reader_paths = {(e["method"], e["path"]) for s in allowed for e in s["endpointList"]["member"]}
    assert ("POST", f"/api/govstack/data/{FIRMS}/1.0/read") in reader_paths
    assert not any(path.endswith("/create") for _, path in reader_paths)
    mine = _methods(world.provider, "allowedMethods").json()["member"]
    provider_paths = {(e["method"], e["path"]) for s in mine for e in s["endpointList"]["member"]}
    assert ("POST", f"/api/govstack/data/{FIRMS}/1.0/create") in provider_paths

    one = world.reader.get(
        "/api/govstack/im/r1/ZHENGTONG/GOV/cs-market/registries/listMethods",
        {"serviceId": PEOPLE},
    )
    assert [s["serviceCode"] for s in one.json()["member"]] == [PEOPLE]


def test_allowed_methods_leaves_out_a_never_shared_registry(world: World) -> None:
    officer = actor_of(world.cast.catalog.officer)
    secret = publish(
        world.cast,
        resource_input(
            "102000000/000003",
            share_attribute="none",
            legal_basis="《中华人民共和国个人信息保护法》第二十八条",
            negative_scope="仅登记机关",
        ),
    )
    actions.do_register_hosted_dataset(secret, "uscc", actor=officer)
    allowed = _methods(world.reader, "allowedMethods").json()["member"]
    assert "102000000-000003" not in {s["serviceCode"] for s in allowed}
    listed = _methods(world.reader, "listMethods").json()["member"]
    assert "102000000-000003" in {s["serviceCode"] for s in listed}


def test_the_directory_refuses_malformed_and_unknown_providers(world: World) -> None:
    malformed = world.reader.get("/api/govstack/im/r1/1nval1d/GOV/cs-market/registries/listMethods")
    assert malformed.status_code == 400 and malformed.json()["code"] == "invalid_identifier"
    unknown = _methods(world.reader, "listMethods", provider="fr-market")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_provider"
    anonymous = _methods(Client(), "listMethods")
    assert anonymous.status_code == 401


def test_get_openapi_describes_one_registry_as_a_json_string(world: World) -> None:
    path = "/api/govstack/im/ZHENGTONG/GOV/cs-market/registries/getOpenAPI"
    answer = world.reader.get(path, {"serviceCode": PEOPLE})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(answer.json())
    assert document["openapi"].startswith("3.")
    assert f"/api/govstack/data/{PEOPLE}/1.0/read" in document["paths"]
    record = document["components"]["schemas"]["Record"]["properties"]
    assert set(record) == {"id_number", "name", "hukou"}
    assert record["name"]["x-personal"] is True
    operations = {
        method["operationId"]: method
        for path in document["paths"].values()
        for method in path.values()
    }
    # Everything listMethods offers is described here.
    assert {"updateEntries", "updateOrCreate", "delete"} <= set(operations)

    def purpose_required(operation: dict[str, Any]) -> bool:
        return any(
            p["name"] == "Zhengtong-Purpose" and p.get("required") for p in operation["parameters"]
        )

    assert purpose_required(operations["read"])
    assert not purpose_required(operations["create"])
    missing = world.reader.get(path)
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_service_code"
    invalid = world.reader.get(path, {"serviceCode": "_invalid"})
    assert invalid.status_code == 400
    unknown = world.reader.get(path, {"serviceCode": "999000000-000001"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_service"


# --- The specification's types and criteria ------------------------------------------------


def test_read_value_of_an_empty_item_is_an_empty_string(world: World) -> None:
    # 营业执照 is not held for the firm: the value is a string, as the specification types it.
    path = _data(FIRMS, f"/{world.uscc}/readValue/licence.json")
    before = LedgerEntry.objects.count()
    for answer in (
        world.reader.get(path, headers=PURPOSE),
        world.reader.get(path.replace("readValue", "read-value"), headers=PURPOSE),
    ):
        assert answer.status_code == 200, answer.content
        assert answer.content == b'""'
    assert LedgerEntry.objects.count() == before + 2


def test_empty_items_are_left_out_of_every_record_returned(world: World) -> None:
    def strings_only(record: dict[str, Any]) -> bool:
        return all(isinstance(value, str) for value in record.values())

    read = _post(world.reader, _data(FIRMS, "/read"), _query({"uscc": world.uscc}))
    assert read.json()["content"] == {"uscc": world.uscc, "name": "长沙某某餐饮有限公司"}
    listed = world.reader.get(_data(FIRMS), headers=PURPOSE).json()["results"]
    assert listed and all(strings_only(record) for record in listed)
    assert all("licence" not in record for record in listed)
    new = make_credit_code(seq=24)
    created = _post(
        world.provider,
        _data(FIRMS, "/create"),
        {"write": {"content": {"uscc": new, "name": "空号餐馆", "phone": ""}}},
    )
    assert created.status_code == 200, created.json()
    assert created.json()["content"] == {"uscc": new, "name": "空号餐馆"}
    updated = world.provider.put(
        _data(FIRMS, "/update"),
        {"query": {"content": {"uscc": new}}, "write": {"content": {"name": None}}},
        "application/json",
    )
    assert updated.status_code == 200 and updated.json()["content"] == {"uscc": new}
    upserted = _post(
        world.provider,
        _data(FIRMS, "/updateOrCreate"),
        {"query": {"content": {"uscc": new}}, "write": {"content": {"phone": None}}},
    )
    assert upserted.status_code == 200 and upserted.json()["content"] == {"uscc": new}


def test_following_next_keeps_the_query_criteria(world: World) -> None:
    for seq, name in ((25, "同名餐馆"), (26, "别名餐馆"), (27, "同名餐馆")):
        created = _post(
            world.provider,
            _data(FIRMS, "/create"),
            {"write": {"content": {"uscc": make_credit_code(seq=seq), "name": name}}},
        )
        assert created.status_code == 200, created.json()
    url: str | None = f"{_data(FIRMS)}?{urlencode({'query.name': '同名餐馆', 'pageSize': 1})}"
    names: list[str] = []
    pages = 0
    while url and pages < 10:
        page = world.reader.get(url.removeprefix("http://testserver"), headers=PURPOSE)
        assert page.status_code == 200, page.json()
        names.extend(record["name"] for record in page.json()["results"])
        url = page.json()["next"]
        pages += 1
    assert names == ["同名餐馆", "同名餐馆"]
    # Every page was one governed read.
    assert AccessLog.objects.filter(operation="read_changes").count() == pages


def test_update_or_create_leaves_a_record_that_fails_the_query_alone(world: World) -> None:
    dataset = HostedDataset.objects.get(resource__code=FIRMS.replace("-", "/"))
    versions = DatasetVersion.objects.filter(dataset=dataset).count()
    body = {
        "query": {"content": {"uscc": world.uscc, "name": "不是这家"}},
        "write": {"content": {"phone": "13700000000"}},
    }
    for path in ("/updateOrCreate", "/update-or-create"):
        missed = _post(world.provider, _data(FIRMS, path), body)
        assert missed.status_code == 404, missed.json()
        assert missed.json()["detail"] == "no record found"
    # update answers the same body alike.
    assert world.provider.put(_data(FIRMS, "/update"), body, "application/json").status_code == 404
    assert DatasetVersion.objects.filter(dataset=dataset).count() == versions
    record = Record.objects.get(dataset=dataset, key=world.uscc)
    assert record.values["phone"] == "13812345678"
    body["query"]["content"]["name"] = "长沙某某餐饮有限公司"
    hit = _post(world.provider, _data(FIRMS, "/updateOrCreate"), body)
    assert hit.status_code == 200 and hit.json()["content"]["phone"] == "13700000000"


def test_a_write_query_naming_an_item_the_registry_lacks_is_refused_before_writing(
    world: World,
) -> None:
    dataset = HostedDataset.objects.get(resource__code=FIRMS.replace("-", "/"))
    versions = DatasetVersion.objects.filter(dataset=dataset).count()
    existing = {"uscc": world.uscc, "colour": "红"}
    new = {"uscc": make_credit_code(seq=28), "colour": "红"}
    write = {"content": {"name": "红色餐馆"}}
    on_existing = {"query": {"content": existing}, "write": write}
    answers = [
        world.provider.put(_data(FIRMS, "/update"), on_existing, "application/json"),
        world.provider.put(_data(FIRMS, "/updateEntries"), on_existing, "application/json"),
        _post(world.provider, _data(FIRMS, "/updateOrCreate"), on_existing),
        # Not even a record that does not exist yet is created from such a query.
        _post(
            world.provider,
            _data(FIRMS, "/updateOrCreate"),
            {"query": {"content": new}, "write": write},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.json()
        assert answer.json()["code"] == "unknown_item"
        assert answer.json()["detail"]["items"] == ["colour"]
    assert DatasetVersion.objects.filter(dataset=dataset).count() == versions
    assert not Record.objects.filter(dataset=dataset, key=new["uscc"]).exists()


def test_a_star_in_a_query_is_refused_alike_by_read_exists_and_writes(world: World) -> None:
    content = {"uscc": world.uscc, "*": "长沙某某餐饮有限公司"}
    for op in ("/read", "/exists"):
        answer = _post(world.reader, _data(FIRMS, op), _query(content))
        assert answer.status_code == 400, (op, answer.json())
        assert answer.json()["code"] == "unknown_item"
        assert answer.json()["detail"]["items"] == ["*"]
    # Both refusals are reads, in the ledger as every refused read is.
    assert list(AccessLog.objects.values_list("result", flat=True)) == ["unknown_item"] * 2
    update = world.provider.put(
        _data(FIRMS, "/update"),
        {"query": {"content": content}, "write": {"content": {"name": "改名"}}},
        "application/json",
    )
    assert update.status_code == 400 and update.json()["detail"]["items"] == ["*"]
    # Looking in any item is what list's search without a filter does.
    searched = world.reader.get(_data(FIRMS), {"search": "长沙某某餐饮有限公司"}, headers=PURPOSE)
    assert [r["uscc"] for r in searched.json()["results"]] == [world.uscc]


def test_a_list_naming_an_item_the_registry_lacks_is_refused_as_read_refuses_it(
    world: World,
) -> None:
    queries = ({"query.colour": "红"}, {"query.*": "长沙"}, {"filter": "colour", "search": "红"})
    for query in queries:
        answer = world.reader.get(_data(FIRMS), query, headers=PURPOSE)
        assert answer.status_code == 400, (query, answer.json())
        assert answer.json()["code"] == "unknown_item"
    # Each refusal is a read in the ledger, as every refused read is.
    assert list(AccessLog.objects.values_list("result", flat=True)) == ["unknown_item"] * 3
    # The registry's own items still filter.
    named = world.reader.get(_data(FIRMS), {"query.uscc": world.uscc}, headers=PURPOSE)
    assert [r["uscc"] for r in named.json()["results"]] == [world.uscc]


def _directory(http: Client, client_id: dict[str, str], name: str) -> Any:
    return http.get(
        "/api/govstack/im/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/".format(
            **client_id
        )
        + name
    )


def test_the_directory_answers_for_every_application_list_clients_lists(world: World) -> None:
    listed = world.reader.get("/api/govstack/im/listClients").json()["member"]
    applications = [m["id"] for m in listed if m["id"]["objectType"] == "APPLICATION"]
    systems = [a for a in applications if a["applicationCode"] != "registries"]
    assert {(a["memberCode"], a["applicationCode"]) for a in systems} >= {
        ("fr-market", world.reader_client.key_id),
        ("cs-market", world.provider_client.key_id),
    }
    for application in applications:
        for name in ("listMethods", "allowedMethods"):
            answer = _directory(world.reader, application, name)
            assert answer.status_code == 200, (application, name, answer.json())
    # A department's own system provides no registry services of its own.
    for system in systems:
        assert _directory(world.reader, system, "listMethods").json() == {"member": []}
    reader = {
        "instanceId": "ZHENGTONG",
        "memberClass": "GOV",
        "memberCode": "fr-market",
        "applicationCode": world.reader_client.key_id,
    }
    no_service = world.reader.get(
        f"/api/govstack/im/r1/ZHENGTONG/GOV/fr-market/{world.reader_client.key_id}/getOpenAPI",
        {"serviceCode": FIRMS},
    )
    assert no_service.status_code == 404 and no_service.json()["code"] == "unknown_service"
    # What listClients does not list is still unknown: a system of another department,
    # a department without registries as a provider, a revoked system.
    unlisted = [
        {**reader, "memberCode": "cs-market"},
        {**reader, "applicationCode": "registries"},
    ]
    do_revoke_client(world.provider_client, actor=TEST_ACTOR)
    unlisted.append(
        {**reader, "memberCode": "cs-market", "applicationCode": world.provider_client.key_id}
    )
    for identifier in unlisted:
        answer = _directory(world.reader, identifier, "listMethods")
        assert answer.status_code == 404 and answer.json()["code"] == "unknown_provider"


def test_the_directory_refuses_over_long_parameters_with_400(world: World) -> None:
    provider = "/api/govstack/im/r1/ZHENGTONG/GOV/cs-market/registries"
    long = "X" * 65
    refused = {
        "instanceId": world.reader.get("/api/govstack/im/listClients", {"instanceId": long}),
        "serviceId": world.reader.get(f"{provider}/listMethods", {"serviceId": long}),
        "serviceCode": world.reader.get(f"{provider}/getOpenAPI", {"serviceCode": long}),
    }
    allowed = world.reader.get(f"{provider}/allowedMethods", {"serviceId": long})
    for field, answer in [*refused.items(), ("serviceId", allowed)]:
        assert answer.status_code == 400, (field, answer.json())
        assert answer.json()["code"] == "invalid_input"
        assert answer.json()["detail"] == {"field": field, "max_length": 64}
    longest = world.reader.get("/api/govstack/im/listClients", {"instanceId": "X" * 64})
    assert longest.status_code == 200 and longest.json() == {"member": []}
