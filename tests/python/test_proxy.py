"""Proxies from the environment: HTTPS_PROXY, a dead proxy, NO_PROXY, and loopback bypass.

The client reads the proxy variables when it is built, and changing ``os.environ`` under a
running process is unsafe, so each case sends from a child process started with the variables
set. The proxy is a small CONNECT proxy on 127.0.0.1. The base URL is
``https://api.clearline.test``, a name reserved for testing that is never resolved: the client
hands it to the proxy, and the proxy tunnels it to a loopback listener that stands in for the
host. That listener reads the TLS ClientHello and hangs up, so nothing leaves the machine and no
request ever completes.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
from typing import Any

from conftest import API_KEY, FakeClearLine, unused_port

REMOTE_HOST = "api.clearline.test"

CHILD = textwrap.dedent(
    """
    import json, sys
    import clearline

    key, base_url, max_retries = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = clearline.Client(key, base_url=base_url, max_retries=max_retries)
    try:
        receipt = client.send("+12025551234", "Your code is 0420")
        print(json.dumps({"message_id": receipt.message_id}))
    except clearline.ClearLineError as err:
        print(json.dumps({"error": type(err).__name__, "maybe_sent": err.maybe_sent,
                          "attempts": err.attempts, "message": str(err)}))
    """
)


class FirstBytesListener:
    """A loopback listener that records the first bytes of each connection, then closes it."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    self.received.append(connection.recv(4096))
                except OSError:
                    self.received.append(b"")

    def close(self) -> None:
        self._socket.close()


class ConnectProxy:
    """A CONNECT proxy on 127.0.0.1 that tunnels every target to ``upstream_port`` on loopback.

    It records the request head of each connection and every byte the client sent through the
    tunnel, so a test can check what a proxy gets to see.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.heads: list[str] = []
        self.tunnelled = b""
        self._lock = threading.Lock()
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(connection,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        client.settimeout(5)
        head = b""
        with client:
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            request_head, _, early = head.partition(b"\r\n\r\n")
            with self._lock:
                self.heads.append(request_head.decode("latin-1"))
            if not request_head.startswith(b"CONNECT "):
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._record(early)
                upstream.sendall(early)
                self._pump(client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        """Copy bytes both ways until either side closes."""

        def upstream_to_client() -> None:
            try:
                while data := upstream.recv(65536):
                    client.sendall(data)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    client.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=upstream_to_client, daemon=True)
        back.start()
        try:
            while data := client.recv(65536):
                self._record(data)
                upstream.sendall(data)
        except OSError:
            pass
        back.join(5)

    def _record(self, data: bytes) -> None:
        with self._lock:
            self.tunnelled += data

    def close(self) -> None:
        self._socket.close()


def send_in_child(env_vars: dict[str, str], base_url: str, max_retries: int = 0) -> dict[str, Any]:
    """Send one SMS from a child process with ``env_vars`` set and return its outcome."""
    env = {
        name: value
        for name, value in os.environ.items()
        if "PROXY" not in name.upper() and name != "CLEARLINE_API_KEY"
    }
    env.update(env_vars)
    finished = subprocess.run(
        [sys.executable, "-c", CHILD, API_KEY, base_url, str(max_retries)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert finished.returncode == 0, finished.stderr
    assert API_KEY not in finished.stdout + finished.stderr
    outcome: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return outcome


def test_https_proxy_tunnels_remote_base_url() -> None:
    remote = FirstBytesListener()
    proxy = ConnectProxy(remote.port)
    try:
        outcome = send_in_child({"HTTPS_PROXY": proxy.url}, f"https://{REMOTE_HOST}")
    finally:
        proxy.close()
        remote.close()

    assert len(proxy.heads) == 1, proxy.heads
    assert proxy.heads[0].startswith(f"CONNECT {REMOTE_HOST}:443 HTTP/1.1\r\n"), proxy.heads
    assert "apikey" not in proxy.heads[0].lower()
    # Through the tunnel go only TLS records, so the proxy never sees the key or the message.
    assert proxy.tunnelled[:1] == b"\x16", proxy.tunnelled[:16]
    assert API_KEY.encode() not in proxy.tunnelled
    assert b"POST" not in proxy.tunnelled
    assert remote.received[0][:1] == b"\x16"
    # The TLS handshake failed, so the SMS provably was not sent.
    assert outcome["error"] == "ConnectionError", outcome
    assert outcome["maybe_sent"] is False
    assert outcome["attempts"] == 1


def test_lowercase_https_proxy_is_used() -> None:
    remote = FirstBytesListener()
    proxy = ConnectProxy(remote.port)
    try:
        outcome = send_in_child({"https_proxy": proxy.url}, f"https://{REMOTE_HOST}")
    finally:
        proxy.close()
        remote.close()

    assert len(proxy.heads) == 1, proxy.heads
    assert outcome["error"] == "ConnectionError", outcome


def test_dead_proxy_is_retried_without_post() -> None:
    dead_proxy = f"http://127.0.0.1:{unused_port()}"

    outcome = send_in_child({"HTTPS_PROXY": dead_proxy}, f"https://{REMOTE_HOST}", max_retries=2)

    # A proxy that refuses the connection provably got nothing, so the client retries.
    assert outcome["error"] == "ConnectionError", outcome
    assert outcome["maybe_sent"] is False
    assert outcome["attempts"] == 3
    assert "HTTPS_PROXY" in outcome["message"]


def test_no_proxy_bypasses_https_proxy() -> None:
    # 0.0.0.0 is not a loopback address to the client, so the proxy rules apply to it, while
    # Linux connects to it locally. The Rust suite checks a NO_PROXY domain the same way with a
    # pinned address, which the Python client cannot set.
    direct = FirstBytesListener()
    proxy = ConnectProxy(direct.port)
    base_url = f"https://0.0.0.0:{direct.port}"
    try:
        proxied = send_in_child({"HTTPS_PROXY": proxy.url}, base_url)
        bypassed = send_in_child(
            {"HTTPS_PROXY": proxy.url, "NO_PROXY": "localhost,0.0.0.0"}, base_url
        )
    finally:
        proxy.close()
        direct.close()

    # Without NO_PROXY the proxy was asked for the host once; with it, not again.
    assert len(proxy.heads) == 1, proxy.heads
    assert proxy.heads[0].startswith(f"CONNECT 0.0.0.0:{direct.port} "), proxy.heads
    # The direct listener got a ClientHello through the tunnel and then one without the proxy.
    assert len(direct.received) == 2
    assert direct.received[1][:1] == b"\x16"
    assert proxied["error"] == "ConnectionError", proxied
    assert bypassed["error"] == "ConnectionError", bypassed
    assert bypassed["maybe_sent"] is False


def test_loopback_base_url_ignores_https_proxy(server: FakeClearLine) -> None:
    remote = FirstBytesListener()
    proxy = ConnectProxy(remote.port)
    try:
        outcome = send_in_child(
            {"HTTPS_PROXY": proxy.url, "HTTP_PROXY": proxy.url, "ALL_PROXY": proxy.url},
            server.base_url,
        )
    finally:
        proxy.close()
        remote.close()

    assert outcome == {"message_id": "msg_1"}
    assert proxy.heads == []
    assert len(server.requests) == 1
