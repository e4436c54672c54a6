"""Reading request bodies as clerk-js sends them: form-urlencoded, or JSON."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from threshold.core.errors import PayloadTooLargeError, ValidationError

__all__ = ["read_params", "read_raw_body"]


_MAX_DEPTH = 64
"""Deepest nesting accepted in a JSON body or JSON-valued form field."""


def _check_text(value: Any, key: str) -> None:
    """Refuse text no database can store (NUL characters and lone surrogates), and JSON
    nested deeper than ``_MAX_DEPTH``. Iterative: no input can exhaust the stack."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or any("\ud800" <= c <= "\udfff" for c in item):
                raise ValidationError(
                    f"{key} contains characters that are not allowed.",
                    param=key,
                    code="form_param_format_invalid",
                )
        elif isinstance(item, dict | list):
            if depth >= _MAX_DEPTH:
                raise ValidationError(
                    f"{key} is nested too deeply.", param=key, code="form_param_format_invalid"
                )
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def _form_value(key: str, value: str) -> Any:
    """A form value, checked; ``*_metadata`` objects are decoded from JSON first."""
    decoded: Any = value
    if key.endswith("_metadata") and value.startswith("{"):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            decoded = value
    _check_text(decoded, key)
    return decoded


async def read_raw_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past ``limit`` bytes (checked while streaming)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError()
        chunks.append(chunk)
    return b"".join(chunks)


async def read_params(request: Request, limit: int = 64 * 1024) -> dict[str, Any]:
    """Body parameters (form-urlencoded or JSON object) merged over nothing else.

    JSON-looking form values (``unsafe_metadata={...}``) are decoded, as Clerk does.
    """
    if request.method in ("GET", "HEAD"):
        return {}
    body = await read_raw_body(request, limit)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body.strip():
        return {}
    if ctype == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise ValidationError(
                "The request body is not valid JSON.", code="malformed_request_body"
            ) from exc
        if not isinstance(data, dict):
            raise ValidationError(
                "The request body must be a JSON object.", code="malformed_request_body"
            )
        for key, value in data.items():
            _check_text(value, str(key))
        return data
    if ctype in ("application/x-www-form-urlencoded", ""):
        from urllib.parse import parse_qsl

        try:
            pairs = parse_qsl(
                body.decode("utf-8"),
                keep_blank_values=True,
                max_num_fields=200,
                strict_parsing=False,
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValidationError(
                "The request body could not be read.", code="malformed_request_body"
            ) from exc
        return {key: _form_value(key, value) for key, value in pairs}
    raise ValidationError(
        "Send the body as form-urlencoded or JSON.", code="unsupported_content_type"
    )
