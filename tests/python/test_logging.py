"""Core log events reach the standard logging module under the logger "clearline"."""

from __future__ import annotations

import logging
import time

import clearline
import pytest
from conftest import API_KEY, FakeClearLine, Reply

TRACE = 5


def test_logging_debug_records_send(
    server: FakeClearLine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="clearline")
    client = clearline.Client(API_KEY, base_url=server.base_url)

    client.send("+12025551234", "Hi")

    records = [record for record in caplog.records if record.name == "clearline"]
    accepted = [record for record in records if "sms accepted" in record.getMessage()]
    assert len(accepted) == 1
    assert accepted[0].levelno == logging.DEBUG
    assert "message_id=msg_1" in accepted[0].getMessage()
    # Below TRACE level the number is masked.
    assert "+12025551234" not in accepted[0].getMessage()


def test_logging_retry_is_info(server: FakeClearLine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="clearline")
    server.script(Reply(429, b"", {"Retry-After": "0"}))
    client = clearline.Client(API_KEY, base_url=server.base_url, max_retries=1)

    client.send("+12025551234", "Hi")

    retries = [record for record in caplog.records if "retrying" in record.getMessage()]
    assert len(retries) == 1
    assert retries[0].levelno == logging.INFO


def test_logging_never_contains_key(
    server: FakeClearLine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(TRACE, logger="clearline")
    server.script(Reply(401, f"bad key {API_KEY}".encode()), Reply(429, b"", {"Retry-After": "0"}))
    client = clearline.Client(API_KEY, base_url=server.base_url, max_retries=1)

    with pytest.raises(clearline.AuthenticationError):
        client.send("+12025551234", "Hi")
    client.send("+12025551234", "Hi", callback_url="https://app.example.com/hook")

    assert any(record.levelno == TRACE for record in caplog.records)
    for record in caplog.records:
        assert API_KEY not in record.getMessage()
        assert API_KEY not in repr(record.args)


def test_logging_silent_at_warning(server: FakeClearLine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="clearline")
    client = clearline.Client(API_KEY, base_url=server.base_url)

    client.send("+12025551234", "Hi")

    assert [record for record in caplog.records if record.name == "clearline"] == []


def test_logging_level_change_takes_effect(
    server: FakeClearLine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="clearline")
    client = clearline.Client(API_KEY, base_url=server.base_url)
    client.send("+12025551234", "Hi")

    caplog.set_level(logging.DEBUG, logger="clearline")
    # The level is re-read at most once a second while sending.
    time.sleep(1.1)
    client.send("+12025551234", "Hi")

    assert any("sms accepted" in record.getMessage() for record in caplog.records)


def test_logging_handler_sending_gets_clear_error(server: FakeClearLine) -> None:
    client = clearline.Client(API_KEY, base_url=server.base_url)
    errors: list[BaseException] = []

    class AlertHandler(logging.Handler):
        """Sends an SMS per record: a blocking call on the client's own runtime thread."""

        def emit(self, record: logging.LogRecord) -> None:
            try:
                client.send("+12025551234", record.getMessage())
            except Exception as err:
                errors.append(err)

    logger = logging.getLogger("clearline")
    handler = AlertHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        # A new client re-reads the logger's level.
        clearline.Client(API_KEY, base_url=server.base_url).send("+12025551234", "Hi")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)

    assert errors
    assert all(isinstance(err, RuntimeError) for err in errors)
    assert "ClearLine runtime thread" in str(errors[0])
