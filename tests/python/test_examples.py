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
