#!/usr/bin/env python3
"""Write seed inputs for the fuzz targets from the shared test vectors.

Each case of tests/vectors/*.json becomes one file in OUT/<target>/, framed as the target
decodes it (fields separated by the byte 0xFF; see fuzz/src/frame.rs). Seeds larger than
MAX_SEED_BYTES are left out, because libFuzzer sizes its inputs after the largest seed. A few
seeds that carry the fake API key are added, so the secret checks start from a key in place.

Usage: fuzz/seed_corpus.py OUT
"""

import base64
import email.utils
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
SEPARATOR = b"\xff"
MAX_SEED_BYTES = 4096
FAKE_KEY = "test_key_not_real_0000"
# The clock of the response_interpret target (fuzz/src/response.rs), for `{http_date+N}`.
FIXED_NOW = 1_796_083_200
REPORT_FIELDS = ["messageId", "deliveryStatus", "externalDeliveryStatus", "reasonText"]


def decode_text(value):
    """Decode a text value of the vectors (see tests/vectors/README.md) to bytes."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if "repeat" in value:
        return decode_text(value["repeat"]) * value["count"]
    if "utf16" in value:
        # Lone surrogates become invalid UTF-8, which the targets read as U+FFFD.
        units = b"".join(unit.to_bytes(2, "little") for unit in value["utf16"])
        return units.decode("utf-16-le", "surrogatepass").encode("utf-8", "surrogatepass")
    if "base64" in value:
        return base64.b64decode(value["base64"])
    if "concat" in value:
        return b"".join(decode_text(part) for part in value["concat"])
    raise ValueError(f"unknown text form: {value!r}")


def frame(*fields):
    return SEPARATOR.join(fields)


def load_cases(name):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))["cases"]


def callback_bytes_seeds():
    for case in load_cases("callbacks.json"):
        yield case["name"], decode_text(case["body"])


def member_field(value):
    """Encode a JSON value as a member field of the callback_fields target."""
    if value is None:
        return b"n"
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, bool):
        return b"t"
    if isinstance(value, (int, float)):
        return b"1"
    if isinstance(value, list):
        return b"["
    return b"{"


def callback_fields_seeds():
    for case in load_cases("callbacks.json"):
        body = decode_text(case["body"])
        text = body.decode("utf-8", "replace")
        try:
            # Pairs keep repeated keys, which a dict would merge.
            pairs = json.loads(text.lstrip("\ufeff"), object_pairs_hook=lambda pairs: pairs)
        except (json.JSONDecodeError, RecursionError):
            continue
        # The hook turns every object into a list of (key, value) tuples.
        if not isinstance(pairs, list) or not all(isinstance(pair, tuple) for pair in pairs):
            continue
        layout = b""
        layout += b"p" if "\n  " in text else b""
        layout += b"w" if text[:1].isspace() else b""
        layout += b"b" if text.startswith("\ufeff") else b""
        layout += b"u" if "\\u" in text else b""
        first = {}
        extras = []
        for key, value in pairs:
            if key in REPORT_FIELDS and key not in first:
                first[key] = member_field(value)
            else:
                extras += [key.encode("utf-8"), member_field(value)]
        fields = [first.get(name, b"-") for name in REPORT_FIELDS]
        yield case["name"], frame(layout, *fields, *extras)


def send_prepare_seeds():
    for case in load_cases("send_inputs.json"):
        fields = [
            str(case.get("max_message_chars", 1600)).encode(),
            decode_text(case["phone"]),
            decode_text(case["message"]),
        ]
        if case.get("callback_url") is not None:
            fields.append(decode_text(case["callback_url"]))
        yield case["name"], frame(*fields)

    key = FAKE_KEY.encode()
    hook = b"https://user:" + key + b"@app.example.com/hook"
    yield "key_in_callback_password", frame(b"1600", b"+12025551234", b"Hi", hook)
    yield "key_as_callback_user", frame(
        b"1600", b"+12025551234", b"Hi", b"https://" + key + b"@app.example.com/hook"
    )
    yield "key_in_message", frame(b"5", b"+12025551234", b"Your key is " + key)


def http_date(match):
    return email.utils.formatdate(FIXED_NOW + int(match.group(1)), usegmt=True)


def response_interpret_seeds():
    for case in load_cases("responses.json"):
        headers = {name.lower(): value for name, value in case.get("headers", {}).items()}
        retry_after = re.sub(r"\{http_date\+(\d+)\}", http_date, headers.get("retry-after", ""))
        location = headers.get("location", "")
        body = decode_text(case.get("body", ""))
        status = str(case["status"]).encode()
        if len(body) > MAX_SEED_BYTES:
            # The client reads at most 1 MiB and marks a longer body as cut.
            status += b"+"
            body = body[:256]
        yield case["name"], frame(status, retry_after.encode(), location.encode(), body)


SEEDS = {
    "callback_bytes": callback_bytes_seeds,
    "callback_fields": callback_fields_seeds,
    "send_prepare": send_prepare_seeds,
    "response_interpret": response_interpret_seeds,
}


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    out = pathlib.Path(sys.argv[1])
    for target, seeds in SEEDS.items():
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for name, data in seeds():
            if len(data) <= MAX_SEED_BYTES:
                (folder / f"seed-{name}").write_bytes(data)
                written += 1
        print(f"{target}: {written} seeds in {folder}")


if __name__ == "__main__":
    main()
