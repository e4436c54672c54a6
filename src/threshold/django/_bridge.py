"""Conversions between Django requests/responses and the SDK's framework-free types."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from threshold.sdk.errors import MissingDependencyError

try:
    from django.conf import settings  # type: ignore[import-untyped]
    from django.http import HttpResponse  # type: ignore[import-untyped]
    from django.utils.encoding import escape_uri_path  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError("django", "django") from exc

from threshold.sdk.authenticate import Authenticator
from threshold.sdk.config import SdkConfig
from threshold.sdk.http import EarlyResponse, RequestInfo, parse_cookies
from threshold.wsgi import environ_headers

__all__ = ["add_cookies", "build_sdk", "request_info", "to_django"]


def build_sdk() -> Authenticator:
    """The SDK from ``settings.THRESHOLD`` (a dict of :class:`SdkConfig` fields) or env."""
    values = getattr(settings, "THRESHOLD", None) or {}
    config = values if isinstance(values, SdkConfig) else SdkConfig.resolve(None, **values)
    return Authenticator(config)


def request_info(request: Any) -> RequestInfo:
    """The SDK's view of a Django ``HttpRequest``.

    Headers are read from ``META`` as ``request.headers`` reads them (``HTTP_*`` plus
    ``CONTENT_TYPE`` and ``CONTENT_LENGTH``), without building that mapping: it costs
    more than the rest of the middleware, and most views never use it.
    """
    meta = request.META
    headers = environ_headers(meta, meta=True)
    host = headers.get("host") or meta.get("SERVER_NAME", "localhost")
    return RequestInfo(
        method=request.method,
        scheme=request.scheme,
        host=host,
        path=escape_uri_path(request.path),
        query=meta.get("QUERY_STRING", ""),
        headers=headers,
        cookies=parse_cookies(headers.get("cookie")),
        root_path=meta.get("SCRIPT_NAME", "") or "",
    )


def add_cookies(response: Any, cookies: list[str]) -> None:
    """Add raw ``Set-Cookie`` values to a Django response (kept in order, by name)."""
    for raw in cookies:
        jar: SimpleCookie = SimpleCookie()
        jar.load(raw)
        for name, morsel in jar.items():
            response.cookies[name] = morsel


def to_django(reply: EarlyResponse, cookies: list[str] | None = None) -> Any:
    """An :class:`EarlyResponse` as a Django ``HttpResponse``."""
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers:
        if name != "set-cookie":
            response[name] = value
    add_cookies(response, [*reply.cookies(), *(cookies or [])])
    return response
