"""The AsyncClient: awaitables on asyncio and uvloop, cancellation and loop shutdown."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, Callable

import clearline
import pytest
from clearline.testing import Sandbox
from conftest import API_KEY, FakeClearLine, Reply

uvloop = pytest.importorskip("uvloop")


def run_on(loop_kind: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    if loop_kind == "uvloop":
        uvloop.run(main())
    else:
        asyncio.run(main())


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_async_send_returns_receipt(clearline_sandbox: Sandbox, loop_kind: str) -> None:
    async def main() -> None:
        async with clearline_sandbox.async_client() as client:
            receipt = await client.send("+1 202 555 1234", "Hi", callback_url="https://a.example/h")

        message = clearline_sandbox.messages()[0]
        assert receipt.message_id == message.message_id
        assert receipt.phone == "+12025551234"
        assert message.phone == "+12025551234"
        assert message.message == "Hi"
        assert message.callback_url == "https://a.example/h"

    run_on(loop_kind, main)


@pytest.mark.asyncio
async def test_async_send_raises_typed_error(server: FakeClearLine) -> None:
    server.script(Reply(401, b"bad key"))
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)

    with pytest.raises(clearline.AuthenticationError) as raised:
        await client.send("+12025551234", "Hi")

    assert raised.value.status_code == 401
    assert API_KEY not in str(raised.value)


@pytest.mark.asyncio
async def test_async_send_validation_error_from_awaitable(server: FakeClearLine) -> None:
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)

    with pytest.raises(clearline.ValidationError) as raised:
        await client.send("12", "Hi")

    assert raised.value.field == "phone"


@pytest.mark.asyncio
async def test_async_sends_run_concurrently(server: FakeClearLine) -> None:
    server.script(*[Reply(delay=0.3) for _ in range(10)])
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)

    started = time.monotonic()
    receipts = await asyncio.gather(*(client.send("+12025551234", "Hi") for _ in range(10)))

    assert len({receipt.message_id for receipt in receipts}) == 10
    # Ten sequential sends would take 3 s.
    assert time.monotonic() - started < 2.0


@pytest.mark.asyncio
async def test_async_cancel_aborts_request(server: FakeClearLine) -> None:
    server.script(Reply(delay=5.0))
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)

    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.send("+12025551234", "Hi"), timeout=0.2)
    cancelled_at = time.monotonic()

    await asyncio.to_thread(server.wait_for_aborts, 1)
    assert server.aborted_at[0] - cancelled_at < 1.0


@pytest.mark.asyncio
async def test_async_task_cancel_raises_cancelled(server: FakeClearLine) -> None:
    server.script(Reply(delay=5.0))
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)
    task = asyncio.ensure_future(client.send("+12025551234", "Hi"))
    await asyncio.sleep(0.1)

    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.asyncio
async def test_async_client_closed_rejects_send(server: FakeClearLine) -> None:
    async with clearline.AsyncClient(API_KEY, base_url=server.base_url) as client:
        pass

    with pytest.raises(RuntimeError, match="closed"):
        client.send("+12025551234", "Hi")


def test_async_send_outside_loop_is_clear(server: FakeClearLine) -> None:
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)

    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        client.send("+12025551234", "Hi")


SHUTDOWN_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, time
    sys.path.insert(0, {tests_dir!r})
    import clearline
    from conftest import FakeClearLine, Reply

    server = FakeClearLine()
    server.script(*[Reply(delay=0.3) for _ in range(20)])

    async def main():
        client = clearline.AsyncClient("test_key_not_real_0000", base_url=server.base_url)
        # Tasks still pending when main returns are cancelled by asyncio.run.
        for _ in range(10):
            asyncio.ensure_future(client.send("+12025551234", "Hi"))
        # Futures that are never awaited complete after the loop has closed.
        unawaited = [client.send("+12025551234", "Hi") for _ in range(10)]
        await asyncio.sleep(0.05)

    asyncio.run(main())
    time.sleep(1.0)
    server.close()
    print("done")
    """
)


def test_async_shutdown_with_pending_sends_is_quiet(server: FakeClearLine) -> None:
    script = SHUTDOWN_SCRIPT.format(tests_dir=str(Path(__file__).parent))

    finished = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=False
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "done"
    assert "Event loop is closed" not in finished.stderr
    assert finished.stderr == ""
