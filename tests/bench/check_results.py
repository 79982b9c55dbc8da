"""Check that a bench/run.sh results file has every row and measurement, none of them failed.

Usage: python tests/bench/check_results.py .build/bench/results.json

Prints one line per check and a closing "N passed, M failed" line; exits 1 when a check failed.
Uses only the standard library.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What each language must produce, by the ids of bench/README.md and bench/orchestrate.py.
EXPECTED_ROWS = {
    "rust": ["rust.send"],
    "python": [
        "python.async_send",
        "python.send_many",
        "python.send_many_sync",
        "python.sync_send",
        "python.aiohttp",
        "python.httpx_async",
        "python.httpx_sync",
    ],
    "node": ["node.send", "node.send_many", "node.undici", "node.fetch"],
}
EXPECTED_MEASUREMENTS = {
    "rust": [],
    "python": [
        "rust.parse",
        "python.parse_callback",
        "python.parse_json_dataclass",
        "python.parse_orjson_dataclass",
        "python.import",
        "python.wheel_size",
        "python.rss_growth.send",
        "python.rss_growth.send_many",
        "python.rss_growth.send_many_one_call",
    ],
    "node": [
        "node.parse_callback",
        "node.parse_json_checks",
        "node.require",
        "node.addon_size",
        "node.rss_growth.send",
        "node.rss_growth.send_many",
    ],
}
# Rows whose latency is measured per send; send_many exposes no per-message latency.
ROWS_WITHOUT_LATENCY = {"python.send_many", "python.send_many_sync", "node.send_many"}


def main(path: Path) -> int:
    results = json.loads(path.read_text())
    languages = results["config"]["only"]
    if "node" in languages and not (ROOT / "bench" / "node" / "run.sh").exists():
        languages = [language for language in languages if language != "node"]
    rows = {row["id"]: row for row in results["throughput"]}
    measurements = {item["id"]: item for item in results["measurements"]}
    checks: list[tuple[str, Callable[[], str | None]]] = []

    for language in languages:
        for row_id in EXPECTED_ROWS[language]:
            checks.append((f"row {row_id}", lambda row_id=row_id: check_row(rows, row_id)))
        for item_id in EXPECTED_MEASUREMENTS[language]:
            checks.append(
                (
                    f"measurement {item_id}",
                    lambda item_id=item_id: check_measurement(measurements, item_id),
                )
            )
    checks.append(
        ("targets evaluated", lambda: None if results["targets"] else "no target has a value")
    )

    failed = 0
    for name, check in checks:
        problem = check()
        if problem:
            failed += 1
            print(f"FAILED {name}: {problem}")
        else:
            print(f"ok     {name}")
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


def check_row(rows: dict[str, dict], row_id: str) -> str | None:
    row = rows.get(row_id)
    if row is None:
        return "missing"
    if row["failed"]:
        return f"{row['failed']} sends failed, the first with {row['error']}"
    if not row["msgs_per_s"] or row["msgs_per_s"] <= 0:
        return f"no throughput ({row['error']})"
    if not row["peak_rss_mb"]:
        return "no peak RSS"
    if row_id not in ROWS_WITHOUT_LATENCY and (row["p50_ms"] is None or row["p99_ms"] is None):
        return "no latency percentiles"
    return None


def check_measurement(measurements: dict[str, dict], item_id: str) -> str | None:
    item = measurements.get(item_id)
    if item is None:
        return "missing"
    if item.get("error"):
        return item["error"]
    if item["value"] is None:
        return "no value"
    return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
