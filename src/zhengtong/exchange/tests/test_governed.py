"""Governed reads through the API: applications, grants, masking, refusals and the ledger."""

from dataclasses import replace
from typing import Any

import pytest
from django.test import Client

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.actions import ItemInput, ResourceInput
from zhengtong.catalog.demo import DEMO as DEMO_CATALOG
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import TEST_ACTOR, make_credit_code, make_id_number
from zhengtong.exchange import actions
from zhengtong.exchange.governed import key_hash
from zhengtong.exchange.models import AccessLog, AccessSubject
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

SLUG = "102000000-000002"


def publish(cast: ExchangeCast, data: ResourceInput) -> Resource:
    officer = actor_of(cast.catalog.officer)
    resource = catalog.do_create_resource(cast.catalog.market, data, actor=officer)
    resource = catalog.do_submit_resource(resource, actor=officer)
    resource = catalog.do_review_resource(resource, actor=TEST_ACTOR)
    return catalog.do_publish_resource(resource, actor=TEST_ACTOR)


@pytest.fixture
def hosted(cast: ExchangeCast) -> dict[str, Any]:
    resource = publish(cast, resource_input("102000000/000002"))
    dataset = actions.do_register_hosted_dataset(
        resource, "uscc", actor=actor_of(cast.catalog.officer)
    )
    uscc, rep = make_credit_code(), make_id_number()
    actions.do_load_dataset_rows(
        dataset,
        [
            {
                "uscc": uscc,
                "name": "长沙某某餐饮有限公司",
                "legal_rep_id": rep,
                "phone": "13812345678",
            }
        ],
        actor=actor_of(cast.catalog.officer),
        source_name="rows.csv",
    )
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    http = Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")
    return {"uscc": uscc, "client": client, "http": http, "resource": resource}


def _post(http: Client, path: str, body: dict[str, Any]) -> Any:
    return http.post(f"/api/exchange/shared/{SLUG}/{path}", body, "application/json")


def test_open_items_leave_and_conditional_items_need_a_grant(
    cast: ExchangeCast, hosted: dict[str, Any]
) -> None:
    http, uscc = hosted["http"], hosted["uscc"]
    before = LedgerEntry.objects.count()
    answer = _post(http, "look-up", {"key": uscc, "purpose": "核对营业执照信息"})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["values"]["name"] == "长沙某某餐饮有限公司"
    assert "phone" not in body["values"] and "legal_rep_id" not in body["values"]
    refused = _post(http, "look-up", {"key": uscc, "purpose": "联系企业", "fields": ["phone"]})
    assert refused.status_code == 403 and refused.json()["code"] == "not_granted"
    never = _post(http, "look-up", {"key": uscc, "purpose": "x核对", "fields": ["legal_rep_id"]})
    assert never.status_code == 403 and never.json()["code"] == "negative_list"
    assert LedgerEntry.objects.count() == before + 3
    assert [log.result for log in AccessLog.objects.order_by("ledger_seq")] == [
        "ok",
        "not_granted",
        "negative_list",
    ]
    assert AccessSubject.objects.filter(key_hash=key_hash(uscc)).count() == 1


def test_a_granted_application_unlocks_the_item_masked_then_revocation_ends_it(
    cast: ExchangeCast, hosted: dict[str, Any]
) -> None:
    http, uscc, client = hosted["http"], hosted["uscc"], hosted["client"]
    application = actions.do_apply_for_access(
        hosted["resource"],
        client,
        actions.ApplicationInput(
            purpose="食品经营许可审批中联系申请企业",
            legal_basis="《食品经营许可和备案管理办法》第十条",
            fields=["name", "phone"],
            duration_days=365,
            expected_per_day=100,
        ),
        actor=actor_of(cast.catalog.county_officer),
    )
    grant = actions.do_grant_application(application, actor=actor_of(cast.catalog.officer))
    answer = _post(http, "look-up", {"key": uscc, "purpose": "联系企业", "fields": ["phone"]})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["values"]["phone"] == "138****5678"
    assert answer.json()["masked"] == ["phone"]
    verified = _post(
        http, "verify", {"key": uscc, "purpose": "核验", "claims": {"phone": "13812345678"}}
    )
    assert verified.json() == {"results": {"phone": "match"}, "all_match": True}
    actions.do_revoke_grant(grant, actor=actor_of(cast.catalog.officer), reason="用途已结束")
    revoked = _post(http, "look-up", {"key": uscc, "purpose": "联系企业", "fields": ["phone"]})
    assert revoked.json()["code"] == "grant_revoked"


def test_bad_and_unknown_keys_and_batches(cast: ExchangeCast, hosted: dict[str, Any]) -> None:
    http, uscc = hosted["http"], hosted["uscc"]
    bad = _post(http, "look-up", {"key": "91430100XXXXXXXXXX", "purpose": "核对"})
    assert bad.status_code == 400 and bad.json()["code"] == "bad_key"
    unknown = _post(http, "look-up", {"key": make_credit_code(seq=2), "purpose": "核对"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_key"
    other = make_credit_code(seq=3)
    batch = _post(http, "batch-look-up", {"keys": [uscc, other, "bad"], "purpose": "批量核对"})
    assert batch.status_code == 200
    body = batch.json()
    assert [r["key"] for r in body["records"]] == [uscc]
    assert body["not_found"] == [other] and body["bad_keys"] == ["bad"]
    # One record written two ways is answered once, as is an unknown key.
    twice = _post(
        http,
        "batch-look-up",
        {"keys": [uscc, f" {uscc.lower()} ", other, f"{other} "], "purpose": "批量核对"},
    ).json()
    assert [r["key"] for r in twice["records"]] == [uscc]
    assert twice["not_found"] == [other]
    too_many = _post(http, "batch-look-up", {"keys": [uscc] * 1001, "purpose": "批量核对"})
    assert too_many.json()["code"] == "too_many_keys"
    no_purpose = _post(http, "look-up", {"key": uscc, "purpose": " "})
    assert no_purpose.json()["code"] == "purpose_required"
    feed = hosted["http"].get(f"/api/exchange/shared/{SLUG}/changes", {"purpose": "同步"})
    assert feed.status_code == 200
    assert [c["key"] for c in feed.json()["changes"]] == [uscc]


def test_calls_refused_before_the_exchange_saw_them_are_logged_too(
    cast: ExchangeCast, hosted: dict[str, Any]
) -> None:
    http = hosted["http"]
    base = f"/api/exchange/shared/{SLUG}"
    answers = [
        _post(http, "look-up", {"key": 123, "purpose": "核对"}),
        _post(http, "batch-look-up", {"keys": "not a list", "purpose": "核对"}),
        http.post(f"{base}/verify", b"{not json", "application/json"),
        http.get(f"{base}/changes", {"purpose": "同步", "cursor": "soon"}),
    ]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (422, "invalid_input"),
        (422, "invalid_input"),
        (400, "invalid_input"),
        # Refused by the feed itself, as a negative cursor is, and logged all the same.
        (400, "invalid_cursor"),
    ]
    logged = list(
        AccessLog.objects.order_by("ledger_seq").values_list("operation", "result", "client")
    )
    client = hosted["client"].pk
    assert logged == [
        ("look_up", "invalid_input", client),
        ("batch_look_up", "invalid_input", client),
        ("verify", "invalid_input", client),
        ("read_changes", "invalid_cursor", client),
    ]
    seqs = AccessLog.objects.values_list("ledger_seq", flat=True)
    assert LedgerEntry.objects.filter(seq__in=seqs).count() == 4
    # Without a valid token there is no system to account for: nothing is logged.
    stranger = Client(HTTP_AUTHORIZATION="Bearer nobody.nothing")
    assert stranger.post(f"{base}/look-up", {"key": 1}, "application/json").status_code == 401
    assert AccessLog.objects.count() == 4


def test_the_token_api_takes_no_session_and_sets_no_cookie(
    cast: ExchangeCast, hosted: dict[str, Any]
) -> None:
    # A logged-in browser session is no credential for the G2G API: only tokens are.
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.catalog.officer)
    refused = browser.post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": hosted["uscc"], "purpose": "核对营业执照信息"},
        "application/json",
    )
    assert refused.status_code == 401
    # With a token it answers, and sets neither a session nor a CSRF cookie.
    answer = _post(
        hosted["http"], "look-up", {"key": hosted["uscc"], "purpose": "核对营业执照信息"}
    )
    assert answer.status_code == 200
    assert not answer.cookies
    # Pages keep their CSRF check: a POST without the token is refused.
    assert browser.post("/i18n/setlang/", {"language": "en"}).status_code == 403


def test_a_resource_retired_after_a_call_is_refused_on_the_next(
    cast: ExchangeCast, hosted: dict[str, Any]
) -> None:
    http, uscc = hosted["http"], hosted["uscc"]
    body = {"key": uscc, "purpose": "核对营业执照信息"}
    assert _post(http, "look-up", body).status_code == 200
    catalog.do_retire_resource(hosted["resource"], "并入新目录", actor=TEST_ACTOR)
    refused = _post(http, "look-up", body)
    assert refused.status_code == 404 and refused.json()["code"] == "resource_not_found"


def test_a_large_batch_answers_each_key_and_logs_each_key_once(
    cast: ExchangeCast, hosted: dict[str, Any]
) -> None:
    # Past the few keys of a single look-up, a batch's keys go to the database another way.
    officer = actor_of(cast.catalog.officer)
    dataset = hosted["resource"].hosted_dataset
    codes = [make_credit_code(seq=n) for n in range(10, 40)]
    actions.do_load_dataset_rows(
        dataset,
        [
            {"uscc": code, "name": f"长沙第{n}商行", "phone": "13800000000"}
            for n, code in enumerate(codes)
        ],
        actor=officer,
        source_name="more.csv",
    )
    withdrawn = codes[0]
    actions.do_delete_dataset_records(dataset, [withdrawn], actor=officer, source_name="withdraw")
    unknown = [make_credit_code(seq=n) for n in range(50, 55)]
    asked = [hosted["uscc"], *codes, *unknown]
    answer = _post(hosted["http"], "batch-look-up", {"keys": asked, "purpose": "批量核对"})
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    found = {r["key"]: r["values"]["name"] for r in body["records"]}
    assert set(found) == {hosted["uscc"], *codes[1:]}
    assert found[codes[7]] == "长沙第7商行"
    assert "phone" not in body["records"][0]["values"]
    assert sorted(body["not_found"]) == sorted([withdrawn, *unknown])
    log = AccessLog.objects.get(operation="batch_look_up")
    outcomes = dict(AccessSubject.objects.filter(log=log).values_list("key_hash", "outcome"))
    assert outcomes == {
        **{key_hash(k): "found" for k in found},
        **{key_hash(k): "not_found" for k in [withdrawn, *unknown]},
    }


def test_a_legal_representative_public_by_law_leaves_in_clear_other_names_masked(
    cast: ExchangeCast,
) -> None:
    officer = actor_of(cast.catalog.officer)
    registration = next(d for _, _, d in DEMO_CATALOG if d.code == "102000000/000001")
    resource = publish(cast, replace(registration, code="102000000/000011", related=[]))
    uscc = make_credit_code()
    dataset = actions.do_register_hosted_dataset(resource, "uscc", actor=officer)
    actions.do_load_dataset_rows(
        dataset,
        [{"uscc": uscc, "name": "长沙某某餐饮有限公司", "legal_rep": "刘晓梅"}],
        actor=officer,
        source_name="rows.csv",
    )
    # The same kinds of item kept internal: masked by the rule for their kind.
    private = publish(
        cast,
        resource_input(
            "102000000/000012",
            items=[
                ItemInput("uscc", "统一社会信用代码", "C", 18),
                ItemInput("legal_rep", "法定代表人", "C", 50, is_personal=True),
                ItemInput("location", "坐落", "C", 200, is_personal=True),
            ],
        ),
    )
    dataset = actions.do_register_hosted_dataset(private, "uscc", actor=officer)
    actions.do_load_dataset_rows(
        dataset,
        [
            {
                "uscc": uscc,
                "legal_rep": "刘晓梅",
                "location": "湖南省长沙市芙蓉区文艺路街道八一路18号",
            }
        ],
        actor=officer,
        source_name="rows.csv",
    )
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    http = Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")
    body = {"key": uscc, "purpose": "核对营业执照信息"}

    public = http.post(
        "/api/exchange/shared/102000000-000011/look-up", body, "application/json"
    ).json()
    assert public["values"]["legal_rep"] == "刘晓梅" and "legal_rep" not in public["masked"]

    internal = http.post(
        "/api/exchange/shared/102000000-000012/look-up", body, "application/json"
    ).json()
    assert internal["values"]["legal_rep"] == "刘**"
    assert internal["values"]["location"] == "湖南省长沙市芙蓉区文艺路街道***"
    assert set(internal["masked"]) == {"legal_rep", "location"}


def test_a_refusal_names_only_items_an_application_could_obtain(cast: ExchangeCast) -> None:
    resource = publish(
        cast,
        resource_input(
            "102000000/000004",
            share_attribute="conditional",
            legal_basis="《政务数据共享条例》第十五条",
            share_conditions="仅限审批用途",
        ),
    )
    actions.do_register_hosted_dataset(resource, "uscc", actor=actor_of(cast.catalog.officer))
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    http = Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")
    refused = http.post(
        "/api/exchange/shared/102000000-000004/look-up",
        {"key": make_credit_code(), "purpose": "核对营业执照信息"},
        "application/json",
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_granted"
    # 法定代表人身份证件号码 is on the negative list: no application can obtain it.
    assert refused.json()["detail"]["items"] == ["uscc", "name", "licence", "phone"]


def test_a_missing_purpose_or_an_empty_batch_has_its_own_code(
    cast: ExchangeCast, hosted: dict[str, Any]
) -> None:
    http, uscc = hosted["http"], hosted["uscc"]
    for path, body in [
        ("look-up", {"key": uscc}),
        ("batch-look-up", {"keys": [uscc]}),
        ("verify", {"key": uscc, "claims": {"name": "长沙某某餐饮有限公司"}}),
    ]:
        answer = _post(http, path, body)
        assert answer.status_code == 400, (path, answer.json())
        assert answer.json()["code"] == "purpose_required", path
    feed = http.get(f"/api/exchange/shared/{SLUG}/changes")
    assert feed.status_code == 400 and feed.json()["code"] == "purpose_required"
    empty = _post(http, "batch-look-up", {"keys": [], "purpose": "批量核对"})
    assert empty.status_code == 400 and empty.json()["code"] == "no_keys"


@pytest.mark.parametrize(
    ("window", "code"),
    [
        ({"limit": 0}, "invalid_limit"),
        ({"limit": 1001}, "invalid_limit"),
        ({"cursor": -1}, "invalid_cursor"),
    ],
)
def test_a_change_feed_window_out_of_bounds_is_refused_and_logged(
    cast: ExchangeCast, hosted: dict[str, Any], window: dict[str, int], code: str
) -> None:
    # Cut to the bounds, a page of 1,000 would look to the caller like the feed's end.
    http = hosted["http"]
    before = LedgerEntry.objects.count()
    answer = http.get(f"/api/exchange/shared/{SLUG}/changes", {"purpose": "同步", **window})
    assert answer.status_code == 400 and answer.json()["code"] == code
    assert answer.json()["detail"]["field"] == next(iter(window))
    assert LedgerEntry.objects.count() == before + 1
    assert AccessLog.objects.order_by("ledger_seq").last().result == code  # type: ignore[union-attr]
    whole = http.get(f"/api/exchange/shared/{SLUG}/changes", {"purpose": "同步", "limit": 1000})
    assert whole.status_code == 200 and len(whole.json()["changes"]) == 1


def test_a_malformed_claim_is_an_input_error_naming_the_item(cast: ExchangeCast) -> None:
    resource = publish(
        cast,
        resource_input(
            "102000000/000005",
            items=[
                ItemInput("uscc", "统一社会信用代码", "C", 18),
                ItemInput("founded", "成立日期", "D"),
                ItemInput("capital", "注册资本", "N"),
            ],
        ),
    )
    dataset = actions.do_register_hosted_dataset(
        resource, "uscc", actor=actor_of(cast.catalog.officer)
    )
    uscc = make_credit_code()
    actions.do_load_dataset_rows(
        dataset,
        [{"uscc": uscc, "founded": "1988-05-17", "capital": "100"}],
        actor=actor_of(cast.catalog.officer),
        source_name="rows.csv",
    )
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    http = Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")
    path = "/api/exchange/shared/102000000-000005/verify"
    for claims, item in [({"founded": "1988/05/17"}, "founded"), ({"capital": "abc"}, "capital")]:
        body = {"key": uscc, "purpose": "核验成立日期", "claims": claims}
        answer = http.post(path, body, "application/json")
        assert answer.status_code == 400, answer.json()
        assert answer.json()["code"] == "bad_claim"
        assert answer.json()["detail"]["item"] == item
    good = {"key": uscc, "purpose": "核验成立日期", "claims": {"founded": "1988-05-17"}}
    assert http.post(path, good, "application/json").json()["all_match"] is True
