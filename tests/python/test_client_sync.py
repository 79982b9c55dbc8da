"""The blocking Client against a scripted server on loopback."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import clearline
import pytest
from clearline.testing import Sandbox
from conftest import API_KEY, FakeClearLine, Reply, unused_port


def test_send_returns_receipt(clearline_sandbox: Sandbox) -> None:
    client = clearline_sandbox.client()

    receipt = client.send("+1 (202) 555-1234", "Your order is ready for pickup.")

    assert receipt.message_id == clearline_sandbox.messages()[0].message_id
    assert receipt.phone == "+12025551234"
    assert receipt.segments == 1
    assert receipt.encoding == "GSM-7"
    assert receipt.attempts == 1


def test_send_posts_request(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    client.send("+12025551234", "Hi", callback_url="https://app.example.com/hook")

    request = server.requests[0]
    assert request.path == "/MessageSender/sms"
    assert request.headers["ApiKey"] == API_KEY
    assert request.json() == {
        "phone": "+12025551234",
        "message": "Hi",
        "callbackUrl": "https://app.example.com/hook",
    }


def test_send_user_agent_names_python_package(server: FakeClearLine) -> None:
    clearline.Client(API_KEY, base_url=server.base_url).send("+12025551234", "Hi")

    user_agent = server.requests[0].headers["User-Agent"]
    assert f"clearline-python/{clearline.__version__}" in user_agent


def test_send_unicode_counts_ucs2_segments(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    receipt = client.send("+12025551234", "Привет! " * 10)

    assert receipt.encoding == "UCS-2"
    assert receipt.segments == 2


def test_send_key_from_environment(server: FakeClearLine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEARLINE_API_KEY", API_KEY)

    clearline.Client(base_url=server.base_url).send("+12025551234", "Hi")

    assert server.requests[0].headers["ApiKey"] == API_KEY


def test_send_retries_rate_limit(server: FakeClearLine) -> None:
    server.script(Reply(429, b"", {"Retry-After": "0"}))
    client = clearline.Client(API_KEY, base_url=server.base_url, max_retries=1)

    receipt = client.send("+12025551234", "Hi")

    assert receipt.attempts == 2
    assert len(server.requests) == 2


def test_send_never_retries_server_error(server: FakeClearLine) -> None:
    server.script(Reply(503, b"maintenance"))
    client = clearline.Client(API_KEY, base_url=server.base_url, max_retries=3)

    with pytest.raises(clearline.ServerError):
        client.send("+12025551234", "Hi")

    assert len(server.requests) == 1


def test_send_timeout_overrides_client(server: FakeClearLine) -> None:
    server.script(Reply(delay=2.0))
    client = clearline.Client(API_KEY, base_url=server.base_url, timeout=30)

    started = time.monotonic()
    with pytest.raises(clearline.TimeoutError):
        client.send("+12025551234", "Hi", timeout=0.2)

    assert time.monotonic() - started < 1.5


def test_send_connect_refused_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    client = clearline.Client(API_KEY, base_url=f"http://127.0.0.1:{unused_port()}", max_retries=2)

    with pytest.raises(clearline.ConnectionError) as raised:
        client.send("+12025551234", "Hi")

    assert raised.value.attempts == 3


def test_send_releases_gil(server: FakeClearLine) -> None:
    server.script(Reply(delay=0.5))
    client = clearline.Client(API_KEY, base_url=server.base_url)
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        client.send("+12025551234", "Hi")
    finally:
        stop.set()
        counter.join()

    # A send holding the GIL for 0.5 s would leave the counter at about zero.
    assert ticks > 50


def test_client_shared_between_threads(clearline_sandbox: Sandbox) -> None:
    client = clearline_sandbox.client()
    receipts: list[clearline.SendReceipt] = []
    lock = threading.Lock()

    def send_batch(worker: int) -> None:
        for index in range(20):
            receipt = client.send("+12025551234", f"worker {worker} message {index}")
            with lock:
                receipts.append(receipt)

    threads = [threading.Thread(target=send_batch, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(receipts) == 160
    assert len({receipt.message_id for receipt in receipts}) == 160
    assert len(clearline_sandbox.messages()) == 160


def test_client_context_manager_closes(server: FakeClearLine) -> None:
    with clearline.Client(API_KEY, base_url=server.base_url) as client:
        client.send("+12025551234", "Hi")

    assert client.base_url is None
    with pytest.raises(RuntimeError, match="closed"):
        client.send("+12025551234", "Hi")


def test_client_close_is_idempotent(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    client.close()
    client.close()

    assert "closed" in repr(client)


def test_client_base_url_keeps_path() -> None:
    client = clearline.Client(API_KEY, base_url="https://proxy.example.com/clearline")

    assert client.base_url == "https://proxy.example.com/clearline/"


def test_client_environment_staging() -> None:
    client = clearline.Client(API_KEY, environment="staging")

    assert client.base_url == "https://apistage.clearline.me/"


def test_receipt_is_frozen_and_comparable() -> None:
    receipt = clearline.SendReceipt("msg_1", "+12025551234", 1, "GSM-7", 1)

    with pytest.raises(AttributeError):
        receipt.message_id = "other"  # type: ignore[misc]
    assert receipt == clearline.SendReceipt("msg_1", "+12025551234")
    assert receipt != clearline.SendReceipt("msg_2", "+12025551234")
    assert len({receipt, clearline.SendReceipt("msg_1", "+12025551234")}) == 1


def test_receipt_repr_masks_phone() -> None:
    receipt = clearline.SendReceipt("msg_1", "+12025551234")

    assert repr(receipt) == (
        "SendReceipt(message_id='msg_1', phone='+12*******34', segments=1, "
        "encoding='GSM-7', attempts=1)"
    )


INTERRUPT_SCRIPT = """
import os, signal, sys, threading, time
sys.path.insert(0, {tests_dir!r})
import clearline
from conftest import FakeClearLine, Reply

server = FakeClearLine()
server.script(Reply(delay=10.0))
client = clearline.Client("test_key_not_real_0000", base_url=server.base_url)
threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
started = time.monotonic()
try:
    client.send("+12025551234", "Hi")
except KeyboardInterrupt:
    print(time.monotonic() - started)
server.wait_for_aborts(1)
print("request aborted")
"""


def test_send_interrupted_by_ctrl_c() -> None:
    script = INTERRUPT_SCRIPT.format(tests_dir=str(Path(__file__).parent))

    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )

    assert finished.returncode == 0, finished.stderr
    interrupted_after, aborted = finished.stdout.splitlines()
    # SIGINT arrives after 0.3 s; the send checks for signals every 0.1 s.
    assert 0.3 <= float(interrupted_after) < 1.5
    assert aborted == "request aborted"
