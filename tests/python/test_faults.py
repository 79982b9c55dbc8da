"""Every case of tests/vectors/faults.json: server faults, and what a send does with them.

Each case runs against :class:`FaultServer`, a raw-socket server on 127.0.0.1 that can stall,
close or reset a connection and write any bytes. Cases with a ``sandbox`` fault run a second
time against the in-process sandbox, which counts the POSTs it saw in ``/sandbox/requests``.
Both check the error class, ``maybe_sent``, the attempts and the number of POSTs, so a fault
that may have sent the SMS is never sent twice. Every case runs through ``Client`` and
``AsyncClient``. The format is in tests/vectors/README.md.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import socket
import struct
import threading
import time
import urllib.request
from typing import Any

import clearline
import pytest
from clearline.testing import Fault, Sandbox
from conftest import API_KEY, CLIENT_CLASSES, send_with, unused_port
from test_vectors import ERROR_CLASSES, VECTORS_DIR, text

CASES = json.loads((VECTORS_DIR / "faults.json").read_text(encoding="utf-8"))["cases"]


def expand_header(value: str) -> str:
    """Replace ``{http_date+N}`` with the HTTP-date N seconds from now."""
    start = value.find("{http_date+")
    if start < 0:
        return value
    end = value.index("}", start)
    seconds = int(value[start + len("{http_date+") : end])
    date = email.utils.formatdate(time.time() + seconds, usegmt=True)
    return value[:start] + date + value[end + 1 :]


class TrapListener:
    """A loopback port that must see no connection: the target of the redirect cases."""

    def __init__(self) -> None:
        self.connections = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


class FaultServer:
    """A raw HTTP/1.1 server on 127.0.0.1 that answers request N with ``replies[N]``.

    The last reply repeats. Unlike ``http.server``, it can hold a connection without answering,
    send headers and then stall, and close or reset a connection after reading the request.
    """

    def __init__(self, replies: list[dict[str, Any]], trap_url: str) -> None:
        self.replies = replies
        self.trap_url = trap_url
        self.posts = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self._threads: list[threading.Thread] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        self._socket.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(0.05)
        buffered = b""
        with connection:
            while not self._stop.is_set():
                request, buffered = self._read_request(connection, buffered)
                if request is None:
                    return
                with self._lock:
                    index = self.posts
                    self.posts += 1
                reply = self.replies[min(index, len(self.replies) - 1)]
                if not self._answer(connection, reply):
                    return

    def _read_request(
        self, connection: socket.socket, buffered: bytes
    ) -> tuple[bytes | None, bytes]:
        """Read one request with a Content-Length body; None at end of stream or on stop."""
        while not self._stop.is_set():
            end = buffered.find(b"\r\n\r\n")
            if end >= 0:
                head = buffered[:end].decode("latin-1")
                length = 0
                for line in head.split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                total = end + 4 + length
                if len(buffered) >= total:
                    return buffered[:total], buffered[total:]
            try:
                chunk = connection.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return None, b""
            if not chunk:
                return None, b""
            buffered += chunk
        return None, b""

    def _answer(self, connection: socket.socket, reply: dict[str, Any]) -> bool:
        """Act out one reply; return whether the connection stays open for another request."""
        action = reply["action"]
        try:
            if action == "respond":
                connection.sendall(response_bytes(reply))
                return True
            if action == "redirect_to_trap":
                location = f"{self.trap_url}/MessageSender/sms"
                connection.sendall(
                    response_bytes({"status": reply["status"], "headers": {"Location": location}})
                )
                return True
            if action in ("stall_body", "reset_body"):
                connection.sendall(partial_response_bytes(reply))
            if action in ("stall", "stall_body"):
                self._stop.wait()
                return False
            if action in ("reset", "reset_body"):
                # A zero linger time turns the close into a reset (RST).
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return False
            if action == "close":
                return False
        except OSError:
            return False
        raise AssertionError(f"unknown reply action {action!r}")


def head_bytes(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Status"]
    lines += [f"{name}: {expand_header(value)}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def response_bytes(reply: dict[str, Any]) -> bytes:
    headers = dict(reply.get("headers", {}))
    body = text(reply.get("body", "")).encode()
    if reply.get("gzip"):
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    if not reply.get("chunked"):
        headers["Content-Length"] = str(len(body))
        return head_bytes(reply["status"], headers) + b"\r\n" + body
    headers["Transfer-Encoding"] = "chunked"
    chunks = [body[start : start + 7] for start in range(0, len(body), 7)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    return head_bytes(reply["status"], headers) + b"\r\n" + framed + b"0\r\n\r\n"


def partial_response_bytes(reply: dict[str, Any]) -> bytes:
    """The head of a response promising ``content_length`` bytes, and the start of its body."""
    headers = {**reply.get("headers", {}), "Content-Length": str(reply["content_length"])}
    return head_bytes(reply["status"], headers) + b"\r\n" + text(reply["body"]).encode()


def client_options(case: dict[str, Any]) -> dict[str, Any]:
    """The client's keywords: the case's ``client`` settings over the defaults."""
    settings = case.get("client", {})
    options: dict[str, Any] = {"max_retries": settings.get("max_retries", 2)}
    if "timeout_ms" in settings:
        options["timeout"] = settings["timeout_ms"] / 1000
    return options


def check_outcome(
    case: dict[str, Any], outcome: object, posts: int, message_id: str | None
) -> None:
    """Check a receipt or an error against ``expect``; ``message_id`` None accepts any id."""
    expect = case["expect"]
    if "message_id" in expect:
        assert isinstance(outcome, clearline.SendReceipt), f"expected a receipt, got {outcome!r}"
        if message_id is not None:
            assert outcome.message_id == message_id
        assert outcome.attempts == expect["attempts"]
        assert posts == expect["posts"]
        return

    assert isinstance(outcome, clearline.ClearLineError), f"expected an error, got {outcome!r}"
    assert type(outcome) is ERROR_CLASSES[expect["error"]], f"{type(outcome).__name__}: {outcome}"
    assert outcome.maybe_sent is expect["maybe_sent"]
    if "status" in expect:
        assert outcome.status_code == expect["status"]
    if "timeout_phase" in expect:
        assert getattr(outcome, "timeout_phase", None) == expect["timeout_phase"]
    if "retry_after_seconds" in expect:
        retry_after = getattr(outcome, "retry_after", None)
        assert retry_after is not None
        assert abs(retry_after - expect["retry_after_seconds"]) <= 1.0
    if "contains" in expect:
        assert expect["contains"] in str(outcome)
    assert outcome.attempts == expect["attempts"]
    assert posts == expect["posts"], f"the server saw {posts} POSTs"
    assert API_KEY not in str(outcome)


def send(client_class: str, options: dict[str, Any]) -> object:
    """Send one SMS; return the receipt or the ``ClearLineError`` raised."""
    try:
        return send_with(client_class, options, "+12025551234", "Your code is 0420")
    except clearline.ClearLineError as err:
        return err


@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
@pytest.mark.parametrize("case", [pytest.param(case, id=case["name"]) for case in CASES])
def test_fault(case: dict[str, Any], client_class: str) -> None:
    trap = TrapListener()
    server = FaultServer(case["replies"], trap.url) if case["replies"] else None
    base_url = server.base_url if server else f"http://127.0.0.1:{unused_port()}"
    try:
        options = {"api_key": API_KEY, "base_url": base_url, **client_options(case)}

        outcome = send(client_class, options)

        posts = server.posts if server else 0
        check_outcome(case, outcome, posts, case["expect"].get("message_id"))
        assert trap.connections == 0, "the redirect target was contacted"
    finally:
        if server:
            server.close()
        trap.close()


def sandbox_fault(spec: dict[str, Any], trap_url: str) -> Fault:
    kind = spec["kind"]
    if kind == "status":
        retry_after = spec.get("retry_after")
        return Fault.status(
            spec["status"],
            retry_after=None if retry_after is None else expand_header(retry_after),
            body=spec.get("body"),
        )
    if kind == "close_connection":
        return Fault.close_connection()
    if kind == "non_json_body":
        return Fault.non_json_body()
    if kind == "redirect_to_trap":
        return Fault.redirect(f"{trap_url}/MessageSender/sms")
    raise AssertionError(f"unknown sandbox fault {kind!r}")


def sandbox_posts(sandbox: Sandbox) -> int:
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with no_proxy.open(f"{sandbox.base_url}/sandbox/requests", timeout=5) as response:
        requests = json.load(response)
    return sum(1 for request in requests if request["method"] == "POST")


@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case["name"]) for case in CASES if "sandbox" in case]
)
def test_fault_from_sandbox(
    case: dict[str, Any], client_class: str, clearline_sandbox: Sandbox
) -> None:
    trap = TrapListener()
    try:
        options = client_options(case)
        # An error case gets the fault on every attempt the client could make, so a retry that
        # must not happen would show up as a second POST. A success case gets it on the attempts
        # before the one that succeeds.
        if "message_id" in case["expect"]:
            times = case["expect"]["attempts"] - 1
        else:
            times = options["max_retries"] + 1
        clearline_sandbox.inject_fault(sandbox_fault(case["sandbox"], trap.url), times)

        options.update(api_key=clearline_sandbox.api_key, base_url=clearline_sandbox.base_url)
        outcome = send(client_class, options)

        check_outcome(case, outcome, sandbox_posts(clearline_sandbox), None)
        accepted = 1 if "message_id" in case["expect"] else 0
        assert len(clearline_sandbox.messages()) == accepted
        assert trap.connections == 0, "the redirect target was contacted"
    finally:
        trap.close()
