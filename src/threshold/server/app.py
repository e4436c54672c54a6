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

from threshold.core.clock import Clock, SystemClock
from threshold.core.errors import (
    ConfigurationError,
    NotFoundError,
    ThresholdError,
    ValidationError,
)
from threshold.core.passwords import PasswordHasher, PasswordPolicy
from threshold.server import frontend_api
from threshold.server.errors import error_response, unexpected_error_response
from threshold.server.logs import AccessLog
from threshold.server.middleware import SecurityMiddleware
from threshold.server.settings import Settings
from threshold.services.context import AsyncHasher, ServerContext
from threshold.services.instance import ensure_instance
from threshold.services.keyring import Keyring
from threshold.services.mail import DevMailbox, Mailer, MultiMailer, SmtpMailer
from threshold.services.ratelimit import DatabaseRateLimiter, RateLimiter, RedisRateLimiter
from threshold.store.db import Database
from threshold.store.migrate import head_revision

__all__ = ["build_context", "create_app"]

log = logging.getLogger("threshold.server")
STATIC_DIR = Path(__file__).parent / "static"


def _mailers(settings: Settings, extra: list[Mailer]) -> MultiMailer:
    mailers: list[Mailer] = list(extra)
    if settings.is_development:
        mailers.append(DevMailbox())
    if settings.smtp_host:
        mailers.append(
            SmtpMailer(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.email_from,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value()
                if settings.smtp_password
                else None,
                tls=settings.smtp_tls,
            )
        )
    return MultiMailer(*mailers)


async def build_context(
    settings: Settings, *, clock: Clock | None = None, mailers: list[Mailer] | None = None
) -> ServerContext:
    """Connect, check the schema, create the instance on first start, load keys."""
    clock = clock or SystemClock()
    if problems := settings.production_problems():
        raise ConfigurationError(" ".join(problems))
    db = Database(settings.resolved_database_url)
    revision = await db.current_revision()
    if revision != head_revision():
        await db.dispose()
        raise ConfigurationError(
            "The database is not migrated to this version of Threshold "
            f"(at {revision or 'nothing'}, need {head_revision()}). Run `threshold migrate`."
        )
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    instance = await ensure_instance(
        db,
        clock,
        public_url=settings.public_url,
        environment=settings.environment,
        secret_key=secret,
    )
    keyring = Keyring(
        db, clock, retire_grace_seconds=max(settings.session_token_lifetime, 60) + 3600
    )
    await keyring.load()
    limiter: RateLimiter = (
        RedisRateLimiter(settings.redis_url, clock)
        if settings.redis_url
        else DatabaseRateLimiter(db, clock)
    )
    hasher = AsyncHasher(
        PasswordHasher(memory_cost=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost)
    )
    return ServerContext(
        settings=settings,
        db=db,
        keyring=keyring,
        instance=instance,
        mailer=_mailers(settings, mailers or []),
        limiter=limiter,
        hasher=hasher,
        clock=clock,
        policy=PasswordPolicy(min_length=settings.password_min_length),
    )


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
) -> Starlette:
    """The whole server. The context is built in the lifespan (database, keys, instance)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx = await build_context(settings, clock=clock, mailers=mailers)
        app.state.ctx = ctx
        try:
            yield
        finally:
            await ctx.mailer.drain()
            if isinstance(ctx.limiter, RedisRateLimiter):
                await ctx.limiter.close()
            await ctx.db.dispose()

    from threshold.server import backend_api, pages

    routes = [
        *frontend_api.routes,
        *backend_api.routes(settings),
        *pages.routes,
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
    """Unknown paths and methods: a finished page for browsers, plain text otherwise."""
    assert isinstance(exc, HTTPException)
    from threshold.server.pages import render_error_page, wants_html

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
