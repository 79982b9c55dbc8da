"""Every case of the shared test vectors in tests/vectors/, run against the installed wheel.

Send and response cases run through both ``Client`` and ``AsyncClient``.

The format is described in tests/vectors/README.md. CLEARLINE_VECTORS_DIR points the runner at
another folder of vector files.
"""

from __future__ import annotations

import base64
import email.utils
import json
import os
import time
from pathlib import Path
from typing import Any

import clearline
import pytest
from conftest import API_KEY, CLIENT_CLASSES, FakeClearLine, Reply, send_with

VECTORS_DIR = Path(os.environ.get("CLEARLINE_VECTORS_DIR", Path(__file__).parents[1] / "vectors"))

# The Python class of each error kind; the table in tests/vectors/README.md.
ERROR_CLASSES: dict[str, type[clearline.ClearLineError]] = {
    "configuration": clearline.ConfigurationError,
    "validation": clearline.ValidationError,
    "authentication": clearline.AuthenticationError,
    "rejected": clearline.RejectedError,
    "rate_limited": clearline.RateLimitError,
    "server": clearline.ServerError,
    "unexpected_response": clearline.UnexpectedResponseError,
    "timeout": clearline.TimeoutError,
    "connection": clearline.ConnectionError,
    "callback_parse": clearline.CallbackParseError,
}


def load_cases(file_name: str) -> list[Any]:
    """Return the cases of one vector file as pytest params, or one skipped param if absent."""
    path = VECTORS_DIR / file_name
    if not path.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{path} does not exist yet"))]
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return [pytest.param(case, id=case["name"]) for case in cases]


def text(value: Any) -> str:
    """Build the text a vector value describes (see "Text values" in the README)."""
    if isinstance(value, str):
        return value
    if "repeat" in value:
        return text(value["repeat"]) * int(value["count"])
    if "utf16" in value:
        return "".join(chr(unit) for unit in value["utf16"])
    if "concat" in value:
        return "".join(text(part) for part in value["concat"])
    raise AssertionError(f"unknown text value {value!r}")


def optional_text(value: Any) -> str | None:
    return None if value is None else text(value)


def body_bytes(value: Any) -> bytes:
    if isinstance(value, dict) and "base64" in value:
        return base64.b64decode(value["base64"])
    return text(value).encode("utf-8", "surrogatepass")


def decoded(value: Any) -> Any:
    """Decode every text value inside an expected JSON body."""
    if isinstance(value, dict) and not ({"repeat", "utf16", "concat"} & value.keys()):
        return {key: decoded(item) for key, item in value.items()}
    return text(value)


def check_error(
    err: clearline.ClearLineError, expect: dict[str, Any], status: int | None = None
) -> None:
    assert type(err) is ERROR_CLASSES[expect["error"]], f"{type(err).__name__}: {err}"
    if "maybe_sent" in expect:
        assert err.maybe_sent is expect["maybe_sent"]
    if "status" in expect:
        assert err.status_code == expect["status"]
    if "field" in expect:
        assert getattr(err, "field") == expect["field"]  # noqa: B009
    if "contains" in expect:
        assert expect["contains"] in str(err)
    assert API_KEY not in str(err)
    assert API_KEY not in repr(err)


@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
@pytest.mark.parametrize("case", load_cases("send_inputs.json"))
def test_send_input(case: dict[str, Any], client_class: str, server: FakeClearLine) -> None:
    options = {
        "api_key": API_KEY,
        "base_url": server.base_url,
        "max_retries": 0,
        "max_message_chars": case.get("max_message_chars", 1600),
    }
    expect = case["expect"]

    def send() -> clearline.SendReceipt:
        return send_with(
            client_class,
            options,
            text(case["phone"]),
            text(case["message"]),
            optional_text(case.get("callback_url")),
        )

    if "error" in expect:
        with pytest.raises(clearline.ClearLineError) as raised:
            send()
        check_error(raised.value, expect)
        assert server.requests == []
        return

    receipt = send()
    assert receipt.message_id == "msg_1"
    assert len(server.requests) == 1
    assert server.requests[0].json() == decoded(expect["body"])


def http_date_in(text_value: str) -> str:
    """Replace ``{http_date+N}`` with the HTTP-date N seconds from now."""
    start = text_value.find("{http_date+")
    if start < 0:
        return text_value
    end = text_value.index("}", start)
    seconds = int(text_value[start + len("{http_date+") : end])
    date = email.utils.formatdate(time.time() + seconds, usegmt=True)
    return text_value[:start] + date + text_value[end + 1 :]


@pytest.mark.parametrize("client_class", CLIENT_CLASSES)
@pytest.mark.parametrize("case", load_cases("responses.json"))
def test_response(case: dict[str, Any], client_class: str, server: FakeClearLine) -> None:
    headers = {name: http_date_in(value) for name, value in case.get("headers", {}).items()}
    server.script(Reply(case["status"], body_bytes(case.get("body", "")), headers))
    options = {"api_key": API_KEY, "base_url": server.base_url, "max_retries": 0}
    expect = case["expect"]

    if "message_id" in expect:
        receipt = send_with(client_class, options, "+12025551234", "Hi")
        assert receipt.message_id == expect["message_id"]
        assert receipt.attempts == 1
    else:
        with pytest.raises(clearline.ClearLineError) as raised:
            send_with(client_class, options, "+12025551234", "Hi")
        err = raised.value
        check_error(err, expect)
        if "retry_after_seconds" in expect:
            expected = expect["retry_after_seconds"]
            actual = getattr(err, "retry_after", None)
            if expected is None:
                assert actual is None
            else:
                assert actual is not None
                assert abs(actual - expected) <= 1.0
        assert err.attempts == 1

    if "posts" in case:
        assert len(server.requests) == case["posts"]


@pytest.mark.parametrize("case", load_cases("callbacks.json"))
def test_callback(case: dict[str, Any]) -> None:
    body = body_bytes(case.get("body", ""))
    expect = case["expect"]
    # Bytes is what frameworks hand over; str and bytearray must give the same result.
    forms: list[Any] = [body, bytearray(body), memoryview(body)]
    if isinstance(case["body"], str):
        forms.append(text(case["body"]))

    for form in forms:
        if "error" in expect:
            with pytest.raises(clearline.CallbackParseError) as raised:
                clearline.parse_callback(form)
            check_error(raised.value, expect)
            continue

        report = clearline.parse_callback(form)
        expected = expect["report"]
        assert report.message_id == expected["message_id"]
        assert report.raw_status == expected["status"]
        if expected["known_status"]:
            assert report.status == clearline.DeliveryStatus(expected["status"])
        else:
            assert report.status is clearline.DeliveryStatus.UNKNOWN
        assert report.external_status == expected["external_status"]
        assert report.reason == expected["reason"]
        assert report.is_delivered is (report.status is clearline.DeliveryStatus.DELIVERED)
