"""Calls to a department's own HTTP API for proxied datasets.

A proxied look-up asks the owning department's upstream for one record by key.
Departments' services are slow or down at times, so every call has per-attempt
timeouts, a total deadline, retries with exponential backoff and full jitter
for the failures that a retry can cure, and a circuit breaker per upstream so
that a dead upstream costs callers nothing but a fast refusal. Every outcome
other than a record is one of the typed errors below, each with a stable code.
A batch asks its keys several at a time, within one deadline for the whole batch.

Keys are often personal identifiers, so they never appear in errors, logs or
the statistics snapshot.
"""

from __future__ import annotations

import enum
import json
import logging
import math
import random
import string
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.core.errors import InvalidInput, ZhengtongError

logger = logging.getLogger(__name__)

PURPOSE_HEADER = "X-Zhengtong-Purpose"
REQUEST_ID_HEADER = "X-Request-Id"

# Header values must be printable ASCII; anything else (Chinese purposes, line
# breaks that would inject headers) is sent percent-encoded as UTF-8.
_HEADER_SAFE = "".join(c for c in string.punctuation if c != "%") + " "
_MAX_KEY_LENGTH = 256
MAX_CONCURRENCY = 64


# ---------------------------------------------------------------------------
# Errors


class UpstreamError(ZhengtongError):
    """A proxied look-up that produced no record."""

    code = "upstream_error"
    status = 502
    default_message: str | Promise = _("上游接口调用失败。")


class UpstreamTimeout(UpstreamError):
    code = "upstream_timeout"
    status = 504
    default_message = _("上游接口响应超时。")


class UpstreamUnavailable(UpstreamError):
    code = "upstream_unavailable"
    status = 503
    default_message = _("上游接口暂时不可用。")


class UpstreamCircuitOpen(UpstreamError):
    code = "upstream_circuit_open"
    status = 503
    default_message = _("上游接口连续失败，已暂停调用，请稍后再试。")


class UpstreamBadResponse(UpstreamError):
    code = "upstream_bad_response"
    status = 502
    default_message = _("上游接口返回了无法识别的响应。")


class UpstreamNotFound(UpstreamError):
    code = "unknown_key"
    status = 404
    default_message = _("上游接口中没有该记录。")


class UpstreamBatchTimeout(UpstreamTimeout):
    """A key of a batch that had no answer when the batch's deadline passed."""

    code = "upstream_batch_timeout"
    default_message = _("批量查询的部分主键未能在时限内得到上游接口的答复。")


# ---------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class UpstreamConfig:
    """How to reach one department's upstream and how patient to be with it.

    Times are in seconds. ``path_template`` holds ``{key}`` exactly once; the
    key is percent-encoded before it is put in, so it can never change the path.
    """

    base_url: str
    path_template: str = "/{key}"
    name: str = ""
    # Kept out of the repr so that a logged configuration does not leak the credential.
    auth_header: str = field(default="", repr=False)
    auth_header_name: str = "Authorization"
    connect_timeout: float = 2.0
    read_timeout: float = 5.0
    total_timeout: float = 10.0
    max_retries: int = 2
    backoff_base: float = 0.2
    backoff_cap: float = 2.0
    retryable_statuses: frozenset[int] = frozenset({502, 503, 504})
    failure_threshold: int = 5
    open_seconds: float = 30.0
    half_open_probes: int = 1
    max_response_bytes: int = 1024 * 1024
    # A batch asks up to this many keys at once. httpx pools at most 100
    # connections per client, shared by every caller of the upstream, so a
    # batch may not take them all.
    max_concurrency: int = 8
    # The whole batch's deadline: a caller's HTTP client does not wait for a
    # thousand keys asked at an upstream's pace.
    batch_deadline: float = 20.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base_url must be an absolute http or https URL")
        if parts.query or parts.fragment:
            raise ValueError("base_url must not carry a query or fragment")
        if not self.path_template.startswith("/") or self.path_template.count("{key}") != 1:
            raise ValueError("path_template must start with '/' and hold '{key}' exactly once")
        for name in (
            "connect_timeout",
            "read_timeout",
            "total_timeout",
            "open_seconds",
            "batch_deadline",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.backoff_base < 0 or self.backoff_cap < 0:
            raise ValueError("backoff_base and backoff_cap must not be negative")
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.failure_threshold < 1 or self.half_open_probes < 1:
            raise ValueError("failure_threshold and half_open_probes must be at least 1")
        if self.max_response_bytes < 1:
            raise ValueError("max_response_bytes must be at least 1")
        if not 1 <= self.max_concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"max_concurrency must be from 1 to {MAX_CONCURRENCY}")
        # 4xx answers describe the request, which a retry repeats unchanged.
        if any(not 500 <= status <= 599 for status in self.retryable_statuses):
            raise ValueError("only 5xx statuses can be retryable")

    @property
    def label(self) -> str:
        """Name the upstream in logs and errors without any key in it."""
        return self.name or urlsplit(self.base_url).netloc


def address_problem(base_url: str, path_template: str) -> tuple[str, str] | None:
    """What is wrong with an upstream's address beyond what the config refuses, or ``None``.

    Returns the setting at fault and the reason. Checked when a department
    registers its API: urlsplit takes these, but httpx fails every call to
    them (some as server errors), and a password in the address would be shown
    with it and kept in the ledger for good.
    """
    parts = urlsplit(base_url)
    if not parts.hostname or _unsendable(base_url):
        return "base_url", "base_url must name a host and hold no spaces or control characters"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number from 0 to 65535
    except ValueError:
        return "base_url", "base_url has an invalid port"
    if "@" in parts.netloc:
        return "base_url", "base_url must not carry a user name or password; use auth_header"
    if _unsendable(path_template):
        return "path_template", "path_template must hold no spaces or control characters"
    return None


def _unsendable(text: str) -> bool:
    """Whether an address holds white space or control characters, which no request may."""
    return any(ch.isspace() or not ch.isprintable() for ch in text)


# ---------------------------------------------------------------------------
# Circuit breaker


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class _Admission:
    probe: bool
    generation: int


class CircuitBreaker:
    """Closed → open after N consecutive failed calls → half-open after a pause.

    While half-open, at most ``half_open_probes`` calls go through; once that
    many have succeeded the breaker closes, and any failure opens it again.
    A result that arrives after the breaker has moved on (a generation later)
    is ignored, so a slow call cannot undo a newer decision. All state is
    guarded by one lock because web workers share the breaker as threads.
    """

    def __init__(
        self,
        *,
        failure_threshold: int,
        open_seconds: float,
        half_open_probes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failure_threshold
        self._open_seconds = open_seconds
        self._probes = half_open_probes
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._generation = 0
        self._consecutive_failures = 0
        self._opened_at = 0.0
        self._probes_in_flight = 0
        self._probe_successes = 0

    def _advance(self) -> None:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self._open_seconds
        ):
            self._move_to(BreakerState.HALF_OPEN)

    def _move_to(self, state: BreakerState) -> None:
        self._state = state
        self._generation += 1
        self._probes_in_flight = 0
        self._probe_successes = 0
        if state is BreakerState.OPEN:
            self._opened_at = self._clock()
        if state is BreakerState.CLOSED:
            self._consecutive_failures = 0

    @property
    def state(self) -> BreakerState:
        with self._lock:
            self._advance()
            return self._state

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._consecutive_failures

    def admit(self) -> _Admission | None:
        """Let a call through, or answer None when it must fail fast."""
        with self._lock:
            self._advance()
            if self._state is BreakerState.CLOSED:
                return _Admission(probe=False, generation=self._generation)
            if (
                self._state is BreakerState.HALF_OPEN
                and self._probes_in_flight + self._probe_successes < self._probes
            ):
                self._probes_in_flight += 1
                return _Admission(probe=True, generation=self._generation)
            return None

    def retry_after(self) -> float:
        """Say how long until the breaker next lets a probe through."""
        with self._lock:
            if self._state is not BreakerState.OPEN:
                return 0.0
            return max(0.0, self._opened_at + self._open_seconds - self._clock())

    def succeeded(self, admission: _Admission) -> None:
        with self._lock:
            if admission.generation != self._generation:
                return
            if admission.probe:
                self._probes_in_flight -= 1
                self._probe_successes += 1
                if self._probe_successes >= self._probes:
                    self._move_to(BreakerState.CLOSED)
            else:
                self._consecutive_failures = 0

    def failed(self, admission: _Admission) -> None:
        with self._lock:
            if admission.generation != self._generation:
                return
            if admission.probe:
                self._move_to(BreakerState.OPEN)
                return
            self._consecutive_failures += 1
            if self._consecutive_failures >= self._threshold:
                self._move_to(BreakerState.OPEN)

    def abandoned(self, admission: _Admission) -> None:
        """Give back a probe's place when the call ended without an answer."""
        with self._lock:
            if admission.probe and admission.generation == self._generation:
                self._probes_in_flight -= 1


# ---------------------------------------------------------------------------
# Results and statistics


@dataclass(frozen=True)
class UpstreamResult:
    """One record as the upstream returned it."""

    data: dict[str, Any]
    status: int
    attempts: int
    elapsed: float


@dataclass(frozen=True)
class LastError:
    code: str
    message: str
    at: float


@dataclass(frozen=True)
class UpstreamStats:
    """A snapshot for the health page; counts are since the client was made."""

    upstream: str
    calls: int
    successes: int
    not_found: int
    failures: int
    rejected: int
    retries: int
    breaker_state: BreakerState
    consecutive_failures: int
    last_error: LastError | None

    def as_dict(self) -> dict[str, Any]:
        last = self.last_error
        return {
            "upstream": self.upstream,
            "calls": self.calls,
            "successes": self.successes,
            "not_found": self.not_found,
            "failures": self.failures,
            "rejected": self.rejected,
            "retries": self.retries,
            "breaker_state": self.breaker_state.value,
            "consecutive_failures": self.consecutive_failures,
            "last_error": (
                None
                if last is None
                else {"code": last.code, "message": last.message, "at": last.at}
            ),
        }


@dataclass
class _Counters:
    calls: int = 0
    successes: int = 0
    not_found: int = 0
    failures: int = 0
    rejected: int = 0
    retries: int = 0
    last_error: LastError | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


# ---------------------------------------------------------------------------
# Client


class _Retryable(Exception):
    """An attempt failed in a way that another attempt may cure."""

    def __init__(self, error: UpstreamError) -> None:
        super().__init__(error.code)
        self.error = error


def _header_value(value: str) -> str:
    encoded = quote(value, safe=_HEADER_SAFE)
    # HTTP trims white space around a header value and httpx refuses to send
    # a value that starts or ends with it, which would fail the call as if the
    # upstream could not be reached: spaces at either end are encoded too.
    inner = encoded.strip(" ")
    if inner == encoded:
        return encoded
    leading = len(encoded) - len(encoded.lstrip(" "))
    trailing = len(encoded) - len(encoded.rstrip(" ")) if inner else 0
    return "%20" * leading + inner + "%20" * trailing


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _WithholdLookupPaths(logging.Filter):
    """Replace the path in httpx's request log line for calls to an upstream.

    httpx logs every request's full URL at INFO, and a look-up's path holds
    its key, which is often a personal identifier.
    """

    def __init__(self) -> None:
        super().__init__()
        # A tuple replaced whole, so that the filter can read it without a lock.
        self.prefixes: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def watch(self, base_url: str) -> None:
        with self._lock:
            if base_url not in self.prefixes:
                self.prefixes = (*self.prefixes, base_url)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 2 and isinstance(args[1], httpx.URL):
            url = args[1]
            if str(url).startswith(self.prefixes):
                withheld = f"{url.scheme}://{url.netloc.decode('ascii')}/(path withheld)"
                record.args = (args[0], withheld, *args[2:])
        return True


_withhold_lookup_paths = _WithholdLookupPaths()
logging.getLogger("httpx").addFilter(_withhold_lookup_paths)


class UpstreamClient:
    """Look records up in one upstream; share one instance per upstream.

    ``clock``, ``sleep`` and ``rng`` exist so that tests can drive time and
    jitter; ``transport`` lets a caller substitute an httpx transport.
    """

    def __init__(
        self,
        config: UpstreamConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._sleep = sleep
        # Jitter spreads retries apart; it is not a secret.
        self._rng = rng or random.Random()  # noqa: S311
        self._rng_lock = threading.Lock()
        self._breaker = CircuitBreaker(
            failure_threshold=config.failure_threshold,
            open_seconds=config.open_seconds,
            half_open_probes=config.half_open_probes,
            clock=clock,
        )
        self._counters = _Counters()
        _withhold_lookup_paths.watch(config.base_url.rstrip("/"))
        headers = {"Accept": "application/json"}
        if config.auth_header:
            headers[config.auth_header_name] = config.auth_header
        # Redirects are refused rather than followed so that the credential is
        # never sent to a host other than the configured one.
        self._http = httpx.Client(
            transport=transport, headers=headers, follow_redirects=False, trust_env=False
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> UpstreamClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def breaker(self) -> CircuitBreaker:
        return self._breaker

    # -- public look-ups ----------------------------------------------------

    def lookup(self, key: str, *, purpose: str, request_id: str) -> UpstreamResult:
        """Fetch the record for ``key``, raising an ``UpstreamError`` otherwise."""
        url = self._url_for(key)
        if not purpose.strip():
            raise InvalidInput(_("调用部门接口须说明用途。"), detail={"field": "purpose"})
        if not request_id.strip():
            raise InvalidInput(_("调用部门接口须带请求编号。"), detail={"field": "request_id"})
        headers = {
            PURPOSE_HEADER: _header_value(purpose),
            REQUEST_ID_HEADER: _header_value(request_id),
        }
        self._count(calls=1)
        admission = self._breaker.admit()
        if admission is None:
            error = UpstreamCircuitOpen(
                detail={
                    "upstream": self.config.label,
                    "retry_after": math.ceil(self._breaker.retry_after()),
                }
            )
            self._count(rejected=1)
            self._remember(error)
            raise error
        try:
            result = self._call_with_retries(url, headers)
        except UpstreamNotFound:
            self._breaker.succeeded(admission)
            self._count(not_found=1)
            raise
        except UpstreamError as error:
            if (
                isinstance(error, UpstreamBadResponse)
                and 400 <= error.detail.get("status", 0) < 500
            ):
                # The upstream answered, so it is alive: a refusal of our
                # request is not a reason to stop calling it.
                self._breaker.succeeded(admission)
            else:
                self._breaker.failed(admission)
            self._count(failures=1)
            self._remember(error)
            raise
        except BaseException:
            self._breaker.abandoned(admission)
            raise
        self._breaker.succeeded(admission)
        self._count(successes=1)
        return result

    def lookup_many(
        self, keys: Iterable[str], *, purpose: str, request_id: str
    ) -> dict[str, UpstreamResult | None]:
        """Fetch several records, several at a time; None marks a key the upstream lacks.

        The answer is in the keys' order, each key asked once, and is what
        asking the keys one after another would give: any error other than a
        missing key ends the batch, and the one raised is that of the first
        key, in the keys' order, that failed. A key still unanswered when
        ``batch_deadline`` has passed fails with ``UpstreamBatchTimeout``.
        Calls of later keys that are still running then are not waited for.
        """
        unique = list(dict.fromkeys(keys))
        if not unique:
            return {}
        if len(unique) == 1:
            # One key is no batch: its call's own deadline bounds it, and it
            # is asked in the caller's thread as a single look-up is.
            key = unique[0]
            try:
                return {key: self.lookup(key, purpose=purpose, request_id=request_id)}
            except UpstreamNotFound:
                return {key: None}
        asked = self._ask_together(unique, purpose=purpose, request_id=request_id)
        found: dict[str, UpstreamResult | None] = {}
        for key in unique:
            future = asked.get(key)
            if future is None or not future.done():
                unanswered = sum(1 for f in asked.values() if not f.done())
                raise UpstreamBatchTimeout(
                    detail={
                        "upstream": self.config.label,
                        "batch_deadline": self.config.batch_deadline,
                        "batch_size": len(unique),
                        "unanswered": unanswered + len(unique) - len(asked),
                    }
                )
            error = future.exception()
            if isinstance(error, UpstreamNotFound):
                found[key] = None
            elif error is not None:
                raise error
            else:
                found[key] = future.result()
        return found

    def stats(self) -> UpstreamStats:
        """Snapshot the counters and the breaker for the health page."""
        counters = self._counters
        with counters.lock:
            snapshot = (
                counters.calls,
                counters.successes,
                counters.not_found,
                counters.failures,
                counters.rejected,
                counters.retries,
                counters.last_error,
            )
        calls, successes, not_found, failures, rejected, retries, last_error = snapshot
        return UpstreamStats(
            upstream=self.config.label,
            calls=calls,
            successes=successes,
            not_found=not_found,
            failures=failures,
            rejected=rejected,
            retries=retries,
            breaker_state=self._breaker.state,
            consecutive_failures=self._breaker.consecutive_failures,
            last_error=last_error,
        )

    # -- internals ----------------------------------------------------------

    def _ask_together(
        self, keys: list[str], *, purpose: str, request_id: str
    ) -> dict[str, Future[UpstreamResult]]:
        """Ask the keys in order on worker threads; return each asked key's call.

        A key is asked only once a place is free among ``max_concurrency``.
        No key is asked after a failure, as none would be if the keys were
        asked one after another; the batch is over once every key before the
        first failed one has its answer, or at the deadline. Calls still
        running then are left to end on their own timeouts, which bound them;
        their outcomes still reach the breaker and the statistics.

        Until a call of the batch has answered, and whenever the breaker is
        not closed, keys go one at a time: a dead upstream then costs one
        failed call, not ``max_concurrency`` at once counted against the
        breaker, and a half-open breaker sees its probes one after another,
        so that a successful probe closes it for the keys behind it instead
        of their being refused beside it.

        The workers run nothing but ``lookup``, which reads no database, so
        they hold no database connection that would need closing.
        """
        config = self.config
        deadline = self._clock() + config.batch_deadline
        asked: dict[str, Future[UpstreamResult]] = {}
        position: dict[Future[UpstreamResult], int] = {}
        in_flight: set[Future[UpstreamResult]] = set()
        answered = False
        first_failed = len(keys)
        pool = ThreadPoolExecutor(
            max_workers=min(config.max_concurrency, len(keys)),
            thread_name_prefix="zhengtong-upstream",
        )
        try:
            while True:
                following = len(asked)
                if first_failed == len(keys) and following < len(keys):
                    width = (
                        config.max_concurrency
                        if answered and self._breaker.state is BreakerState.CLOSED
                        else 1
                    )
                    if len(in_flight) < width:
                        key = keys[following]
                        future = pool.submit(
                            self.lookup, key, purpose=purpose, request_id=request_id
                        )
                        asked[key] = future
                        position[future] = following
                        in_flight.add(future)
                        continue
                elif not any(position[f] < first_failed for f in in_flight):
                    break
                remaining = deadline - self._clock()
                if remaining <= 0:
                    break
                done, in_flight = wait(in_flight, timeout=remaining, return_when=FIRST_COMPLETED)
                for future in done:
                    error = future.exception()
                    if error is None or isinstance(error, UpstreamNotFound):
                        answered = True
                    else:
                        first_failed = min(first_failed, position[future])
        finally:
            # Nothing is queued beyond the free places, so nothing is left to
            # cancel; running calls are not waited for.
            pool.shutdown(wait=False, cancel_futures=True)
        return asked

    def _url_for(self, key: str) -> str:
        # "." and ".." survive percent-encoding and would be resolved as path
        # segments, reaching a different resource than the record asked for.
        if not key or key in (".", "..") or len(key) > _MAX_KEY_LENGTH:
            raise InvalidInput(_("查询键为空、过长或不能用作地址。"), detail={"field": "key"})
        path = self.config.path_template.replace("{key}", quote(key, safe=""))
        return self.config.base_url.rstrip("/") + path

    def _count(self, **increments: int) -> None:
        counters = self._counters
        with counters.lock:
            for name, amount in increments.items():
                setattr(counters, name, getattr(counters, name) + amount)

    def _remember(self, error: UpstreamError) -> None:
        with self._counters.lock:
            self._counters.last_error = LastError(
                code=error.code, message=str(error.message), at=time.time()
            )

    def _backoff(self, retry: int) -> float:
        ceiling = min(self.config.backoff_cap, self.config.backoff_base * (2**retry))
        with self._rng_lock:
            return self._rng.uniform(0, ceiling)

    def _call_with_retries(self, url: str, headers: dict[str, str]) -> UpstreamResult:
        config = self.config
        started = self._clock()
        deadline = started + config.total_timeout
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise UpstreamTimeout(detail={"upstream": config.label, "attempts": attempt - 1})
            try:
                status, data = self._attempt(url, headers, remaining, deadline)
            except _Retryable as retryable:
                error = retryable.error
                error.detail["attempts"] = attempt
                if attempt > config.max_retries:
                    raise error from retryable
                pause = self._backoff(attempt - 1)
                if self._clock() + pause >= deadline:
                    # Waiting would spend the rest of the deadline, so the
                    # caller is better served by the failure now.
                    raise error from retryable
                logger.warning(
                    "upstream %s: attempt %d failed with %s, retrying in %.3fs",
                    config.label,
                    attempt,
                    error.code,
                    pause,
                )
                self._count(retries=1)
                self._sleep(pause)
                continue
            except UpstreamError as error:
                error.detail["attempts"] = attempt
                raise
            return UpstreamResult(
                data=data, status=status, attempts=attempt, elapsed=self._clock() - started
            )

    def _attempt(
        self, url: str, headers: dict[str, str], remaining: float, deadline: float
    ) -> tuple[int, dict[str, Any]]:
        config = self.config
        label = config.label
        timeout = httpx.Timeout(
            connect=min(config.connect_timeout, remaining),
            read=min(config.read_timeout, remaining),
            write=min(config.read_timeout, remaining),
            pool=min(config.connect_timeout, remaining),
        )
        try:
            with self._http.stream("GET", url, headers=headers, timeout=timeout) as response:
                status = response.status_code
                if status == 404:
                    raise UpstreamNotFound(detail={"upstream": label})
                if status in config.retryable_statuses:
                    raise _Retryable(
                        UpstreamUnavailable(detail={"upstream": label, "status": status})
                    )
                if status >= 500 or status == 429:
                    raise UpstreamUnavailable(detail={"upstream": label, "status": status})
                if status != 200:
                    raise UpstreamBadResponse(detail={"upstream": label, "status": status})
                if not _is_json(response.headers.get("content-type", "")):
                    raise UpstreamBadResponse(detail={"upstream": label, "reason": "content_type"})
                body = self._read_limited(response, deadline)
        except httpx.TimeoutException as exc:
            raise _Retryable(UpstreamTimeout(detail={"upstream": label})) from exc
        except httpx.DecodingError as exc:
            raise UpstreamBadResponse(detail={"upstream": label, "reason": "encoding"}) from exc
        except httpx.RequestError as exc:
            # Refused connections, resets and bodies cut short all mean the
            # upstream could not be reached properly this time.
            raise _Retryable(UpstreamUnavailable(detail={"upstream": label})) from exc
        try:
            data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise UpstreamBadResponse(detail={"upstream": label, "reason": "json"}) from exc
        if not isinstance(data, dict):
            raise UpstreamBadResponse(detail={"upstream": label, "reason": "not_an_object"})
        return status, data

    def _read_limited(self, response: httpx.Response, deadline: float) -> bytes:
        label = self.config.label
        limit = self.config.max_response_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise UpstreamBadResponse(detail={"upstream": label, "reason": "too_large"})
        chunks: list[bytes] = []
        size = 0
        # Decoded bytes are counted, so a small compressed body cannot expand
        # past the limit; the deadline is checked between chunks because the
        # read timeout only bounds the wait for each one.
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise UpstreamBadResponse(detail={"upstream": label, "reason": "too_large"})
            if self._clock() > deadline:
                raise UpstreamTimeout(detail={"upstream": label})
            chunks.append(chunk)
        return b"".join(chunks)


# ---------------------------------------------------------------------------
# Shared clients

_clients: dict[UpstreamConfig, UpstreamClient] = {}
_clients_lock = threading.Lock()


def client_for(config: UpstreamConfig) -> UpstreamClient:
    """Return the process's one client for ``config``, so its breaker is shared."""
    with _clients_lock:
        client = _clients.get(config)
        if client is None:
            client = _clients[config] = UpstreamClient(config)
        return client
