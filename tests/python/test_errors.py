"""Every exception class: how it is raised, its attributes, its bases, and that no key leaks."""

from __future__ import annotations

import builtins
import pickle
from collections.abc import Callable

import clearline
import pytest
from conftest import API_KEY, FakeClearLine, Reply, json_reply, unused_port

# The stable codes, the same as the Node package's (tests/vectors/README.md).
CODES: dict[type[clearline.ClearLineError], str] = {
    clearline.ConfigurationError: "CLEARLINE_CONFIGURATION",
    clearline.ValidationError: "CLEARLINE_VALIDATION",
    clearline.AuthenticationError: "CLEARLINE_AUTH",
    clearline.RejectedError: "CLEARLINE_REJECTED",
    clearline.RateLimitError: "CLEARLINE_RATE_LIMITED",
    clearline.ServerError: "CLEARLINE_SERVER",
    clearline.UnexpectedResponseError: "CLEARLINE_UNEXPECTED_RESPONSE",
    clearline.TimeoutError: "CLEARLINE_TIMEOUT",
    clearline.ConnectionError: "CLEARLINE_CONNECTION",
    clearline.CallbackParseError: "CLEARLINE_CALLBACK_PARSE",
}


def client_for(server: FakeClearLine, **options: float) -> clearline.Client:
    return clearline.Client(API_KEY, base_url=server.base_url, max_retries=0, **options)  # type: ignore[arg-type]


def raised_by(call: Callable[[], object]) -> clearline.ClearLineError:
    with pytest.raises(clearline.ClearLineError) as raised:
        call()
    return raised.value


def assert_no_key(err: BaseException) -> None:
    assert API_KEY not in str(err)
    assert API_KEY not in repr(err)
    assert API_KEY not in repr(vars(err))


@pytest.mark.parametrize(("cls", "code"), CODES.items())
def test_error_class_code_and_base(cls: type[clearline.ClearLineError], code: str) -> None:
    assert issubclass(cls, clearline.ClearLineError)
    assert cls.code == code


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (clearline.ValidationError, ValueError),
        (clearline.ConfigurationError, ValueError),
        (clearline.CallbackParseError, ValueError),
        (clearline.TimeoutError, builtins.TimeoutError),
        (clearline.ConnectionError, builtins.ConnectionError),
    ],
)
def test_error_class_builtin_base(
    cls: type[clearline.ClearLineError], builtin: type[Exception]
) -> None:
    assert issubclass(cls, builtin)


def test_configuration_error_without_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLEARLINE_API_KEY", raising=False)

    err = raised_by(lambda: clearline.Client())

    assert type(err) is clearline.ConfigurationError
    assert "CLEARLINE_API_KEY" in str(err)
    assert err.status_code is None
    assert err.maybe_sent is False


def test_configuration_error_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEARLINE_API_KEY", API_KEY + "\n")

    err = raised_by(lambda: clearline.Client())

    assert type(err) is clearline.ConfigurationError
    assert "whitespace" in str(err)
    assert_no_key(err)


def test_configuration_error_plain_http_base_url() -> None:
    err = raised_by(lambda: clearline.Client(API_KEY, base_url="http://api.example.com"))

    assert type(err) is clearline.ConfigurationError
    assert "http" in str(err)


def test_configuration_error_unknown_environment() -> None:
    err = raised_by(lambda: clearline.Client(API_KEY, environment="prod"))  # type: ignore[arg-type]

    assert type(err) is clearline.ConfigurationError
    assert '"production" or "staging"' in str(err)


def test_validation_error_names_field(server: FakeClearLine) -> None:
    err = raised_by(lambda: client_for(server).send("+12025551234", ""))

    assert isinstance(err, clearline.ValidationError)
    assert err.field == "message"
    assert err.maybe_sent is False
    assert err.attempts == 0
    assert server.requests == []


def test_authentication_error_on_401(server: FakeClearLine) -> None:
    server.script(json_reply({"message": "Invalid API key"}, 401))

    err = raised_by(lambda: client_for(server).send("+12025551234", "Hi"))

    assert type(err) is clearline.AuthenticationError
    assert err.status_code == 401
    assert err.maybe_sent is False
    assert err.body_snippet == '{"message": "Invalid API key"}'
    assert err.attempts == 1


def test_rejected_error_on_succeed_false(server: FakeClearLine) -> None:
    server.script(json_reply({"succeed": False, "message": "Number is on the block list"}))

    err = raised_by(lambda: client_for(server).send("+12025551234", "Hi"))

    assert type(err) is clearline.RejectedError
    assert err.status_code == 200
    assert "block list" in str(err)


def test_rate_limit_error_carries_retry_after(server: FakeClearLine) -> None:
    server.script(Reply(429, b"", {"Retry-After": "7"}))

    err = raised_by(lambda: client_for(server).send("+12025551234", "Hi"))

    assert isinstance(err, clearline.RateLimitError)
    assert err.retry_after == 7.0
    assert err.status_code == 429
    assert err.maybe_sent is False


def test_server_error_may_be_sent(server: FakeClearLine) -> None:
    server.script(Reply(502, b"<h1>502 Bad Gateway</h1>", {"Content-Type": "text/html"}))

    err = raised_by(lambda: client_for(server).send("+12025551234", "Hi"))

    assert type(err) is clearline.ServerError
    assert err.status_code == 502
    assert err.maybe_sent is True
    assert err.body_snippet == "<h1>502 Bad Gateway</h1>"


def test_unexpected_response_error_on_html(server: FakeClearLine) -> None:
    server.script(Reply(200, b"<html>Captive portal</html>", {"Content-Type": "text/html"}))

    err = raised_by(lambda: client_for(server).send("+12025551234", "Hi"))

    assert type(err) is clearline.UnexpectedResponseError
    assert err.maybe_sent is True


def test_timeout_error_response_phase(server: FakeClearLine) -> None:
    server.script(Reply(delay=1.0))

    err = raised_by(lambda: client_for(server, timeout=0.2).send("+12025551234", "Hi"))

    assert isinstance(err, clearline.TimeoutError)
    assert isinstance(err, builtins.TimeoutError)
    assert err.timeout_phase == "response"
    assert err.maybe_sent is True


def test_connection_error_when_refused() -> None:
    client = clearline.Client(API_KEY, base_url=f"http://127.0.0.1:{unused_port()}", max_retries=0)

    err = raised_by(lambda: client.send("+12025551234", "Hi"))

    assert isinstance(err, clearline.ConnectionError)
    assert isinstance(err, builtins.ConnectionError)
    assert err.maybe_sent is False
    assert err.status_code is None


def test_connection_error_after_request_sent(server: FakeClearLine) -> None:
    server.script(Reply(close=True))

    err = raised_by(lambda: client_for(server).send("+12025551234", "Hi"))

    assert type(err) is clearline.ConnectionError
    assert err.maybe_sent is True


def test_callback_parse_error_names_field() -> None:
    err = raised_by(lambda: clearline.parse_callback(b'{"deliveryStatus": "Delivered"}'))

    assert isinstance(err, clearline.CallbackParseError)
    assert isinstance(err, ValueError)
    assert err.field == "messageId"


def test_error_pickles_with_attributes(server: FakeClearLine) -> None:
    server.script(Reply(429, b"slow down", {"Retry-After": "3"}))
    err = raised_by(lambda: client_for(server).send("+12025551234", "Hi"))

    copy = pickle.loads(pickle.dumps(err))

    assert type(copy) is clearline.RateLimitError
    assert str(copy) == str(err)
    assert copy.retry_after == 3.0
    assert copy.status_code == 429
    assert copy.body_snippet == "slow down"


@pytest.mark.parametrize("cls", [clearline.TimeoutError, clearline.ConnectionError])
def test_error_with_builtin_base_pickles(cls: type[clearline.ClearLineError]) -> None:
    err = cls("failed", maybe_sent=True, attempts=2)

    copy = pickle.loads(pickle.dumps(err))

    assert type(copy) is cls
    assert str(copy) == "failed"
    assert copy.maybe_sent is True
    assert copy.attempts == 2


def test_error_echoing_key_hides_it(server: FakeClearLine) -> None:
    echo = f"received headers: ApiKey: {API_KEY}".encode()
    server.script(Reply(400, echo, {"Content-Type": "text/plain"}))

    err = raised_by(lambda: client_for(server).send("+12025551234", "Hi"))

    assert type(err) is clearline.RejectedError
    assert_no_key(err)
    assert API_KEY not in (err.body_snippet or "")


def test_client_repr_hides_key(server: FakeClearLine) -> None:
    client = client_for(server)

    assert API_KEY not in repr(client)
    assert "…0000" in repr(client)
