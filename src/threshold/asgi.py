"""Pure ASGI middleware (no ``BaseHTTPMiddleware``): ``app.add_middleware(AuthMiddleware)``.

Per request it decides who is calling (``threshold.sdk._rules``), binds the state so
``auth()`` works anywhere in the request, answers handshake redirects itself, serves
server actions at ``/_threshold/actions/<id>`` and adds queued ``Set-Cookie`` headers to
the app's response. ``Redirect``/``ActionError`` raised by a handler (``protect()``)
become their responses.
"""

from __future__ import annotations

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
from threshold.sdk.context import RequestState, bind_state, reset_state
from threshold.sdk.http import RequestInfo, parse_cookies
from threshold.sdk.interrupts import interrupt_response, is_interrupt

__all__ = ["AuthMiddleware", "request_from_scope", "send_response"]


def request_from_scope(scope: Scope) -> RequestInfo:
    """The SDK's view of an ASGI ``http``/``websocket`` scope."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in headers:
            headers[name] += ("; " if name == "cookie" else ", ") + value
        else:
            headers[name] = value
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = server[0] + (f":{server[1]}" if server[1] not in (None, 80, 443) else "")
    root_path = scope.get("root_path", "")
    path = scope.get("path", "/")
    if root_path and not path.startswith(root_path):
        path = root_path + path
    scheme = scope.get("scheme", "http")
    return RequestInfo(
        method=scope.get("method", "GET"),
        scheme={"ws": "http", "wss": "https"}.get(scheme) or scheme,
        host=host,
        path=path,
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        cookies=parse_cookies(headers.get("cookie")),
        root_path=root_path,
    )


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
        self.sdk = sdk or Authenticator(config)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request = request_from_scope(scope)
        interactive = kind == "http"
        outcome = await self.sdk.authenticate_async(request, interactive=interactive)
        state = RequestState(self.sdk, request, outcome)
        if outcome.response is not None and interactive:
            await send_response(send, outcome.response, [])
            return
        scope["threshold"] = state
        token = bind_state(state)
        try:
            if interactive:
                await self._http(state, scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            reset_state(token)

    async def _http(self, state: RequestState, scope: Scope, receive: Receive, send: Send) -> None:
        request = state.request
        if request.path.startswith(request.root_path + "/_threshold/"):
            if request.path == request.root_path + SCRIPT_PATH:
                await send_response(send, script_response(), [])
                return
            action_id = self.sdk.actions.route(request.path, request.root_path)
            if action_id is not None:
                await handle_action(state, action_id, scope, receive, send)
                return
        started = False

        async def send_with_cookies(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if state.response_cookies:
                    extra = [(b"set-cookie", c.encode("latin-1")) for c in state.response_cookies]
                    message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookies)
        except Exception as exc:
            reply = interrupt_response(exc, request) if is_interrupt(exc) else None
            if reply is None or started:
                raise
            await send_response(send, reply, state.response_cookies)
