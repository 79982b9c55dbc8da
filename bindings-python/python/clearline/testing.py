"""Test helpers: an in-process ClearLine sandbox.

:class:`Sandbox` runs the ClearLine simulator on 127.0.0.1 inside this process. It accepts sends
with its own API key, answers like ClearLine, POSTs delivery reports to the callback URLs it
receives, records everything, and can inject faults. It works in blocking and asyncio tests::

    with Sandbox() as sandbox:
        client = sandbox.client()
        client.send("+12025551234", "Hi", callback_url=receiver_url)
        outcomes = sandbox.wait_for_callbacks(1)

    async with Sandbox() as sandbox:
        client = sandbox.async_client()
        await client.send("+12025551234", "Hi", callback_url=receiver_url)
        outcomes = await sandbox.wait_for_callbacks_async(1)

Every number is delivered except ``Sandbox.FAILED_NUMBER``, ``Sandbox.EXPIRED_NUMBER`` and
``Sandbox.REJECTED_NUMBER``, whose reports fail with the gateway status of that name. The
pytest fixture ``clearline_sandbox`` (registered when the package is installed) yields a
running sandbox.
"""

from __future__ import annotations

from clearline._native import CallbackAttempt, CallbackOutcome, Fault, ReceivedMessage, Sandbox

__all__ = ["CallbackAttempt", "CallbackOutcome", "Fault", "ReceivedMessage", "Sandbox"]
