"""Delivery-report statuses.

:func:`clearline.parse_callback` and :class:`clearline.DeliveryReport` live in the native module;
this module defines the :class:`DeliveryStatus` enum they return, which the native module looks up
by the member names below.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["DeliveryStatus"]


class DeliveryStatus(str, Enum):
    """The resolved outcome of an SMS, the ``deliveryStatus`` of a delivery report.

    A ``str`` enum: ``DeliveryStatus.DELIVERED == "Delivered"``. A value this version does not
    know becomes ``UNKNOWN``, and the report's ``raw_status`` keeps the text as received, so a
    status ClearLine adds later never breaks a receiver.
    """

    DELIVERED = "Delivered"
    """The handset received the SMS."""

    DELIVERED_FAILED = "DeliveredFailed"
    """The SMS was not delivered; the report's ``external_status`` and ``reason`` say why."""

    UNKNOWN = "Unknown"
    """A status this version does not know; the report's ``raw_status`` holds it."""

    def __str__(self) -> str:
        return self.value
