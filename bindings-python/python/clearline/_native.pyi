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
    """ClearLine's acceptance of an SMS, returned by ``send`` and ``send_many``.

    Receipts are frozen, hashable and picklable. The ``repr`` masks the phone number, as the
    logs do.

    Attributes:
        message_id: The ``messageId`` ClearLine assigned; delivery reports carry it.
        phone: The canonical E.164 number the SMS was sent to.
        segments: The estimated number of SMS segments the text takes.
        encoding: The encoding the text needs: ``"GSM-7"`` or ``"UCS-2"``.
        attempts: The number of HTTP attempts the send made, 1 when no retry was needed.
    """

    @property
    def message_id(self) -> str:
        """The ``messageId`` ClearLine assigned; delivery reports carry it."""
    @property
    def phone(self) -> str:
        """The canonical E.164 number the SMS was sent to."""
    @property
    def segments(self) -> int:
        """The estimated number of SMS segments the text takes."""
    @property
    def encoding(self) -> Literal["GSM-7", "UCS-2"]:
        """The encoding the text needs: ``"GSM-7"`` or ``"UCS-2"``."""
    @property
    def attempts(self) -> int:
        """The number of HTTP attempts the send made, 1 when no retry was needed."""
    def __init__(
        self,
        message_id: str,
        phone: str,
        segments: int = 1,
        encoding: Literal["GSM-7", "UCS-2"] = "GSM-7",
        attempts: int = 1,
    ) -> None:
        """Build a receipt by hand, for tests and mocks; the values are not validated.

        Raises:
            TypeError: A text argument is not a ``str``.
            ConfigurationError: A text argument contains a lone surrogate.
        """
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class DeliveryReport:
    """A parsed delivery report.

    :func:`parse_callback` returns one. Reports are frozen, hashable and picklable, and compare
    equal when every field is equal.

    Attributes:
        message_id: The ``messageId`` the send returned.
        status: The resolved status; ``DeliveryStatus.UNKNOWN`` for a value this version does
            not know.
        raw_status: The ``deliveryStatus`` text as received.
        external_status: The raw gateway status, or None.
        reason: The gateway's human-readable result, or None.
        is_delivered: True when ``status`` is ``DeliveryStatus.DELIVERED``.
        is_failed: True when ``status`` is ``DeliveryStatus.DELIVERED_FAILED``.
    """

    @property
    def message_id(self) -> str:
        """The ``messageId`` the send returned."""
    @property
    def status(self) -> DeliveryStatus:
        """The resolved status, ``DeliveryStatus.UNKNOWN`` for a value this version does not
        know."""
    @property
    def raw_status(self) -> str:
        """The ``deliveryStatus`` text: the API's spelling of a known status, or the raw value."""
    @property
    def external_status(self) -> str | None:
        """The raw gateway status (``Delivered``, ``Failed``, ``Expired``, ``Rejected``, ...),
        if given."""
    @property
    def reason(self) -> str | None:
        """The gateway's human-readable result, if given."""
    @property
    def is_delivered(self) -> bool:
        """True when the status is ``DeliveryStatus.DELIVERED``."""
    @property
    def is_failed(self) -> bool:
        """True when the status is ``DeliveryStatus.DELIVERED_FAILED``."""
    def __init__(
        self,
        message_id: str,
        status: DeliveryStatus | str,
        external_status: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Build a report by hand, for tests and mocks.

        Args:
            message_id: The ``messageId`` of the send.
            status: A :class:`DeliveryStatus`, or its text such as ``"Delivered"``; other text
                becomes ``DeliveryStatus.UNKNOWN`` and stays in ``raw_status``.
            external_status: The raw gateway status, or None.
            reason: The gateway's explanation, or None.

        Raises:
            TypeError: An argument is not a ``str`` (or None where allowed).
            ConfigurationError: An argument is not valid Unicode (it contains a lone surrogate).
        """
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def parse_callback(
    body: bytes | bytearray | memoryview | str | Mapping[str, object],
) -> DeliveryReport:
    """Parse a delivery report from a callback body.

    Pass the raw request body as your web framework hands it over. ``bytes`` is the fastest
    form; a ``dict`` (or other mapping) that the framework already decoded from JSON works too.
    The same report can arrive more than once, so treat ``message_id`` as an idempotency key.

    Args:
        body: The body ClearLine POSTed to the callback URL.

    Returns:
        The report, with ``status`` resolved to a :class:`DeliveryStatus`.

    Raises:
        CallbackParseError: The body is not a delivery report: not JSON, not UTF-8, or a
            required field (``field`` names it) is missing or not a string. Respond with 400.
        TypeError: ``body`` is not one of the accepted types.

    Example:
        >>> report = clearline.parse_callback(
        ...     b'{"messageId": "msg_1", "deliveryStatus": "Delivered"}'
        ... )
        >>> report.is_delivered
        True
    """

@final
class Client:
    """A blocking ClearLine client, safe to share between threads.

    Create one client and share it: it keeps a connection pool and releases the GIL while it
    waits for ClearLine. Use it as a context manager, or call :meth:`close` when done. After
    ``os.fork()``, the child rebuilds the connection pool on its first send.

    Args:
        api_key: The ClearLine API key; None reads the ``CLEARLINE_API_KEY`` environment
            variable.
        environment: ``"production"`` or ``"staging"``; None means ``"production"``.
        base_url: A URL that replaces the environment's, such as a proxy or
            ``clearline.testing.Sandbox``; plain ``http`` is accepted for loopback hosts.
        timeout: Seconds a whole send may take, retries included; None means 30 seconds.
        connect_timeout: Seconds to open a connection, per attempt; None means 10 seconds.
        max_retries: Retries after the first attempt, made only when the request provably did
            not reach ClearLine or was rate-limited; None means 2.
        max_message_chars: The longest accepted message, in Unicode characters; None means
            1600.

    Raises:
        ConfigurationError: No API key, or an invalid key, environment, base URL or option.
        TypeError: An argument has the wrong type.

    Example:
        >>> with clearline.Client() as client:  # reads CLEARLINE_API_KEY
        ...     receipt = client.send("+12025551234", "Your order is ready for pickup.")
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        environment: Environment | None = "production",
        base_url: str | None = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = 10.0,
        max_retries: int | None = 2,
        max_message_chars: int | None = 1600,
    ) -> None: ...
    @property
    def base_url(self) -> str | None:
        """The base URL sends go to, or None once the client is closed."""
    def send(
        self,
        phone: str,
        message: str,
        *,
        callback_url: str | None = None,
        timeout: float | None = None,
    ) -> SendReceipt:
        """Send one SMS and wait for ClearLine to accept it.

        Args:
            phone: The recipient in E.164 form, such as ``"+12025551234"``; spaces, dashes,
                dots and brackets are removed.
            message: The text. Its length decides the segments and the encoding.
            callback_url: An HTTPS URL (plain http only on loopback) that gets the delivery
                report, or None for no report.
            timeout: Seconds this send may take, retries included; None uses the client's.

        Returns:
            The receipt, with the ``message_id`` that delivery reports carry.

        Raises:
            ValidationError: The phone, message or callback URL is invalid (``field`` names
                it). Nothing was sent.
            AuthenticationError: ClearLine rejected the API key (401 or 403).
            RejectedError: ClearLine did not accept the message.
            RateLimitError: ClearLine responded with 429 and the retries ran out.
            ServerError: ClearLine responded with a 5xx status.
            UnexpectedResponseError: The response was not the API's (a redirect, an HTML
                page, no ``messageId``).
            TimeoutError: The send timed out; ``maybe_sent`` says whether the SMS may have
                gone out.
            ConnectionError: The connection failed or broke.
            RuntimeError: The client is closed.
            TypeError: An argument has the wrong type.
        """
    def send_many(
        self,
        messages: Iterable[OutgoingMessage],
        *,
        concurrency: int = 16,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> list[SendReceipt | ClearLineError]:
        """Send many SMS concurrently; return one receipt or one exception per message, in order.

        A failed message does not stop the others: its slot contains the exception :meth:`send`
        would raise. A 429 response pauses the whole batch for its ``Retry-After``.

        Args:
            messages: Dicts with ``"phone"``, ``"message"`` and an optional
                ``"callback_url"``, or ``(phone, message[, callback_url])`` tuples. Other
                dict keys are allowed, except a known key in another spelling
                (``"callbackUrl"``), which raises ``TypeError``.
            concurrency: The most sends in flight at once.
            on_progress: Called with ``(done, total)`` on the calling thread as sends finish.
            timeout: Seconds each send may take; None uses the client's.

        Returns:
            One :class:`SendReceipt` or :class:`ClearLineError` per message, in input order.

        Raises:
            TypeError: A message has the wrong shape or type; nothing was sent.
            ConfigurationError: ``concurrency`` or ``timeout`` is out of range.
            RuntimeError: The client is closed.

        Example:
            >>> results = client.send_many([("+12025550101", "Maintenance at 9:00")])
            >>> failed = [r for r in results if isinstance(r, clearline.ClearLineError)]
        """
    def close(self) -> None:
        """Close the client and its connection pool; sends in flight finish first.

        Closing twice does nothing. A send on a closed client raises ``RuntimeError``.
        """
    def __enter__(self) -> Self:
        """Return the client itself, for ``with clearline.Client() as client:``."""
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the client, like :meth:`close`."""

@final
class AsyncClient:
    """An asyncio ClearLine client; its methods return awaitables.

    It has the same constructor as :class:`Client` and works on any asyncio event loop,
    uvloop included. ``send`` and ``send_many`` must be called while a loop is running.
    Cancelling the awaiting task (``asyncio.wait_for`` timing out, for example) aborts the HTTP
    request at once. If the request had already been sent, the SMS may still go out.

    Args:
        api_key: The ClearLine API key; None reads the ``CLEARLINE_API_KEY`` environment
            variable.
        environment: ``"production"`` or ``"staging"``; None means ``"production"``.
        base_url: A URL that replaces the environment's, such as a proxy or
            ``clearline.testing.Sandbox``; plain ``http`` is accepted for loopback hosts.
        timeout: Seconds a whole send may take, retries included; None means 30 seconds.
        connect_timeout: Seconds to open a connection, per attempt; None means 10 seconds.
        max_retries: Retries after the first attempt, made only when the request provably did
            not reach ClearLine or was rate-limited; None means 2.
        max_message_chars: The longest accepted message, in Unicode characters; None means
            1600.

    Raises:
        ConfigurationError: No API key, or an invalid key, environment, base URL or option.
        TypeError: An argument has the wrong type.

    Example:
        >>> async with clearline.AsyncClient() as client:  # reads CLEARLINE_API_KEY
        ...     receipt = await client.send("+12025551234", "Your code is 0420")
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        environment: Environment | None = "production",
        base_url: str | None = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = 10.0,
        max_retries: int | None = 2,
        max_message_chars: int | None = 1600,
    ) -> None: ...
    @property
    def base_url(self) -> str | None:
        """The base URL sends go to, or None once the client is closed."""
    def send(
        self,
        phone: str,
        message: str,
        *,
        callback_url: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[SendReceipt]:
        """Send one SMS; the awaitable resolves once ClearLine accepted it.

        The arguments, the receipt and the exceptions are those of :meth:`Client.send`. The
        call itself raises ``TypeError``, ``RuntimeError`` (a closed client, no running event
        loop) and the ``ValidationError`` of a lone surrogate; the awaitable raises the others.

        Args:
            phone: The recipient in E.164 form, such as ``"+12025551234"``.
            message: The text.
            callback_url: An HTTPS URL that gets the delivery report, or None for no report.
            timeout: Seconds this send may take, retries included; None uses the client's.

        Returns:
            An awaitable of the :class:`SendReceipt`.
        """
    def send_many(
        self,
        messages: Iterable[OutgoingMessage],
        *,
        concurrency: int = 16,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> Awaitable[list[SendReceipt | ClearLineError]]:
        """Send many SMS concurrently; the awaitable resolves to one receipt or one exception per
        message, in input order.

        The arguments are those of :meth:`Client.send_many`; ``on_progress`` runs on the event
        loop's thread.
        """
    def close(self) -> None:
        """Close the client and its connection pool; sends in flight finish first.

        Closing twice does nothing. A send on a closed client raises ``RuntimeError``.
        """
    def __aenter__(self) -> Awaitable[Self]:
        """Return the client itself, for ``async with clearline.AsyncClient() as client:``."""
    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> Awaitable[None]:
        """Close the client, like :meth:`close`."""

@final
class Fault:
    """A fault the sandbox injects into the next sends; build one with the static methods."""

    @staticmethod
    def status(
        status: int, *, retry_after: str | float | None = None, body: str | None = None
    ) -> Fault:
        """Respond with an HTTP status, such as 429, 500 or 503.

        A 4xx or 5xx status tests error handling. A 2xx status with a ``body`` makes a
        malformed success response. Without one, the JSON error object says
        ``"succeed": false``, which a client reports as :class:`RejectedError`. A 3xx status is
        a redirect without a ``Location``, which a client reports as
        :class:`UnexpectedResponseError`.

        Args:
            status: The HTTP status, from 200 to 599. A 1xx status cannot end a response.
            retry_after: The ``Retry-After`` value: seconds, or an HTTP date.
            body: The response body; without one, a JSON error object naming the status.

        Raises:
            ConfigurationError: The status is outside 200 to 599, or ``retry_after`` or
                ``body`` is not valid Unicode or cannot be a header value.

        Example:
            >>> sandbox.inject_fault(Fault.status(429, retry_after="2"), times=2)
        """
    @staticmethod
    def latency(seconds: float) -> Fault:
        """Handle the send normally on arrival, then hold the response back ``seconds``.

        The message is accepted and its delivery report sent before the delay, so a client
        whose timeout is shorter times out although the SMS went out.

        Raises:
            ConfigurationError: ``seconds`` is not above 0 or is more than 3600 (an hour).
        """
    @staticmethod
    def close_connection() -> Fault:
        """Read the request, then close the connection without a response."""
    @staticmethod
    def non_json_body() -> Fault:
        """Respond with 200 and an HTML page, as a captive portal would."""
    @staticmethod
    def redirect(location: str) -> Fault:
        """Respond with 307 Temporary Redirect to ``location``.

        Raises:
            ConfigurationError: ``location`` cannot be sent as a header value (a control
                character or a lone surrogate).
        """

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
    survive ``os.fork()``: in a forked child its methods raise ``RuntimeError`` and
    :meth:`stop` does nothing, so start a new one in the child.

    Args:
        api_key: The key it accepts; by default an obviously fake random one.
        port: The port on 127.0.0.1; 0 picks a free one.
        callback_delay: Seconds between accepting a message and POSTing its report.
        callback_max_attempts: POSTs per report when the receiver does not answer 200.
        callback_retry_backoff: Seconds before the second POST of a report; doubles after.
        callback_timeout: Seconds allowed for one callback POST.
        max_message_chars: The longest accepted message, in Unicode characters; None means
            1600, the client's default. :meth:`client` and :meth:`async_client` use it too.
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
        max_message_chars: int | None = 1600,
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
            ConfigurationError: ``count`` is negative or ``timeout`` is not above 0.
        """
    def wait_for_callbacks_async(
        self, count: int, timeout: float = 5.0
    ) -> Awaitable[list[CallbackOutcome]]:
        """Wait like :meth:`wait_for_callbacks`, as an awaitable."""
    def inject_fault(self, fault: Fault, times: int = 1) -> None:
        """Answer the next ``times`` sends with ``fault`` instead of normally.

        Raises:
            ConfigurationError: ``times`` is outside 0 to 4294967295.
        """
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
