"""Pure WSGI middleware: ``app.wsgi_app = AuthMiddleware(app.wsgi_app)``.

Per request it decides who is calling (blocking HTTP only for JWKS refreshes,
handshakes and renewals), binds the state so ``auth()`` works anywhere in the request
(the state stays bound until the response body is closed, so streamed bodies see it
too), answers handshake redirects itself, serves the action script and adds queued
``Set-Cookie`` headers. Flask apps use ``threshold.flask.Threshold(app)``, which also
routes server actions; Django apps use ``threshold.django.middleware.AuthMiddleware``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import Token
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from threshold.sdk.actions.dispatch import SCRIPT_PATH
from threshold.sdk.actions.templating import script_response
from threshold.sdk.authenticate import Authenticator
from threshold.sdk.config import SdkConfig
from threshold.sdk.context import RequestServices, RequestState, bind_state, reset_state
from threshold.sdk.http import EarlyResponse, RequestInfo, parse_cookies
from threshold.sdk.interrupts import interrupt_response, is_interrupt

__all__ = ["AuthMiddleware", "early_response", "environ_headers", "request_from_environ"]

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_UNQUOTED = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=\-._~%]*")
"""Paths ``quote(..., safe=_SAFE_PATH)`` returns unchanged (the usual case): skip the call."""
_HEADER_NAMES: dict[str, str | None] = {}
"""Environ key → header name (None for keys that are not headers): the same few dozen
keys come with every request, so each is translated once. Bounded, since clients choose
header names; keys past the bound are translated on every request."""
_META_NAMES: dict[str, str | None] = {
    "CONTENT_TYPE": "content-type",
    "CONTENT_LENGTH": "content-length",
    "HTTP_": None,
}
"""The same for Django's ``META``, read as ``request.headers`` reads it: these two count
as headers whatever their value, and a header needs a name."""
_MAX_HEADER_NAMES = 512


def _header_name(key: str, names: dict[str, str | None]) -> str | None:
    name = key[5:].replace("_", "-").lower() if key.startswith("HTTP_") else None
    if len(names) < _MAX_HEADER_NAMES:
        names[key] = name
    return name


def environ_headers(environ: Mapping[str, Any], *, meta: bool = False) -> dict[str, str]:
    """The ``HTTP_*`` entries of a WSGI environ, with lower-case names.

    ``CONTENT_TYPE`` and ``CONTENT_LENGTH`` are left to the caller, unless ``meta`` is
    set: then they are read as Django's ``request.headers`` reads ``request.META``.
    """
    names = _META_NAMES if meta else _HEADER_NAMES
    return {
        name: value
        for key, value in environ.items()
        if (name := names[key] if key in names else _header_name(key, names)) is not None
        and isinstance(value, str)
    }


def _quote_path(path: str) -> str:
    if _UNQUOTED.fullmatch(path) is not None:
        return path
    return quote(path.encode("latin-1"), safe=_SAFE_PATH)


def request_from_environ(environ: Environ) -> RequestInfo:
    """The SDK's view of a WSGI environ."""
    headers = environ_headers(environ)
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    scheme = environ.get("wsgi.url_scheme", "http")
    host = headers.get("host")
    if not host:
        port = environ.get("SERVER_PORT", "80")
        default = "443" if scheme == "https" else "80"
        host = environ.get("SERVER_NAME", "localhost") + ("" if port == default else f":{port}")
    root = _quote_path(environ.get("SCRIPT_NAME", ""))
    path = _quote_path(environ.get("PATH_INFO", ""))
    return RequestInfo(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        scheme=scheme,
        host=host,
        path=(root + path) or "/",
        query=environ.get("QUERY_STRING", ""),
        headers=headers,
        cookies=parse_cookies(headers.get("cookie")),
        root_path=root,
    )


def early_response(
    start_response: StartResponse, response: EarlyResponse, cookies: list[str]
) -> list[bytes]:
    """Send an :class:`EarlyResponse` (plus queued cookies) through ``start_response``."""
    status = f"{response.status} {HTTPStatus(response.status).phrase}"
    headers = [(k.title(), v) for k, v in response.headers]
    headers += [("Set-Cookie", c) for c in cookies]
    start_response(status, headers)
    return [response.body]


class _Bound(Iterable[bytes]):
    """The app's body; closing it closes the app's and unbinds the request state."""

    def __init__(
        self, body: Iterable[bytes], state: RequestState, token: Token[RequestState | None]
    ) -> None:
        self._body = body
        self._state = state
        self._token = token

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            _unbind(self._state, self._token)


def _unbind(state: RequestState, token: Token[RequestState | None]) -> None:
    reset_state(token)
    state.finish()


class AuthMiddleware:
    """Authenticates every request of a WSGI app; see the module docstring."""

    def __init__(
        self,
        app: WSGIApp,
        config: SdkConfig | None = None,
        *,
        sdk: Authenticator | None = None,
    ) -> None:
        self.app = app
        self.sdk = sdk = sdk or Authenticator(config)
        self.services = RequestServices.for_app(sdk.config, sdk.clients, sdk.verifier.now)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        sdk = self.sdk
        # The usual request (a token seen before, or no credential) is settled from two
        # headers; the SDK's full view of the request is built only if something asks.
        outcome = sdk.shortcut.settle(
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_AUTHORIZATION"),
            environ.get("HTTP_COOKIE"),
        )
        if outcome is None:
            request = request_from_environ(environ)
            outcome = sdk.authenticate_sync(request)
            if outcome.response is not None:
                return early_response(start_response, outcome.response, [])
            state = RequestState(self.services, request, outcome)
        else:
            # Reads a copy: the app may change the environ, and the state in it would
            # otherwise make a cycle with this function.
            source = environ.copy()
            state = RequestState(self.services, lambda: request_from_environ(source), outcome)
        if environ.get("PATH_INFO") == SCRIPT_PATH:
            return early_response(start_response, script_response(), [])
        environ["threshold"] = state
        token = bind_state(state)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if state.cookies:
                headers = [*headers, *(("Set-Cookie", c) for c in state.cookies)]
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start)
        except Exception as exc:
            reply = interrupt_response(exc, state.request) if is_interrupt(exc) else None
            _unbind(state, token)
            if reply is None:
                raise
            return early_response(start_response, reply, state.cookies)
        except BaseException:
            _unbind(state, token)
            raise
        return _Bound(body, state, token)
