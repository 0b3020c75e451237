"""A department's upstream API on 127.0.0.1, scripted by each test.

The server is real HTTP on an ephemeral port so that the client's timeouts,
connection handling and body limits are exercised as in production. Replies
are taken from a queue in order; once it is empty, ``default`` answers.
``max_in_flight`` tells whether a caller's requests overlapped, and by how many.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status and body, optionally late, or no answer at all."""

    status: int = 200
    json_body: Any = None
    raw_body: bytes | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    # Close the connection without sending anything back.
    drop: bool = False
    # Leave out Content-Length, so the body ends only when the connection does.
    omit_length: bool = False

    def body(self) -> bytes:
        if self.raw_body is not None:
            return self.raw_body
        return json.dumps(self.json_body, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeUpstream:
    default: Reply = field(default_factory=lambda: Reply(json_body={"ok": True}))
    responder: Callable[[Received], Reply] | None = None
    received: list[Received] = field(default_factory=list)
    # Requests being answered now, and the most there have been at once.
    in_flight: int = 0
    max_in_flight: int = 0
    _queue: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def hits(self) -> int:
        with self._lock:
            return len(self.received)

    def _next_reply(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return self.default

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            _counted = False

            def do_GET(self) -> None:
                request = Received(
                    method="GET", path=self.path, headers={k: v for k, v in self.headers.items()}
                )
                self._counted = True
                try:
                    self._answer(fake._next_reply(request))
                finally:
                    self._leave()

            def _leave(self) -> None:
                # A request stops counting as in flight before its answer is
                # written: once the caller reads the answer it may send the
                # next one, which must not find this one still counted.
                if self._counted:
                    self._counted = False
                    with fake._lock:
                        fake.in_flight -= 1

            def _answer(self, reply: Reply) -> None:
                # Waiting on the stop event lets the server shut down promptly
                # even while a slow reply is pending.
                if reply.delay and fake._stopping.wait(reply.delay):
                    return
                self._leave()
                if reply.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                body = reply.body()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                if not reply.omit_length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may have given up first, which some tests expect.
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            # The default listen backlog of 5 would drop connections when a
            # test starts many callers at once.
            request_queue_size = 128

        server = Server(("127.0.0.1", 0), Handler)
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@contextmanager
def running_fake_upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
