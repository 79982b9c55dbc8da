"""A client or the module used in a parent and then in a forked child keeps working there."""

from __future__ import annotations

import asyncio
import multiprocessing
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection

import clearline
import pytest
from conftest import API_KEY, FakeClearLine

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


def test_fork_used_sync_client_works(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)
    client.send("+12025551234", "from the parent")

    result = run_in_child(send_sync, client)

    assert result == "msg_2"
    # The parent's client and runtime still work after the fork.
    assert client.send("+12025551234", "parent again").message_id == "msg_3"


def test_fork_unused_client_works(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    assert run_in_child(send_sync, client) == "msg_1"


def test_fork_used_async_client_works(server: FakeClearLine) -> None:
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)

    async def send_in_parent() -> None:
        await client.send("+12025551234", "from the parent")

    asyncio.run(send_in_parent())

    assert run_in_child(send_async, client) == "msg_2"


def test_fork_module_functions_work() -> None:
    clearline.parse_callback(b'{"messageId":"m0","deliveryStatus":"Delivered"}')

    assert run_in_child(parse_in_child) == "m1"


def test_fork_during_sends_in_another_thread(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)
    stop = threading.Event()

    def send_until_stopped() -> None:
        while not stop.is_set():
            client.send("+12025551234", "from a parent thread")

    sender = threading.Thread(target=send_until_stopped)
    sender.start()
    try:
        server.wait_for_requests(5)
        results = [run_in_child(send_sync, client) for _ in range(3)]
    finally:
        stop.set()
        sender.join()

    assert all(result.startswith("msg_") for result in results), results
