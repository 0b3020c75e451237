"""The upstream client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from zhengtong.core.errors import InvalidInput, ZhengtongError
from zhengtong.exchange.tests.fake_upstream import (
    FakeUpstream,
    Received,
    Reply,
    running_fake_upstream,
)
from zhengtong.exchange.upstream import (
    PURPOSE_HEADER,
    REQUEST_ID_HEADER,
    BreakerState,
    CircuitBreaker,
    UpstreamBadResponse,
    UpstreamBatchTimeout,
    UpstreamCircuitOpen,
    UpstreamClient,
    UpstreamConfig,
    UpstreamError,
    UpstreamNotFound,
    UpstreamTimeout,
    UpstreamUnavailable,
    client_for,
)

PERSON = {"name": "张三", "status": "在册"}


class LongestPause(random.Random):
    """Jitter that always picks the longest allowed pause."""

    def uniform(self, a: float, b: float) -> float:
        return b


class FakeClock:
    """Time that moves only when a test, or the client's sleep, moves it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeUpstream]:
    with running_fake_upstream() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_client(fake: FakeUpstream, clock: FakeClock, **overrides: Any) -> UpstreamClient:
    settings: dict[str, Any] = {
        "base_url": fake.base_url,
        "path_template": "/persons/{key}",
        "name": "民政局",
        "auth_header": "Bearer s3cret",
        "connect_timeout": 0.5,
        "read_timeout": 0.2,
        "total_timeout": 2.0,
        "max_retries": 2,
        "backoff_base": 0.1,
        "backoff_cap": 1.0,
        "failure_threshold": 3,
        "open_seconds": 30.0,
        "half_open_probes": 1,
        "max_response_bytes": 1024,
    }
    settings.update(overrides)
    return UpstreamClient(
        UpstreamConfig(**settings), clock=clock, sleep=clock.sleep, rng=random.Random(7)
    )


def state_of(subject: UpstreamClient | CircuitBreaker) -> BreakerState:
    # A function call, so that the type checker does not carry one reading of
    # the state over to the next.
    breaker = subject.breaker if isinstance(subject, UpstreamClient) else subject
    return breaker.state


def look_up(client: UpstreamClient, key: str = "110101199003070011") -> Any:
    return client.lookup(key, purpose="低保资格核查", request_id="req-1")


def test_it_returns_the_record_and_sends_purpose_request_id_and_credential(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.script(Reply(json_body=PERSON))
    with make_client(fake, clock) as client:
        result = look_up(client)

    assert result.data == PERSON
    assert result.status == 200
    assert result.attempts == 1
    [received] = fake.received
    assert received.path == "/persons/110101199003070011"
    assert received.headers["Authorization"] == "Bearer s3cret"
    assert received.headers[REQUEST_ID_HEADER] == "req-1"
    # The purpose travels percent-encoded because header values are ASCII.
    assert received.headers[PURPOSE_HEADER] == (
        "%E4%BD%8E%E4%BF%9D%E8%B5%84%E6%A0%BC%E6%A0%B8%E6%9F%A5"
    )
    assert client.stats().successes == 1


def test_a_404_is_an_unknown_key_and_is_not_retried(fake: FakeUpstream, clock: FakeClock) -> None:
    fake.script(Reply(status=404, json_body={"error": "none"}))
    client = make_client(fake, clock)

    with pytest.raises(UpstreamNotFound) as raised:
        look_up(client)

    assert raised.value.code == "unknown_key"
    assert raised.value.status == 404
    assert fake.hits == 1
    assert client.breaker.consecutive_failures == 0
    assert client.stats().not_found == 1


def test_a_slow_upstream_is_retried_then_reported_as_a_timeout(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.default = Reply(json_body=PERSON, delay=0.5)
    client = make_client(fake, clock, read_timeout=0.05)

    with pytest.raises(UpstreamTimeout) as raised:
        look_up(client)

    assert raised.value.code == "upstream_timeout"
    assert raised.value.status == 504
    assert raised.value.detail["attempts"] == 3
    assert fake.hits == 3
    assert len(clock.slept) == 2
    assert client.stats().retries == 2


def test_it_succeeds_after_two_503s(fake: FakeUpstream, clock: FakeClock) -> None:
    fake.script(Reply(status=503), Reply(status=503), Reply(json_body=PERSON))
    client = make_client(fake, clock)

    result = look_up(client)

    assert result.data == PERSON
    assert result.attempts == 3
    assert fake.hits == 3
    stats = client.stats()
    assert (stats.calls, stats.successes, stats.failures, stats.retries) == (1, 1, 0, 2)


def test_backoff_is_full_jitter_under_the_growing_cap(fake: FakeUpstream, clock: FakeClock) -> None:
    fake.default = Reply(status=502)
    client = make_client(fake, clock, max_retries=4, backoff_base=0.1, backoff_cap=0.3)

    with pytest.raises(UpstreamUnavailable):
        look_up(client)

    ceilings = [0.1, 0.2, 0.3, 0.3]
    assert len(clock.slept) == 4
    assert all(0 <= pause <= cap for pause, cap in zip(clock.slept, ceilings, strict=True))
    # The same seed gives the same pauses, so retries are reproducible in tests.
    again = FakeClock()
    with pytest.raises(UpstreamUnavailable):
        look_up(make_client(fake, again, max_retries=4, backoff_base=0.1, backoff_cap=0.3))
    assert again.slept == clock.slept


def test_a_400_is_never_retried(fake: FakeUpstream, clock: FakeClock) -> None:
    fake.default = Reply(status=400, json_body={"error": "bad key"})
    client = make_client(fake, clock)

    with pytest.raises(UpstreamBadResponse) as raised:
        look_up(client)

    assert raised.value.code == "upstream_bad_response"
    assert raised.value.status == 502
    assert fake.hits == 1
    assert clock.slept == []
    # The upstream answered, so its breaker has no reason to open.
    assert client.breaker.consecutive_failures == 0


def test_a_500_is_unavailable_without_a_retry(fake: FakeUpstream, clock: FakeClock) -> None:
    fake.default = Reply(status=500)
    client = make_client(fake, clock)

    with pytest.raises(UpstreamUnavailable) as raised:
        look_up(client)

    assert raised.value.status == 503
    assert fake.hits == 1


def test_a_dropped_connection_is_retried_then_unavailable(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.default = Reply(drop=True)
    client = make_client(fake, clock)

    with pytest.raises(UpstreamUnavailable) as raised:
        look_up(client)

    assert raised.value.code == "upstream_unavailable"
    assert fake.hits == 3


def test_a_refused_connection_is_unavailable(clock: FakeClock) -> None:
    with running_fake_upstream() as gone:
        base_url = gone.base_url
    client = UpstreamClient(
        UpstreamConfig(base_url=base_url, connect_timeout=0.2, max_retries=1),
        clock=clock,
        sleep=clock.sleep,
    )

    with pytest.raises(UpstreamUnavailable):
        look_up(client)


def test_the_breaker_opens_fails_fast_half_opens_and_closes(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.default = Reply(status=503)
    client = make_client(fake, clock, max_retries=0, failure_threshold=3, open_seconds=30.0)

    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            look_up(client)
    assert state_of(client) is BreakerState.OPEN
    assert fake.hits == 3

    with pytest.raises(UpstreamCircuitOpen) as raised:
        look_up(client)
    assert raised.value.code == "upstream_circuit_open"
    assert raised.value.status == 503
    assert raised.value.detail["retry_after"] == 30
    assert fake.hits == 3, "no request reaches the upstream while the breaker is open"

    clock.advance(29.0)
    with pytest.raises(UpstreamCircuitOpen):
        look_up(client)
    assert fake.hits == 3

    clock.advance(1.0)
    assert state_of(client) is BreakerState.HALF_OPEN
    fake.default = Reply(json_body=PERSON)
    assert look_up(client).data == PERSON
    assert fake.hits == 4
    assert state_of(client) is BreakerState.CLOSED

    stats = client.stats()
    assert (stats.calls, stats.failures, stats.rejected, stats.successes) == (6, 3, 2, 1)
    assert stats.last_error is not None
    assert stats.last_error.code == "upstream_circuit_open"


def test_a_failed_probe_opens_the_breaker_again(fake: FakeUpstream, clock: FakeClock) -> None:
    fake.default = Reply(status=503)
    client = make_client(fake, clock, max_retries=0, failure_threshold=1, open_seconds=10.0)
    with pytest.raises(UpstreamUnavailable):
        look_up(client)
    clock.advance(10.0)

    with pytest.raises(UpstreamUnavailable):
        look_up(client)

    assert state_of(client) is BreakerState.OPEN
    with pytest.raises(UpstreamCircuitOpen):
        look_up(client)
    assert fake.hits == 2


def test_successes_reset_the_count_of_consecutive_failures(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    client = make_client(fake, clock, max_retries=0, failure_threshold=2)
    fake.script(Reply(status=503), Reply(json_body=PERSON), Reply(status=503))

    for expected in (UpstreamUnavailable, None, UpstreamUnavailable):
        if expected is None:
            look_up(client)
        else:
            with pytest.raises(expected):
                look_up(client)

    assert state_of(client) is BreakerState.CLOSED
    assert client.breaker.consecutive_failures == 1


def test_an_oversized_body_is_refused(fake: FakeUpstream, clock: FakeClock) -> None:
    fake.script(Reply(json_body={"blob": "x" * 2000}))
    client = make_client(fake, clock, max_response_bytes=1024)

    with pytest.raises(UpstreamBadResponse) as raised:
        look_up(client)

    assert raised.value.detail["reason"] == "too_large"
    assert fake.hits == 1


def test_an_oversized_body_without_a_declared_length_is_refused(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.script(Reply(json_body={"blob": "x" * 5000}, omit_length=True))
    client = make_client(fake, clock, max_response_bytes=1024)

    with pytest.raises(UpstreamBadResponse) as raised:
        look_up(client)

    assert raised.value.detail["reason"] == "too_large"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(raw_body=b'{"name": "\xe5\xbc\xa0'), "json"),
        (Reply(raw_body=b"<html>login</html>", content_type="text/html"), "content_type"),
        (Reply(json_body=["not", "an", "object"]), "not_an_object"),
        (Reply(raw_body=b'{"score": NaN}'), "json"),
    ],
)
def test_a_response_that_is_not_a_json_object_is_refused(
    fake: FakeUpstream, clock: FakeClock, reply: Reply, reason: str
) -> None:
    fake.script(reply)
    client = make_client(fake, clock)

    with pytest.raises(UpstreamBadResponse) as raised:
        look_up(client)

    assert raised.value.detail["reason"] == reason
    assert fake.hits == 1
    # A garbled answer is a fault of the upstream and counts towards the breaker.
    assert client.breaker.consecutive_failures == 1


def test_a_vendor_json_media_type_is_accepted(fake: FakeUpstream, clock: FakeClock) -> None:
    fake.script(Reply(json_body=PERSON, content_type="application/vnd.dept+json; charset=utf-8"))

    assert look_up(make_client(fake, clock)).data == PERSON


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("a/../../admin", "/persons/a%2F..%2F..%2Fadmin"),
        ("x?all=1", "/persons/x%3Fall%3D1"),
        ("x#frag", "/persons/x%23frag"),
        ("张三 1", "/persons/%E5%BC%A0%E4%B8%89%201"),
    ],
)
def test_a_key_cannot_change_the_path(
    fake: FakeUpstream, clock: FakeClock, key: str, path: str
) -> None:
    fake.script(Reply(json_body=PERSON))

    look_up(make_client(fake, clock), key)

    assert [r.path for r in fake.received] == [path]


@pytest.mark.parametrize("key", ["", ".", "..", "x" * 257])
def test_a_key_that_would_name_another_resource_is_refused(
    fake: FakeUpstream, clock: FakeClock, key: str
) -> None:
    with pytest.raises(InvalidInput):
        look_up(make_client(fake, clock), key)
    assert fake.hits == 0


def test_a_line_break_in_the_purpose_cannot_inject_a_header(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    client = make_client(fake, clock)

    client.lookup("k", purpose="check\r\nX-Admin: 1", request_id="r")

    [received] = fake.received
    assert received.headers[PURPOSE_HEADER] == "check%0D%0AX-Admin: 1"
    assert "X-Admin" not in received.headers


def test_spaces_around_the_purpose_neither_fail_the_call_nor_count_against_the_breaker(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    # A header value may not start or end with white space; sent so, the call
    # failed before it left and was counted as the upstream's failure.
    client = make_client(fake, clock, failure_threshold=1)

    client.lookup("k", purpose=" check ", request_id="r")
    client.lookup("k", purpose="check  ", request_id="r")

    assert [r.headers[PURPOSE_HEADER] for r in fake.received] == ["%20check%20", "check%20%20"]
    assert state_of(client) is BreakerState.CLOSED


def test_concurrent_calls_open_the_breaker_and_every_call_is_accounted_for(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.default = Reply(status=503, delay=0.01)
    # Generous timeouts: twenty threads against one fake server on a busy CI
    # machine must fail with the server's 503, never with a client timeout.
    client = make_client(
        fake,
        clock,
        max_retries=0,
        failure_threshold=5,
        connect_timeout=10.0,
        read_timeout=10.0,
        total_timeout=30.0,
    )
    start = threading.Barrier(20)
    outcomes: list[str] = []
    outcomes_lock = threading.Lock()

    def call() -> None:
        start.wait()
        for _ in range(3):
            try:
                look_up(client)
            except UpstreamError as error:
                with outcomes_lock:
                    outcomes.append(error.code)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stats = client.stats()
    assert state_of(client) is BreakerState.OPEN
    assert stats.calls == len(outcomes) == 60
    assert outcomes.count("upstream_unavailable") == stats.failures == fake.hits >= 5
    assert outcomes.count("upstream_circuit_open") == stats.rejected == 60 - stats.failures
    hits = fake.hits
    with pytest.raises(UpstreamCircuitOpen):
        look_up(client)
    assert fake.hits == hits


def test_the_breaker_loses_no_failure_counted_from_many_threads() -> None:
    breaker = CircuitBreaker(failure_threshold=2001, open_seconds=1.0, half_open_probes=1)
    start = threading.Barrier(20)

    def fail_many() -> None:
        start.wait()
        for _ in range(100):
            admission = breaker.admit()
            assert admission is not None
            breaker.failed(admission)

    threads = [threading.Thread(target=fail_many) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert breaker.consecutive_failures == 2000
    assert state_of(breaker) is BreakerState.CLOSED
    admission = breaker.admit()
    assert admission is not None
    breaker.failed(admission)
    assert state_of(breaker) is BreakerState.OPEN


def test_only_one_probe_goes_through_while_half_open_under_concurrency(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    client = make_client(
        fake,
        clock,
        max_retries=0,
        failure_threshold=1,
        open_seconds=5.0,
        read_timeout=5.0,
        total_timeout=10.0,
    )
    fake.script(Reply(status=503))
    with pytest.raises(UpstreamUnavailable):
        look_up(client)
    clock.advance(5.0)
    # The probe's answer is held back until every other caller has been
    # turned away, so the probe is certainly in flight while they try.
    release = threading.Event()

    def held_answer(request: Received) -> Reply:
        release.wait(5.0)
        return Reply(json_body=PERSON)

    fake.responder = held_answer
    start = threading.Barrier(10)
    outcomes: list[str] = []
    outcomes_lock = threading.Lock()

    def call() -> None:
        start.wait()
        try:
            look_up(client)
            outcome = "ok"
        except ZhengtongError as error:
            outcome = error.code
        with outcomes_lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    give_up = time.monotonic() + 5.0
    while time.monotonic() < give_up:
        with outcomes_lock:
            if len(outcomes) >= 9:
                break
        time.sleep(0.005)
    assert state_of(client) is BreakerState.HALF_OPEN
    release.set()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] + ["upstream_circuit_open"] * 9
    assert fake.hits == 2
    assert state_of(client) is BreakerState.CLOSED


def test_the_total_deadline_bounds_a_call_across_retries(fake: FakeUpstream) -> None:
    fake.default = Reply(json_body=PERSON, delay=1.0)
    client = UpstreamClient(
        UpstreamConfig(
            base_url=fake.base_url,
            read_timeout=0.15,
            total_timeout=0.4,
            max_retries=10,
            backoff_base=0.01,
            backoff_cap=0.02,
        ),
        rng=random.Random(1),
    )

    began = time.monotonic()
    with pytest.raises(UpstreamTimeout):
        look_up(client)
    took = time.monotonic() - began

    assert took < 0.7
    assert fake.hits <= 3


def test_no_retry_is_started_that_the_deadline_could_not_wait_for(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.default = Reply(status=503)
    client = make_client(
        fake, clock, total_timeout=1.0, max_retries=5, backoff_base=2.0, backoff_cap=2.0
    )
    client._rng = LongestPause()

    with pytest.raises(UpstreamUnavailable):
        look_up(client)

    assert fake.hits == 1


def test_lookup_many_asks_once_per_key_and_marks_the_missing(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    def respond(request: Received) -> Reply:
        if request.path.endswith("/b"):
            return Reply(status=404)
        return Reply(json_body={"key": request.path.rsplit("/", 1)[1]})

    fake.responder = respond
    client = make_client(fake, clock)

    found = client.lookup_many(["a", "b", "a", "c"], purpose="核查", request_id="r")

    assert list(found) == ["a", "b", "c"]
    assert found["b"] is None
    assert found["a"] is not None and found["a"].data == {"key": "a"}
    assert fake.hits == 3


def test_stats_are_ready_for_a_health_page(fake: FakeUpstream, clock: FakeClock) -> None:
    fake.script(Reply(status=400))
    client = make_client(fake, clock)
    with pytest.raises(UpstreamBadResponse):
        look_up(client)

    snapshot = client.stats().as_dict()

    assert snapshot["upstream"] == "民政局"
    assert snapshot["breaker_state"] == "closed"
    assert snapshot["calls"] == 1
    assert snapshot["failures"] == 1
    assert snapshot["last_error"]["code"] == "upstream_bad_response"
    assert "110101199003070011" not in repr(snapshot)


def test_errors_use_the_platform_error_shape() -> None:
    error = UpstreamTimeout(detail={"upstream": "民政局"})

    assert isinstance(error, ZhengtongError)
    assert error.as_dict() == {
        "code": "upstream_timeout",
        "message": str(UpstreamTimeout.default_message),
        "detail": {"upstream": "民政局"},
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"base_url": "ftp://dept.example"},
        {"path_template": "/persons"},
        {"path_template": "persons/{key}"},
        {"retryable_statuses": frozenset({429})},
        {"failure_threshold": 0},
        {"read_timeout": 0},
        {"max_concurrency": 0},
        {"max_concurrency": 65},
        {"batch_deadline": 0},
    ],
)
def test_a_misconfigured_upstream_is_refused_at_once(overrides: dict[str, Any]) -> None:
    settings: dict[str, Any] = {"base_url": "https://dept.example", **overrides}
    with pytest.raises(ValueError):
        UpstreamConfig(**settings)


def test_one_client_is_shared_per_upstream() -> None:
    config = UpstreamConfig(base_url="https://dept.example", path_template="/p/{key}")

    assert client_for(config) is client_for(config)
    assert client_for(config) is not client_for(UpstreamConfig(base_url="https://other.example"))


def test_the_credential_stays_out_of_the_configuration_repr() -> None:
    config = UpstreamConfig(base_url="https://dept.example", auth_header="Bearer s3cret")

    assert "s3cret" not in repr(config)


def test_the_key_stays_out_of_the_request_log(
    fake: FakeUpstream, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script(Reply(status=503), Reply(json_body=PERSON))

    with caplog.at_level(logging.INFO):
        look_up(make_client(fake, clock), "110101199003070011")

    assert any("HTTP Request" in message for message in caplog.messages)
    assert not any("110101199003070011" in message for message in caplog.messages)


# ---------------------------------------------------------------------------
# Batches: several keys at a time, within one deadline


def keyed(request: Received) -> str:
    return request.path.rsplit("/", 1)[1]


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


def upstream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("zhengtong-upstream")]


def test_a_batch_asks_its_keys_several_at_a_time_but_no_more_than_allowed(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.responder = lambda request: Reply(json_body={"key": keyed(request)}, delay=0.3)
    client = make_client(fake, clock, read_timeout=2.0, max_concurrency=3)
    keys = [f"k{n}" for n in range(10)]

    found = client.lookup_many(keys, purpose="核查", request_id="r")

    assert list(found) == keys
    assert [r.data["key"] for r in found.values() if r is not None] == keys
    # The first key goes alone; then three at a time.
    assert fake.max_in_flight == 3
    assert fake.hits == 10


def test_a_batch_raises_the_error_of_its_first_failed_key_not_of_the_first_to_fail(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    def respond(request: Received) -> Reply:
        key = keyed(request)
        if key == "k2":  # fails, but late
            return Reply(status=500, delay=0.4)
        if key == "k3":  # fails at once
            return Reply(status=400)
        if key == "k1":
            return Reply(status=404, delay=0.2)
        # Slow enough that k3's failure is seen before a place is free again.
        return Reply(json_body={"key": key}, delay=0.0 if key == "k0" else 0.2)

    fake.responder = respond
    client = make_client(fake, clock, read_timeout=2.0, max_retries=0, max_concurrency=4)

    with pytest.raises(UpstreamError) as raised:
        client.lookup_many([f"k{n}" for n in range(20)], purpose="核查", request_id="r")

    # Asked one after another, k2's 500 would have ended the batch before k3 was asked.
    assert raised.value.code == "upstream_unavailable"
    assert raised.value.detail["status"] == 500
    # Nothing is asked after the first failure: k0 alone, then k1–k4.
    assert fake.hits == 5


def test_a_dead_upstream_costs_a_batch_one_call_not_one_per_place(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.default = Reply(status=500)
    client = make_client(fake, clock, max_retries=0, failure_threshold=3)

    with pytest.raises(UpstreamUnavailable):
        client.lookup_many([f"k{n}" for n in range(10)], purpose="核查", request_id="r")

    assert fake.hits == 1
    assert client.breaker.consecutive_failures == 1
    assert state_of(client) is BreakerState.CLOSED


def test_failures_of_a_batch_s_calls_at_once_open_the_breaker_and_the_next_batch_asks_nothing(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    fake.responder = lambda request: (
        Reply(json_body={}) if keyed(request) == "k0" else Reply(status=500, delay=0.2)
    )
    client = make_client(
        fake, clock, read_timeout=2.0, max_retries=0, failure_threshold=3, max_concurrency=4
    )
    keys = [f"k{n}" for n in range(12)]

    with pytest.raises(UpstreamUnavailable):
        client.lookup_many(keys, purpose="核查", request_id="r")

    # k0 alone, then k1–k4 together. The batch answers once k1 has failed;
    # the calls of k2–k4 end on their own, and each failure is counted.
    assert fake.hits == 5
    wait_for(lambda: client.stats().failures == 4)
    assert state_of(client) is BreakerState.OPEN
    with pytest.raises(UpstreamCircuitOpen):
        client.lookup_many(keys, purpose="核查", request_id="r")
    assert fake.hits == 5


def test_a_breaker_opened_by_other_callers_during_a_batch_stops_its_remaining_keys(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    def respond(request: Received) -> Reply:
        if keyed(request) == "broken":
            return Reply(status=500)
        return Reply(json_body={}, delay=0.1)

    fake.responder = respond
    client = make_client(fake, clock, read_timeout=2.0, max_retries=0, max_concurrency=2)
    keys = [f"k{n}" for n in range(40)]
    outcome: list[UpstreamError] = []

    def batch() -> None:
        try:
            client.lookup_many(keys, purpose="核查", request_id="r")
        except UpstreamError as error:
            outcome.append(error)

    runner = threading.Thread(target=batch)
    runner.start()
    wait_for(lambda: fake.hits >= 3)

    def trip() -> bool:
        # The batch's own successes in between reset the count of failures.
        with pytest.raises(UpstreamError):
            look_up(client, "broken")
        return state_of(client) is BreakerState.OPEN

    wait_for(trip)
    runner.join(timeout=5)

    assert not runner.is_alive()
    assert [error.code for error in outcome] == ["upstream_circuit_open"]
    asked = [keyed(r) for r in fake.received if keyed(r) != "broken"]
    # Keys side by side reach the upstream in any order, but only the first ones were asked.
    assert sorted(asked) == sorted(keys[: len(asked)]) and len(asked) < 20


def test_a_half_open_breaker_sees_a_batch_s_probes_one_after_another(
    fake: FakeUpstream, clock: FakeClock
) -> None:
    client = make_client(
        fake, clock, max_retries=0, failure_threshold=1, half_open_probes=2, max_concurrency=8
    )
    fake.script(Reply(status=500))
    with pytest.raises(UpstreamUnavailable):
        look_up(client)
    clock.advance(30.0)
    assert state_of(client) is BreakerState.HALF_OPEN
    fake.default = Reply(json_body={}, delay=0.05)

    found = client.lookup_many([f"k{n}" for n in range(6)], purpose="核查", request_id="r")

    # Asked side by side, the keys beyond the two probes would have been refused.
    assert all(result is not None for result in found.values())
    assert state_of(client) is BreakerState.CLOSED


def test_keys_unanswered_at_the_batch_deadline_fail_with_the_batch_timeout(
    fake: FakeUpstream,
) -> None:
    fake.responder = lambda request: Reply(
        json_body={}, delay=0.0 if keyed(request) == "k0" else 1.5
    )
    client = UpstreamClient(
        UpstreamConfig(
            base_url=fake.base_url,
            read_timeout=3.0,
            total_timeout=3.0,
            max_retries=0,
            max_concurrency=4,
            batch_deadline=0.5,
        )
    )
    keys = [f"k{n}" for n in range(10)]

    with pytest.raises(UpstreamBatchTimeout) as raised:
        client.lookup_many(keys, purpose="核查", request_id="r")

    assert raised.value.code == "upstream_batch_timeout"
    assert raised.value.status == 504
    assert raised.value.detail == {
        "upstream": client.config.label,
        "batch_deadline": 0.5,
        "batch_size": 10,
        "unanswered": 9,
    }
    assert fake.hits == 5
    # The calls still running when the batch gave up end on their own, and
    # their threads with them.
    wait_for(lambda: not upstream_threads())
    assert client.stats().successes == 5
