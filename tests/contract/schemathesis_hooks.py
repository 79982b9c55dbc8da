"""Schemathesis hooks for the contract run: a narrowed negative-data check.

The callbackUrl pattern in docs/openapi.yaml describes a subset of the URLs the SDK
accepts, because the SDK parses URLs by the WHATWG URL Standard, and no regular
expression matches exactly that set. So a request whose only violation is that pattern
may be accepted, and the built-in negative_data_rejection check is replaced by one that
skips exactly those requests.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import schemathesis
import yaml
from schemathesis.specs.openapi.checks import negative_data_rejection

_DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def _send_request_validator() -> jsonschema.Draft202012Validator:
    document = yaml.safe_load(_DOC.read_text(encoding="utf-8"))
    schema = document["components"]["schemas"]["SendRequest"]
    return jsonschema.Draft202012Validator(schema)


_VALIDATOR = _send_request_validator()


def only_callback_url_pattern_is_violated(body: Any) -> bool:
    """Return True when the body breaks only the callbackUrl pattern."""
    errors = list(_VALIDATOR.iter_errors(body))
    return bool(errors) and all(
        error.validator == "pattern" and list(error.absolute_path) == ["callbackUrl"]
        for error in errors
    )


@schemathesis.check
def negative_data_rejection_except_callback_url(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    body = case.body
    if isinstance(body, (bytes, str)):
        with contextlib.suppress(ValueError):
            body = json.loads(body)
    if only_callback_url_pattern_is_violated(body):
        return None
    return negative_data_rejection(ctx, response, case)
