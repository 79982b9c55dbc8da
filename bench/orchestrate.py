"""Run every benchmark client against one sandbox and print the comparison table.

Started by bench/run.sh once it has built the binaries and the bench environment; see
bench/README.md for what runs and what each field means. Uses only the standard library, so it
also runs without the bench environment when the Python rows are left out.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from summary import Measurement, Round, Row, evaluate_targets, merge_rounds, print_report

ROOT = Path(__file__).resolve().parent.parent
PYTHON_DIR = ROOT / "bench" / "python"
NODE_RUNNER = ROOT / "bench" / "node" / "run.sh"
CALLBACK_BODY = ROOT / "bench" / "callback-report.json"

# The sandbox accepts this fake key; nothing real is ever sent.
API_KEY = "test_key_not_real_0000"

# A client process that runs longer than this is stopped and its row marked as failed.
PROCESS_TIMEOUT_S = 900

# Runs of `import clearline` in fresh interpreters; the median is reported.
IMPORT_RUNS = 11

# The Python throughput rows: id, table name, `throughput.py --client` value.
PYTHON_ROWS = [
    ("python.async_send", "python AsyncClient.send", "clearline-async"),
    ("python.send_many", "python AsyncClient.send_many", "clearline-send-many"),
    ("python.send_many_sync", "python Client.send_many", "clearline-send-many-sync"),
    ("python.sync_send", "python Client.send, 64 threads", "clearline-sync"),
    ("python.aiohttp", "python aiohttp", "aiohttp"),
    ("python.httpx_async", "python httpx async", "httpx-async"),
    ("python.httpx_sync", "python httpx sync, 64 threads", "httpx-sync"),
]


# --- Processes ----------------------------------------------------------------------------------


@dataclass
class Finished:
    """A child process that exited: its output, exit code and peak RSS."""

    stdout: str
    returncode: int
    peak_rss_mb: float


def run_process(argv: Sequence[str], env: dict[str, str] | None = None) -> Finished:
    """Run ``argv`` to its end and return its stdout, exit code and peak RSS.

    stderr goes to ours. The peak RSS comes from ``wait4`` and covers the process and any
    children it waited for.
    """
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env, text=True, cwd=ROOT)
    watchdog = threading.Timer(PROCESS_TIMEOUT_S, process.kill)
    watchdog.start()
    try:
        assert process.stdout is not None
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        watchdog.cancel()
    # Popen must not wait for the pid that wait4 already reaped.
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    # ru_maxrss is in KiB on Linux.
    return Finished(stdout, process.returncode, usage.ru_maxrss * 1024 / 1e6)


def last_json_line(stdout: str) -> dict[str, object]:
    """Parse the last non-empty line of ``stdout`` as a JSON object."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the process printed no JSON result")
    value = json.loads(lines[-1])
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {lines[-1][:200]!r}")
    return value


class Sandbox:
    """The sandbox binary, running on 127.0.0.1 with a fake key and without logging."""

    def __init__(self, binary: Path) -> None:
        self.process = subprocess.Popen(
            [str(binary), "--quiet", "--port", "0", "--api-key", API_KEY],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first_line = self.process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", first_line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"the sandbox did not start; it printed {first_line!r}")
        self.base_url = match.group(1)
        # Drain the rest of its output so that it never blocks on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- The benchmarks -----------------------------------------------------------------------------


@dataclass
class Config:
    count: int
    concurrency: int
    rounds: int
    growth_count: int
    growth_warmup: int
    parse_iterations: int
    parse_rounds: int
    parse_pairs: int
    import_runs: int
    smoke: bool
    only: list[str]
    sandbox: Path
    bench_bin: Path
    python: Path | None
    wheel: Path | None
    out: Path


def rust_row(config: Config, base_url: str) -> Row:
    row = Row("rust.send", "rust ceiling (core Client)", count=config.count)
    row.concurrency = config.concurrency
    argv = [str(config.bench_bin), "send", "--base-url", base_url, "--count", str(config.count)]
    argv += ["--concurrency", str(config.concurrency), "--json"]
    env = {**os.environ, "CLEARLINE_API_KEY": API_KEY}
    try:
        finished = run_process(argv, env)
        result = last_json_line(finished.stdout)
        latency = result["latency_ms"]
        assert isinstance(latency, dict)
        row.msgs_per_s = float(result["msgs_per_s"])  # type: ignore[arg-type]
        row.p50_ms = float(latency["p50"])
        row.p99_ms = float(latency["p99"])
        row.peak_rss_mb = finished.peak_rss_mb
        row.failed = int(result["failed"])  # type: ignore[call-overload]
        row.error = result.get("first_error")  # type: ignore[assignment]
    except (OSError, ValueError, KeyError, AssertionError) as err:
        row.error = f"clearline-bench send failed: {err}"

    return row


def python_script(config: Config, script: str, *args: str) -> Finished:
    assert config.python is not None
    return run_process([str(config.python), str(PYTHON_DIR / script), *args])


def python_rows(config: Config, base_url: str) -> list[Row]:
    rows = []
    for row_id, name, client in PYTHON_ROWS:
        row = Row(row_id, name, count=config.count, concurrency=config.concurrency)
        try:
            finished = python_script(
                config,
                "throughput.py",
                "--client",
                client,
                "--base-url",
                base_url,
                "--api-key",
                API_KEY,
                "--count",
                str(config.count),
                "--concurrency",
                str(config.concurrency),
            )
            result = last_json_line(finished.stdout)
            row.msgs_per_s = result["msgs_per_s"]  # type: ignore[assignment]
            row.p50_ms = result["p50_ms"]  # type: ignore[assignment]
            row.p99_ms = result["p99_ms"]  # type: ignore[assignment]
            row.peak_rss_mb = finished.peak_rss_mb
            row.failed = result["failed"]  # type: ignore[assignment]
            row.error = result["first_error"]  # type: ignore[assignment]
        except (OSError, ValueError, KeyError) as err:
            row.error = f"throughput.py --client {client} failed: {err}"
        rows.append(row)
    return rows


def parse_measurements(config: Config) -> list[Measurement]:
    """Time the core's parse and, with the Python rows, the Python ways of parsing a report.

    The two run in separate processes, so they alternate ``parse_pairs`` times and each keeps its
    fastest run: load that comes and goes then hits both alike.
    """
    core = Measurement("rust.parse", "core DeliveryReport::parse", None, "ns")
    # Keys of parse.py's output, with the ids and names of their measurements.
    names = {
        "parse_callback": ("python.parse_callback", "parse_callback"),
        "json_dataclass": ("python.parse_json_dataclass", "json.loads + dataclass"),
        "orjson_dataclass": ("python.parse_orjson_dataclass", "orjson.loads + dataclass"),
    }
    python = {key: Measurement(item_id, name, None, "ns") for key, (item_id, name) in names.items()}
    rounds = ["--iterations", str(config.parse_iterations), "--rounds", str(config.parse_rounds)]

    for _ in range(config.parse_pairs):
        argv = [str(config.bench_bin), "parse", "--body-file", str(CALLBACK_BODY), "--json"]
        try:
            result = last_json_line(run_process([*argv, *rounds]).stdout)
            core.value = min_or_value(core.value, float(result["ns_per_call"]))  # type: ignore[arg-type]
        except (OSError, ValueError, KeyError) as err:
            core.error = f"clearline-bench parse failed: {err}"

        if "python" not in config.only:
            continue
        try:
            finished = python_script(config, "parse.py", "--body-file", str(CALLBACK_BODY), *rounds)
            times = last_json_line(finished.stdout)["ns_per_call"]
            assert isinstance(times, dict)
            for key, measurement in python.items():
                measurement.value = min_or_value(measurement.value, float(times[key]))
        except (OSError, ValueError, KeyError, AssertionError) as err:
            for measurement in python.values():
                measurement.error = f"parse.py failed: {err}"

    if "python" not in config.only:
        return [core]
    return [core, *python.values()]


def min_or_value(current: float | None, value: float) -> float:
    return value if current is None else min(current, value)


def python_measurements(config: Config, base_url: str) -> list[Measurement]:
    measurements = [import_time(config)]

    assert config.wheel is not None
    wheel_mb = config.wheel.stat().st_size / 1e6
    measurements.append(Measurement("python.wheel_size", "wheel size", wheel_mb, "MB"))

    batch = min(10_000, config.growth_count)
    runs = [
        ("clearline-async", config.growth_count, "send", "AsyncClient.send"),
        ("clearline-send-many", batch, "send_many", f"send_many, calls of {batch:,}"),
        (
            "clearline-send-many",
            config.growth_count,
            "send_many_one_call",
            "send_many, one call",
        ),
    ]
    for client, batch_size, suffix, name in runs:
        over = f" over {config.growth_count:,} sends"
        growth = Measurement(f"python.rss_growth.{suffix}", f"RSS growth, {name}{over}", None, "MB")
        peak = Measurement(
            f"python.rss_peak_growth.{suffix}", f"RSS peak growth, {name}{over}", None, "MB"
        )
        try:
            finished = python_script(
                config,
                "rss_growth.py",
                "--client",
                client,
                "--base-url",
                base_url,
                "--api-key",
                API_KEY,
                "--count",
                str(config.growth_count),
                "--batch-size",
                str(batch_size),
                "--warmup",
                str(config.growth_warmup),
                "--concurrency",
                str(config.concurrency),
            )
            result = last_json_line(finished.stdout)
            growth.value = result["growth_mb"]  # type: ignore[assignment]
            peak.value = result["peak_growth_mb"]  # type: ignore[assignment]
            if result["failed"]:
                growth.error = f"{result['failed']} sends failed"
        except (OSError, ValueError, KeyError) as err:
            growth.error = peak.error = f"rss_growth.py --client {client} failed: {err}"
        measurements += [growth, peak]
    return measurements


def import_time(config: Config) -> Measurement:
    """Time ``import clearline`` in fresh interpreters and return the median in milliseconds."""
    assert config.python is not None
    code = (
        "import time; started = time.perf_counter(); import clearline; "
        "print((time.perf_counter() - started) * 1000)"
    )
    measurement = Measurement("python.import", "import clearline", None, "ms")
    try:
        times = [
            float(run_process([str(config.python), "-c", code]).stdout)
            for _ in range(config.import_runs)
        ]
        measurement.value = statistics.median(times)
    except (OSError, ValueError, TypeError) as err:
        measurement.error = f"timing the import failed: {err}"
    return measurement


def node_results(
    config: Config, base_url: str
) -> tuple[list[Row], list[Measurement], dict[str, Any]]:
    """Run bench/node/run.sh and read its JSON file (the interface in bench/README.md)."""
    with tempfile.TemporaryDirectory(prefix="clearline-bench-node-") as folder:
        out = Path(folder) / "node.json"
        argv = ["bash", str(NODE_RUNNER), "--base-url", base_url, "--api-key", API_KEY]
        argv += ["--count", str(config.count), "--concurrency", str(config.concurrency)]
        argv += ["--growth-count", str(config.growth_count), "--json-out", str(out)]
        if config.smoke:
            argv.append("--smoke")
        try:
            finished = run_process(argv)
            if finished.returncode != 0:
                raise RuntimeError(f"bench/node/run.sh exited with {finished.returncode}")
            sys.stdout.write(finished.stdout)
            result = json.loads(out.read_text())
        except (OSError, ValueError, RuntimeError) as err:
            failed = Row("node.send", "node", error=f"the Node benchmarks failed: {err}")
            return [failed], [], {}

    rows = []
    for item in result.get("throughput", []):
        known = {key: item.get(key) for key in Row.__dataclass_fields__ if key != "error"}
        rows.append(Row(**known, error=item.get("first_error") or item.get("error")))
    measurements = [
        Measurement(item["id"], item["name"], item.get("value"), item.get("unit", ""))
        for item in result.get("measurements", [])
    ]
    info = {"runtime": result.get("runtime"), "versions": result.get("versions", {})}
    return rows, measurements, info


def environment_info(config: Config) -> dict[str, object]:
    """Describe the machine and the versions, for docs/benchmarks.md."""
    info: dict[str, object] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        info["cpu"] = model.group(1) if model else None
        meminfo = Path("/proc/meminfo").read_text()
        total = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
        info["memory_gib"] = round(int(total.group(1)) / 2**20, 1) if total else None
    except OSError:
        pass
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True, check=True)
        info["rustc"] = rustc.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["rustc"] = None
    if config.python is not None:
        code = (
            "import json; from importlib.metadata import version; "
            "print(json.dumps({n: version(n) for n in "
            "['clearline', 'aiohttp', 'httpx', 'orjson']}))"
        )
        finished = run_process([str(config.python), "-c", code])
        info["python_packages"] = last_json_line(finished.stdout)
    return info


def parse_args(argv: Sequence[str]) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000, help="measured sends per client")
    parser.add_argument("--concurrency", type=int, default=64, help="sends in flight at once")
    parser.add_argument("--rounds", type=int, default=1, help="passes over every client")
    parser.add_argument(
        "--growth-count", type=int, default=100_000, help="sends of each RSS-growth measurement"
    )
    parser.add_argument("--smoke", action="store_true", help="a few sends per client")
    parser.add_argument("--only", action="append", choices=["python", "node", "rust"], default=[])
    parser.add_argument("--sandbox", type=Path, required=True, help="clearline-sandbox binary")
    parser.add_argument("--bench-bin", type=Path, required=True, help="clearline-bench binary")
    parser.add_argument("--python", type=Path, help="interpreter of the bench environment")
    parser.add_argument("--wheel", type=Path, help="the wheel installed there")
    parser.add_argument("--out", type=Path, required=True, help="JSON file of the results")
    args = parser.parse_args(argv)
    if min(args.count, args.concurrency, args.rounds, args.growth_count) < 1:
        parser.error("--count, --concurrency, --rounds and --growth-count must be at least 1")
    if "python" in args.only and (args.python is None or args.wheel is None):
        parser.error("the Python rows need --python and --wheel")

    config = Config(
        count=args.count,
        concurrency=args.concurrency,
        rounds=args.rounds,
        growth_count=args.growth_count,
        growth_warmup=5_000,
        parse_iterations=200_000,
        parse_rounds=7,
        parse_pairs=3,
        import_runs=IMPORT_RUNS,
        smoke=args.smoke,
        only=args.only or ["rust", "python", "node"],
        sandbox=args.sandbox,
        bench_bin=args.bench_bin,
        python=args.python,
        wheel=args.wheel,
        out=args.out,
    )
    if args.smoke:
        # Enough to run every code path once, in seconds.
        config.count = min(config.count, 200)
        config.growth_count = min(config.growth_count, 500)
        config.growth_warmup = 100
        config.parse_iterations = 2_000
        config.parse_rounds = 2
        config.parse_pairs = 1
        config.import_runs = 3
        config.rounds = 1
    return config


def main(argv: Sequence[str]) -> int:
    config = parse_args(argv)
    rounds: list[Round] = []
    node_info: dict[str, Any] = {}
    load_before = os.getloadavg()

    sandbox = Sandbox(config.sandbox)
    try:
        for index in range(config.rounds):
            if config.rounds > 1:
                print(f"==> round {index + 1} of {config.rounds}", flush=True)
            round_ = Round()
            if "rust" in config.only or "python" in config.only:
                round_.rows.append(rust_row(config, sandbox.base_url))
                round_.measurements += parse_measurements(config)
            if "python" in config.only:
                round_.rows += python_rows(config, sandbox.base_url)
                round_.measurements += python_measurements(config, sandbox.base_url)
            if "node" in config.only:
                if NODE_RUNNER.exists():
                    rows, measurements, node_info = node_results(config, sandbox.base_url)
                    round_.rows += rows
                    round_.measurements += measurements
                else:
                    print(f"{NODE_RUNNER.relative_to(ROOT)} not found: the Node rows are skipped")
            rounds.append(round_)
    finally:
        sandbox.stop()

    merged = merge_rounds(rounds)
    targets = evaluate_targets(rounds, merged)
    print_report(config.count, config.concurrency, config.rounds, sandbox.base_url, merged, targets)

    report = {
        "config": {
            "count": config.count,
            "concurrency": config.concurrency,
            "rounds": config.rounds,
            "growth_count": config.growth_count,
            "smoke": config.smoke,
            "only": config.only,
        },
        "environment": environment_info(config),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "node": node_info,
        "throughput": [asdict(row) for row in merged.rows],
        "measurements": [asdict(measurement) for measurement in merged.measurements],
        "targets": targets,
        "rounds": [asdict(round_) for round_ in rounds],
    }
    config.out.parent.mkdir(parents=True, exist_ok=True)
    config.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nResults written to {config.out}")

    broken = [row for row in merged.rows if row.failed or row.msgs_per_s is None]
    broken_measurements = [m for m in merged.measurements if m.value is None or m.error]
    if broken or broken_measurements:
        print("Some clients or measurements failed; see the table above.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
