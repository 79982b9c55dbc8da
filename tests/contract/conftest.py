"""Fixtures of the contract suite: the sandbox binary, a receiver, the document.

The binaries come from CLEARLINE_BIN_DIR, or else from target/release or target/debug of
this repository (run.sh builds them). Every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from openapi_core import OpenAPI

REPO = Path(__file__).resolve().parents[2]
DOCUMENT = REPO / "docs" / "openapi.yaml"
API_KEY = "test_key_not_real_0000"
START_TIMEOUT_S = 15.0


def binary(name: str) -> Path:
    """Return the path of a built workspace binary, or fail saying how to build it."""
    candidates = []
    if "CLEARLINE_BIN_DIR" in os.environ:
        candidates.append(Path(os.environ["CLEARLINE_BIN_DIR"]) / name)
    candidates += [REPO / "target" / "release" / name, REPO / "target" / "debug" / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    pytest.fail(
        f"{name} not found in {[str(c.parent) for c in candidates]}; build it with "
        "`cargo build --release -p clearline-sandbox -p clearline-bench`, or run "
        "tests/contract/run.sh, which does"
    )


@dataclass
class RunningSandbox:
    """A clearline-sandbox process on loopback."""

    base_url: str
    api_key: str
    process: subprocess.Popen[bytes]
    log: Path

    def get_json(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.base_url}{path}", timeout=10) as response:
            return json.load(response)

    def wait_for_outcomes(
        self, count: int, timeout_s: float = 10.0
    ) -> list[dict[str, Any]]:
        """Poll GET /sandbox/outcomes until `count` reports have a final outcome."""
        deadline = time.monotonic() + timeout_s
        while True:
            outcomes: list[dict[str, Any]] = self.get_json("/sandbox/outcomes")
            if len(outcomes) >= count:
                return outcomes
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{len(outcomes)} of {count} delivery reports decided: {outcomes}"
                )
            time.sleep(0.02)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    """Start clearline-sandbox on a free port with fast callbacks, then stop it."""
    log = tmp_path / "sandbox.log"
    command = [
        str(binary("clearline-sandbox")),
        "--port",
        "0",
        "--api-key",
        API_KEY,
        "--callback-delay-ms",
        "5",
        "--callback-retry-backoff-ms",
        "20",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        base_url = _wait_for_base_url(process, log)
        yield RunningSandbox(
            base_url=base_url, api_key=API_KEY, process=process, log=log
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, (
        f"clearline-sandbox exited with {process.returncode}"
    )
    assert API_KEY not in _log_after_banner(log), (
        "the key appeared in the log after start-up"
    )


def _wait_for_base_url(process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        found = re.search(
            r"listening on (http://127\.0\.0\.1:\d+)", log.read_text("utf-8")
        )
        if found:
            return found.group(1)
        if process.poll() is not None:
            pytest.fail(f"clearline-sandbox exited early:\n{log.read_text('utf-8')}")
        time.sleep(0.02)
    pytest.fail(f"clearline-sandbox printed no base URL in {START_TIMEOUT_S} s")


def _log_after_banner(log: Path) -> str:
    """Return the log without the start-up line that prints the key on purpose."""
    lines = log.read_text("utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("API key: "))


@dataclass
class ReceivedCallback:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A loopback HTTP server that records every POST and responds with 200."""

    server: ThreadingHTTPServer
    received: list[ReceivedCallback] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/webhooks/sms"

    def record(self, callback: ReceivedCallback) -> None:
        with self.lock:
            self.received.append(callback)

    def snapshot(self) -> list[ReceivedCallback]:
        with self.lock:
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            holder[0].record(
                ReceivedCallback(path=self.path, headers=headers, body=body)
            )
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output free of access logs."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(server=server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(DOCUMENT))


def run_bench_send(sandbox: RunningSandbox, *extra: str) -> dict[str, Any]:
    """Send through the Rust core with `clearline-bench send`; return its summary."""
    command = [
        str(binary("clearline-bench")),
        "send",
        "--base-url",
        sandbox.base_url,
        "--count",
        "5",
        "--concurrency",
        "2",
        "--warmup",
        "0",
        "--json",
        *extra,
    ]
    environment = {**os.environ, "CLEARLINE_API_KEY": sandbox.api_key}
    finished = subprocess.run(
        command,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, (
        f"clearline-bench failed:\n{finished.stdout}{finished.stderr}"
    )
    summary: dict[str, Any] = json.loads(finished.stdout)
    return summary
