"""The Rust core's sends, as the sandbox recorded them, checked against sendSms."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from conftest import RunningSandbox, run_bench_send
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import RequestValidationError

# The recorded ApiKey value is redacted; a present key is replaced by this stand-in.
KEY_STAND_IN = "recorded_key_redacted_0000"


def as_openapi_request(
    sandbox: RunningSandbox, recorded: dict[str, Any]
) -> MockRequest:
    headers = {name: value for name, value in recorded["headers"] if name != "apikey"}
    if recorded["apiKeyPresent"]:
        headers["ApiKey"] = KEY_STAND_IN
    return MockRequest(
        host_url=sandbox.base_url,
        method=recorded["method"],
        path=recorded["path"],
        headers=headers,
        data=recorded["body"].encode("utf-8"),
        content_type=headers.get("content-type", ""),
    )


def test_core_requests_match_send_schema(
    sandbox: RunningSandbox, openapi: OpenAPI
) -> None:
    run_bench_send(sandbox)
    run_bench_send(
        sandbox,
        "--phone",
        "+1 (202) 555-0102",
        "--message",
        "Grüße 👋 — your code is 0420",
        "--callback-url",
        "http://127.0.0.1:9/webhooks/sms?token=abc",
    )
    recorded = sandbox.get_json("/sandbox/requests")

    assert len(recorded) == 10
    for request in recorded:
        assert request["status"] == 200, request
        assert request["apiKeyPresent"] is True
        headers = dict(request["headers"])
        assert headers["content-type"] == "application/json"
        assert headers["user-agent"].startswith("clearline-rust/")
        assert headers["apikey"] == "<redacted>"
        openapi.validate_request(as_openapi_request(sandbox, request))

    # The core sends the canonical phone, never the formatted one it was given.
    bodies = [json.loads(request["body"]) for request in recorded]
    assert {body["phone"] for body in bodies} == {"+12025551234", "+12025550102"}
    assert sum("callbackUrl" in body for body in bodies) == 5


def test_send_schema_rejects_invalid_request(
    sandbox: RunningSandbox, openapi: OpenAPI
) -> None:
    body = json.dumps({"phone": "2025551234", "message": "Hi"}).encode("utf-8")
    request = urllib.request.Request(
        f"{sandbox.base_url}/MessageSender/sms",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as rejected:
        urllib.request.urlopen(request, timeout=10)
    assert rejected.value.code == 401

    recorded = sandbox.get_json("/sandbox/requests")
    assert recorded[-1]["apiKeyPresent"] is False
    with pytest.raises(RequestValidationError):
        openapi.validate_request(as_openapi_request(sandbox, recorded[-1]))
