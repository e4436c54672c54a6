"""What the async and sync Backend API clients share: URLs, headers, error mapping."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from threshold.core.errors import ConfigurationError
from threshold.sdk.config import SdkConfig
from threshold.sdk.errors import ApiError

__all__ = [
    "API_VERSION",
    "ClientSettings",
    "as_object",
    "clean",
    "model_list",
    "parse_response",
    "seg",
]

API_VERSION = "2025-11-10"
"""The ``Clerk-API-Version`` the client speaks."""

ModelT = TypeVar("ModelT")
_SEGMENT = re.compile(r"[A-Za-z0-9_.@:+-]{1,200}")


class ClientSettings:
    """Base URL and headers, from arguments or :class:`SdkConfig` (else the environment)."""

    def __init__(
        self, secret_key: str | None, api_url: str | None, config: SdkConfig | None
    ) -> None:
        if config is None and (secret_key is None or api_url is None):
            config = SdkConfig.from_env()
        secret = secret_key or (config.secret_key if config else None)
        base = api_url or (config.api_url if config else None)
        if not secret:
            raise ConfigurationError("The Backend API client needs a secret key (sk_...).")
        if not base:
            raise ConfigurationError("The Backend API client needs THRESHOLD_API_URL.")
        self.base_url = base.rstrip("/").removesuffix("/v1") + "/v1"
        self.headers = {
            "Authorization": f"Bearer {secret}",
            "Accept": "application/json",
            "Clerk-API-Version": API_VERSION,
            "User-Agent": "threshold-python/0.1",
        }


def seg(value: str) -> str:
    """One path segment. Ids are plain tokens: no ``/``, no dot segments, no escapes,
    since servers may decode ``%2F`` before routing."""
    if not isinstance(value, str) or not _SEGMENT.fullmatch(value) or set(value) == {"."}:
        raise ValueError(f"not a valid id: {value!r}")
    return quote(value, safe="")


def clean(values: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the ``None`` entries (unset optional parameters)."""
    return {k: v for k, v in values.items() if v is not None}


def parse_response(response: httpx.Response) -> Any:
    """The JSON body of a 2xx response; :class:`ApiError` for anything else."""
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    if 200 <= response.status_code < 300:
        return body
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else {}
    if not isinstance(first, dict):
        first = {}
    code = first.get("code") if isinstance(first.get("code"), str) else "http_error"
    message = first.get("message")
    if not isinstance(message, str) or not message:
        message = response.reason_phrase or f"HTTP {response.status_code}"
    long_message = first.get("long_message")
    trace = body.get("clerk_trace_id") if isinstance(body, dict) else None
    raise ApiError(
        response.status_code,
        str(code),
        message,
        long_message=long_message if isinstance(long_message, str) else None,
        errors=[e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else [],
        trace_id=trace if isinstance(trace, str) else None,
    )


def model_list(parse: Callable[[Mapping[str, Any]], ModelT], body: Any) -> list[ModelT]:
    """A bare array, or the ``{"data": [...]}`` envelope, parsed item by item."""
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return []
    return [parse(item) for item in items if isinstance(item, Mapping)]


def as_object(body: Any) -> Mapping[str, Any]:
    """The body as a JSON object (an empty one when the server sent something else)."""
    return body if isinstance(body, Mapping) else {}
