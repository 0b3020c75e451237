"""What a department system's governed call states, checked as it arrives.

The purpose is what a citizen reads in 我的数据使用记录: one that shows
nothing, or that turns the text around it backwards, is refused and logged,
and a call refused for its shape is logged with the purpose it stated. A
verification claims a number or a yes/no item as JSON writes it, and a blank
claim claims nothing.
"""

from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from zhengtong.catalog.actions import ItemInput
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import make_credit_code
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessLog
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, make_sharing, publish
from zhengtong.identity.actors import actor_of

SLUG = ENTERPRISES.replace("/", "-")
# A register of enterprises' annual reports: a number and a yes/no item.
REPORTS = "102000000/000011"
REPORTED = make_credit_code(seq=1101)


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _call(http: Client, operation: str, body: dict[str, Any], slug: str = SLUG) -> Any:
    return http.post(f"/api/exchange/shared/{slug}/{operation}", body, "application/json")


def _calls(sharing: Sharing, purpose: str) -> list[Any]:
    """The four governed reads, each stating the purpose."""
    http = sharing.api(sharing.reader_token)
    return [
        _call(http, "look-up", {"key": sharing.uscc, "purpose": purpose}),
        _call(http, "batch-look-up", {"keys": [sharing.uscc], "purpose": purpose}),
        _call(
            http,
            "verify",
            {"key": sharing.uscc, "claims": {"name": sharing.enterprise.name}, "purpose": purpose},
        ),
        http.get(f"/api/exchange/shared/{SLUG}/changes", {"purpose": purpose}),
    ]


@pytest.mark.parametrize(
    "purpose",
    [
        "\u200b\u200b\u200b",  # zero-width spaces
        "\ufeff\u00a0\u2060\u200d",  # a byte-order mark, a no-break space, joiners
        "查\u200b",  # one character that shows
    ],
)
def test_a_purpose_that_shows_nothing_is_a_missing_purpose(sharing: Sharing, purpose: str) -> None:
    for answer in _calls(sharing, purpose):
        assert answer.status_code == 400, answer.content
        assert answer.json()["code"] == "purpose_required"
        assert answer.json()["detail"] == {"min": 2, "max": 200}
    assert list(AccessLog.objects.values_list("result", flat=True)) == ["purpose_required"] * 4


def test_an_over_long_purpose_is_said_to_be_too_long_not_missing(sharing: Sharing) -> None:
    for answer in _calls(sharing, "核对" * 101):
        assert answer.status_code == 400, answer.content
        body = answer.json()
        assert body["code"] == "purpose_too_long"
        assert body["detail"] == {"max": 200, "length": 202}
        assert body["message"] == "用途不能超过200个字。"
    logs = AccessLog.objects.all()
    assert [log.result for log in logs] == ["purpose_too_long"] * 4
    # Logged as far as the log keeps a purpose.
    assert all(log.data["purpose"] == "核对" * 100 for log in logs)
    # Two hundred characters are not too many.
    for answer in _calls(sharing, "核对" * 100):
        assert answer.status_code == 200, answer.content


def test_an_over_long_purpose_is_refused_in_the_callers_language(sharing: Sharing) -> None:
    http = sharing.api(sharing.reader_token)
    answer = http.post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": sharing.uscc, "purpose": "x" * 201},
        "application/json",
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "purpose_too_long"


@pytest.mark.parametrize(("mark", "char"), [("\u202e", "U+202E"), ("\u2067", "U+2067")])
def test_a_purpose_turning_the_text_around_is_refused_and_logged_visibly(
    sharing: Sharing, mark: str, char: str
) -> None:
    answer = _call(
        sharing.api(sharing.reader_token),
        "look-up",
        {"key": sharing.uscc, "purpose": f"核对{mark}息信业企"},
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid_input"
    assert answer.json()["detail"] == {"field": "purpose", "char": char}
    log = AccessLog.objects.get()
    assert log.result == "invalid_input"
    assert log.data["purpose"] == "核对\ufffd息信业企"


def _reports(sharing: Sharing) -> None:
    resource = publish(
        sharing.cast,
        replace(
            resource_input(REPORTS),
            name="企业年度报告信息",
            items=[
                ItemInput("uscc", "统一社会信用代码", "C", 18),
                ItemInput("employees", "从业人数", "N", 10),
                ItemInput("capital", "注册资本（万元）", "N", 12),
                ItemInput("online", "是否有网站或网店", "B"),
            ],
        ),
    )
    officer = actor_of(sharing.officer)
    dataset = actions.do_register_hosted_dataset(resource, "uscc", actor=officer)
    actions.do_load_dataset_rows(
        dataset,
        [{"uscc": REPORTED, "employees": "35", "capital": "120.5", "online": "是"}],
        actor=officer,
        source_name="reports.csv",
    )


def test_a_verification_claims_numbers_and_yes_or_no_as_json_writes_them(
    sharing: Sharing,
) -> None:
    _reports(sharing)
    http = sharing.api(sharing.reader_token)
    slug = REPORTS.replace("/", "-")
    answer = _call(
        http,
        "verify",
        {
            "key": REPORTED,
            "claims": {"employees": 35, "capital": 120.5, "online": True},
            "purpose": "核对企业年报信息",
        },
        slug,
    )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "results": {"employees": "match", "capital": "match", "online": "match"},
        "all_match": True,
    }
    # A whole number as a float is the same number; a wrong one is no match.
    other = _call(
        http,
        "verify",
        {
            "key": REPORTED,
            "claims": {"employees": 35.0, "online": False},
            "purpose": "核对企业年报信息",
        },
        slug,
    )
    assert other.status_code == 200, other.content
    assert other.json()["results"] == {"employees": "match", "online": "no_match"}
    # A boolean claimed for a number is a value the item cannot hold.
    bad = _call(
        http,
        "verify",
        {"key": REPORTED, "claims": {"employees": True}, "purpose": "核对企业年报信息"},
        slug,
    )
    assert bad.status_code == 400, bad.content
    assert bad.json()["code"] == "bad_claim"
    assert bad.json()["detail"] == {"item": "employees"}
    results = list(AccessLog.objects.order_by("pk").values_list("result", flat=True))
    assert results == ["ok", "ok", "bad_claim"]


def test_a_purpose_sent_as_null_is_a_missing_purpose(sharing: Sharing) -> None:
    http = sharing.api(sharing.reader_token)
    calls: list[tuple[str, dict[str, Any]]] = [
        ("look-up", {"key": sharing.uscc, "purpose": None}),
        ("batch-look-up", {"keys": [sharing.uscc], "purpose": None}),
        ("verify", {"key": sharing.uscc, "claims": {"name": "某某"}, "purpose": None}),
    ]
    for operation, body in calls:
        answer = _call(http, operation, body)
        assert answer.status_code == 400, (operation, answer.content)
        assert answer.json()["code"] == "purpose_required"
    assert list(AccessLog.objects.values_list("result", flat=True)) == ["purpose_required"] * 3


@pytest.mark.parametrize("claimed", ["", "  "])
def test_a_blank_claim_is_a_bad_claim_not_a_no_match(sharing: Sharing, claimed: str) -> None:
    answer = _call(
        sharing.api(sharing.reader_token),
        "verify",
        {
            "key": sharing.uscc,
            "claims": {"uscc": sharing.uscc, "name": claimed},
            "purpose": "核对企业名称",
        },
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "bad_claim"
    assert answer.json()["detail"] == {"item": "name"}
    assert answer.json()["message"] == "请填写要核验的值。"
    log = AccessLog.objects.get()
    # Refused before any record was read: no key's outcome is logged.
    assert log.result == "bad_claim" and log.data["keys"] == []


def test_a_call_refused_for_its_shape_is_logged_with_the_purpose_it_stated(
    sharing: Sharing,
) -> None:
    http = sharing.api(sharing.reader_token)
    refused = [
        _call(http, "look-up", {"key": 91430102, "purpose": " 核对企业信息 "}),
        _call(http, "batch-look-up", {"keys": "一个主键", "purpose": "批量核对企业信息"}),
        http.get(
            f"/api/exchange/shared/{SLUG}/changes", {"purpose": "同步企业名录", "cursor": "x"}
        ),
        # What no page could show is logged as U+FFFD, as for a call that passed its shape.
        _call(http, "verify", {"key": sharing.uscc, "claims": [], "purpose": "核对\x1b[2J名称"}),
        # Nothing to read a purpose from.
        _call(http, "look-up", {"key": sharing.uscc, "purpose": 12}),
    ]
    # A cursor that is no number is refused by the feed itself, as a negative one is.
    assert [(a.status_code, a.json()["code"]) for a in refused] == [
        (422, "invalid_input"),
        (422, "invalid_input"),
        (400, "invalid_cursor"),
        (422, "invalid_input"),
        (422, "invalid_input"),
    ]
    logs = AccessLog.objects.order_by("pk")
    assert [(log.operation, log.data["purpose"]) for log in logs] == [
        ("look_up", "核对企业信息"),
        ("batch_look_up", "批量核对企业信息"),
        ("read_changes", "同步企业名录"),
        ("verify", "核对\ufffd[2J名称"),
        ("look_up", ""),
    ]


def test_a_govstack_read_refused_at_the_door_logs_its_purpose_visibly(sharing: Sharing) -> None:
    answer = sharing.govstack(sharing.reader_token).get(
        f"/api/govstack/data/{SLUG}/1.0",
        {"search": "x" * 201},
        headers={"Zhengtong-Purpose": quote("企业名录\x1b[2J同步\u202e")},
    )
    assert answer.status_code == 422, answer.content
    log = AccessLog.objects.get()
    assert log.result == "invalid_input"
    assert log.data["purpose"] == "企业名录\ufffd[2J同步\ufffd"


def test_a_call_over_the_size_limit_is_logged_as_refused(sharing: Sharing, settings: Any) -> None:
    http = sharing.api(sharing.reader_token)
    keys = ["9" * 18] * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 20 + 1)
    answer = _call(http, "batch-look-up", {"keys": keys, "purpose": "批量核对企业信息"})
    assert answer.status_code == 413 and answer.json()["code"] == "payload_too_large"
    [log] = AccessLog.objects.all()
    # More than the platform reads: no purpose can be read from it.
    assert (log.operation, log.result, log.data["purpose"]) == (
        "batch_look_up",
        "payload_too_large",
        "",
    )


def test_a_member_the_read_does_not_know_is_refused_not_passed_over(sharing: Sharing) -> None:
    # A misspelt ``fields`` passed over would read every item the system may.
    http = sharing.api(sharing.reader_token)
    refused = [
        _call(http, "look-up", {"key": sharing.uscc, "purpose": "联系企业", "feilds": ["phone"]}),
        _call(http, "batch-look-up", {"keys": [sharing.uscc], "purpose": "联系企业", "field": []}),
        _call(
            http,
            "verify",
            {"key": sharing.uscc, "claims": {"name": "x"}, "purpose": "核对", "fields": ["name"]},
        ),
    ]
    for answer, member in zip(refused, ["feilds", "field", "fields"], strict=True):
        assert answer.status_code == 422 and answer.json()["code"] == "invalid_input"
        [error] = answer.json()["detail"]["errors"]
        assert error["type"] == "extra_forbidden" and error["loc"][-1] == member
    assert [log.result for log in AccessLog.objects.order_by("pk")] == ["invalid_input"] * 3
