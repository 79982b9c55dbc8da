"""Soak the Python package: N sends against a running sandbox, sampling RSS and open fds.

Usage: python soak.py BASE_URL API_KEY SENDS SAMPLE_EVERY

Sends through one AsyncClient with 16 sends in flight and prints one JSON line per sample:
``{"language", "sends", "rss_kib", "fds", "elapsed_s"}``. Linux only (reads /proc/self).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import clearline

CONCURRENCY = 16


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS line in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def soak(base_url: str, api_key: str, sends: int, sample_every: int) -> None:
    started = time.monotonic()
    done = 0
    failures = 0

    def sample() -> None:
        print(
            json.dumps(
                {
                    "language": "python",
                    "sends": done,
                    "rss_kib": rss_kib(),
                    "fds": open_fds(),
                    "elapsed_s": round(time.monotonic() - started, 2),
                }
            ),
            flush=True,
        )

    async with clearline.AsyncClient(api_key, base_url=base_url, max_retries=0) as client:
        sample()

        async def worker(count: int) -> None:
            nonlocal done, failures
            for _ in range(count):
                try:
                    await client.send("+12025551234", "Soak test message")
                except clearline.ClearLineError:
                    failures += 1
                done += 1
                if done % sample_every == 0:
                    sample()

        shares = [
            sends // CONCURRENCY + (1 if index < sends % CONCURRENCY else 0)
            for index in range(CONCURRENCY)
        ]
        await asyncio.gather(*(worker(share) for share in shares))
    if failures:
        print(json.dumps({"language": "python", "failures": failures}), flush=True)


def main() -> None:
    base_url, api_key, sends, sample_every = (
        sys.argv[1],
        sys.argv[2],
        int(sys.argv[3]),
        int(sys.argv[4]),
    )
    asyncio.run(soak(base_url, api_key, sends, sample_every))


if __name__ == "__main__":
    main()
