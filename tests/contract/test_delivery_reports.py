"""The sandbox's delivery reports, checked against the deliveryReport webhook."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from conftest import Receiver, RunningSandbox, run_bench_send
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.exceptions import RequestValidationError
from werkzeug.datastructures import Headers, ImmutableMultiDict

# The sandbox's reserved test numbers and the gateway status their reports carry.
PHONES = {
    "+12025551234": ("Delivered", "Delivered"),
    "+12025550101": ("DeliveredFailed", "Failed"),
    "+12025550102": ("DeliveredFailed", "Expired"),
    "+12025550103": ("DeliveredFailed", "Rejected"),
}


@dataclass
class WebhookRequest:
    """A received callback as openapi-core's WebhookRequest protocol describes it."""

    name: str
    method: str
    body: bytes
    content_type: str
    parameters: RequestParameters


def webhook_request(body: bytes, content_type: str) -> WebhookRequest:
    parameters = RequestParameters(
        query=ImmutableMultiDict(),
        header=Headers({"Content-Type": content_type}),
        cookie=ImmutableMultiDict(),
    )
    return WebhookRequest(
        name="deliveryReport",
        method="post",
        body=body,
        content_type=content_type,
        parameters=parameters,
    )


def test_reports_match_webhook_schema(
    sandbox: RunningSandbox, receiver: Receiver, openapi: OpenAPI
) -> None:
    for phone in PHONES:
        run_bench_send(sandbox, "--phone", phone, "--callback-url", receiver.url)
    outcomes = sandbox.wait_for_outcomes(5 * len(PHONES))

    assert all(outcome["delivered"] for outcome in outcomes)
    received = receiver.snapshot()
    assert len(received) == 5 * len(PHONES)

    phone_of = {
        m["messageId"]: m["phone"] for m in sandbox.get_json("/sandbox/messages")
    }
    for callback in received:
        assert callback.path == "/webhooks/sms"
        content_type = callback.headers.get("content-type", "")
        assert content_type == "application/json"
        openapi.validate_webhook_request(webhook_request(callback.body, content_type))

        report = json.loads(callback.body)
        status, external = PHONES[phone_of[report["messageId"]]]
        assert report["deliveryStatus"] == status
        assert report["externalDeliveryStatus"] == external
        assert isinstance(report["reasonText"], str)
        assert report["reasonText"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"deliveryStatus": "Delivered"}',
        b'{"messageId": "", "deliveryStatus": "Delivered"}',
        b'{"messageId": "m1", "deliveryStatus": 5}',
        b'{"messageId": "m1", "deliveryStatus": "Delivered", "reasonText": 7}',
    ],
)
def test_webhook_schema_rejects_malformed_report(openapi: OpenAPI, body: bytes) -> None:
    with pytest.raises(RequestValidationError):
        openapi.validate_webhook_request(webhook_request(body, "application/json"))
