"""Argument checking: wrong types raise TypeError naming the argument, bad values a clear error."""

from __future__ import annotations

from typing import Any

import clearline
import pytest
from conftest import API_KEY, FakeClearLine

WRONG_TEXT_VALUES: list[Any] = [None, 12025551234, 1.5, b"+12025551234", object(), ["+1202"]]


@pytest.mark.parametrize("value", WRONG_TEXT_VALUES)
@pytest.mark.parametrize("argument", ["phone", "message"])
def test_send_text_argument_wrong_type(server: FakeClearLine, argument: str, value: Any) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)
    arguments = {"phone": "+12025551234", "message": "Hi", argument: value}

    with pytest.raises(TypeError, match=rf"Client\.send\(\) argument '{argument}' must be str"):
        client.send(**arguments)

    assert server.requests == []


@pytest.mark.parametrize("value", [12, b"https://a.example", object()])
def test_send_callback_url_wrong_type(server: FakeClearLine, value: Any) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    with pytest.raises(TypeError, match="argument 'callback_url' must be str or None"):
        client.send("+12025551234", "Hi", callback_url=value)


@pytest.mark.parametrize("value", ["5", True, object()])
def test_send_timeout_wrong_type(server: FakeClearLine, value: Any) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    with pytest.raises(TypeError, match="argument 'timeout' must be a number of seconds"):
        client.send("+12025551234", "Hi", timeout=value)


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), 1e300])
def test_send_timeout_out_of_range(server: FakeClearLine, value: float) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)

    with pytest.raises(clearline.ConfigurationError, match="invalid timeout"):
        client.send("+12025551234", "Hi", timeout=value)


@pytest.mark.parametrize(
    ("argument", "field"),
    [("phone", "phone"), ("message", "message"), ("callback_url", "callbackUrl")],
)
def test_send_lone_surrogate_is_validation_error(
    server: FakeClearLine, argument: str, field: str
) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)
    arguments: dict[str, Any] = {"phone": "+12025551234", "message": "Hi", argument: "ab\ud800cd"}

    with pytest.raises(clearline.ValidationError) as raised:
        client.send(**arguments)

    assert raised.value.field == field
    assert "not valid Unicode" in str(raised.value)


@pytest.mark.asyncio
async def test_async_send_wrong_type_names_argument(server: FakeClearLine) -> None:
    client = clearline.AsyncClient(API_KEY, base_url=server.base_url)

    with pytest.raises(TypeError, match=r"AsyncClient\.send\(\) argument 'message' must be str"):
        client.send("+12025551234", None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"api_key": 123}, "argument 'api_key' must be str or None, not int"),
        ({"environment": 1}, "argument 'environment' must be str or None, not int"),
        ({"base_url": b"http://127.0.0.1"}, "argument 'base_url' must be str or None, not bytes"),
        ({"timeout": "30"}, "argument 'timeout' must be a number of seconds"),
        ({"connect_timeout": [1]}, "argument 'connect_timeout' must be a number of seconds"),
        ({"max_retries": 1.0}, "argument 'max_retries' must be int, not float"),
        ({"max_retries": True}, "argument 'max_retries' must be int, not bool"),
        ({"max_message_chars": "10"}, "argument 'max_message_chars' must be int, not str"),
    ],
)
@pytest.mark.parametrize("client_class", [clearline.Client, clearline.AsyncClient])
def test_client_option_wrong_type(
    client_class: type[clearline.Client], options: dict[str, Any], message: str
) -> None:
    arguments = {"api_key": API_KEY, "base_url": "http://127.0.0.1:9", **options}

    with pytest.raises(TypeError) as raised:
        client_class(**arguments)

    assert f"{client_class.__name__}() {message}" in str(raised.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": -1}, "invalid timeout: -1"),
        ({"connect_timeout": 0}, "invalid connect_timeout: 0"),
        ({"max_retries": -1}, "invalid max_retries: -1"),
        ({"max_retries": 2**40}, "invalid max_retries: 1099511627776"),
        ({"max_message_chars": 0}, "invalid max_message_chars: 0"),
        ({"api_key": ""}, "the API key is empty"),
        ({"api_key": "key with spaces"}, "HTTP header cannot carry"),
        ({"base_url": "not a url"}, "invalid base URL"),
    ],
)
def test_client_option_out_of_range(options: dict[str, Any], message: str) -> None:
    arguments = {"api_key": API_KEY, "base_url": "http://127.0.0.1:9", **options}

    with pytest.raises(clearline.ConfigurationError) as raised:
        clearline.Client(**arguments)

    assert message in str(raised.value)


@pytest.mark.parametrize(
    "options",
    [
        {"api_key": "test_key_\ud800_0000"},
        {"environment": "\ud800"},
        {"base_url": "http://127.0.0.1/\ud800"},
    ],
    ids=["api_key", "environment", "base_url"],
)
@pytest.mark.parametrize("client_class", [clearline.Client, clearline.AsyncClient])
def test_client_option_with_lone_surrogate_is_rejected(
    client_class: type[clearline.Client], options: dict[str, Any]
) -> None:
    arguments = {"api_key": API_KEY, **options}
    (name,) = options

    with pytest.raises(clearline.ConfigurationError) as raised:
        client_class(**arguments)

    message = str(raised.value)
    assert f"{client_class.__name__}() argument '{name}' is not valid Unicode" in message
    assert "\ufffd" not in message
    assert "test_key" not in message


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"message_id": "msg_\ud800", "phone": "+12025551234"}, "message_id"),
        ({"message_id": "msg_1", "phone": "+1202555\udc00"}, "phone"),
        ({"message_id": "msg_1", "phone": "+12025551234", "encoding": "\ud800"}, "encoding"),
    ],
)
def test_send_receipt_lone_surrogate_names_argument(arguments: dict[str, Any], name: str) -> None:
    with pytest.raises(clearline.ConfigurationError) as raised:
        clearline.SendReceipt(**arguments)

    assert f"SendReceipt() argument '{name}' is not valid Unicode" in str(raised.value)


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ({"message_id": "msg_\ud800", "status": "Delivered"}, "message_id"),
        ({"message_id": "msg_1", "status": "Queued\udc00"}, "status"),
        (
            {"message_id": "msg_1", "status": "Delivered", "external_status": "\ud800"},
            "external_status",
        ),
        ({"message_id": "msg_1", "status": "Delivered", "reason": "\ud800"}, "reason"),
    ],
)
def test_delivery_report_lone_surrogate_names_argument(
    arguments: dict[str, Any], name: str
) -> None:
    with pytest.raises(clearline.ConfigurationError) as raised:
        clearline.DeliveryReport(**arguments)

    assert f"DeliveryReport() argument '{name}' is not valid Unicode" in str(raised.value)


def test_delivery_report_accepts_status_member() -> None:
    report = clearline.DeliveryReport("msg_1", clearline.DeliveryStatus.DELIVERED)

    assert report.status is clearline.DeliveryStatus.DELIVERED


def test_send_receipt_wrong_type_names_argument() -> None:
    with pytest.raises(TypeError, match=r"SendReceipt\(\) argument 'phone' must be str, not int"):
        clearline.SendReceipt("msg_1", 12025551234)  # type: ignore[arg-type]


def test_client_env_key_not_utf8_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # surrogateescape turns "\udcff" into the byte 0xFF in the process environment.
    monkeypatch.setenv("CLEARLINE_API_KEY", "test_key_\udcff")

    with pytest.raises(clearline.ConfigurationError) as raised:
        clearline.Client(base_url="http://127.0.0.1:9")

    message = str(raised.value)
    assert "CLEARLINE_API_KEY: it is not valid UTF-8" in message
    assert "no API key" not in message


def test_client_wrong_key_type_never_echoes_value() -> None:
    with pytest.raises(TypeError) as raised:
        clearline.Client(API_KEY.encode(), base_url="http://127.0.0.1:9")  # type: ignore[arg-type]

    assert API_KEY not in str(raised.value)


def test_client_unknown_keyword_is_type_error() -> None:
    with pytest.raises(TypeError, match="retries"):
        clearline.Client(API_KEY, retries=3)  # type: ignore[call-arg]


def test_client_api_key_is_positional_only_first() -> None:
    with pytest.raises(TypeError):
        clearline.Client(API_KEY, "staging")  # type: ignore[call-arg, misc, unused-ignore]


@pytest.mark.parametrize("value", [None, 42, 1.5, object(), ["{}"], ("{}",)])
def test_parse_callback_wrong_type_names_accepted(value: Any) -> None:
    with pytest.raises(TypeError) as raised:
        clearline.parse_callback(value)

    assert (
        "parse_callback() argument 'body' must be bytes, bytearray, memoryview, str or dict"
        in str(raised.value)
    )
