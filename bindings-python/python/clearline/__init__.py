"""Client for the ClearLine SMS API.

Send SMS with :class:`Client` (blocking) or :class:`AsyncClient` (asyncio), and parse the
delivery reports ClearLine POSTs to your callback URL with :func:`parse_callback`. Every error
is a :class:`ClearLineError`. The work is done by a Rust core shared with the Node package.

Example:
    >>> import clearline
    >>> with clearline.Client() as client:  # reads CLEARLINE_API_KEY
    ...     receipt = client.send("+12025551234", "Your order is ready for pickup.")
    ...     print(receipt.message_id)
"""

from __future__ import annotations

from clearline._native import (
    AsyncClient,
    Client,
    DeliveryReport,
    SendReceipt,
    __version__,
    parse_callback,
)
from clearline.callback import DeliveryStatus
from clearline.error import (
    AuthenticationError,
    CallbackParseError,
    ClearLineError,
    ConfigurationError,
    ConnectionError,
    InternalError,
    RateLimitError,
    RejectedError,
    ServerError,
    TimeoutError,
    UnexpectedResponseError,
    ValidationError,
)

__all__ = [
    "AsyncClient",
    "AuthenticationError",
    "CallbackParseError",
    "ClearLineError",
    "Client",
    "ConfigurationError",
    "ConnectionError",
    "DeliveryReport",
    "DeliveryStatus",
    "InternalError",
    "RateLimitError",
    "RejectedError",
    "SendReceipt",
    "ServerError",
    "TimeoutError",
    "UnexpectedResponseError",
    "ValidationError",
    "__version__",
    "parse_callback",
]
