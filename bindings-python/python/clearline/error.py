"""The exceptions of the ClearLine client.

Every exception derives from :class:`ClearLineError`. Some also derive from the builtin a caller
would catch anyway: :class:`ValidationError`, :class:`CallbackParseError` and
:class:`ConfigurationError` are ``ValueError``s, :class:`TimeoutError` is a
``builtins.TimeoutError`` and :class:`ConnectionError` a ``builtins.ConnectionError``.

The Rust core decides the kind, the message and the details of each error. The native module
(``bindings-python/src/error.rs``) raises these classes with the keyword arguments below, so
their names and signatures must match what it passes.
"""

from __future__ import annotations

import builtins
from typing import ClassVar

__all__ = [
    "AuthenticationError",
    "CallbackParseError",
    "ClearLineError",
    "ConfigurationError",
    "ConnectionError",
    "InternalError",
    "RateLimitError",
    "RejectedError",
    "ServerError",
    "TimeoutError",
    "UnexpectedResponseError",
    "ValidationError",
]


class ClearLineError(Exception):
    """Base class of every error the ClearLine client raises.

    Attributes:
        message: The error message, the same as ``str(error)``.
        code: A stable identifier of the error kind, such as ``"CLEARLINE_RATE_LIMITED"``, the
            same as the ``code`` of the Node package's errors.
        status_code: The HTTP status ClearLine answered, or None when there was no response.
        maybe_sent: True when the SMS may have gone out despite the error. Sending it again
            then risks a duplicate SMS; check first.
        body_snippet: The first characters of the response body; None when it was empty or blank.
        attempts: How many HTTP attempts the send made (0 when it failed before any I/O).
    """

    code: ClassVar[str] = "CLEARLINE_ERROR"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        maybe_sent: bool = False,
        body_snippet: str | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.maybe_sent = maybe_sent
        self.body_snippet = body_snippet
        self.attempts = attempts

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        details = [repr(self.message)]
        if self.status_code is not None:
            details.append(f"status_code={self.status_code}")
        details.append(f"maybe_sent={self.maybe_sent}")
        return f"{type(self).__name__}({', '.join(details)})"


class ConfigurationError(ClearLineError, ValueError):
    """An invalid client or sandbox setting: no API key, an invalid base URL or option.

    Also raised for an argument out of range or holding a lone surrogate where the value is not
    a request field (``Sandbox.inject_fault(times=...)``, ``SendReceipt(...)``, ``Fault``).
    """

    code: ClassVar[str] = "CLEARLINE_CONFIGURATION"


class ValidationError(ClearLineError, ValueError):
    """A send request failed validation before any I/O.

    Attributes:
        field: The API field at fault: ``"phone"``, ``"message"`` or ``"callbackUrl"``.
    """

    code: ClassVar[str] = "CLEARLINE_VALIDATION"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status_code: int | None = None,
        maybe_sent: bool = False,
        body_snippet: str | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            maybe_sent=maybe_sent,
            body_snippet=body_snippet,
            attempts=attempts,
        )
        self.field = field


class AuthenticationError(ClearLineError):
    """ClearLine answered 401 or 403: the API key is missing, wrong or revoked."""

    code: ClassVar[str] = "CLEARLINE_AUTH"


class RejectedError(ClearLineError):
    """ClearLine did not accept the message (``"succeed": false`` or a 4xx status)."""

    code: ClassVar[str] = "CLEARLINE_REJECTED"


class RateLimitError(ClearLineError):
    """ClearLine answered 429 Too Many Requests.

    Attributes:
        retry_after: The wait ClearLine asked for, in seconds, or None when it gave none.
    """

    code: ClassVar[str] = "CLEARLINE_RATE_LIMITED"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = None,
        maybe_sent: bool = False,
        body_snippet: str | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            maybe_sent=maybe_sent,
            body_snippet=body_snippet,
            attempts=attempts,
        )
        self.retry_after = retry_after


class ServerError(ClearLineError):
    """ClearLine answered with a 5xx status."""

    code: ClassVar[str] = "CLEARLINE_SERVER"


class UnexpectedResponseError(ClearLineError):
    """The response was not what the API promises (a redirect, an HTML page, no messageId)."""

    code: ClassVar[str] = "CLEARLINE_UNEXPECTED_RESPONSE"


class TimeoutError(ClearLineError, builtins.TimeoutError):
    """A connect or response timeout.

    Attributes:
        timeout_phase: ``"connect"`` when the connection could not be opened in time (the SMS
            was not sent), ``"response"`` when the response did not arrive in time (it may
            have been).
    """

    code: ClassVar[str] = "CLEARLINE_TIMEOUT"

    def __init__(
        self,
        message: str,
        *,
        timeout_phase: str | None = None,
        status_code: int | None = None,
        maybe_sent: bool = False,
        body_snippet: str | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            maybe_sent=maybe_sent,
            body_snippet=body_snippet,
            attempts=attempts,
        )
        self.timeout_phase = timeout_phase


class ConnectionError(ClearLineError, builtins.ConnectionError):
    """The connection could not be made (DNS, refused, TLS, proxy) or broke mid-exchange."""

    code: ClassVar[str] = "CLEARLINE_CONNECTION"


class CallbackParseError(ClearLineError, ValueError):
    """A delivery-report body could not be parsed.

    Attributes:
        field: The report field at fault, such as ``"messageId"``, or None when the body as a
            whole is invalid.
    """

    code: ClassVar[str] = "CLEARLINE_CALLBACK_PARSE"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status_code: int | None = None,
        maybe_sent: bool = False,
        body_snippet: str | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            maybe_sent=maybe_sent,
            body_snippet=body_snippet,
            attempts=attempts,
        )
        self.field = field


class InternalError(ClearLineError):
    """A bug in the ClearLine SDK itself: a Rust panic, caught before it reached Python.

    ``maybe_sent`` is True when a send could have been in flight. Please report the message.
    """

    code: ClassVar[str] = "CLEARLINE_INTERNAL"
