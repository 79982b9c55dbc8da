"""Time one parse of a delivery report, with clearline and with the JSON parsers users would pick.

Each way turns the same callback body (bytes) into an object with the report's four fields:

- ``clearline.parse_callback``, which also validates every field;
- ``json.loads`` then a dataclass, without validation;
- ``orjson.loads`` then the same dataclass, without validation.

The ways run in interleaved rounds, so that load on the machine spreads over all of them, and
each reports its fastest round, since noise only adds time. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import clearline
import orjson


@dataclass
class Report:
    """The report as a user without the SDK would declare it."""

    message_id: str
    delivery_status: str
    external_delivery_status: str | None
    reason_text: str | None


def parse_with_json(body: bytes) -> Report:
    data = json.loads(body)
    return Report(
        data["messageId"],
        data["deliveryStatus"],
        data.get("externalDeliveryStatus"),
        data.get("reasonText"),
    )


def parse_with_orjson(body: bytes) -> Report:
    data = orjson.loads(body)
    return Report(
        data["messageId"],
        data["deliveryStatus"],
        data.get("externalDeliveryStatus"),
        data.get("reasonText"),
    )


WAYS: dict[str, Callable[[bytes], object]] = {
    "parse_callback": clearline.parse_callback,
    "json_dataclass": parse_with_json,
    "orjson_dataclass": parse_with_orjson,
}


def time_round(parse: Callable[[bytes], object], body: bytes, iterations: int) -> float:
    """Return the nanoseconds per call of one round of ``iterations`` calls."""
    started = time.perf_counter_ns()
    for _ in range(iterations):
        parse(body)
    return (time.perf_counter_ns() - started) / iterations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body-file", type=Path, required=True, help="callback body to parse")
    parser.add_argument("--iterations", type=int, default=200_000, help="parses per round")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per way")
    args = parser.parse_args()
    if args.iterations < 1 or args.rounds < 1:
        parser.error("--iterations and --rounds must be at least 1")

    body = args.body_file.read_bytes()
    expected = clearline.parse_callback(body)
    for name, parse in WAYS.items():
        # Every way must read the same report, or the comparison would be meaningless.
        report = parse(body)
        message_id = getattr(report, "message_id", None)
        if message_id != expected.message_id:
            raise SystemExit(f"parse.py: {name} read messageId {message_id!r}")

    fastest = dict.fromkeys(WAYS, float("inf"))
    for _ in range(args.rounds):
        for name, parse in WAYS.items():
            fastest[name] = min(fastest[name], time_round(parse, body, args.iterations))

    json.dump(
        {
            "body_bytes": len(body),
            "iterations": args.iterations,
            "rounds": args.rounds,
            "ns_per_call": fastest,
        },
        sys.stdout,
    )
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
