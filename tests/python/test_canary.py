"""A canary API key never shows up anywhere, with the most verbose logging on.

One child process builds clients with the canary key, sets the root logger to DEBUG and the
``clearline`` logger to its lowest level, and makes sends fail with a 401, a refused connection
on a closed loopback port and a timeout, through both clients. It prints every way a user might
show what happened: the log records, ``str``, ``repr`` and the traceback of each error, and the
``repr`` of each client. The parent then searches the child's whole stdout and stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import FakeClearLine, Reply, unused_port

CANARY = "test_key_CANARY_not_real_7f3a"
"""An obviously fake key. Its last 4 characters may appear, as the redacted form shows them."""

SECRET_PARTS = ("test_key_CANARY", "CANARY_not_real")

CHILD = textwrap.dedent(
    """
    import asyncio, logging, pickle, sys, traceback
    import clearline

    key, base_url, refused_url = sys.argv[1:4]

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__(level=1)
            self.records = []
        def emit(self, record):
            self.records.append(record)

    kept = Keep()
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                        format="%(levelname)s %(name)s %(message)s")
    logging.getLogger().addHandler(kept)
    logging.getLogger("clearline").setLevel(1)

    def show(label, err):
        print(f"== {label}: {type(err).__name__}")
        print(str(err))
        print(repr(err))
        print(repr(vars(err)))
        print("".join(traceback.format_exception(type(err), err, err.__traceback__)))
        print(repr(pickle.loads(pickle.dumps(err))))

    def fail(label, client):
        try:
            client.send("+12025551234", "Your code is 0420")
        except clearline.ClearLineError as err:
            show(label, err)

    async def fail_async(label, client):
        try:
            await client.send("+12025551234", "Your code is 0420")
        except clearline.ClearLineError as err:
            show(label, err)

    clients = [
        ("401", clearline.Client(key, base_url=base_url, max_retries=0)),
        ("refused", clearline.Client(key, base_url=refused_url, max_retries=1)),
        ("timeout", clearline.Client(key, base_url=base_url, timeout=0.3)),
    ]
    for label, client in clients:
        print(repr(client), str(client))
        fail(label, client)

    async def main():
        for label, url, options in [
            ("async 401", base_url, {"max_retries": 0}),
            ("async refused", refused_url, {"max_retries": 1}),
            ("async timeout", base_url, {"timeout": 0.3}),
        ]:
            async with clearline.AsyncClient(key, base_url=url, **options) as client:
                print(repr(client))
                await fail_async(label, client)

    asyncio.run(main())
    results = clearline.Client(key, base_url=base_url, max_retries=0).send_many(
        [("+12025551234", "Hi")]
    )
    print(repr(results))

    for record in kept.records:
        print("record", record.levelno, record.getMessage(), repr(record.__dict__))
    print("records", len(kept.records))
    """
)


def test_canary_key_never_shown(server: FakeClearLine) -> None:
    # The 401 clients take the first replies, the timeout clients a reply that never comes
    # in time, and send_many a last 401.
    server.script(
        Reply(401, b'{"message": "Invalid API key"}', {"Content-Type": "application/json"}),
        Reply(delay=1.0),
        Reply(401, b'{"message": "Invalid API key"}', {"Content-Type": "application/json"}),
        Reply(delay=1.0),
        Reply(401, b"denied"),
    )
    env = {name: value for name, value in os.environ.items() if "PROXY" not in name.upper()}
    env.pop("CLEARLINE_API_KEY", None)
    refused_url = f"http://127.0.0.1:{unused_port()}"

    finished = subprocess.run(
        [sys.executable, "-c", CHILD, CANARY, server.base_url, refused_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).parent,
        env=env,
    )

    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, finished.stderr
    for part in SECRET_PARTS:
        assert part not in output
    # The output is what the test claims to search: every failure, the redacted key and logs
    # at every level, the sent body included.
    for label in ["401", "refused", "timeout", "async 401", "async refused", "async timeout"]:
        assert f"== {label}: " in output
    assert "AuthenticationError" in output
    assert "ConnectionError" in output
    assert "TimeoutError" in output
    assert "…7f3a" in output
    assert "retrying sms send" in output
    assert "sms send attempt failed" in output
    assert "Your code is 0420" in output, "the trace-level records are missing"
    # The canary did reach the server, in the ApiKey header only.
    assert server.requests[0].headers["ApiKey"] == CANARY
