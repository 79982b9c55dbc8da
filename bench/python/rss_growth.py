"""Measure how much the resident set of a process grows over many sends. Prints one JSON object.

After a warm-up, which opens the connections and fills the allocators' caches, the process
records its RSS, makes ``--count`` sends and records its RSS again once the results are dropped
(``growth_mb``, what a leak would show as). A thread samples RSS every few milliseconds meanwhile
(``peak_growth_mb``, what the sends hold at once). Reads /proc/self/statm, so it runs on Linux.

- ``--client clearline-async``: ``AsyncClient.send`` from a fixed pool of worker coroutines;
- ``--client clearline-send-many``: ``AsyncClient.send_many`` calls of ``--batch-size`` messages.

A ``send_many`` call returns one result object per message, so the peak of a single call grows
with its size (100,000 receipts take about 11 MB), and what it allocated on the runtime's threads
stays in glibc's per-thread arenas after it is freed. ``--batch-size`` equal to ``--count``
measures one call with every message.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import threading

import clearline
from clients import MESSAGE, PHONE

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_INTERVAL_S = 0.005


def rss_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


class PeakSampler:
    """Samples RSS on a thread from start() to stop(), keeping the largest value."""

    def __init__(self) -> None:
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_S):
            self.peak = max(self.peak, rss_bytes())


async def send_from_workers(client: clearline.AsyncClient, count: int, concurrency: int) -> int:
    """Send ``count`` SMS from ``concurrency`` worker coroutines; return the failures."""
    remaining = count
    failed = 0

    async def worker() -> None:
        nonlocal remaining, failed
        while remaining > 0:
            remaining -= 1
            try:
                await client.send(PHONE, MESSAGE)
            except clearline.ClearLineError:
                failed += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failed


async def send_in_batches(
    client: clearline.AsyncClient, count: int, concurrency: int, batch_size: int
) -> int:
    """Send ``count`` SMS with ``send_many`` calls of ``batch_size``; return the failures."""
    failed = 0
    for start in range(0, count, batch_size):
        size = min(batch_size, count - start)
        results = await client.send_many([(PHONE, MESSAGE)] * size, concurrency=concurrency)
        failed += sum(isinstance(result, clearline.ClearLineError) for result in results)
    return failed


async def measure(args: argparse.Namespace) -> dict[str, object]:
    async def send(client: clearline.AsyncClient, count: int, concurrency: int) -> int:
        if args.client == "clearline-async":
            return await send_from_workers(client, count, concurrency)
        return await send_in_batches(client, count, concurrency, args.batch_size)

    async with clearline.AsyncClient(args.api_key, base_url=args.base_url) as client:
        await send(client, args.warmup, args.concurrency)
        gc.collect()
        before = rss_bytes()

        sampler = PeakSampler()
        sampler.start()
        try:
            failed = await send(client, args.count, args.concurrency)
        finally:
            sampler.stop()
        gc.collect()
        after = rss_bytes()

    return {
        "client": args.client,
        "count": args.count,
        "batch_size": args.batch_size if args.client == "clearline-send-many" else None,
        "failed": failed,
        "rss_before_mb": before / 1e6,
        "growth_mb": (after - before) / 1e6,
        "peak_growth_mb": (sampler.peak - before) / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--client", required=True, choices=["clearline-async", "clearline-send-many"]
    )
    parser.add_argument("--base-url", required=True, help="base URL of the sandbox")
    parser.add_argument("--api-key", required=True, help="API key the sandbox accepts")
    parser.add_argument("--count", type=int, default=100_000, help="measured sends")
    parser.add_argument("--warmup", type=int, default=5_000, help="unmeasured sends first")
    parser.add_argument("--concurrency", type=int, default=64, help="sends in flight at once")
    parser.add_argument(
        "--batch-size", type=int, default=10_000, help="messages per send_many call"
    )
    args = parser.parse_args()
    if min(args.count, args.warmup, args.concurrency, args.batch_size) < 1:
        parser.error("--count, --warmup, --concurrency and --batch-size must be at least 1")

    json.dump(asyncio.run(measure(args)), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
