"""Send one SMS with the blocking client and print the receipt.

Usage:
    CLEARLINE_API_KEY=... python examples/python/send_sms.py +12025551234 "Hello from ClearLine"

Set CLEARLINE_BASE_URL to send to the sandbox or a proxy instead of production.
"""

from __future__ import annotations

import os
import sys

import clearline


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    phone, text = argv[1], argv[2]

    try:
        with clearline.Client(base_url=os.environ.get("CLEARLINE_BASE_URL")) as client:
            receipt = client.send(phone, text)
    except clearline.ValidationError as err:
        # The message names the field (err.field) and the fix; nothing was sent.
        print(err, file=sys.stderr)
        return 2
    except clearline.ClearLineError as err:
        hint = " (it may have been sent; check before retrying)" if err.maybe_sent else ""
        print(f"send failed [{err.code}]: {err}{hint}", file=sys.stderr)
        return 1

    print(f"queued {receipt.message_id}: {receipt.segments} segment(s), {receipt.encoding}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
