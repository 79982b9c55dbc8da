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
