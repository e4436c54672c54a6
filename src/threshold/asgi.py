"""Pure ASGI middleware (no ``BaseHTTPMiddleware``): ``app.add_middleware(AuthMiddleware)``.

Per request it decides who is calling (``threshold.sdk._rules``), binds the state so
``auth()`` works anywhere in the request, answers handshake redirects itself, serves
server actions at ``/_threshold/actions/<id>`` and adds queued ``Set-Cookie`` headers to
the app's response. ``Redirect``/``ActionError`` raised by a handler (``protect()``)
become their responses.
"""

from __future__ import annotations

from collections.abc import Awaitable

from threshold.sdk._asgi_actions import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    handle_action,
    send_response,
)
from threshold.sdk.actions.dispatch import SCRIPT_PATH
from threshold.sdk.actions.templating import script_response
from threshold.sdk.authenticate import Authenticator
from threshold.sdk.config import SdkConfig
from threshold.sdk.context import RequestServices, RequestState, bind_state, reset_state
from threshold.sdk.http import RequestInfo, parse_cookies
from threshold.sdk.interrupts import interrupt_response, is_interrupt

__all__ = ["AuthMiddleware", "request_from_scope", "send_response"]


def request_from_scope(scope: Scope) -> RequestInfo:
    """The SDK's view of an ASGI ``http``/``websocket`` scope."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        _add_header(headers, raw_name.decode("latin-1").lower(), raw_value.decode("latin-1"))
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = server[0] + (f":{server[1]}" if server[1] not in (None, 80, 443) else "")
    scheme = scope.get("scheme", "http")
    return RequestInfo(
        method=scope.get("method", "GET"),
        scheme={"ws": "http", "wss": "https"}.get(scheme) or scheme,
        host=host,
        path=_full_path(scope),
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        cookies=parse_cookies(headers.get("cookie")),
        root_path=scope.get("root_path", ""),
    )


def _add_header(headers: dict[str, str], name: str, value: str) -> None:
    """Repeated headers are joined as one (cookies with ``; ``, others with ``, ``)."""
    if name in headers:
        headers[name] += ("; " if name == "cookie" else ", ") + value
    else:
        headers[name] = value


def _credentials(scope: Scope) -> tuple[bytes | None, bytes | None]:
    """The raw ``authorization`` and ``cookie`` headers, repeats joined as
    :func:`request_from_scope` joins them; nothing else is decoded."""
    authorization = cookie = None
    for name, value in scope.get("headers", ()):
        size = len(name)
        if size == 13 and name.lower() == b"authorization":
            authorization = value if authorization is None else authorization + b", " + value
        elif size == 6 and name.lower() == b"cookie":
            cookie = value if cookie is None else cookie + b"; " + value
    return authorization, cookie


def _add_cookies(start: Message, cookies: list[str]) -> None:
    """Append ``Set-Cookie`` headers to an ``http.response.start`` message."""
    extra = [(b"set-cookie", c.encode("latin-1")) for c in cookies]
    start["headers"] = [*start.get("headers", ()), *extra]


def _full_path(scope: Scope) -> str:
    """The path including ``root_path`` (servers differ on whether ``path`` has it)."""
    root_path: str = scope.get("root_path", "")
    path: str = scope.get("path", "/")
    if root_path and not path.startswith(root_path):
        path = root_path + path
    return path


class AuthMiddleware:
    """Authenticates every HTTP/websocket request; see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        config: SdkConfig | None = None,
        *,
        sdk: Authenticator | None = None,
    ) -> None:
        self.app = app
        self.sdk = sdk = sdk or Authenticator(config)
        self.services = RequestServices.for_app(sdk.config, sdk.clients, sdk.verifier.now)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._not_http(scope, receive, send)
            return
        # The usual request (a token seen before, or no credential) is settled from two
        # headers; the SDK's full view of the request is built only if something asks.
        outcome = self.sdk.shortcut.settle(scope.get("query_string", b""), *_credentials(scope))
        if outcome is None:
            state = await self._authenticate(scope, send, interactive=True)
            if state is None:
                return
        else:
            # Reads a copy: apps change the scope as they route (root_path under a mount),
            # and the state in it would otherwise make a cycle with this function.
            source = dict(scope)
            state = RequestState(self.services, lambda: request_from_scope(source), outcome)
        scope["threshold"] = state
        token = bind_state(state)
        try:
            if "/_threshold/" in scope.get("path", "") and await self._own_route(
                state, scope, receive, send
            ):
                return
            started = False

            def send_with_cookies(message: Message) -> Awaitable[None]:
                nonlocal started
                if not started and message["type"] == "http.response.start":
                    started = True
                    if state.cookies:
                        _add_cookies(message, state.cookies)
                return send(message)

            try:
                await self.app(scope, receive, send_with_cookies)
            except Exception as exc:
                reply = interrupt_response(exc, state.request) if is_interrupt(exc) else None
                if reply is None or started:
                    raise
                await send_response(send, reply, state.cookies)
        finally:
            reset_state(token)
            state.finish()

    async def _not_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Websockets are authenticated (no redirects or cookies); lifespan passes through."""
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        state = await self._authenticate(scope, send, interactive=False)
        assert state is not None
        scope["threshold"] = state
        token = bind_state(state)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_state(token)
            state.finish()

    async def _authenticate(
        self, scope: Scope, send: Send, *, interactive: bool
    ) -> RequestState | None:
        """The full rules (handshakes, renewals, JWKS refreshes); None when they answered
        the request themselves."""
        request = request_from_scope(scope)
        outcome = await self.sdk.authenticate_async(request, interactive=interactive)
        if outcome.response is not None and interactive:
            await send_response(send, outcome.response, [])
            return None
        return RequestState(self.services, request, outcome)

    async def _own_route(
        self, state: RequestState, scope: Scope, receive: Receive, send: Send
    ) -> bool:
        """Serve the action script and server actions; False for any other path."""
        root_path: str = scope.get("root_path", "")
        path = _full_path(scope)
        if path == root_path + SCRIPT_PATH:
            await send_response(send, script_response(), [])
            return True
        action_id = self.services.actions.route(path, root_path)
        if action_id is None:
            return False
        await handle_action(self.services.actions, state, action_id, scope, receive, send)
        return True
