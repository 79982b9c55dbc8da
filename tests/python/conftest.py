"""Shared fixtures: a scripted ClearLine server on loopback and a fake API key."""

from __future__ import annotations

import asyncio
import json
import select
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import clearline
import pytest

API_KEY = "test_key_not_real_0000"
"""An obviously fake key; tests assert it never appears in any output."""


@dataclass
class Reply:
    """One scripted answer of :class:`FakeClearLine`."""

    status: int = 200
    body: bytes | None = None
    """None means the accepted-message body with the next ``msg_<n>`` id."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering."""
    close: bool = False
    """Close the connection without answering."""


@dataclass
class ReceivedRequest:
    path: str
    headers: Message
    """The request headers; lookups ignore case."""
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


class FakeClearLine:
    """A ClearLine stand-in on 127.0.0.1 that answers from a script.

    Without a scripted reply it accepts the message with ``messageId`` ``msg_<n>``.
    """

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[ReceivedRequest] = []
        self.disconnects = 0
        self.aborted_at: list[float] = []
        """``time.monotonic()`` of each client that closed its connection during a delay."""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with ``replies``, in order."""
        with self._lock:
            self.replies.extend(replies)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
            time.sleep(0.01)

    def wait_for_aborts(self, count: int, timeout: float = 2.0) -> None:
        """Wait until ``count`` clients closed their connection while a reply was delayed."""
        deadline = time.monotonic() + timeout
        while len(self.aborted_at) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} aborted requests, got {self.aborted_at}")
            time.sleep(0.01)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_reply(self) -> tuple[Reply, bytes]:
        with self._lock:
            reply = self.replies.pop(0) if self.replies else Reply()
            number = len(self.requests)
        if reply.body is not None:
            return reply, reply.body
        reply.headers.setdefault("Content-Type", "application/json")
        return reply, json.dumps({"succeed": True, "messageId": f"msg_{number}"}).encode()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with fake._lock:
                    fake.requests.append(ReceivedRequest(self.path, self.headers, body))
                reply, reply_body = fake._next_reply()
                if reply.delay and self._client_closed_within(reply.delay):
                    with fake._lock:
                        fake.aborted_at.append(time.monotonic())
                    self.close_connection = True
                    return
                if reply.close:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    # A 204 or 304 carries no body, so no framing either.
                    if reply.status not in (204, 304):
                        self.send_header("Content-Length", str(len(reply_body)))
                    self.end_headers()
                    self.wfile.write(reply_body)
                except (BrokenPipeError, ConnectionResetError):
                    with fake._lock:
                        fake.disconnects += 1

            def _client_closed_within(self, seconds: float) -> bool:
                """Wait up to ``seconds``; return True as soon as the client closes."""
                deadline = time.monotonic() + seconds
                while (remaining := deadline - time.monotonic()) > 0:
                    readable, _, _ = select.select([self.connection], [], [], min(remaining, 0.01))
                    if readable:
                        try:
                            if self.connection.recv(1, socket.MSG_PEEK) == b"":
                                return True
                        except OSError:
                            return True
                return False

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def server() -> Iterator[FakeClearLine]:
    fake = FakeClearLine()
    yield fake
    fake.close()


def unused_port() -> int:
    """Return a loopback port with nothing listening, for connection-refused tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


CLIENT_CLASSES = ("Client", "AsyncClient")
"""The client classes the shared vectors run through, for ``pytest.mark.parametrize``."""


def send_with(
    client_class: str,
    options: dict[str, Any],
    phone: str,
    message: str,
    callback_url: str | None = None,
) -> clearline.SendReceipt:
    """Send one SMS with a new ``client_class`` built from ``options``, and close it.

    An ``AsyncClient`` sends on a fresh event loop, so sync tests can run both classes.
    """
    if client_class == "Client":
        with clearline.Client(**options) as client:
            return client.send(phone, message, callback_url=callback_url)

    async def send_async() -> clearline.SendReceipt:
        async with clearline.AsyncClient(**options) as client:
            return await client.send(phone, message, callback_url=callback_url)

    return asyncio.run(send_async())


def json_reply(payload: object, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(
        status,
        json.dumps(payload).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )


class CallbackReceiver:
    """A delivery-report receiver on 127.0.0.1 that records each body and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(self.rfile.read(length))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/webhooks/sms"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    callback_receiver = CallbackReceiver()
    yield callback_receiver
    callback_receiver.close()


def pytest_configure(config: pytest.Config) -> None:
    if sys.version_info < (3, 10):
        # pytest-asyncio 1.2.0, the last release for Python 3.9, can leave one of its own event
        # loops unclosed; its ResourceWarnings would fail whichever test runs next.
        for message in ("Exception ignored in. <socket.socket", "Exception ignored in. <function"):
            config.addinivalue_line(
                "filterwarnings", f"ignore:{message}:pytest.PytestUnraisableExceptionWarning"
            )
