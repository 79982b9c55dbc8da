"""Every Python case of tests/vectors/argument_types.json: wrong argument types from Python.

``send`` cases run through both ``Client.send`` and ``AsyncClient.send`` against a loopback
server; a TypeError must name the argument and reach the server with nothing. The format is in
tests/vectors/README.md.
"""

from __future__ import annotations

import builtins
import json
import re
from typing import Any

import clearline
import pytest
from conftest import API_KEY, FakeClearLine
from test_vectors import VECTORS_DIR

CASES = [
    case
    for case in json.loads((VECTORS_DIR / "argument_types.json").read_text(encoding="utf-8"))[
        "cases"
    ]
    if "python" in case["expect"]
]

VALID_SEND = {"phone": "+12025551234", "message": "Hi"}
VALID_BODY = b'{"messageId":"m1","deliveryStatus":"Delivered"}'


def python_value(case: dict[str, Any]) -> Any:
    """Build the Python value of a case's ``kind``; ``absent`` cases never call this."""
    kind = case["kind"]
    if kind == "null":
        return None
    if kind == "integer":
        return int(case["value"])
    if kind == "float":
        return float(case["value"])
    if kind == "bytes":
        return str(case["value"]).encode()
    return case["value"]


def arguments(case: dict[str, Any]) -> dict[str, Any]:
    """Return the keyword arguments of the call, with the case's argument replaced or left out."""
    valid: dict[str, Any] = dict(VALID_SEND) if case["function"] == "send" else {"body": VALID_BODY}
    if case["kind"] == "absent":
        valid.pop(case["argument"], None)
    else:
        valid[case["argument"]] = python_value(case)
    return valid


def expected_exception(expect: dict[str, Any]) -> type[Exception]:
    """Return the builtin exception class ``expect`` names, such as TypeError."""
    exception: type[Exception] = getattr(builtins, expect["raises"])
    return exception


@pytest.mark.parametrize("case", [pytest.param(case, id=case["name"]) for case in CASES])
def test_argument_type_sync(case: dict[str, Any], server: FakeClearLine) -> None:
    expect = case["expect"]["python"]
    call_arguments = arguments(case)

    def call() -> object:
        if case["function"] == "parse_callback":
            return clearline.parse_callback(**call_arguments)
        client = clearline.Client(API_KEY, base_url=server.base_url, max_retries=0)
        return client.send(**call_arguments)

    if expect.get("accepted"):
        result = call()
        if case["function"] == "send":
            assert isinstance(result, clearline.SendReceipt)
            assert len(server.requests) == 1
        else:
            assert isinstance(result, clearline.DeliveryReport)
            assert result.message_id == "m1"
        return

    with pytest.raises(expected_exception(expect), match=re.escape(expect["contains"])) as raised:
        call()
    assert type(raised.value) is expected_exception(expect)
    assert server.requests == []


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case["name"]) for case in CASES if case["function"] == "send"],
)
@pytest.mark.asyncio
async def test_argument_type_async(case: dict[str, Any], server: FakeClearLine) -> None:
    expect = case["expect"]["python"]
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url, max_retries=0)

    if expect.get("accepted"):
        receipt = await client.send(**arguments(case))
        assert isinstance(receipt, clearline.SendReceipt)
        assert len(server.requests) == 1
        return

    with pytest.raises(expected_exception(expect), match=re.escape(expect["contains"])) as raised:
        await client.send(**arguments(case))
    assert type(raised.value) is expected_exception(expect)
    assert server.requests == []
