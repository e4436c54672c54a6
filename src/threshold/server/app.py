"""``create_app(settings)``: the identity server as one ASGI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from threshold.core.clock import Clock
from threshold.core.errors import (
    MethodNotAllowedError,
    NotFoundError,
    ThresholdError,
    ValidationError,
)
from threshold.server import frontend_api
from threshold.server.errors import error_response, unexpected_error_response
from threshold.server.logs import AccessLog
from threshold.server.middleware import SecurityMiddleware
from threshold.services.auth.strategies.registry import StrategyRegistry
from threshold.services.infra.mail import Mailer
from threshold.services.infra.ratelimit import RedisRateLimiter
from threshold.services.instance.settings import Settings
from threshold.services.runtime.build import build_context
from threshold.services.runtime.context import ServerContext
from threshold.services.webhooks.dispatcher import Dispatcher

__all__ = ["create_app"]

log = logging.getLogger("threshold.server")
STATIC_DIR = Path(__file__).parent / "static"


class _Server(Starlette):
    """Starlette with the access log around everything, its error handling included,
    so that the 500s it sends are logged too."""

    def build_middleware_stack(self) -> ASGIApp:
        return AccessLog(super().build_middleware_stack())


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    mailers: list[Mailer] | None = None,
    strategies: StrategyRegistry[ServerContext] | None = None,
) -> Starlette:
    """The whole server. The context is built in the lifespan (database, keys, instance).

    ``strategies``: the sign-in factors and sign-up verifications to offer (Threshold's
    own by default: ``services.auth.strategies.shipped.default_strategies()``, to which a
    second factor can be registered).
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx = await build_context(settings, clock=clock, mailers=mailers, strategies=strategies)
        app.state.ctx = ctx
        app.state.webhooks = webhooks = Dispatcher(ctx)
        webhooks.start()
        try:
            yield
        finally:
            await webhooks.stop()
            await ctx.mailer.drain()
            if isinstance(ctx.limiter, RedisRateLimiter):
                await ctx.limiter.close()
            await ctx.db.dispose()

    from threshold.server import backend_api, clerk_js, pages

    routes = [
        *frontend_api.routes,
        *backend_api.routes(settings),
        *pages.routes,
        *clerk_js.routes(settings),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = _Server(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityMiddleware, settings=settings)],
        exception_handlers={
            ThresholdError: _threshold_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.settings = settings
    return app


async def _threshold_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ThresholdError)
    from threshold.server.pages import render_error_page, wants_html

    if wants_html(request):
        return render_error_page(request, exc)
    return error_response(exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    from threshold.server.pages import render_unexpected_page, wants_html

    if wants_html(request):
        return render_unexpected_page(request, exc)
    return unexpected_error_response(request, exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods: Clerk's JSON error body under the APIs (clerk-js reads
    ``errors[0].code``), a finished page for browsers elsewhere, plain text otherwise."""
    assert isinstance(exc, HTTPException)
    from threshold.server.pages import render_error_page, wants_html

    if exc.status_code in (404, 405) and _is_api_path(request.url.path):
        response = error_response(_routing_error(request, exc.status_code))
        if exc.headers and "allow" in {k.lower() for k in exc.headers}:
            response.headers["Allow"] = {k.lower(): v for k, v in exc.headers.items()}["allow"]
        return response
    if wants_html(request) and exc.status_code in (404, 405):
        error = (
            NotFoundError() if exc.status_code == 404 else ValidationError("Method not allowed.")
        )
        response = render_error_page(request, error)
        response.status_code = exc.status_code
        return response
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


_API_PREFIXES = ("/v1/", "/.well-known/", "/npm/")


def _is_api_path(path: str) -> bool:
    """Paths whose clients read JSON: the Frontend and Backend APIs, and the script routes."""
    return path == "/v1" or path.startswith(_API_PREFIXES)


def _routing_error(request: Request, status: int) -> ThresholdError:
    """What an unknown path (404) or a known path with another method (405) is, in words."""
    if status == 404:
        return NotFoundError(
            "Resource not found.",
            long_message=f"There is no endpoint at {request.url.path}.",
        )
    return MethodNotAllowedError(
        long_message=f"{request.method} is not allowed on {request.url.path}.",
    )
