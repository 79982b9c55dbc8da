"""The host process stays healthy: event loops come and go, threads share clients, and the
interpreter exits on its own, without warnings, leaked threads or leaked file descriptors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from clearline.testing import Sandbox

TESTS_DIR = Path(__file__).parent


def run_script(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter with warnings as errors and the tests folder on the
    path."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=TESTS_DIR,
    )


ASYNCIO_CYCLES = textwrap.dedent(
    """
    import asyncio, json, os, sys, threading, time
    import clearline
    from conftest import FakeClearLine, Reply

    CYCLES = 200
    MARGIN = int(sys.argv[1])
    server = FakeClearLine()
    # Every send gets a slow answer, so each cycle ends with its sends still pending.
    server.script(*[Reply(delay=0.5) for _ in range(CYCLES * 2)])

    def fds():
        return len(os.listdir("/proc/self/fd"))

    async def cycle():
        client = clearline.AsyncClient("test_key_not_real_0000", base_url=server.base_url)
        # One task that asyncio.run cancels, one future that is never awaited.
        asyncio.ensure_future(client.send("+12025551234", "pending at shutdown"))
        client.send("+12025551234", "never awaited")
        await asyncio.sleep(0)

    def current_counts():
        return {"threads": len(os.listdir("/proc/self/task")), "fds": fds()}

    def settled_counts(baseline=None):
        # The never-awaited sends still run after their loop closed; their answers come 0.5 s
        # after the request. Threads and connections then wind down in their own time, so
        # the final reading waits (up to 15 s) for the counts to come within the margin.
        time.sleep(1.0)
        counts = current_counts()
        deadline = time.monotonic() + 15.0
        while baseline and time.monotonic() < deadline and any(
            counts[name] > baseline[name] + MARGIN for name in counts
        ):
            time.sleep(0.25)
            counts = current_counts()
        return counts

    counts = []
    for index in range(CYCLES):
        asyncio.run(cycle())
        if index == 9:
            counts.append(settled_counts())
        elif index == CYCLES - 1:
            counts.append(settled_counts(baseline=counts[0]))

    server.close()
    print(json.dumps(counts))
    """
)


def test_asyncio_run_cycles_with_pending_sends() -> None:
    margin = 100
    finished = run_script(ASYNCIO_CYCLES, str(margin))

    assert finished.returncode == 0, finished.stderr
    # -W error turns every warning, ResourceWarning included, into an error; an unraisable
    # exception such as "Event loop is closed" prints to stderr.
    assert finished.stderr == ""
    after_ten, after_all = json.loads(finished.stdout)
    # Both counts are taken once every send was answered or aborted, and count OS threads and
    # open descriptors. Idle threads of the runtime's blocking pool live on for 10 s and the
    # server's threads close the connections of dropped clients in their own time, so the counts
    # move by a few dozen with timing; a leak of one thread or descriptor per cycle adds 190.
    assert after_all["threads"] <= after_ten["threads"] + margin, (after_ten, after_all)
    assert after_all["fds"] <= after_ten["fds"] + margin, (after_ten, after_all)


EXIT_WITH_WORK = textwrap.dedent(
    """
    import asyncio, sys, threading
    import clearline
    from clearline.testing import Sandbox
    from conftest import FakeClearLine, Reply

    server = FakeClearLine()
    server.script(*[Reply(delay=30.0) for _ in range(4)])
    client = clearline.Client("test_key_not_real_0000", base_url=server.base_url)
    # A daemon thread blocked in a send, a running sandbox and a pending async future: none
    # of them may keep the interpreter from exiting or crash it on the way out.
    threading.Thread(target=client.send, args=("+12025551234", "blocked"), daemon=True).start()
    sandbox = Sandbox().start()
    sandbox.client().send("+12025551234", "sent before exit")
    server.wait_for_requests(1)
    print("exiting", flush=True)
    sys.exit(0)
    """
)


def test_interpreter_exits_with_work_in_flight() -> None:
    finished = run_script(EXIT_WITH_WORK, timeout=30)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "exiting"
    assert finished.stderr == ""


THREADS_SHARING = textwrap.dedent(
    """
    import asyncio, json, sys, threading
    import clearline

    base_url, api_key = sys.argv[1:3]
    client = clearline.Client(api_key, base_url=base_url)
    async_client = clearline.AsyncClient(api_key, base_url=base_url)
    results = []
    lock = threading.Lock()

    def blocking_sends(worker):
        for index in range(25):
            receipt = client.send("+12025551234", f"thread {worker} message {index}")
            with lock:
                results.append(receipt.message_id)

    def loop_sends(worker):
        # Each thread runs its own event loop over the one shared AsyncClient.
        async def main():
            receipts = await asyncio.gather(
                *(async_client.send("+12025551234", f"loop {worker} message {index}")
                  for index in range(25))
            )
            with lock:
                results.extend(receipt.message_id for receipt in receipts)
        asyncio.run(main())

    threads = [threading.Thread(target=blocking_sends, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=loop_sends, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"sent": len(results), "unique": len(set(results))}))
    """
)


def test_threads_share_sync_and_async_clients(clearline_sandbox: Sandbox) -> None:
    finished = run_script(THREADS_SHARING, clearline_sandbox.base_url, clearline_sandbox.api_key)

    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout) == {"sent": 200, "unique": 200}
    assert len(clearline_sandbox.messages()) == 200


def test_soak_script_smoke(clearline_sandbox: Sandbox) -> None:
    """bench/soak/soak.py runs; the 100,000-send soak itself is a measurement, not a test."""
    script = TESTS_DIR.parents[1] / "bench" / "soak" / "soak.py"

    finished = subprocess.run(
        [
            sys.executable,
            str(script),
            clearline_sandbox.base_url,
            clearline_sandbox.api_key,
            "300",
            "100",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    samples = [json.loads(line) for line in finished.stdout.splitlines()]
    assert [sample["sends"] for sample in samples] == [0, 100, 200, 300]
    assert all(sample["rss_kib"] > 0 and sample["fds"] > 0 for sample in samples)
    assert len(clearline_sandbox.messages()) == 300
