"""send_many on both clients: order, per-message results, progress and argument errors."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import clearline
import pytest
from clearline.testing import Fault, Sandbox
from conftest import API_KEY, FakeClearLine, Reply


def test_send_many_keeps_input_order(clearline_sandbox: Sandbox) -> None:
    client = clearline_sandbox.client()
    messages = [("+12025551234", f"message {index}") for index in range(50)]

    results = client.send_many(messages, concurrency=8)

    assert len(results) == 50
    text_of = {message.message_id: message.message for message in clearline_sandbox.messages()}
    for index, result in enumerate(results):
        assert isinstance(result, clearline.SendReceipt)
        assert text_of[result.message_id] == f"message {index}"


def test_send_many_one_result_per_message(server: FakeClearLine) -> None:
    server.script(Reply(400, b"bad number"))
    client = clearline.Client(API_KEY, base_url=server.base_url, max_retries=0)
    messages: list[Any] = [
        {"phone": "+12025551234", "message": "first"},
        {"phone": "not a phone", "message": "invalid"},
        ("+12025551234", "lone \ud800 surrogate"),
        ("+12025551234", "with callback", "https://app.example.com/hook"),
    ]

    results = client.send_many(messages, concurrency=1)

    assert isinstance(results[0], clearline.RejectedError)
    assert isinstance(results[1], clearline.ValidationError)
    assert results[1].field == "phone"
    assert isinstance(results[2], clearline.ValidationError)
    assert results[2].field == "message"
    assert isinstance(results[3], clearline.SendReceipt)
    assert len(server.requests) == 2
    assert server.requests[1].json() == {
        "phone": "+12025551234",
        "message": "with callback",
        "callbackUrl": "https://app.example.com/hook",
    }


def test_send_many_reports_progress_on_calling_thread(server: FakeClearLine) -> None:
    server.script(*[Reply(delay=0.03) for _ in range(20)])
    client = clearline.Client(API_KEY, base_url=server.base_url)
    calls: list[tuple[int, int, threading.Thread]] = []

    client.send_many(
        [("+12025551234", "Hi")] * 20,
        concurrency=2,
        on_progress=lambda done, total: calls.append((done, total, threading.current_thread())),
    )

    assert calls[-1][:2] == (20, 20)
    assert all(total == 20 for _, total, _ in calls)
    assert [done for done, _, _ in calls] == sorted(done for done, _, _ in calls)
    assert all(thread is threading.main_thread() for _, _, thread in calls)


def test_send_many_progress_error_does_not_stop_batch(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)
    unraisable: list[BaseException | None] = []

    def failing(done: int, total: int) -> None:
        raise ValueError("progress bar broke")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.unraisablehook", lambda info: unraisable.append(info.exc_value))
        results = client.send_many([("+12025551234", "Hi")] * 3, on_progress=failing)

    assert all(isinstance(result, clearline.SendReceipt) for result in results)
    assert any(isinstance(error, ValueError) for error in unraisable)


def test_send_many_empty_input(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)
    calls: list[tuple[int, int]] = []

    results = client.send_many([], on_progress=lambda done, total: calls.append((done, total)))

    assert results == []
    assert calls == [(0, 0)]


def test_send_many_rate_limit_pauses_batch(server: FakeClearLine) -> None:
    server.script(Reply(429, b"", {"Retry-After": "1"}))
    client = clearline.Client(API_KEY, base_url=server.base_url, max_retries=2)

    results = client.send_many([("+12025551234", "Hi")] * 4, concurrency=1)

    receipts = [result for result in results if isinstance(result, clearline.SendReceipt)]
    assert len(receipts) == 4
    assert sorted(receipt.attempts for receipt in receipts) == [1, 1, 1, 2]


def test_send_many_429_pauses_other_sends(clearline_sandbox: Sandbox) -> None:
    # Of the first 4 sends in flight, one gets the 429. The other 3 are already on their way, and
    # one or two more may start before the client has read the 429, but the rest wait for its
    # Retry-After of 1 s. Without the batch pause, 11 of the 12 would arrive at once.
    clearline_sandbox.inject_fault(Fault.status(429, retry_after="1"))
    client = clearline_sandbox.client()
    started = time.time()

    messages = [("+12025551234", f"m{index}") for index in range(12)]
    results = client.send_many(messages, concurrency=4)

    assert all(isinstance(result, clearline.SendReceipt) for result in results)
    accepted = sorted(message.received_at - started for message in clearline_sandbox.messages())
    assert len(accepted) == 12
    assert sum(1 for offset in accepted if offset < 0.5) <= 6, accepted
    assert accepted[-1] >= 0.9, accepted


def test_send_many_allows_extra_keys(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)
    messages = [{"phone": "+12025551234", "message": "Hi", "order_id": "1042"}]

    results = client.send_many(messages)

    assert isinstance(results[0], clearline.SendReceipt)


def test_send_many_accepts_generator(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    results = client.send_many(("+12025551234", f"m{index}") for index in range(3))

    assert len(results) == 3


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        (None, "argument 'messages' must be an iterable of messages, not None"),
        ("+12025551234", "argument 'messages' must be an iterable of messages, not str"),
        ({"phone": "+1", "message": "x"}, "must be an iterable of messages, not dict"),
        ([42], "item 0 must be a dict with 'phone' and 'message' keys"),
        ([("+12025551234",)], "item 0 must be a dict"),
        ([("+1", "a", None, "extra")], "item 0 must be a dict"),
        ([{"phone": "+12025551234"}], "item 0 has no 'message' key"),
        ([("+12025551234", 5)], "argument 'messages[0].message' must be str, not int"),
        ([("+12025551234", "Hi", 5)], "argument 'messages[0].callback_url' must be str or None"),
        (
            [{"phone": "+12025551234", "message": "Hi", "callbackUrl": "https://a.example/h"}],
            "item 0 has the key 'callbackUrl', which is not a known key; did you mean "
            "'callback_url'?",
        ),
        (
            [{"Phone": "+1", "phone": "+12025551234", "message": "Hi"}],
            "item 0 has the key 'Phone', which is not a known key; did you mean 'phone'?",
        ),
    ],
)
def test_send_many_wrong_shape_raises(server: FakeClearLine, messages: Any, message: str) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    with pytest.raises(TypeError) as raised:
        client.send_many(messages)

    assert message in str(raised.value)
    assert server.requests == []


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"concurrency": 0}, clearline.ConfigurationError, "invalid concurrency: 0"),
        ({"concurrency": 2.0}, TypeError, "argument 'concurrency' must be int"),
        ({"on_progress": 5}, TypeError, "argument 'on_progress' must be callable or None"),
        ({"timeout": -2}, clearline.ConfigurationError, "invalid timeout"),
    ],
)
def test_send_many_bad_option(
    server: FakeClearLine, options: dict[str, Any], error: type[Exception], message: str
) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    with pytest.raises(error, match=message):
        client.send_many([("+12025551234", "Hi")], **options)


@pytest.mark.asyncio
async def test_async_send_many_progress_on_loop_thread(server: FakeClearLine) -> None:
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)
    calls: list[tuple[int, int, threading.Thread]] = []

    results = await client.send_many(
        [{"phone": "+12025551234", "message": f"m{index}"} for index in range(10)],
        on_progress=lambda done, total: calls.append((done, total, threading.current_thread())),
    )

    assert all(isinstance(result, clearline.SendReceipt) for result in results)
    assert calls[-1][:2] == (10, 10)
    assert all(thread is threading.main_thread() for _, _, thread in calls)


@pytest.mark.asyncio
async def test_async_send_many_cancel_stops_sends(server: FakeClearLine) -> None:
    server.script(*[Reply(delay=5.0) for _ in range(4)])
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.send_many([("+12025551234", "Hi")] * 4), timeout=0.3)

    await asyncio.to_thread(server.wait_for_aborts, 4)
