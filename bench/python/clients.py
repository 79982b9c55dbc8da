"""The Python clients of the benchmark and the loops that drive them.

Every client sends the same SMS to the same server. The SDK clients go through ``clearline``;
the peers make the raw POST the SDK makes: the same URL, the ``ApiKey``, ``Content-Type`` and
``Accept`` headers and the same JSON body, then they read the response and parse its JSON.
Concurrency is a fixed pool of workers (coroutines or threads) that take sends from a shared
counter until ``count`` have started.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

PHONE = "+12025551234"
MESSAGE = "Your verification code is 042042"
SEND_PATH = "/MessageSender/sms"


@dataclass
class Measurement:
    """What one measured run of a client recorded."""

    count: int
    concurrency: int
    elapsed_s: float
    latencies_ns: list[int] = field(default_factory=list)
    """Latency of each send; empty for ``send_many``, which does not expose it."""
    failed: int = 0
    first_error: str | None = None


@dataclass
class Server:
    """Where the clients send: the sandbox's base URL and its API key."""

    base_url: str
    api_key: str

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + SEND_PATH

    @property
    def headers(self) -> dict[str, str]:
        # Content-Type comes with the JSON body.
        return {"ApiKey": self.api_key, "Accept": "application/json"}


def check_accepted(status: int, data: Any) -> str:
    """Return the ``messageId`` of an accepted send, or raise like the SDK would."""
    if status != 200 or not isinstance(data, dict) or data.get("succeed") is not True:
        raise RuntimeError(f"the server did not accept the send: HTTP {status}, {data!r:.200}")
    message_id = data.get("messageId")
    if not isinstance(message_id, str):
        raise RuntimeError(f"the response has no messageId: {data!r:.200}")
    return message_id


# --- Drivers ------------------------------------------------------------------------------------


async def drive_async(
    send: Callable[[], Awaitable[object]], count: int, concurrency: int
) -> Measurement:
    """Await ``send()`` ``count`` times from ``concurrency`` worker coroutines."""
    latencies: list[int] = []
    errors: list[BaseException] = []
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter_ns()
            try:
                await send()
            except Exception as err:
                errors.append(err)
            latencies.append(time.perf_counter_ns() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    elapsed = time.perf_counter() - started
    return _measurement(count, concurrency, elapsed, latencies, errors)


def drive_threads(send: Callable[[], object], count: int, concurrency: int) -> Measurement:
    """Call ``send()`` ``count`` times from a pool of ``concurrency`` threads."""
    # next() on itertools.count is atomic under the GIL, so the threads share it without a lock.
    tickets = itertools.count()
    per_thread: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        latencies: list[int] = []
        per_thread.append(latencies)
        while next(tickets) < count:
            started = time.perf_counter_ns()
            try:
                send()
            except Exception as err:
                errors.append(err)
            latencies.append(time.perf_counter_ns() - started)

    threads = [threading.Thread(target=worker) for _ in range(min(concurrency, count))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = [latency for chunk in per_thread for latency in chunk]
    return _measurement(count, concurrency, elapsed, latencies, errors)


def _measurement(
    count: int,
    concurrency: int,
    elapsed: float,
    latencies: list[int],
    errors: list[BaseException],
) -> Measurement:
    return Measurement(
        count=count,
        concurrency=concurrency,
        elapsed_s=elapsed,
        latencies_ns=latencies,
        failed=len(errors),
        first_error=repr(errors[0]) if errors else None,
    )


# --- Clients ------------------------------------------------------------------------------------
#
# Each client is a context manager that yields a zero-argument send function: awaitable for the
# async clients, blocking for the sync ones.


@asynccontextmanager
async def clearline_async(server: Server, concurrency: int) -> AsyncIterator[Callable[[], Any]]:
    import clearline

    async with clearline.AsyncClient(server.api_key, base_url=server.base_url) as client:
        send = client.send
        yield lambda: send(PHONE, MESSAGE)


@contextmanager
def clearline_sync(server: Server, concurrency: int) -> Iterator[Callable[[], Any]]:
    import clearline

    with clearline.Client(server.api_key, base_url=server.base_url) as client:
        send = client.send
        yield lambda: send(PHONE, MESSAGE)


@asynccontextmanager
async def aiohttp_async(server: Server, concurrency: int) -> AsyncIterator[Callable[[], Any]]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=server.headers) as session:
        endpoint = server.endpoint
        payload = {"phone": PHONE, "message": MESSAGE}

        async def send() -> str:
            async with session.post(endpoint, json=payload) as response:
                return check_accepted(response.status, await response.json())

        yield send


@asynccontextmanager
async def httpx_async(server: Server, concurrency: int) -> AsyncIterator[Callable[[], Any]]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(headers=server.headers, limits=limits) as client:
        endpoint = server.endpoint
        payload = {"phone": PHONE, "message": MESSAGE}

        async def send() -> str:
            response = await client.post(endpoint, json=payload)
            return check_accepted(response.status_code, response.json())

        yield send


@contextmanager
def httpx_sync(server: Server, concurrency: int) -> Iterator[Callable[[], Any]]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    with httpx.Client(headers=server.headers, limits=limits) as client:
        endpoint = server.endpoint
        payload = {"phone": PHONE, "message": MESSAGE}

        def send() -> str:
            response = client.post(endpoint, json=payload)
            return check_accepted(response.status_code, response.json())

        yield send


async def run_async_client(
    client: Callable[[Server, int], Any], server: Server, count: int, concurrency: int
) -> Measurement:
    """Warm ``client`` up with one send per worker, then measure ``count`` sends."""
    async with client(server, concurrency) as send:
        await drive_async(send, concurrency, concurrency)
        return await drive_async(send, count, concurrency)


def run_sync_client(
    client: Callable[[Server, int], Any], server: Server, count: int, concurrency: int
) -> Measurement:
    """Warm ``client`` up with one send per thread, then measure ``count`` sends."""
    with client(server, concurrency) as send:
        drive_threads(send, concurrency, concurrency)
        return drive_threads(send, count, concurrency)


async def run_send_many_async(server: Server, count: int, concurrency: int) -> Measurement:
    """Measure one ``AsyncClient.send_many`` call of ``count`` messages."""
    import clearline

    async with clearline.AsyncClient(server.api_key, base_url=server.base_url) as client:
        await client.send_many([(PHONE, MESSAGE)] * concurrency, concurrency=concurrency)

        messages = [(PHONE, MESSAGE)] * count
        started = time.perf_counter()
        results = await client.send_many(messages, concurrency=concurrency)
        elapsed = time.perf_counter() - started

    errors = [result for result in results if isinstance(result, BaseException)]
    return _measurement(count, concurrency, elapsed, [], errors)


def run_send_many_sync(server: Server, count: int, concurrency: int) -> Measurement:
    """Measure one ``Client.send_many`` call of ``count`` messages."""
    import clearline

    with clearline.Client(server.api_key, base_url=server.base_url) as client:
        client.send_many([(PHONE, MESSAGE)] * concurrency, concurrency=concurrency)

        messages = [(PHONE, MESSAGE)] * count
        started = time.perf_counter()
        results = client.send_many(messages, concurrency=concurrency)
        elapsed = time.perf_counter() - started

    errors = [result for result in results if isinstance(result, BaseException)]
    return _measurement(count, concurrency, elapsed, [], errors)


# The rows of the Python side, keyed by the name `throughput.py --client` takes.
ASYNC_CLIENTS = {
    "clearline-async": clearline_async,
    "aiohttp": aiohttp_async,
    "httpx-async": httpx_async,
}
SYNC_CLIENTS = {
    "clearline-sync": clearline_sync,
    "httpx-sync": httpx_sync,
}
CLIENT_NAMES = [*ASYNC_CLIENTS, *SYNC_CLIENTS, "clearline-send-many", "clearline-send-many-sync"]


def run_client(name: str, server: Server, count: int, concurrency: int) -> Measurement:
    """Run the client called ``name`` (one of :data:`CLIENT_NAMES`)."""
    if name == "clearline-send-many":
        return asyncio.run(run_send_many_async(server, count, concurrency))
    if name == "clearline-send-many-sync":
        return run_send_many_sync(server, count, concurrency)
    if name in ASYNC_CLIENTS:
        return asyncio.run(run_async_client(ASYNC_CLIENTS[name], server, count, concurrency))
    return run_sync_client(SYNC_CLIENTS[name], server, count, concurrency)
