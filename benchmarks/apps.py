"""The endpoints the middleware benchmark serves:
``python -m benchmarks.apps KIND MODE PORT [STACK]``.

KIND is ``starlette`` or ``fastapi``; MODE is ``plain``, ``protected`` or ``floor`` (the
least any auth middleware does, see :class:`Floor`); STACK is
``h11`` (h11 + asyncio) or ``httptools`` (httptools + uvloop), by default what uvicorn
picks. The public key PEM comes from the ``BENCH_JWT_KEY`` environment variable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable
from contextvars import ContextVar

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_REQUEST: ContextVar[object] = ContextVar("bench_request", default=None)


class Floor:
    """A middleware that authenticates nothing but does what every request-scoped auth
    middleware must: bind something for the request in a context variable, and hand the
    app a ``send`` that could add a header. Its ratio is the best any such middleware
    can reach on the same server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _REQUEST.set(scope)
        try:

            def send_through(message: Message) -> Awaitable[None]:
                return send(message)

            await self.app(scope, receive, send_through)
        finally:
            _REQUEST.reset(token)


def _starlette() -> ASGIApp:
    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    return Starlette(routes=[Route("/", hello)])


def _fastapi() -> ASGIApp:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/")
    async def hello() -> PlainTextResponse:
        return PlainTextResponse("hello")

    return app


def build(kind: str, mode: str) -> ASGIApp:
    """The ``kind`` app (``starlette`` or ``fastapi``) as ``mode`` says: ``plain``,
    behind :class:`Floor`, or behind Threshold (``protected``, with ``BENCH_JWT_KEY``)."""
    app = _starlette() if kind == "starlette" else _fastapi()
    if mode == "floor":
        return Floor(app)
    if mode == "protected":
        from threshold.asgi import AuthMiddleware
        from threshold.sdk.config import SdkConfig

        return AuthMiddleware(app, SdkConfig(jwt_key=os.environ["BENCH_JWT_KEY"]))
    return app


def main() -> None:
    kind, mode, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    stack = sys.argv[4] if len(sys.argv) > 4 else "auto"
    options = {"h11": ("h11", "asyncio"), "httptools": ("httptools", "uvloop")}
    http, loop = options.get(stack, ("auto", "auto"))
    uvicorn.run(
        build(kind, mode),
        host="127.0.0.1",
        port=port,
        log_level="error",
        access_log=False,
        http=http,
        loop=loop,
    )


if __name__ == "__main__":
    main()
