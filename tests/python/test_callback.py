"""parse_callback, DeliveryReport and DeliveryStatus."""

from __future__ import annotations

import json
import pickle
from collections import OrderedDict
from types import MappingProxyType
from typing import Any

import clearline
import pytest
from clearline import DeliveryStatus

REPORT = {
    "messageId": "msg_1",
    "deliveryStatus": "DeliveredFailed",
    "externalDeliveryStatus": "Expired",
    "reasonText": "Handset switched off",
}
BODY = json.dumps(REPORT).encode()


@pytest.mark.parametrize(
    "body",
    [
        BODY,
        bytearray(BODY),
        memoryview(BODY),
        BODY.decode(),
        REPORT,
        OrderedDict(REPORT),
        MappingProxyType(REPORT),
    ],
    ids=["bytes", "bytearray", "memoryview", "str", "dict", "ordered_dict", "mapping"],
)
def test_parse_callback_accepts_body_forms(body: Any) -> None:
    report = clearline.parse_callback(body)

    assert report.message_id == "msg_1"
    assert report.status is DeliveryStatus.DELIVERED_FAILED
    assert report.raw_status == "DeliveredFailed"
    assert report.external_status == "Expired"
    assert report.reason == "Handset switched off"
    assert report.is_delivered is False
    assert report.is_failed is True


def test_parse_callback_unknown_status_keeps_raw() -> None:
    report = clearline.parse_callback(b'{"messageId": "m1", "deliveryStatus": "Queued"}')

    assert report.status is DeliveryStatus.UNKNOWN
    assert report.raw_status == "Queued"
    assert report.is_delivered is False
    assert report.is_failed is False


def test_parse_callback_status_ignores_case() -> None:
    report = clearline.parse_callback({"messageId": "m1", "deliveryStatus": "delivered"})

    assert report.status is DeliveryStatus.DELIVERED
    assert report.raw_status == "Delivered"


@pytest.mark.parametrize(
    ("value", "kind"),
    [(5, "a number"), (True, "a boolean"), ([1], "an array"), ({"a": 1}, "an object")],
)
def test_parse_callback_dict_wrong_field_type(value: object, kind: str) -> None:
    with pytest.raises(clearline.CallbackParseError) as raised:
        clearline.parse_callback({"messageId": value, "deliveryStatus": "Delivered"})

    assert raised.value.field == "messageId"
    assert f'"messageId" is {kind}' in str(raised.value)


def test_parse_callback_dict_null_reason_is_none() -> None:
    report = clearline.parse_callback(
        {"messageId": "m1", "deliveryStatus": "Delivered", "reasonText": None}
    )

    assert report.reason is None


def test_parse_callback_dict_lone_surrogate_rejected() -> None:
    with pytest.raises(clearline.CallbackParseError) as raised:
        clearline.parse_callback({"messageId": "m\ud800", "deliveryStatus": "Delivered"})

    assert raised.value.field == "messageId"


def test_parse_callback_str_lone_surrogate_rejected() -> None:
    with pytest.raises(clearline.CallbackParseError):
        clearline.parse_callback('{"messageId": "m\ud800", "deliveryStatus": "Delivered"}')


def test_parse_callback_form_encoded_hint() -> None:
    with pytest.raises(clearline.CallbackParseError, match="form-encoded"):
        clearline.parse_callback(b"messageId=m1&deliveryStatus=Delivered")


def test_delivery_status_is_str_enum() -> None:
    status: str = DeliveryStatus.DELIVERED
    assert status == "Delivered"
    assert DeliveryStatus("DeliveredFailed") is DeliveryStatus.DELIVERED_FAILED
    assert isinstance(DeliveryStatus.UNKNOWN, str)
    assert str(DeliveryStatus.DELIVERED) == "Delivered"
    assert json.dumps({"status": DeliveryStatus.DELIVERED}) == '{"status": "Delivered"}'


def test_report_is_frozen_hashable_and_picklable() -> None:
    report = clearline.parse_callback(BODY)

    with pytest.raises(AttributeError):
        report.message_id = "other"  # type: ignore[misc]
    assert report == clearline.parse_callback(REPORT)
    assert len({report, clearline.parse_callback(REPORT)}) == 1
    assert pickle.loads(pickle.dumps(report)) == report


def test_report_repr_shows_fields() -> None:
    report = clearline.parse_callback(BODY)

    assert repr(report) == (
        "DeliveryReport(message_id='msg_1', status='DeliveredFailed', "
        "external_status='Expired', reason='Handset switched off')"
    )


def test_report_built_by_hand() -> None:
    report = clearline.DeliveryReport("m1", DeliveryStatus.DELIVERED)

    assert report.status is DeliveryStatus.DELIVERED
    assert report.external_status is None
    assert report == clearline.parse_callback({"messageId": "m1", "deliveryStatus": "Delivered"})


def test_report_built_by_hand_rejects_non_str_status() -> None:
    with pytest.raises(TypeError, match="argument 'status' must be str or DeliveryStatus"):
        clearline.DeliveryReport("m1", 3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "reason",
    ["", "é🔐 Ünïcode", "x" * 5000, 'say "hi"\n'],
    ids=["empty", "non_ascii", "longer_than_inline_text", "escaped"],
)
def test_report_fields_survive_storage(reason: str) -> None:
    fields = {**REPORT, "deliveryStatus": "Queued", "reasonText": reason}
    report = clearline.parse_callback(json.dumps(fields).encode())

    assert report.message_id == "msg_1"
    assert report.status is DeliveryStatus.UNKNOWN
    assert report.raw_status == "Queued"
    assert report.external_status == "Expired"
    assert report.reason == reason
    assert pickle.loads(pickle.dumps(report)) == report


def test_report_empty_field_differs_from_absent() -> None:
    absent = clearline.parse_callback({"messageId": "m1", "deliveryStatus": "Delivered"})
    empty = clearline.parse_callback(
        {"messageId": "m1", "deliveryStatus": "Delivered", "externalDeliveryStatus": ""}
    )

    assert absent.external_status is None
    assert empty.external_status == ""
    assert absent != empty


def test_report_equality_compares_fields() -> None:
    by_hand = clearline.DeliveryReport(
        "msg_1", "DeliveredFailed", "Expired", "Handset switched off"
    )
    # The same text back to back, split at a different place.
    moved = clearline.DeliveryReport("msg_1", "DeliveredFailed", "Expire", "dHandset switched off")

    assert by_hand == clearline.parse_callback(BODY)
    assert hash(by_hand) == hash(clearline.parse_callback(BODY))
    assert moved != by_hand
