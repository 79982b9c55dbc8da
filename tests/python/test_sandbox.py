"""clearline.testing.Sandbox and the clearline_sandbox fixture, end to end with the clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import clearline
import pytest
from clearline.testing import Fault, Sandbox
from conftest import CallbackReceiver


def test_sandbox_records_sent_message(clearline_sandbox: Sandbox) -> None:
    client = clearline_sandbox.client()

    receipt = client.send("+1 202 555 1234", "Hello", callback_url="https://app.example.com/h")

    messages = clearline_sandbox.messages()
    assert len(messages) == 1
    assert messages[0].message_id == receipt.message_id
    assert messages[0].phone == "+12025551234"
    assert messages[0].message == "Hello"
    assert messages[0].callback_url == "https://app.example.com/h"
    assert abs(messages[0].received_at - time.time()) < 60


def test_sandbox_generates_fake_key() -> None:
    with Sandbox() as sandbox:
        assert sandbox.api_key.startswith("sandbox_key_")
        assert sandbox.base_url.startswith("http://127.0.0.1:")
        assert sandbox.api_key not in repr(sandbox)


def test_sandbox_rejects_wrong_key(clearline_sandbox: Sandbox) -> None:
    client = clearline.Client("test_key_not_real_0000", base_url=clearline_sandbox.base_url)

    with pytest.raises(clearline.AuthenticationError) as raised:
        client.send("+12025551234", "Hi")

    assert raised.value.status_code == 401
    assert clearline_sandbox.messages() == []


def test_sandbox_delivers_report(clearline_sandbox: Sandbox, receiver: CallbackReceiver) -> None:
    client = clearline_sandbox.client()
    receipt = client.send("+12025551234", "Hi", callback_url=receiver.url)

    outcomes = clearline_sandbox.wait_for_callbacks(1)

    assert outcomes[0].message_id == receipt.message_id
    assert outcomes[0].delivered is True
    assert outcomes[0].attempts == 1
    report = clearline.parse_callback(receiver.bodies[0])
    assert report == outcomes[0].report
    assert report.message_id == receipt.message_id
    assert report.status is clearline.DeliveryStatus.DELIVERED


@pytest.mark.parametrize(
    ("phone", "external_status"),
    [
        (Sandbox.FAILED_NUMBER, "Failed"),
        (Sandbox.EXPIRED_NUMBER, "Expired"),
        (Sandbox.REJECTED_NUMBER, "Rejected"),
    ],
)
def test_sandbox_reserved_number_fails(
    clearline_sandbox: Sandbox, receiver: CallbackReceiver, phone: str, external_status: str
) -> None:
    clearline_sandbox.client().send(phone, "Hi", callback_url=receiver.url)

    outcome = clearline_sandbox.wait_for_callbacks(1)[0]

    report = clearline.parse_callback(receiver.bodies[0])
    assert report.status is clearline.DeliveryStatus.DELIVERED_FAILED
    assert report.external_status == external_status
    assert report.reason
    assert outcome.report.is_failed is True


def test_sandbox_retries_refused_callback(receiver: CallbackReceiver) -> None:
    receiver.status = 500
    with Sandbox(callback_delay=0, callback_max_attempts=2, callback_retry_backoff=0.01) as sandbox:
        sandbox.client().send("+12025551234", "Hi", callback_url=receiver.url)

        outcome = sandbox.wait_for_callbacks(1)[0]
        attempts = sandbox.callback_attempts()

    assert outcome.delivered is False
    assert outcome.attempts == 2
    assert [attempt.status for attempt in attempts] == [500, 500]
    assert [attempt.attempt for attempt in attempts] == [1, 2]
    assert len(receiver.bodies) == 2


def test_sandbox_wait_times_out(clearline_sandbox: Sandbox) -> None:
    clearline_sandbox.client().send("+12025551234", "no callback URL")

    with pytest.raises(TimeoutError, match="0 arrived"):
        clearline_sandbox.wait_for_callbacks(1, timeout=0.1)


@pytest.mark.parametrize(
    ("fault", "error", "maybe_sent"),
    [
        (Fault.status(500), clearline.ServerError, True),
        (Fault.status(400, body='{"error": "blocked"}'), clearline.RejectedError, False),
        (Fault.close_connection(), clearline.ConnectionError, True),
        (Fault.non_json_body(), clearline.UnexpectedResponseError, True),
        (Fault.redirect("http://127.0.0.1:9/"), clearline.UnexpectedResponseError, False),
    ],
)
def test_sandbox_fault_raises_error(
    clearline_sandbox: Sandbox,
    fault: Fault,
    error: type[clearline.ClearLineError],
    maybe_sent: bool,
) -> None:
    clearline_sandbox.inject_fault(fault)
    client = clearline_sandbox.client(max_retries=0)

    with pytest.raises(error) as raised:
        client.send("+12025551234", "Hi")

    assert raised.value.maybe_sent is maybe_sent
    assert clearline_sandbox.pending_faults == 0


def test_sandbox_rate_limit_fault(clearline_sandbox: Sandbox) -> None:
    clearline_sandbox.inject_fault(Fault.status(429, retry_after=2), times=2)

    with pytest.raises(clearline.RateLimitError) as raised:
        clearline_sandbox.client(max_retries=0).send("+12025551234", "Hi")

    assert raised.value.retry_after == 2.0
    assert clearline_sandbox.pending_faults == 1
    clearline_sandbox.clear_faults()
    assert clearline_sandbox.pending_faults == 0


def test_sandbox_latency_fault_times_out(clearline_sandbox: Sandbox) -> None:
    clearline_sandbox.inject_fault(Fault.latency(1.0))

    with pytest.raises(clearline.TimeoutError) as raised:
        clearline_sandbox.client(max_retries=0).send("+12025551234", "Hi", timeout=0.2)

    assert raised.value.timeout_phase == "response"


def test_sandbox_reset_forgets(clearline_sandbox: Sandbox) -> None:
    clearline_sandbox.client().send("+12025551234", "Hi")
    clearline_sandbox.inject_fault(Fault.status(500))

    clearline_sandbox.reset()

    assert clearline_sandbox.messages() == []
    assert clearline_sandbox.pending_faults == 0


def test_sandbox_not_running_is_clear() -> None:
    sandbox = Sandbox()

    with pytest.raises(RuntimeError, match="not running"):
        _ = sandbox.base_url
    sandbox.start()
    try:
        assert sandbox.port > 0
    finally:
        sandbox.stop()
    with pytest.raises(RuntimeError, match="not running"):
        sandbox.messages()


def test_sandbox_max_message_chars_reaches_client() -> None:
    with Sandbox(max_message_chars=5000) as sandbox:
        assert sandbox.max_message_chars == 5000

        receipt = sandbox.client().send("+12025551234", "x" * 2000)

        assert sandbox.messages()[0].message_id == receipt.message_id
        with pytest.raises(clearline.ValidationError):
            sandbox.client().send("+12025551234", "x" * 5001)
        with pytest.raises(clearline.ValidationError):
            sandbox.client(max_message_chars=1600).send("+12025551234", "x" * 2000)


def test_sandbox_max_message_chars_defaults_to_cores(clearline_sandbox: Sandbox) -> None:
    assert clearline_sandbox.max_message_chars == 1600

    with pytest.raises(clearline.ValidationError):
        clearline_sandbox.client().send("+12025551234", "x" * 1601)


def test_sandbox_zero_max_message_chars_is_rejected() -> None:
    with pytest.raises(ValueError, match="max_message_chars"):
        Sandbox(max_message_chars=0)


@pytest.mark.parametrize(
    ("build", "argument"),
    [
        (lambda: Fault.redirect("http://127.0.0.1/\ud800"), "Fault.redirect() argument 'location'"),
        (lambda: Fault.status(500, body="\ud800"), "Fault.status() argument 'body'"),
        (lambda: Fault.status(429, retry_after="\ud800"), "Fault.status() argument 'retry_after'"),
        (lambda: Sandbox(api_key="key_\ud800"), "Sandbox() argument 'api_key'"),
    ],
    ids=["redirect", "status_body", "status_retry_after", "sandbox_api_key"],
)
def test_sandbox_lone_surrogate_names_argument(build: Callable[[], object], argument: str) -> None:
    with pytest.raises(clearline.ConfigurationError) as raised:
        build()

    assert f"{argument} is not valid Unicode" in str(raised.value)


def test_sandbox_wrong_option_type() -> None:
    with pytest.raises(TypeError, match="argument 'callback_delay' must be a number of seconds"):
        Sandbox(callback_delay="fast")  # type: ignore[arg-type]


async def serve_reports(bodies: list[bytes]) -> tuple[asyncio.Server, str]:
    """Start a minimal asyncio HTTP receiver on this loop that answers 200 to every POST."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        bodies.append(await reader.readexactly(length))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/webhooks/sms"


@pytest.mark.asyncio
async def test_sandbox_async_client_gets_max_message_chars() -> None:
    async with Sandbox(max_message_chars=5000) as sandbox:
        receipt = await sandbox.async_client().send("+12025551234", "x" * 2000)

        assert sandbox.messages()[0].message_id == receipt.message_id


@pytest.mark.asyncio
async def test_sandbox_async_round_trip() -> None:
    bodies: list[bytes] = []
    server, url = await serve_reports(bodies)
    try:
        async with Sandbox(callback_delay=0.01) as sandbox:
            async with sandbox.async_client() as client:
                receipt = await client.send("+12025551234", "Hi", callback_url=url)

            # The receiver runs on this loop, so the wait must not block it.
            outcomes = await sandbox.wait_for_callbacks_async(1)
    finally:
        server.close()
        await server.wait_closed()

    assert outcomes[0].delivered is True
    assert clearline.parse_callback(bodies[0]).message_id == receipt.message_id


@pytest.mark.asyncio
async def test_sandbox_async_wait_times_out(clearline_sandbox: Sandbox) -> None:
    with pytest.raises(TimeoutError):
        await clearline_sandbox.wait_for_callbacks_async(1, timeout=0.05)


@pytest.mark.parametrize("status", [-1, 99, 100, 103, 199, 600, 1000, 70000])
def test_fault_status_out_of_range_is_rejected(status: int) -> None:
    with pytest.raises(clearline.ConfigurationError) as raised:
        Fault.status(status)

    message = str(raised.value)
    assert f"status {status} cannot be injected" in message
    assert "from 200 to 599" in message


def test_fault_status_wrong_type_names_argument() -> None:
    with pytest.raises(TypeError, match=r"Fault\.status\(\) argument 'status' must be int"):
        Fault.status(True)


def test_fault_status_bad_retry_after_is_rejected() -> None:
    with pytest.raises(clearline.ConfigurationError, match="Retry-After"):
        Fault.status(429, retry_after="2\n")


def test_fault_status_200_answers_rejection(clearline_sandbox: Sandbox) -> None:
    clearline_sandbox.inject_fault(Fault.status(200))

    with pytest.raises(clearline.RejectedError) as raised:
        clearline_sandbox.client(max_retries=0).send("+12025551234", "Hi")

    assert raised.value.status_code == 200


@pytest.mark.parametrize(
    "seconds", [3600.5, 1e9, 1e300, 10**400], ids=["hour", "1e9", "1e300", "int"]
)
def test_fault_latency_over_an_hour_is_rejected(seconds: float) -> None:
    with pytest.raises(clearline.ConfigurationError) as raised:
        Fault.latency(seconds)

    message = str(raised.value)
    assert "of at most 3600" in message
    assert len(message) < 200


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault.status(429, retry_after="2"), "Fault.status(429, retry_after='2')"),
        (Fault.status(429, retry_after=2), "Fault.status(429, retry_after='2')"),
        (Fault.status(400, body='{"a": 1}'), """Fault.status(400, body='{"a": 1}')"""),
        (Fault.status(503), "Fault.status(503)"),
        (Fault.latency(0.25), "Fault.latency(0.25)"),
        (Fault.close_connection(), "Fault.close_connection()"),
        (Fault.non_json_body(), "Fault.non_json_body()"),
        (Fault.redirect("http://127.0.0.1:9/x"), "Fault.redirect('http://127.0.0.1:9/x')"),
    ],
)
def test_fault_repr_shows_constructor_call(fault: Fault, expected: str) -> None:
    assert repr(fault) == expected


@pytest.mark.parametrize("times", [-1, 2**32])
def test_sandbox_inject_fault_times_out_of_range(clearline_sandbox: Sandbox, times: int) -> None:
    with pytest.raises(clearline.ConfigurationError) as raised:
        clearline_sandbox.inject_fault(Fault.status(500), times=times)

    assert f"invalid times: {times}; pass a whole number from 0 to 4294967295" in str(raised.value)
    assert clearline_sandbox.pending_faults == 0


def test_sandbox_wait_for_callbacks_negative_count(clearline_sandbox: Sandbox) -> None:
    with pytest.raises(clearline.ConfigurationError, match="invalid count: -1; pass a whole"):
        clearline_sandbox.wait_for_callbacks(-1)


@pytest.mark.asyncio
async def test_sandbox_wait_for_callbacks_async_negative_count(
    clearline_sandbox: Sandbox,
) -> None:
    with pytest.raises(clearline.ConfigurationError, match="invalid count: -1; pass a whole"):
        await clearline_sandbox.wait_for_callbacks_async(-1)
