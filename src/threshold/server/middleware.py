"""Pure-ASGI middleware: security headers, CORS for the Frontend API, method override."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from threshold.core.errors import MethodNotAllowedError, PermissionDeniedError, ThresholdError
from threshold.server.errors import error_response
from threshold.server.http import is_allowed_origin
from threshold.services.instance.settings import Settings

__all__ = ["SecurityMiddleware"]

_CORS_PATHS = ("/v1/client/", "/v1/environment", "/v1/me", "/.well-known/")
_SAFE = {"GET", "HEAD", "OPTIONS"}


class SecurityMiddleware:
    """Headers every response carries, plus CORS and ``?_method=`` for the Frontend API.

    - ``X-Content-Type-Options``, ``Referrer-Policy``, ``X-Frame-Options: DENY`` and a
      ``frame-ancestors 'none'`` CSP on everything (pages add their own nonce CSP);
      ``Strict-Transport-Security`` when served over HTTPS.
    - Frontend API: credentialed CORS only for allowed origins (never reflected, never
      ``null``); a state-changing request from any other origin is refused with 403.
    - ``TRACE`` is refused.
    - A production server with an https public URL refuses plain-HTTP requests with 403
      (no redirect: a redirect would follow a password that already crossed in clear).
      The scheme is the connection's, or ``X-Forwarded-Proto`` from a trusted proxy.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.hsts = settings.public_url.startswith("https://")
        self.https_only = self.hsts and not settings.is_development

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path: str = scope["path"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if (refusal := self._refusal(scope, headers)) is not None:
            await error_response(refusal)(scope, receive, send)
            return
        origin = headers.get("origin")
        cors_path = path == "/v1/client" or path.startswith(_CORS_PATHS)
        allowed = cors_path and origin is not None and is_allowed_origin(origin, self.settings)
        if cors_path and method == "POST":
            override = parse_qs(scope.get("query_string", b"").decode()).get("_method")
            if override and override[0].upper() in ("PATCH", "PUT", "DELETE"):
                scope = {**scope, "method": override[0].upper()}
                method = scope["method"]
        if cors_path and origin is not None and not allowed and method not in _SAFE:
            await error_response(
                PermissionDeniedError(
                    "Requests from this origin are not allowed.", code="origin_invalid"
                )
            )(scope, receive, send)
            return
        if cors_path and method == "OPTIONS" and allowed:
            await self._preflight(origin or "", headers, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.setdefault("X-Content-Type-Options", "nosniff")
                out.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                out.setdefault("X-Frame-Options", "DENY")
                out.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
                if self.hsts:
                    out.setdefault(
                        "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
                    )
                if allowed:
                    out["Access-Control-Allow-Origin"] = origin or ""
                    out["Access-Control-Allow-Credentials"] = "true"
                    out["Access-Control-Expose-Headers"] = "Authorization"
                if cors_path:
                    out.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_wrapper)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> ThresholdError | None:
        """Why this request is refused before anything else looks at it, if it is."""
        if scope["method"] == "TRACE":
            return MethodNotAllowedError()
        if self.https_only and self._scheme(scope, headers) != "https":
            return PermissionDeniedError(
                "This server only answers over https.", code="https_required"
            )
        return None

    def _scheme(self, scope: Scope, headers: dict[str, str]) -> str:
        """The request's scheme: the connection's, or a trusted proxy's word for it."""
        forwarded = headers.get("x-forwarded-proto")
        peer = scope.get("client")
        if forwarded and peer and peer[0] in self.settings.trusted_proxies:
            return forwarded.split(",")[-1].strip().lower()
        return str(scope.get("scheme", "http"))

    @staticmethod
    async def _preflight(origin: str, headers: dict[str, str], send: Send) -> None:
        requested = headers.get("access-control-request-headers", "")
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-allow-credentials", b"true"),
                    (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, OPTIONS"),
                    (b"access-control-allow-headers", requested.encode("latin-1")[:1024]),
                    (b"access-control-max-age", b"600"),
                    (b"vary", b"Origin"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
