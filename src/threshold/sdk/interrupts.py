"""Responses for the signals ``protect()`` and friends raise inside a request handler.

- :class:`Redirect` → its status and ``Location``.
- :class:`NotSignedInError` → 401, :class:`AccessDeniedError` → 404 (as Clerk, so a
  protected resource looks absent), other :class:`ActionError` → their status.

API callers get Clerk's error body; browsers get a short text page. Adapters call
:func:`interrupt_response` from their exception hook.
"""

from __future__ import annotations

import json

from threshold.sdk.errors import ActionError, Redirect
from threshold.sdk.http import EarlyResponse, RequestInfo, header_safe

__all__ = ["interrupt_response", "is_interrupt"]


def is_interrupt(error: BaseException) -> bool:
    """True for the exceptions :func:`interrupt_response` turns into a response."""
    return isinstance(error, Redirect | ActionError)


def interrupt_response(error: BaseException, request: RequestInfo) -> EarlyResponse | None:
    """The response for ``error``, or None when it is not one of the signals."""
    if isinstance(error, Redirect):
        if not header_safe(error.url):
            return EarlyResponse.text(500, "Invalid redirect.")
        return EarlyResponse.redirect(error.url, error.status)
    if not isinstance(error, ActionError):
        return None
    if request.is_document:
        return EarlyResponse.text(error.status, error.message)
    body = {
        "errors": [
            {
                "code": error.code,
                "message": error.message,
                "long_message": error.long_message,
                "meta": {"fields": error.fields} if error.fields else {},
            }
        ]
    }
    data = json.dumps(body, separators=(",", ":")).encode()
    headers = [
        ("content-type", "application/json"),
        ("content-length", str(len(data))),
        ("cache-control", "no-store"),
    ]
    return EarlyResponse(error.status, headers, data)
