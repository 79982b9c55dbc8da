"""Measure the throughput and latency of one Python client and print them as one JSON object.

Run by bench/orchestrate.py, one process per client, so that each client's peak RSS is its own:

    python bench/python/throughput.py --client aiohttp --base-url URL --api-key KEY \\
        --count 20000 --concurrency 64
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from clients import CLIENT_NAMES, Server, run_client


def percentile_ms(sorted_ns: list[int], percent: float) -> float | None:
    """Return the nearest-rank percentile of sorted nanosecond values, in milliseconds."""
    if not sorted_ns:
        return None
    rank = math.ceil(percent / 100 * len(sorted_ns))
    index = min(max(rank, 1), len(sorted_ns)) - 1
    return sorted_ns[index] / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", required=True, choices=CLIENT_NAMES)
    parser.add_argument("--base-url", required=True, help="base URL of the sandbox")
    parser.add_argument("--api-key", required=True, help="API key the sandbox accepts")
    parser.add_argument("--count", type=int, default=20_000, help="measured sends")
    parser.add_argument("--concurrency", type=int, default=64, help="sends in flight at once")
    args = parser.parse_args()
    if args.count < 1 or args.concurrency < 1:
        parser.error("--count and --concurrency must be at least 1")

    server = Server(args.base_url, args.api_key)
    measurement = run_client(args.client, server, args.count, args.concurrency)

    latencies = sorted(measurement.latencies_ns)
    summary = {
        "client": args.client,
        "count": measurement.count,
        "concurrency": measurement.concurrency,
        "failed": measurement.failed,
        "first_error": measurement.first_error,
        "elapsed_s": measurement.elapsed_s,
        "msgs_per_s": measurement.count / measurement.elapsed_s,
        "p50_ms": percentile_ms(latencies, 50),
        "p99_ms": percentile_ms(latencies, 99),
    }
    json.dump(summary, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
