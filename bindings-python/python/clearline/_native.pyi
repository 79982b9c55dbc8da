"""Type stubs of the native module; import everything from ``clearline`` instead."""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Literal, final

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
    """ClearLine's acceptance of an SMS. Frozen, comparable and hashable.

    Attributes:
        message_id: The ``messageId`` ClearLine assigned; delivery reports carry it.
        phone: The canonical E.164 number the SMS was sent to, such as ``"+12025551234"``.
        segments: The estimated number of SMS segments the text takes.
        encoding: The encoding the text needs, ``"GSM-7"`` or ``"UCS-2"``.
        attempts: The number of HTTP attempts the send made, 1 when no retry was needed.
    """

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
    ) -> None:
        """Build a receipt by hand, for tests and mocks; sends return real ones."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class DeliveryReport:
    """A delivery report, the body ClearLine POSTs to a callback URL. Frozen and hashable.

    The same report can arrive more than once: treat ``message_id`` as an idempotency key.

    Attributes:
        message_id: The ``messageId`` the send returned.
        status: The resolved status; ``DeliveryStatus.UNKNOWN`` for a value this version does
            not know.
        raw_status: The ``deliveryStatus`` text: the API's spelling of a known status, or the
            value as received.
        external_status: The raw gateway status (``"Delivered"``, ``"Failed"``, ``"Expired"``,
            ``"Rejected"``, ...), or None.
        reason: The gateway's human-readable result, or None.
        is_delivered: True when ``status`` is ``DeliveryStatus.DELIVERED``.
        is_failed: True when ``status`` is ``DeliveryStatus.DELIVERED_FAILED``.
    """

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
    ) -> None:
        """Build a report by hand, for tests and mocks; use ``parse_callback`` on real bodies."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def parse_callback(body: bytes | bytearray | memoryview | str | Mapping[str, object]) -> DeliveryReport:
    """Parse a delivery report from a callback request body.

    Pass the raw request body (``bytes`` is fastest) or the ``dict`` a framework already
    decoded from JSON. Callbacks carry no signature, so a body may come from anyone: the parser
    accepts only a JSON object of at most 64 KiB with a non-empty string ``messageId`` and a
    string ``deliveryStatus``, and ignores unknown fields.

    Args:
        body: The request body.

    Returns:
        The parsed report.

    Raises:
        CallbackParseError: The body is not a valid delivery report; ``field`` names the field
            at fault. Answer such requests with 400.
        TypeError: ``body`` is none of the accepted types.
    """

class Client:
    """A blocking ClearLine client.

    One client serves a whole application: it is safe to share between threads, and its
    connection pool is reused by every send. It releases the GIL while it waits for ClearLine,
    so other threads keep running, and Ctrl-C interrupts a send in progress.

    A client created before ``os.fork()`` (``multiprocessing`` with fork, gunicorn
    ``--preload``) keeps working in the child: it starts a new connection pool there.

    Args:
        api_key: The ClearLine API key. Defaults to the ``CLEARLINE_API_KEY`` environment
            variable.
        environment: ``"production"`` (the default) or ``"staging"``.
        base_url: A custom base URL, such as the sandbox's ``"http://127.0.0.1:PORT"``. It
            replaces ``environment``. It must use ``https`` unless the host is loopback.
        timeout: The total time of a send in seconds, retries and their waits included.
        connect_timeout: The time allowed to open a connection, per attempt, in seconds.
        max_retries: How many times a send is retried when it provably did not reach ClearLine
            (connect failures) or was rate-limited. A send that may have reached ClearLine is
            never retried, so no SMS goes out twice.
        max_message_chars: The longest accepted message, in Unicode characters.

    Raises:
        ConfigurationError: No API key, an invalid key, environment or base URL, or a timeout
            or ``max_retries`` out of range.
        TypeError: An argument has the wrong type.

    Example:
        >>> with clearline.Client() as client:
        ...     receipt = client.send("+12025551234", "Your code is 0420")
    """

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
    def base_url(self) -> str | None:
        """The base URL sends go to, ending with ``/``; None once the client is closed."""
    def send(
        self,
        phone: str,
        message: str,
        *,
        callback_url: str | None = None,
        timeout: float | None = None,
    ) -> SendReceipt:
        """Send one SMS and wait until ClearLine accepts it.

        The request is validated before any I/O. Connect failures and rate limits are retried
        up to ``max_retries`` times within ``timeout``.

        Args:
            phone: The recipient in E.164 form, such as ``"+12025551234"``; spaces, dashes,
                dots and brackets are removed.
            message: The text of the SMS.
            callback_url: An HTTPS URL that receives the delivery report.
            timeout: The total time of this send in seconds, replacing the client's.

        Returns:
            The receipt, with the ``message_id`` delivery reports will carry.

        Raises:
            ValidationError: The phone, message or callback URL is invalid; nothing was sent.
            AuthenticationError: The API key was refused.
            RejectedError: ClearLine did not accept the message.
            RateLimitError: ClearLine is rate-limiting and retries ran out.
            ServerError: ClearLine failed (5xx).
            UnexpectedResponseError: The response was not what the API promises.
            TimeoutError: The send timed out; see ``maybe_sent``.
            ConnectionError: The connection failed; see ``maybe_sent``.
            RuntimeError: The client is closed.
        """
    def send_many(
        self,
        messages: Iterable[OutgoingMessage],
        *,
        concurrency: int = 16,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> list[SendReceipt | ClearLineError]:
        """Send many SMS concurrently and wait for all of them.

        The batch never stops at the first failure: each message gets its own receipt or
        exception, in input order. A 429 pauses the whole batch for its ``Retry-After``. The
        rules of ``send`` apply to each message.

        Args:
            messages: The messages, as mappings with ``"phone"``, ``"message"`` and an optional
                ``"callback_url"``, or as ``(phone, message[, callback_url])`` tuples.
            concurrency: The number of sends in flight at once.
            on_progress: Called with ``(done, total)`` on the calling thread, at most every
                50 ms and once at the end. An exception it raises is reported through
                ``sys.unraisablehook`` and does not stop the batch.
            timeout: The total time of each send in seconds, replacing the client's.

        Returns:
            One ``SendReceipt`` or one ``ClearLineError`` per message, in input order.

        Raises:
            TypeError: A message has the wrong shape or type; nothing was sent.
            ConfigurationError: ``concurrency`` or ``timeout`` is out of range.
            RuntimeError: The client is closed.
        """
    def close(self) -> None:
        """Close the client and its connection pool. Sends in flight finish first."""
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

class AsyncClient:
    """An asyncio ClearLine client; ``send`` and ``send_many`` return awaitables.

    Works on any asyncio event loop, uvloop included, and can be shared by every task of the
    application. Cancelling the awaiting task (``asyncio.wait_for`` timing out, for example)
    aborts the HTTP request at once. The arguments are those of :class:`Client`.

    Example:
        >>> async with clearline.AsyncClient() as client:
        ...     receipt = await client.send("+12025551234", "Your code is 0420")
    """

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
    def base_url(self) -> str | None:
        """The base URL sends go to, ending with ``/``; None once the client is closed."""
    def send(
        self,
        phone: str,
        message: str,
        *,
        callback_url: str | None = None,
        timeout: float | None = None,
    ) -> Awaitable[SendReceipt]:
        """Send one SMS; the awaitable resolves once ClearLine accepted it.

        Arguments, result and exceptions are those of :meth:`Client.send`. Argument errors
        (``TypeError``, ``ValidationError`` for a lone surrogate) are raised by the call itself;
        everything else by the awaitable.
        """
    def send_many(
        self,
        messages: Iterable[OutgoingMessage],
        *,
        concurrency: int = 16,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
    ) -> Awaitable[list[SendReceipt | ClearLineError]]:
        """Send many SMS concurrently; see :meth:`Client.send_many`.

        ``on_progress`` runs on the event loop's thread. Cancelling the awaiting task cancels
        every send still in flight.
        """
    def close(self) -> None:
        """Close the client and its connection pool. Sends in flight finish first."""
    def __aenter__(self) -> Awaitable[Self]: ...
    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> Awaitable[None]: ...
