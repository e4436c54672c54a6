"""Reading a hosted form safely, and putting its errors next to the right fields.

Bodies are read with a hard cap (64 KB for plain forms; the image limit plus 64 KB for
an upload). A body a little over the cap is drained, so the browser sees the page that
explains the limit instead of a reset connection; one declared far over it is refused
without reading.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from threshold.core.errors import PayloadTooLargeError, ThresholdError, ValidationError
from threshold.server.errors import status_for
from threshold.server.pages.rendering import describe_error

__all__ = ["FORM_LIMIT", "field_errors", "form_status", "read_form_body"]

FORM_LIMIT = 64 * 1024
"""Largest plain form body (and largest non-file part of an upload)."""
_DRAIN_FACTOR = 8


def _unreadable() -> ValidationError:
    return ValidationError("The form could not be read.", code="malformed_request_body")


async def _read_body(request: Request, limit: int, max_body_bytes: int) -> bytes:
    too_large = PayloadTooLargeError(
        f"The upload is too large. The limit is {max_body_bytes // 1024} KB.", param="image"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit * _DRAIN_FACTOR:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > limit * _DRAIN_FACTOR:
            break
    if size > limit:
        raise too_large
    return b"".join(chunks)


async def _multipart(request: Request, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(
        request.headers, stream(), max_files=1, max_fields=20, max_part_size=FORM_LIMIT
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise _unreadable() from exc
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    try:
        for key, item in form.multi_items():
            if isinstance(item, UploadFile):
                files.setdefault(key, await item.read())
            else:
                fields.setdefault(key, item)
    finally:
        await form.close()
    return fields, files


async def read_form_body(
    request: Request, max_body_bytes: int, *, with_files: bool = False
) -> tuple[dict[str, str], dict[str, bytes]]:
    """(fields, files) of a form-urlencoded body, or of a multipart one ``with_files``."""
    limit = max_body_bytes + FORM_LIMIT if with_files else FORM_LIMIT
    body = await _read_body(request, limit, max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data" and with_files:
        return await _multipart(request, body)
    if ctype not in ("application/x-www-form-urlencoded", ""):
        raise _unreadable()
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _unreadable() from exc
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields, {}


def field_errors(
    exc: ThresholdError, fields: tuple[str, ...], aliases: dict[str, str] | None = None
) -> tuple[dict[str, str], str | None]:
    """(errors by field, form-level error): shown next to the field the error names."""
    param = exc.param
    if param is not None and aliases:
        param = aliases.get(param, param)
    if param in fields:
        return {param: describe_error(exc)}, None
    return {}, describe_error(exc)


def form_status(exc: ThresholdError) -> int:
    """The status of a form shown again with its error: as the error map says, except
    that a form is never "unauthorized" (401 and 422 must not tell a known email apart)."""
    status = status_for(exc)
    return 422 if status == 401 else status
