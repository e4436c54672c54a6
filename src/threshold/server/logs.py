"""Where the server's logs go, and its access log.

``threshold serve`` hands :func:`log_config` to uvicorn, which applies it in every
worker process (a handler added in the parent alone would not reach workers started
with ``--workers``): uvicorn's own messages as uvicorn writes them, security events on
``threshold.audit`` as JSON lines on standard error, and one line per request on
``threshold.access`` on standard output.

The access line is Threshold's, not uvicorn's, for two reasons. It leaves out the
query string, where sign-in tickets, handshake tokens and redirect URLs travel, so
that no access log holds a credential (uvicorn's prints the whole request line). And
it costs less: uvicorn's line copies and formats each record through several layers, a
cost paid on every token refresh, the busiest request (section 3 of docs/benchmarks.md
measures a refresh with and without the access line).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from threshold.services.infra.audit import new_request_id, request_id

__all__ = ["ACCESS_LOGGER", "AccessLog", "log_config"]

ACCESS_LOGGER = "threshold.access"
_access = logging.getLogger(ACCESS_LOGGER)


class AccessLog:
    """ASGI middleware: gives each HTTP request its id (:data:`request_id
    <threshold.services.infra.audit.request_id>`, which audit events and error bodies of the
    request carry), and when the request is done logs
    ``client - "METHOD /path HTTP/1.1" status id`` on ``threshold.access`` (INFO).

    The path is the raw one the client sent, without its query string; anything
    unprintable in it is escaped, so a line can never be split in two. It wraps the
    whole application, so error responses are logged too; a request that ends before
    any response (a client gone) is logged with status 0.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        current = new_request_id()
        token = request_id.set(current)
        try:
            if not _access.isEnabledFor(logging.INFO):
                await self.app(scope, receive, send)
                return
            await self._logged(scope, receive, send, current)
        finally:
            request_id.reset(token)

    async def _logged(self, scope: Scope, receive: Receive, send: Send, current: str) -> None:
        status = 0

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            _access.info(
                '%s - "%s %s HTTP/%s" %d %s',
                _client(scope),
                scope["method"],
                _path(scope),
                scope.get("http_version", "1.1"),
                status,
                current,
            )


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return "-" if not client else f"{client[0]}:{client[1]}"


def _path(scope: Scope) -> str:
    raw: bytes | None = scope.get("raw_path")
    path = scope["path"] if raw is None else raw.decode("latin-1")
    path = path.partition("?")[0]  # some servers keep the query in raw_path
    if not path.isprintable() or not path.isascii():
        path = path.encode("unicode_escape").decode("ascii")
    return path


def log_config(*, access: bool = True) -> dict[str, Any]:
    """uvicorn's logging configuration plus Threshold's loggers: audit events on
    standard error, access lines on standard output (or none, ``access=False``)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["threshold_plain"] = {"format": "%(message)s"}
    config["formatters"]["threshold_access"] = {"format": "%(levelname)s:     %(message)s"}
    config["handlers"]["threshold_audit"] = {
        "class": "logging.StreamHandler",
        "formatter": "threshold_plain",
        "stream": "ext://sys.stderr",
    }
    config["handlers"]["threshold_access"] = {
        "class": "logging.StreamHandler",
        "formatter": "threshold_access",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["threshold.audit"] = {
        "handlers": ["threshold_audit"],
        "level": "INFO",
        "propagate": False,
    }
    config["loggers"][ACCESS_LOGGER] = {
        "handlers": ["threshold_access"],
        "level": "INFO" if access else "WARNING",
        "propagate": False,
    }
    return config
