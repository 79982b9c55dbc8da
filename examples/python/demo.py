"""Send three SMS, receive their delivery reports, and print them as a table.

By default everything runs on this machine: the embedded ClearLine sandbox accepts the sends and
POSTs the reports to a callback receiver this script starts on 127.0.0.1. The three recipients
are chosen so that the outcomes differ: delivered, failed and expired.

To use ClearLine's staging API instead, set:

    CLEARLINE_ENVIRONMENT=staging
    CLEARLINE_API_KEY=<your staging key>
    CLEARLINE_CALLBACK_URL=<a public https URL that forwards to this machine's port 8080>
    CLEARLINE_DEMO_PHONES=<one to three E.164 numbers, comma-separated>

The receiver then listens on 127.0.0.1:8080 (CLEARLINE_CALLBACK_PORT changes it). Staging decides
the outcomes itself, so only the arrival of every report is checked.

The script exits with 1 when a report is missing or differs from the expected outcome, and with 2
when the staging settings are missing or invalid.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import clearline
from clearline.testing import Sandbox

MESSAGE = "Your order #1042 is ready for pickup."
SANDBOX_TIMEOUT = 10.0
STAGING_TIMEOUT = 180.0
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class Expectation:
    """A recipient and the report the demo expects for it (None: anything)."""

    phone: str
    status: str | None
    external_status: str | None


@dataclass(frozen=True)
class Arrival:
    """A delivery report and when it arrived (time.monotonic)."""

    report: clearline.DeliveryReport
    arrived_at: float


class Receiver:
    """A callback receiver: an HTTP server on 127.0.0.1 that stores each delivery report."""

    def __init__(self, port: int) -> None:
        self.reports: dict[str, Arrival] = {}
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    print(f"rejected a delivery report of {length} bytes", file=sys.stderr)
                    self.send_error(413, "delivery report too large")
                    return
                try:
                    report = clearline.parse_callback(self.rfile.read(length))
                except clearline.CallbackParseError as err:
                    print(f"rejected an invalid delivery report: {err}", file=sys.stderr)
                    self.send_error(400, str(err))
                    return
                # ClearLine may deliver a report more than once: keep the first.
                with receiver.changed:
                    receiver.reports.setdefault(
                        report.message_id, Arrival(report, time.monotonic())
                    )
                    receiver.changed.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Keep the request log out of the table."""

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The local URL of the receiver's webhook path."""
        return f"http://127.0.0.1:{self.server.server_port}/webhooks/sms"

    def wait_for(self, message_ids: list[str], timeout: float) -> dict[str, Arrival]:
        """Wait until a report for every id arrived, or the timeout passed; return what arrived."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not all(message_id in self.reports for message_id in message_ids):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.changed.wait(remaining)
            return dict(self.reports)

    @contextlib.contextmanager
    def running(self) -> Iterator[Receiver]:
        """Serve in a background thread until the block ends."""
        self.thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def mask_phone(phone: str) -> str:
    """Hide the middle digits of a phone number, as logs and screens should."""
    return phone[:4] + "*" * max(len(phone) - 6, 0) + phone[-2:]


def print_table(rows: list[list[str]]) -> None:
    """Print rows as left-aligned columns, the first row as the header."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


def run(
    client: clearline.Client,
    receiver: Receiver,
    callback_url: str,
    expectations: list[Expectation],
    timeout: float,
) -> int:
    """Send one SMS per expectation, wait for the reports, print them and check them."""
    sent: list[tuple[Expectation, clearline.SendReceipt, float]] = []
    for expectation in expectations:
        started = time.monotonic()
        receipt = client.send(expectation.phone, MESSAGE, callback_url=callback_url)
        sent.append((expectation, receipt, started))
        print(f"sent {receipt.message_id} to {mask_phone(receipt.phone)}")

    print(f"waiting up to {timeout:.0f} s for {len(sent)} delivery reports...\n")
    arrivals = receiver.wait_for([receipt.message_id for _, receipt, _ in sent], timeout)

    rows = [["phone", "messageId", "status", "external status", "reason", "seconds"]]
    problems: list[str] = []
    for expectation, receipt, started in sent:
        arrival = arrivals.get(receipt.message_id)
        if arrival is None:
            rows.append([mask_phone(receipt.phone), receipt.message_id, "(no report)", "", "", ""])
            problems.append(f"no delivery report arrived for {receipt.message_id}")
            continue
        report = arrival.report
        status = (
            report.raw_status
            if report.status is clearline.DeliveryStatus.UNKNOWN
            else (report.status.value)
        )
        rows.append(
            [
                mask_phone(receipt.phone),
                report.message_id,
                status,
                report.external_status or "",
                report.reason or "",
                f"{arrival.arrived_at - started:.2f}",
            ]
        )
        if expectation.status is not None and status != expectation.status:
            problems.append(f"{receipt.message_id}: status {status}, expected {expectation.status}")
        if (
            expectation.external_status is not None
            and report.external_status != expectation.external_status
        ):
            problems.append(
                f"{receipt.message_id}: external status {report.external_status}, "
                f"expected {expectation.external_status}"
            )

    print_table(rows)
    print()
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    if not problems:
        print(f"All {len(sent)} delivery reports arrived as expected.")
    return 1 if problems else 0


def main() -> int:
    """Run the demo against the sandbox, or against staging when configured."""
    if os.environ.get("CLEARLINE_ENVIRONMENT", "").lower() == "staging":
        callback_url = os.environ.get("CLEARLINE_CALLBACK_URL", "")
        phones = [p.strip() for p in os.environ.get("CLEARLINE_DEMO_PHONES", "").split(",")]
        phones = [phone for phone in phones if phone][:3]
        missing = [
            name
            for name, value in (
                ("CLEARLINE_API_KEY", os.environ.get("CLEARLINE_API_KEY", "")),
                ("CLEARLINE_CALLBACK_URL", callback_url),
                ("CLEARLINE_DEMO_PHONES", ",".join(phones)),
            )
            if not value
        ]
        if missing:
            print(
                f"For staging, set {', '.join(missing)}. CLEARLINE_API_KEY is your staging key, "
                "CLEARLINE_CALLBACK_URL a public https URL forwarding to this machine, and "
                "CLEARLINE_DEMO_PHONES up to 3 comma-separated E.164 numbers.",
                file=sys.stderr,
            )
            return 2
        port = int(os.environ.get("CLEARLINE_CALLBACK_PORT", "8080"))
        expectations = [Expectation(phone, None, None) for phone in phones]
        try:
            staging = clearline.Client(environment="staging")
        except clearline.ConfigurationError as err:
            print(f"The staging client could not be created: {err}", file=sys.stderr)
            return 2
        with Receiver(port).running() as receiver, staging as client:
            print(f"Sending through ClearLine staging; reports to {callback_url}")
            return run(client, receiver, callback_url, expectations, STAGING_TIMEOUT)

    expectations = [
        Expectation("+12025550123", "Delivered", "Delivered"),
        Expectation(Sandbox.FAILED_NUMBER, "DeliveredFailed", "Failed"),
        Expectation(Sandbox.EXPIRED_NUMBER, "DeliveredFailed", "Expired"),
    ]
    # A short delay, so the table shows a time to report as a real network would.
    with Sandbox(callback_delay=0.3) as sandbox, Receiver(0).running() as receiver:
        print(f"Sandbox running at {sandbox.base_url}; reports go to {receiver.url}")
        with sandbox.client() as client:
            return run(client, receiver, receiver.url, expectations, SANDBOX_TIMEOUT)


if __name__ == "__main__":
    sys.exit(main())
