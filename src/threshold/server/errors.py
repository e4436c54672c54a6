"""The one place that maps Threshold errors to HTTP: Clerk's error body and status."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from threshold.core import errors as e
from threshold.services.infra.audit import request_id

__all__ = ["clerk_error_body", "error_response", "status_for", "unexpected_error_response"]

log = logging.getLogger("threshold.server")

_STATUS: list[tuple[type[e.ThresholdError], int]] = [
    (e.RateLimitedError, 429),
    (e.UnavailableError, 503),
    (e.PayloadTooLargeError, 413),
    (e.MethodNotAllowedError, 405),
    (e.NotFoundError, 404),
    (e.PermissionDeniedError, 403),
    (e.ConflictError, 409),
    (e.AccountLockedError, 403),
    (e.AccountBannedError, 403),
    (e.SignedOutError, 401),
    (e.TokenError, 401),
    (e.InvalidCredentialsError, 422),
    (e.CodeIncorrectError, 422),
    (e.VerificationExpiredError, 422),
    (e.VerificationFailedError, 422),
    (e.AuthenticationError, 401),
    (e.ValidationError, 422),
]


class JSON(JSONResponse):
    """JSON with exactly ``application/json`` (Clerk's JS SDK compares it with ===)."""

    media_type = "application/json"

    def init_headers(self, headers: Any = None) -> None:
        super().init_headers(headers)
        self.raw_headers = [
            (k, b"application/json") if k == b"content-type" else (k, v)
            for k, v in self.raw_headers
        ]


def status_for(exc: e.ThresholdError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def _trace_id() -> str:
    """The request's id (set by the access-log middleware), or a fresh one outside a request."""
    return request_id.get() or secrets.token_hex(16)


def clerk_error_body(exc: e.ThresholdError, *, trace_id: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": exc.message,
        "long_message": exc.long_message,
        "code": exc.code,
    }
    if exc.meta:
        error["meta"] = exc.meta
    return {"errors": [error], "clerk_trace_id": trace_id or _trace_id()}


def error_response(exc: e.ThresholdError, *, extra: dict[str, Any] | None = None) -> Response:
    body = clerk_error_body(exc)
    if extra:
        body.update(extra)
    response = JSON(body, status_code=status_for(exc))
    if isinstance(exc, e.RateLimitedError | e.UnavailableError):
        response.headers["Retry-After"] = str(exc.retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def unexpected_error_response(request: Request, exc: BaseException) -> Response:
    """Last resort: log the trace server-side, send a generic Clerk-shaped error."""
    trace = _trace_id()
    log.error(
        "unhandled error (trace %s) on %s %s", trace, request.method, request.url.path, exc_info=exc
    )
    body = clerk_error_body(
        e.ThresholdError(
            "Something went wrong. Please try again.",
            long_message=f"Something went wrong (reference {trace}).",
            code="internal_clerk_error",
        ),
        trace_id=trace,
    )
    return JSON(body, status_code=500)
