"""The examples in examples/python/ run against a scripted server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import API_KEY, FakeClearLine

EXAMPLES = Path(__file__).parents[2] / "examples" / "python"


def run_example(server: FakeClearLine, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "CLEARLINE_API_KEY": API_KEY,
        "CLEARLINE_BASE_URL": server.base_url,
    }
    return subprocess.run(
        [sys.executable, str(EXAMPLES / "send_sms.py"), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_send_example_prints_receipt(server: FakeClearLine) -> None:
    finished = run_example(server, "+1 202 555 1234", "Hello from ClearLine")

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == "queued msg_1: 1 segment(s), GSM-7\n"
    assert server.requests[0].json() == {"phone": "+12025551234", "message": "Hello from ClearLine"}


def test_send_example_reports_invalid_phone(server: FakeClearLine) -> None:
    finished = run_example(server, "555", "Hello")

    assert finished.returncode == 2
    assert 'invalid phone "555"' in finished.stderr
    assert server.requests == []


def run_demo(**overrides: str) -> subprocess.CompletedProcess[str]:
    # Without CLEARLINE_* settings from the caller's shell, the demo runs on the sandbox.
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("CLEARLINE_")
    }
    environment.update(overrides)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_demo_prints_three_reports() -> None:
    finished = run_demo()

    assert finished.returncode == 0, finished.stderr
    rows = [line for line in finished.stdout.splitlines() if line.startswith("+120")]
    assert len(rows) == 3, finished.stdout
    assert " Delivered " in rows[0]
    assert " DeliveredFailed  Failed " in rows[1]
    assert " DeliveredFailed  Expired " in rows[2]
    assert "All 3 delivery reports arrived as expected." in finished.stdout


def test_demo_for_staging_requires_settings() -> None:
    finished = run_demo(CLEARLINE_ENVIRONMENT="staging", CLEARLINE_CALLBACK_URL="")

    assert finished.returncode == 2
    assert "For staging, set CLEARLINE_API_KEY, CLEARLINE_CALLBACK_URL" in finished.stderr
