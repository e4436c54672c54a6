"""WSGI endpoints for the middleware benchmark: ``python -m benchmarks.wsgi_apps KIND MODE PORT``.

``PORT`` may be ``time`` instead: then the app is timed in-process (:func:`cpu_per_call`).

KIND is ``flask`` or ``django``; MODE is ``plain`` or ``protected``. The public key PEM
comes from the ``BENCH_JWT_KEY`` environment variable. Protected mode wires Threshold in
the way docs/sdk.md tells users to: the ``threshold.flask.Threshold`` extension for Flask
(``threshold.wsgi.AuthMiddleware`` around ``app.wsgi_app``, plus the action route), and
for Django the ``threshold.django`` app, its middleware and its URLs.

The server is gunicorn, one ``gthread`` worker with one thread. gunicorn is the WSGI
server Flask's and Django's deployment guides list first, and its ``gthread`` worker keeps
HTTP/1.1 connections alive (the default ``sync`` worker closes each one), so the
keep-alive load generator used for uvicorn (``benchmarks._timing.http_rps``) measures
both the same way. waitress keeps connections alive too; gunicorn is the one more apps
are deployed on.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.app.base import BaseApplication

__all__ = ["cpu_per_call", "main"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
THREADS = 1
"""gunicorn's default. Idle keep-alive connections wait in the worker's poller, not in a
thread, so one thread serves all 16 connections; more threads only add GIL hand-offs,
which make every request slower and so hide the middleware's share."""


def _config() -> Any:
    from threshold.sdk.config import SdkConfig

    return SdkConfig(jwt_key=os.environ["BENCH_JWT_KEY"])


def _flask(protected: bool) -> WSGIApp:
    from flask import Flask, Response

    app = Flask("bench")

    @app.get("/")
    def hello() -> Response:
        return Response("hello", mimetype="text/plain")

    if protected:
        from threshold.flask import Threshold

        Threshold(app, config=_config())
    return app


def _django(protected: bool) -> WSGIApp:
    import django
    from django.conf import settings
    from django.http import HttpRequest, HttpResponse
    from django.urls import include, path

    def hello(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("hello", content_type="text/plain")
        # Flask sets it; without it gunicorn would chunk Django's body.
        response["Content-Length"] = "5"
        return response

    urls: list[Any] = [path("", hello)]
    if protected:
        urls.append(path("", include("threshold.django.urls")))
    sys.modules[__name__].urlpatterns = urls  # type: ignore[attr-defined]
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-" + "x" * 50,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["threshold.django"] if protected else [],
        MIDDLEWARE=["threshold.django.middleware.AuthMiddleware"] if protected else [],
        THRESHOLD=_config() if protected else None,
        USE_TZ=True,
        LOGGING_CONFIG=None,
    )
    django.setup()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()  # type: ignore[no-any-return]


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn run from Python, with the app object built here (no import string)."""

    def __init__(self, app: WSGIApp, port: int) -> None:
        self._app = app
        self._options = {
            "bind": f"127.0.0.1:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": THREADS,
            "keepalive": 30,
            "accesslog": None,
            "loglevel": "error",
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        return self._app


def cpu_per_call(app: WSGIApp, token: str, calls: int = 2000, rounds: int = 7) -> float:
    """CPU microseconds per call of ``app`` itself (no server, no sockets): the best round.

    The environ is what gunicorn builds for the benchmark's request. CPU time of this
    process, and the best of several rounds, so other load on the machine shows less.
    """
    base = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "RAW_URI": "/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_SOFTWARE": "gunicorn",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }

    def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
        return None

    def one() -> None:
        body = app({**base, "wsgi.input": io.BytesIO()}, start_response)
        for _ in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()

    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            one()
        best = min(best, (time.process_time() - start) / calls * 1e6)
    return best


def main() -> None:
    """``KIND MODE PORT`` serves; ``KIND MODE time`` prints :func:`cpu_per_call` instead."""
    kind, mode, where = sys.argv[1:4]
    protected = mode == "protected"
    app = _flask(protected) if kind == "flask" else _django(protected)
    if where == "time":
        print(cpu_per_call(app, os.environ["BENCH_TOKEN"]))
        return
    _Gunicorn(app, int(where)).run()


if __name__ == "__main__":
    main()
