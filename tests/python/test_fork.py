"""A client or the module used in a parent and then in a forked child keeps working there."""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

import clearline
import pytest
from clearline.testing import Fault, Sandbox

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="fork is tested on Linux"),
    # Python 3.12+ warns that forking a process with threads may deadlock. The runtime's worker
    # threads are such threads, and these tests check that the child does not hang.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]

CHILD_TIMEOUT = 20.0


def run_in_child(target: Callable[..., None], *args: object) -> str:
    """Run ``target(connection, *args)`` in a forked child and return what it sent back."""
    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(child_end, *args))
    child.start()
    child_end.close()
    child.join(CHILD_TIMEOUT)
    if child.is_alive():
        child.kill()
        child.join()
        raise AssertionError("the forked child hung")
    assert parent_end.poll(1), f"the child exited with {child.exitcode} and sent nothing"
    result: str = parent_end.recv()
    return result


def send_sync(connection: Connection, client: clearline.Client) -> None:
    try:
        connection.send(client.send("+12025551234", "from the child").message_id)
    except Exception as err:
        connection.send(f"failed: {err!r}")


def send_async(connection: Connection, client: clearline.AsyncClient) -> None:
    async def main() -> str:
        receipt = await client.send("+12025551234", "from the child")
        return receipt.message_id

    try:
        connection.send(asyncio.run(main()))
    except Exception as err:
        connection.send(f"failed: {err!r}")


def parse_in_child(connection: Connection) -> None:
    report = clearline.parse_callback(b'{"messageId":"m1","deliveryStatus":"Delivered"}')
    connection.send(report.message_id)


def sent_message_ids(sandbox: Sandbox) -> list[str]:
    return [message.message_id for message in sandbox.messages()]


def test_fork_used_sync_client_works(clearline_sandbox: Sandbox) -> None:
    client = clearline_sandbox.client()
    client.send("+12025551234", "from the parent")

    result = run_in_child(send_sync, client)

    assert result == sent_message_ids(clearline_sandbox)[1]
    # The parent's client and runtime still work after the fork.
    receipt = client.send("+12025551234", "parent again")
    assert receipt.message_id == sent_message_ids(clearline_sandbox)[2]


def test_fork_unused_client_works(clearline_sandbox: Sandbox) -> None:
    client = clearline_sandbox.client()

    assert run_in_child(send_sync, client) == sent_message_ids(clearline_sandbox)[0]


def test_fork_used_async_client_works(clearline_sandbox: Sandbox) -> None:
    client = clearline_sandbox.async_client()

    async def send_in_parent() -> None:
        await client.send("+12025551234", "from the parent")

    asyncio.run(send_in_parent())

    assert run_in_child(send_async, client) == sent_message_ids(clearline_sandbox)[1]


def test_fork_module_functions_work() -> None:
    clearline.parse_callback(b'{"messageId":"m0","deliveryStatus":"Delivered"}')

    assert run_in_child(parse_in_child) == "m1"


def test_fork_during_sends_in_another_thread(clearline_sandbox: Sandbox) -> None:
    client = clearline_sandbox.client()
    stop = threading.Event()

    def send_until_stopped() -> None:
        while not stop.is_set():
            client.send("+12025551234", "from a parent thread")

    sender = threading.Thread(target=send_until_stopped)
    sender.start()
    try:
        while len(clearline_sandbox.messages()) < 5:
            time.sleep(0.01)
        results = [run_in_child(send_sync, client) for _ in range(3)]
    finally:
        stop.set()
        sender.join()

    assert set(results) <= set(sent_message_ids(clearline_sandbox)), results


def use_sandbox_in_child(connection: Connection, sandbox: Sandbox) -> None:
    """Send back the outcome of each sandbox method in the child, one line each."""
    calls: list[tuple[str, Callable[[], object]]] = [
        ("messages", sandbox.messages),
        ("base_url", lambda: sandbox.base_url),
        ("client", sandbox.client),
        ("inject_fault", lambda: sandbox.inject_fault(Fault.status(500))),
        ("wait_for_callbacks", lambda: sandbox.wait_for_callbacks(0)),
        ("start", sandbox.start),
        ("stop", sandbox.stop),
    ]
    lines = []
    for name, call in calls:
        try:
            call()
            lines.append(f"{name}: returned")
        except RuntimeError as err:
            lines.append(f"{name}: {err}")
    connection.send("\n".join(lines))


def test_fork_sandbox_methods_raise_in_child(clearline_sandbox: Sandbox) -> None:
    clearline_sandbox.client().send("+12025551234", "from the parent")

    outcomes = dict(
        line.split(": ", 1)
        for line in run_in_child(use_sandbox_in_child, clearline_sandbox).split("\n")
    )

    for name in ("messages", "base_url", "client", "inject_fault", "wait_for_callbacks", "start"):
        assert "cannot be used after fork()" in outcomes[name], (name, outcomes[name])
        assert "create and start a new Sandbox" in outcomes[name]
    assert outcomes["stop"] == "returned"
    # The parent's sandbox keeps its records and keeps serving.
    assert len(clearline_sandbox.messages()) == 1
    clearline_sandbox.client().send("+12025551234", "parent again")
    assert len(clearline_sandbox.messages()) == 2
