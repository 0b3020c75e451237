"""Batch look-ups of a proxied dataset: keys asked several at a time, within one deadline."""

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.errors import InvalidInput
from zhengtong.core.testing import make_credit_code
from zhengtong.exchange import actions, governed
from zhengtong.exchange.governed import key_hash
from zhengtong.exchange.models import AccessLog, ProxiedDataset
from zhengtong.exchange.selectors import data_uses
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.fake_upstream import (
    FakeUpstream,
    Received,
    Reply,
    running_fake_upstream,
)
from zhengtong.exchange.tests.test_governed import publish
from zhengtong.exchange.tests.test_proxied import served_by
from zhengtong.exchange.tests.test_upstream import wait_for
from zhengtong.exchange.upstream import MAX_CONCURRENCY, BreakerState, UpstreamConfig, client_for
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.actions import record_entry
from zhengtong.ledger.models import LedgerEntry

SLUG = "102000000-000005"
KEYS = [make_credit_code(seq=100 + n) for n in range(24)]


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with running_fake_upstream() as server:
        yield server


@pytest.fixture
def http(cast: ExchangeCast, fake: FakeUpstream) -> Client:
    return served_by(
        cast, fake.base_url, "102000000/000005", timeouts=(1.0, 3.0, 5.0), max_retries=0
    )


def _batch(http: Client, keys: list[str]) -> Any:
    return http.post(
        f"/api/exchange/shared/{SLUG}/batch-look-up",
        {"keys": keys, "purpose": "核对企业"},
        "application/json",
    )


def _asked(received: Received) -> str:
    return received.path.rsplit("/", 1)[1]


def _config() -> UpstreamConfig:
    return governed.upstream_config(ProxiedDataset.objects.get())


def test_a_batch_asks_the_upstream_several_keys_at_a_time_and_answers_in_the_keys_order(
    http: Client, fake: FakeUpstream
) -> None:
    # Later keys answer sooner, so that an answer in the order of arrival
    # would differ from the keys' order.
    def respond(received: Received) -> Reply:
        key = _asked(received)
        position = KEYS.index(key)
        if position % 5 == 3:
            return Reply(status=404, json_body={"error": "not found"})
        return Reply(json_body={"uscc": key, "name": f"企业{position}"}, delay=0.3 - position / 100)

    fake.responder = respond
    answer = _batch(http, KEYS)

    assert answer.status_code == 200, answer.json()
    missing = [key for n, key in enumerate(KEYS) if n % 5 == 3]
    assert [r["key"] for r in answer.json()["records"]] == [k for k in KEYS if k not in missing]
    assert [r["values"]["name"] for r in answer.json()["records"]][:3] == [
        "企业0",
        "企业1",
        "企业2",
    ]
    assert answer.json()["not_found"] == missing
    # Asked one after another, the upstream would never see two at once.
    assert 1 < fake.max_in_flight <= _config().max_concurrency
    assert fake.hits == len(KEYS)
    assert AccessLog.objects.get().result == "ok"
    assert [u.outcome for u in data_uses(key_hash(KEYS[3]))] == ["not_found"]
    assert [u.outcome for u in data_uses(key_hash(KEYS[4]))] == ["found"]


def test_a_batch_fails_with_the_error_of_its_first_failed_key_as_asked_in_turn(
    http: Client, fake: FakeUpstream
) -> None:
    # KEYS[2] fails late with the upstream down, KEYS[4] at once with a
    # refusal: asked in turn, KEYS[2] would have ended the batch first.
    def respond(received: Received) -> Reply:
        key = _asked(received)
        if key == KEYS[2]:
            return Reply(status=500, delay=0.4)
        if key == KEYS[4]:
            return Reply(status=400)
        if key == KEYS[1]:
            return Reply(status=404)
        return Reply(json_body={"uscc": key, "name": "某公司"})

    fake.responder = respond
    answer = _batch(http, KEYS)

    assert answer.status_code == 503, answer.json()
    assert answer.json()["code"] == "upstream_unavailable"
    assert fake.hits < len(KEYS)
    # One entry for the call, in this thread, as for any other failure.
    assert list(AccessLog.objects.values_list("result", flat=True)) == ["upstream_unavailable"]
    assert [u.outcome for u in data_uses(key_hash(KEYS[0]))] == ["unanswered"]


def test_a_breaker_opened_in_the_middle_of_a_batch_stops_its_calls_and_the_next_batch_s(
    http: Client, fake: FakeUpstream
) -> None:
    fake.responder = lambda received: (
        Reply(json_body={"uscc": KEYS[0]})
        if _asked(received) == KEYS[0]
        else Reply(status=500, delay=0.2)
    )
    config = _config()
    client = client_for(config)

    first = _batch(http, KEYS)

    assert first.status_code == 503 and first.json()["code"] == "upstream_unavailable"
    # The first key alone, then a full set of places, each of which failed.
    asked = 1 + config.max_concurrency
    assert config.max_concurrency >= config.failure_threshold
    assert fake.hits == asked
    # The batch answered once its first failed key had; the calls beside it
    # end on their own, and every failure counts against the breaker.
    wait_for(lambda: client.breaker.state is BreakerState.OPEN)
    second = _batch(http, KEYS)
    assert second.status_code == 503 and second.json()["code"] == "upstream_circuit_open"
    assert fake.hits == asked
    assert list(AccessLog.objects.order_by("ledger_seq").values_list("result", flat=True)) == [
        "upstream_unavailable",
        "upstream_circuit_open",
    ]


def test_keys_unanswered_at_the_batch_deadline_fail_the_batch_with_its_timeout(
    http: Client, fake: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    def short_deadline(proxied: ProxiedDataset) -> UpstreamConfig:
        config = upstream_config(proxied)
        return dataclasses.replace(config, batch_deadline=0.5)

    upstream_config = governed.upstream_config
    monkeypatch.setattr(governed, "upstream_config", short_deadline)
    fake.responder = lambda received: Reply(
        json_body={"uscc": _asked(received)}, delay=0.0 if _asked(received) == KEYS[0] else 2.0
    )

    answer = _batch(http, KEYS)

    assert answer.status_code == 504, answer.json()
    assert answer.json()["code"] == "upstream_batch_timeout"
    assert answer.json()["detail"]["unanswered"] == len(KEYS) - 1
    assert answer.json()["detail"]["batch_deadline"] == 0.5
    assert not any(key in answer.content.decode() for key in KEYS)
    assert list(AccessLog.objects.values_list("result", flat=True)) == ["upstream_batch_timeout"]
    assert [u.outcome for u in data_uses(key_hash(KEYS[-1]))] == ["unanswered"]


def test_a_batch_of_only_malformed_keys_asks_the_upstream_nothing(
    http: Client, fake: FakeUpstream
) -> None:
    answer = _batch(http, ["不是代码", "123"])

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["records"], body["not_found"]) == ([], [])
    assert body["bad_keys"] == ["不是代码", "123"]
    assert fake.hits == 0


def test_a_dataset_registered_to_ask_one_key_at_a_time_is_asked_one_key_at_a_time(
    cast: ExchangeCast, fake: FakeUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ledger keeps only a digest of an entry's data: it is watched as written.
    recorded: list[dict[str, Any]] = []

    def watched(**entry: Any) -> LedgerEntry:
        recorded.append(entry)
        return record_entry(**entry)

    monkeypatch.setattr("zhengtong.exchange.actions.record_entry", watched)
    http = served_by(
        cast, fake.base_url, "102000000/000005", max_concurrency=1, batch_deadline=30.0
    )
    # Each answer takes a moment, so that keys asked at once would overlap.
    fake.responder = lambda received: Reply(
        json_body={"uscc": _asked(received), "name": "某公司"}, delay=0.05
    )

    answer = _batch(http, KEYS[:6])

    assert answer.status_code == 200, answer.json()
    assert [r["key"] for r in answer.json()["records"]] == KEYS[:6]
    assert fake.hits == 6
    assert fake.max_in_flight == 1
    assert (_config().max_concurrency, _config().batch_deadline) == (1, 30.0)
    (entry,) = [e for e in recorded if e["action"] == "exchange.register_proxied_dataset"]
    assert (entry["data"]["max_concurrency"], entry["data"]["batch_deadline"]) == (1, 30.0)


def test_a_dataset_registered_without_batch_limits_gets_the_defaults(http: Client) -> None:
    defaults = UpstreamConfig(base_url="https://example.invalid")
    assert (_config().max_concurrency, _config().batch_deadline) == (
        defaults.max_concurrency,
        defaults.batch_deadline,
    )


def test_a_batch_ends_at_the_deadline_its_dataset_was_registered_with(
    cast: ExchangeCast, fake: FakeUpstream
) -> None:
    http = served_by(cast, fake.base_url, "102000000/000005", batch_deadline=0.5)
    fake.responder = lambda received: Reply(
        json_body={"uscc": _asked(received)}, delay=0.0 if _asked(received) == KEYS[0] else 2.0
    )

    answer = _batch(http, KEYS[:4])

    assert answer.status_code == 504, answer.json()
    assert answer.json()["code"] == "upstream_batch_timeout"
    assert answer.json()["detail"]["batch_deadline"] == 0.5


@pytest.mark.parametrize(
    "limits",
    [
        {"max_concurrency": 0},
        {"max_concurrency": MAX_CONCURRENCY + 1},
        {"batch_deadline": 0.0},
        {"batch_deadline": -5.0},
        {"batch_deadline": float("nan")},
    ],
)
def test_it_refuses_batch_limits_out_of_range(cast: ExchangeCast, limits: dict[str, Any]) -> None:
    resource = publish(cast, resource_input("102000000/000005"))
    with pytest.raises(InvalidInput) as refused:
        actions.do_register_proxied_dataset(
            resource,
            "uscc",
            "https://upstream.example.invalid",
            actor=actor_of(cast.catalog.officer),
            **limits,
        )
    assert refused.value.code == "invalid_upstream"
    assert next(iter(limits)) in refused.value.detail["reason"]
    assert not ProxiedDataset.objects.exists()
    assert not LedgerEntry.objects.filter(action="exchange.register_proxied_dataset").exists()
