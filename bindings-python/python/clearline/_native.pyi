from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Literal, final

from typing_extensions import Self, TypeAlias

from clearline.callback import DeliveryStatus
from clearline.error import ClearLineError

__version__: str

Environment: TypeAlias = Literal["production", "staging"]
"""A ClearLine environment name."""

OutgoingMessage: TypeAlias = (
    Mapping[str, str | None] | tuple[str, str] | tuple[str, str, str | None]
)
"""One message of ``send_many``: a mapping with ``"phone"``, ``"message"`` and an optional
``"callback_url"``, or a ``(phone, message)`` or ``(phone, message, callback_url)`` tuple."""

ProgressCallback: TypeAlias = Callable[[int, int], object]
"""Called with ``(done, total)`` while ``send_many`` runs."""

@final
class SendReceipt:
    @property
    def message_id(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def segments(self) -> int: ...
    @property
    def encoding(self) -> Literal["GSM-7", "UCS-2"]: ...
    @property
    def attempts(self) -> int: ...
    def __init__(
        self,
        message_id: str,
        phone: str,
        segments: int = 1,
        encoding: Literal["GSM-7", "UCS-2"] = "GSM-7",
        attempts: int = 1,
    ) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class DeliveryReport:
    @property
    def message_id(self) -> str: ...
    @property
    def status(self) -> DeliveryStatus: ...
    @property
    def raw_status(self) -> str: ...
    @property
    def external_status(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def is_delivered(self) -> bool: ...
    @property
    def is_failed(self) -> bool: ...
    def __init__(
        self,
        message_id: str,
        status: DeliveryStatus | str,
        external_status: str | None = None,
        reason: str | None = None,
    ) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def parse_callback(
    body: bytes | bytearray | memoryview | str | Mapping[str, object],
) -> DeliveryReport: ...

class Client:
    def __init__(
        self,
        api_key: str | None = None,
        *,
        environment: Environment = "production",
        base_url: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_retries: int = 2,
        max_message_chars: int = 1600,
    ) -> None: ...
    @property
    def base_url(self) -> str | None: ...
    def send(
        self,
        phone: str,
        message: str,
        *,
        callback_url: str | None = None,
        timeout: float | None = None,
    ) -> SendReceipt: ...
    def send_many(
        self,
        messages: Iterable[OutgoingMessage],
        *,
        concurrency: int = 16,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> list[SendReceipt | ClearLineError]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

class AsyncClient:
    def __init__(
        self,
        api_key: str | None = None,
        *,
        environment: Environment = "production",
        base_url: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_retries: int = 2,
        max_message_chars: int = 1600,
    ) -> None: ...
    @property
    def base_url(self) -> str | None: ...
    def send(
        self,
        phone: str,
        message: str,
        *,
        callback_url: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[SendReceipt]: ...
    def send_many(
        self,
        messages: Iterable[OutgoingMessage],
        *,
        concurrency: int = 16,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> Awaitable[list[SendReceipt | ClearLineError]]: ...
    def close(self) -> None: ...
    def __aenter__(self) -> Awaitable[Self]: ...
    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> Awaitable[None]: ...

@final
class Fault:
    """A fault the sandbox answers the next sends with; build one with the static methods."""

    @staticmethod
    def status(
        status: int, *, retry_after: str | float | None = None, body: str | None = None
    ) -> Fault:
        """Answer with an HTTP status, such as 429, 500 or 503.

        Args:
            status: The HTTP status.
            retry_after: The ``Retry-After`` value: seconds, or an HTTP date.
            body: The response body; without one, a JSON error object naming the status.
        """
    @staticmethod
    def latency(seconds: float) -> Fault:
        """Handle the send normally on arrival, then hold the response back ``seconds``.

        The message is accepted and its delivery report sent before the delay, so a client
        whose timeout is shorter times out although the SMS went out.
        """
    @staticmethod
    def close_connection() -> Fault:
        """Read the request, then close the connection without answering."""
    @staticmethod
    def non_json_body() -> Fault:
        """Answer 200 with an HTML page, as a captive portal would."""
    @staticmethod
    def redirect(location: str) -> Fault:
        """Answer 307 Temporary Redirect to ``location``."""

@final
class ReceivedMessage:
    """A message the sandbox accepted.

    Attributes:
        message_id: The ``messageId`` the sandbox returned.
        phone: The recipient in canonical E.164 form.
        message: The text as received.
        callback_url: The normalized callback URL, or None.
        received_at: When the sandbox accepted it, in seconds since the epoch.
    """

    @property
    def message_id(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def callback_url(self) -> str | None: ...
    @property
    def received_at(self) -> float: ...

@final
class CallbackAttempt:
    """One POST of a delivery report to a callback URL.

    Attributes:
        message_id: The message the report is about.
        url: The callback URL POSTed to.
        attempt: 1 for the first POST of the report, 2 for the first retry, and so on.
        status: The receiver's HTTP status, or None when no response arrived.
        latency: Seconds from sending the request to the response status or the error.
        error: Why the attempt failed, or None when the receiver answered 200.
        at: When the attempt started, in seconds since the epoch.
    """

    @property
    def message_id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def attempt(self) -> int: ...
    @property
    def status(self) -> int | None: ...
    @property
    def latency(self) -> float: ...
    @property
    def error(self) -> str | None: ...
    @property
    def at(self) -> float: ...

@final
class CallbackOutcome:
    """The final result of delivering one report: a 200 answer, or attempts exhausted.

    Attributes:
        message_id: The message the report is about.
        report: The report that was POSTed.
        delivered: True when the receiver answered 200.
        attempts: The number of POSTs made.
    """

    @property
    def message_id(self) -> str: ...
    @property
    def report(self) -> DeliveryReport: ...
    @property
    def delivered(self) -> bool: ...
    @property
    def attempts(self) -> int: ...

class Sandbox:
    """A ClearLine simulator on 127.0.0.1, for tests and demos.

    Start it with ``with`` / ``async with`` or :meth:`start`. Its properties and methods raise
    ``RuntimeError`` while it is not running. It runs on the clients' background runtime, so it
    keeps serving while a blocking client waits or an event loop runs. A sandbox does not
    survive ``os.fork()``: start a new one in the child.

    Args:
        api_key: The key it accepts; by default an obviously fake random one.
        port: The port on 127.0.0.1; 0 picks a free one.
        callback_delay: Seconds between accepting a message and POSTing its report.
        callback_max_attempts: POSTs per report when the receiver does not answer 200.
        callback_retry_backoff: Seconds before the second POST of a report; doubles after.
        callback_timeout: Seconds allowed for one callback POST.
        max_message_chars: The longest accepted message, in Unicode characters (default 1600,
            as the client's). :meth:`client` and :meth:`async_client` use it too.
    """

    FAILED_NUMBER: ClassVar[str]
    """A number whose SMS fails with the gateway status ``Failed``."""
    EXPIRED_NUMBER: ClassVar[str]
    """A number whose SMS fails with the gateway status ``Expired``."""
    REJECTED_NUMBER: ClassVar[str]
    """A number whose SMS fails with the gateway status ``Rejected``."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        port: int = 0,
        callback_delay: float = 0.02,
        callback_max_attempts: int = 3,
        callback_retry_backoff: float = 0.1,
        callback_timeout: float = 5.0,
        max_message_chars: int = 1600,
    ) -> None: ...
    @property
    def base_url(self) -> str:
        """The base URL to give a client, such as ``"http://127.0.0.1:PORT"``."""
    @property
    def api_key(self) -> str:
        """The API key the sandbox accepts."""
    @property
    def port(self) -> int:
        """The port on 127.0.0.1."""
    @property
    def max_message_chars(self) -> int:
        """The longest accepted message, in Unicode characters; readable before start."""
    @property
    def pending_faults(self) -> int:
        """The number of sends that will still get an injected fault."""
    def start(self) -> Self:
        """Start the server; does nothing when it is already running."""
    def stop(self) -> None:
        """Stop the server and every callback task, and wait for them to end."""
    def client(self, **options: Any) -> Client:
        """Create a :class:`clearline.Client` for this sandbox; ``options`` are its keywords.

        ``max_message_chars`` defaults to the sandbox's.
        """
    def async_client(self, **options: Any) -> AsyncClient:
        """Create a :class:`clearline.AsyncClient` for this sandbox, like :meth:`client`."""
    def messages(self) -> list[ReceivedMessage]:
        """Return the accepted messages, oldest first."""
    def callback_attempts(self) -> list[CallbackAttempt]:
        """Return every POST of a delivery report, in the order they were made."""
    def callback_outcomes(self) -> list[CallbackOutcome]:
        """Return the final result of each report so far, in the order they were decided."""
    def wait_for_callbacks(self, count: int, timeout: float = 5.0) -> list[CallbackOutcome]:
        """Wait until ``count`` reports have a final outcome, blocking the calling thread.

        Only messages sent with a callback URL get a report. A receiver served by an asyncio
        loop on the same thread cannot answer while this blocks: use
        :meth:`wait_for_callbacks_async` there.

        Returns:
            Every outcome so far, in the order they were decided.

        Raises:
            TimeoutError: Fewer than ``count`` outcomes arrived in time; the message lists the
                ones that did.
        """
    def wait_for_callbacks_async(
        self, count: int, timeout: float = 5.0
    ) -> Awaitable[list[CallbackOutcome]]:
        """Wait like :meth:`wait_for_callbacks`, as an awaitable."""
    def inject_fault(self, fault: Fault, times: int = 1) -> None:
        """Answer the next ``times`` sends with ``fault`` instead of normally."""
    def clear_faults(self) -> None:
        """Drop every injected fault not used yet."""
    def reset(self) -> None:
        """Forget messages, callback attempts, outcomes and faults."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
    def __aenter__(self) -> Awaitable[Self]: ...
    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> Awaitable[None]: ...
