"""The results of bench/run.sh: rows, measurements, the performance targets and the table.

bench/orchestrate.py runs the clients and fills these in; this module merges rounds, computes
the targets' ratios and prints the report.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    """One client's throughput run; the fields of bench/README.md."""

    id: str
    name: str
    msgs_per_s: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    peak_rss_mb: float | None = None
    count: int = 0
    concurrency: int = 0
    failed: int = 0
    error: str | None = None
    """Why the row has no numbers, or the first failed send."""


@dataclass
class Measurement:
    """One secondary measurement (a time per call, a size, an RSS growth)."""

    id: str
    name: str
    value: float | None
    unit: str
    error: str | None = None


@dataclass
class Round:
    """Everything one pass over the clients measured."""

    rows: list[Row] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)


@dataclass
class Target:
    """A performance target: the ratio of two results, or one result against a limit."""

    label: str
    kind: str
    """``speed`` (msgs/s of ``subject`` over ``baseline``), ``faster`` (time of ``baseline``
    over time of ``subject``), ``slower`` (time of ``subject`` over time of ``baseline``) or
    ``limit`` (the value of ``subject`` alone)."""
    subject: str
    baseline: str | None
    goal: float
    """The ratio must be at least this (``speed``, ``faster``), or at most this (``slower``), or
    the value below it (``limit``)."""


TARGETS = [
    Target(
        "python AsyncClient.send vs aiohttp", "speed", "python.async_send", "python.aiohttp", 2.0
    ),
    Target("python send_many vs rust ceiling", "speed", "python.send_many", "rust.send", 0.8),
    Target(
        "python Client.send vs httpx sync", "speed", "python.sync_send", "python.httpx_sync", 1.5
    ),
    Target(
        "python parse_callback vs orjson + dataclass",
        "faster",
        "python.parse_callback",
        "python.parse_orjson_dataclass",
        2.5,
    ),
    Target(
        "python parse_callback vs core parse", "slower", "python.parse_callback", "rust.parse", 1.6
    ),
    Target("python import clearline (ms)", "limit", "python.import", None, 30.0),
    Target("python wheel size (MB)", "limit", "python.wheel_size", None, 5.0),
    Target(
        "python RSS growth, AsyncClient.send (MB)", "limit", "python.rss_growth.send", None, 20.0
    ),
    Target("python RSS growth, send_many (MB)", "limit", "python.rss_growth.send_many", None, 20.0),
    Target("node client.send vs undici", "speed", "node.send", "node.undici", 1.5),
    Target("node sendMany vs rust ceiling", "speed", "node.send_many", "rust.send", 0.8),
    Target(
        "node parseCallback vs JSON.parse + checks",
        "faster",
        "node.parse_callback",
        "node.parse_json_checks",
        1.0,
    ),
    Target("node require('clearline') (ms)", "limit", "node.require", None, 30.0),
    Target("node .node size (MB)", "limit", "node.addon_size", None, 5.0),
    Target("node RSS growth, client.send (MB)", "limit", "node.rss_growth.send", None, 20.0),
    Target("node RSS growth, sendMany (MB)", "limit", "node.rss_growth.send_many", None, 20.0),
]


def median_or_none(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def merge_rounds(rounds: list[Round]) -> Round:
    """Return the median of every row and measurement over the rounds."""
    merged = Round()
    rows_by_id: dict[str, list[Row]] = {}
    for round_ in rounds:
        for row in round_.rows:
            rows_by_id.setdefault(row.id, []).append(row)
    for same in rows_by_id.values():
        merged.rows.append(
            Row(
                same[0].id,
                same[0].name,
                msgs_per_s=median_or_none([row.msgs_per_s for row in same]),
                p50_ms=median_or_none([row.p50_ms for row in same]),
                p99_ms=median_or_none([row.p99_ms for row in same]),
                peak_rss_mb=median_or_none([row.peak_rss_mb for row in same]),
                count=same[0].count,
                concurrency=same[0].concurrency,
                failed=sum(row.failed for row in same),
                error=next((row.error for row in same if row.error), None),
            )
        )
    values_by_id: dict[str, list[Measurement]] = {}
    for round_ in rounds:
        for measurement in round_.measurements:
            values_by_id.setdefault(measurement.id, []).append(measurement)
    for items in values_by_id.values():
        merged.measurements.append(
            Measurement(
                items[0].id,
                items[0].name,
                median_or_none([item.value for item in items]),
                items[0].unit,
                next((item.error for item in items if item.error), None),
            )
        )
    return merged


def target_value(target: Target, round_: Round) -> float | None:
    """Return the ratio or value a target checks, from one round's results."""
    speeds = {row.id: row.msgs_per_s for row in round_.rows if not row.failed}
    values = {m.id: m.value for m in round_.measurements if not m.error}
    if target.kind == "limit":
        return values.get(target.subject)
    assert target.baseline is not None
    if target.kind == "speed":
        subject, baseline = speeds.get(target.subject), speeds.get(target.baseline)
    else:
        subject, baseline = values.get(target.subject), values.get(target.baseline)
    if not subject or not baseline:
        return None
    if target.kind == "faster":
        return baseline / subject
    return subject / baseline


def is_met(target: Target, value: float) -> bool:
    if target.kind in ("speed", "faster"):
        return value >= target.goal
    if target.kind == "slower":
        return value <= target.goal
    return value < target.goal


def goal_text(target: Target) -> str:
    if target.kind in ("speed", "faster"):
        return f">= {target.goal:g}x"
    if target.kind == "slower":
        return f"<= {target.goal:g}x"
    return f"< {target.goal:g}"


def evaluate_targets(rounds: list[Round], merged: Round) -> list[dict[str, object]]:
    """Compute each target per round; report the median over the rounds and the range."""
    results = []
    for target in TARGETS:
        if target.kind == "limit":
            per_round = [target_value(target, merged)]
        else:
            per_round = [target_value(target, round_) for round_ in rounds]
        present = [value for value in per_round if value is not None]
        if not present:
            continue
        value = statistics.median(present)
        results.append(
            {
                "label": target.label,
                "kind": target.kind,
                "goal": goal_text(target),
                "value": value,
                "min": min(present),
                "max": max(present),
                "met": is_met(target, value),
            }
        )
    return results


def number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def print_report(
    count: int,
    concurrency: int,
    rounds: int,
    base_url: str,
    merged: Round,
    targets: list[dict[str, Any]],
) -> None:
    rounds_text = f", median of {rounds} rounds" if rounds > 1 else ""
    print()
    print(
        f"{count:,} SMS per client at concurrency {concurrency}, sandbox at {base_url}{rounds_text}"
    )
    print()
    header = f"{'client':<36} {'msgs/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'peak RSS MB':>12}"
    print(header)
    print("-" * len(header))
    for row in merged.rows:
        line = (
            f"{row.name:<36} {number(row.msgs_per_s, 0):>10} {number(row.p50_ms):>8} "
            f"{number(row.p99_ms):>8} {number(row.peak_rss_mb, 1):>12}"
        )
        if row.failed:
            line += f"  {row.failed} FAILED: {row.error}"
        elif row.msgs_per_s is None:
            line += f"  {row.error}"
        print(line)

    if merged.measurements:
        print()
        header = f"{'measurement':<64} {'value':>12}"
        print(header)
        print("-" * len(header))
        for measurement in merged.measurements:
            digits = 0 if measurement.unit == "ns" else 2
            value = f"{number(measurement.value, digits)} {measurement.unit}"
            line = f"{measurement.name:<64} {value:>12}"
            if measurement.error:
                line += f"  {measurement.error}"
            print(line)

    if targets:
        print()
        header = f"{'target':<46} {'value':>8} {'range':>15} {'goal':>8}  met"
        print(header)
        print("-" * len(header))
        for target in targets:
            spread = ""
            if target["min"] != target["max"]:
                spread = f"{number(target['min'])}-{number(target['max'])}"
            met = "yes" if target["met"] else "NO"
            print(
                f"{target['label']:<46} {number(target['value']):>8} {spread:>15} "
                f"{target['goal']:>8}  {met}"
            )
