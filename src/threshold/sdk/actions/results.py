"""Turning what an action returned or raised into the reply.

- Script callers (``Accept: application/json`` + ``Threshold-Action``) get JSON
  ``{"ok", "data", "error": {"code", "message", "fields"}, "redirect"}``, never a 3xx.
- Plain form posts get ``303`` to the page (or the ``redirect()`` target) plus the
  signed flash cookie, so the page shows the message and refills the form.

:class:`ActionError` messages reach the user verbatim; so do the safe messages of
Threshold's own errors. Anything else is logged with a reference the user is shown:
"Something went wrong (ref 1a2b3c4d)."
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from threshold.core import errors as core_errors
from threshold.sdk.actions.flash import ActionState, flash_cookie, kept_values
from threshold.sdk.actions.formdata import FormData
from threshold.sdk.errors import AccessDeniedError, ActionError, Redirect, SdkError
from threshold.sdk.http import EarlyResponse, RequestInfo, header_safe

__all__ = ["Failure", "describe_error", "json_reply", "safe_local_path", "safe_redirect"]

log = logging.getLogger("threshold.actions")

Failure = tuple[int, str, str, dict[str, str]]
"""(status, code, message, field errors)."""

_STATUS_BY_TYPE: tuple[tuple[type[core_errors.ThresholdError], int], ...] = (
    (core_errors.AuthenticationError, 401),
    (core_errors.PermissionDeniedError, 403),
    (core_errors.NotFoundError, 404),
    (core_errors.ConflictError, 409),
    (core_errors.PayloadTooLargeError, 413),
    (core_errors.RateLimitedError, 429),
    (core_errors.ValidationError, 400),
)


def describe_error(error: BaseException, action_key: str) -> Failure:
    """Status, code, user-facing message and field errors for a raised exception."""
    if isinstance(error, AccessDeniedError):
        return 403, error.code, error.message, error.fields
    if isinstance(error, ActionError):
        return error.status, error.code, error.message, error.fields
    if isinstance(error, core_errors.ThresholdError) and not isinstance(
        error, SdkError | core_errors.ConfigurationError | core_errors.TokenError
    ):
        status = next((s for t, s in _STATUS_BY_TYPE if isinstance(error, t)), 400)
        fields = {error.param: error.message} if error.param else {}
        return status, error.code, error.message, fields
    ref = secrets.token_hex(4)
    log.error("threshold: server action %s failed (ref %s)", action_key, ref, exc_info=error)
    return 500, "internal_error", f"Something went wrong (ref {ref}).", {}


def safe_local_path(value: object) -> str | None:
    """``value`` if it is a same-origin path (``/x?y``), else None."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2048:
        return None
    if value.startswith(("//", "/\\")) or not header_safe(value) or "\\" in value:
        return None
    return value


def safe_redirect(target: str, request: RequestInfo, trusted: tuple[str, ...]) -> str:
    """A local path, or an absolute URL on this origin or a trusted one; else ValueError."""
    local = safe_local_path(target)
    if local is not None:
        return local
    parts = urlsplit(target)
    origin = f"{parts.scheme}://{parts.netloc}"
    trusted_origin = origin == request.origin or origin in trusted
    if parts.scheme in ("http", "https") and header_safe(target) and trusted_origin:
        return target
    raise ValueError(f"redirect to an untrusted URL: {target!r}")


def jsonable(value: Any) -> Any:
    """Dataclasses and pydantic models as dicts; JSON types as they are."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    return value


def json_reply(status: int, payload: dict[str, Any]) -> EarlyResponse:
    """A JSON response (``Content-Type: application/json`` exactly)."""
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return EarlyResponse(
        status,
        [
            ("content-type", "application/json"),
            ("content-length", str(len(body))),
            ("cache-control", "no-store"),
            ("vary", "Origin, Sec-Fetch-Site"),
        ],
        body,
    )


def error_reply(failure: Failure, wants_json: bool) -> EarlyResponse:
    """A refusal before the action ran (404, 403, 413...)."""
    status, code, message, fields = failure
    if wants_json:
        error = {"code": code, "message": message, "fields": fields}
        return json_reply(status, {"ok": False, "data": None, "error": error, "redirect": None})
    return EarlyResponse.text(status, message)


def result_reply(
    *,
    key: bytes,
    action_id: str,
    request: RequestInfo,
    wants_json: bool,
    return_to: str,
    form: FormData,
    outcome: tuple[Any, Failure | None, str | None],
    now: float,
) -> EarlyResponse:
    """The reply after the action ran: ``outcome`` is (value, failure, redirect target)."""
    value, failure, target = outcome
    if wants_json:
        if failure is not None:
            status, code, message, fields = failure
            error = {"code": code, "message": message, "fields": fields}
            return json_reply(status, {"ok": False, "data": None, "error": error, "redirect": None})
        data = None if target else jsonable(value)
        return json_reply(200, {"ok": True, "data": data, "error": None, "redirect": target})
    if failure is not None:
        _, _, message, fields = failure
        state = ActionState(ok=False, message=message, errors=fields, values=kept_values(form))
    else:
        state = ActionState(ok=True, message=value if isinstance(value, str) else None)
    cookie = flash_cookie(key, action_id, state, now, secure=request.is_secure)
    return EarlyResponse.redirect(target or return_to, 303, [cookie])


def redirect_target(value: Any, error: BaseException | None) -> str | None:
    """The URL of a returned or raised :class:`Redirect`, if any."""
    found = error if isinstance(error, Redirect) else value if isinstance(value, Redirect) else None
    return found.url if found is not None else None
