"""No Rust panic reaches Python as PanicException: each becomes clearline.InternalError.

A private hook of the native module panics on purpose in a synchronous call, in a blocking call
on the shared runtime and inside an awaitable, the three ways core code runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import clearline
import clearline._native
import pytest
from clearline.testing import Sandbox

PANIC_FOR_TESTING: Callable[[str], Any] = getattr(clearline._native, "_panic_for_testing")  # noqa: B009


def test_panic_in_sync_call_is_internal_error() -> None:
    with pytest.raises(clearline.InternalError) as raised:
        PANIC_FOR_TESTING("sync")

    assert isinstance(raised.value, Exception)
    assert raised.value.code == "CLEARLINE_INTERNAL"
    assert raised.value.maybe_sent is False
    assert "panic requested by a test" in str(raised.value)
    assert "This is a bug" in str(raised.value)


def test_panic_in_blocking_call_is_internal_error() -> None:
    with pytest.raises(clearline.InternalError) as raised:
        PANIC_FOR_TESTING("blocking")

    assert raised.value.maybe_sent is True
    assert "panic requested by a test" in str(raised.value)


@pytest.mark.asyncio
async def test_panic_in_awaitable_rejects_it() -> None:
    awaitable: Awaitable[None] = PANIC_FOR_TESTING("async")

    # A panic that killed the task would leave the awaitable pending; it must fail instead.
    with pytest.raises(clearline.InternalError) as raised:
        await asyncio.wait_for(awaitable, timeout=5)

    assert raised.value.maybe_sent is True
    assert "panic requested by a test" in str(raised.value)


@pytest.mark.asyncio
async def test_runtime_works_after_panics(clearline_sandbox: Sandbox) -> None:
    with pytest.raises(clearline.InternalError):
        PANIC_FOR_TESTING("blocking")
    with pytest.raises(clearline.InternalError):
        await asyncio.wait_for(PANIC_FOR_TESTING("async"), timeout=5)

    receipt = await clearline_sandbox.async_client().send("+12025551234", "after the panics")
    blocking_receipt = clearline_sandbox.client().send("+12025551234", "after the panics")

    assert receipt.message_id != blocking_receipt.message_id
    assert len(clearline_sandbox.messages()) == 2
