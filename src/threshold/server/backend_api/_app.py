"""The Backend API as a FastAPI sub-application mounted at ``/v1``.

- The mount only claims paths that one of its routes matches, so every other ``/v1/...``
  path (the Frontend API, images) still reaches the routes listed after it.
- Every error is Clerk's body, FastAPI's validation errors included (422 with
  ``meta.param_name``); bodies are capped at ``max_body_bytes`` and NUL characters
  (which PostgreSQL cannot store) are refused up front.
- The OpenAPI document (``/v1/openapi.json``) and its docs page (``/v1/docs``) exist
  only when ``settings.api_docs_enabled``.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from threshold.core.errors import PayloadTooLargeError, ThresholdError, ValidationError
from threshold.server.backend_api import (
    email_addresses,
    identifiers,
    jwt_templates,
    sessions,
    tickets,
    user_actions,
    users,
    webhooks,
)
from threshold.server.backend_api.deps import CTX_SCOPE_KEY
from threshold.server.errors import JSON, error_response, unexpected_error_response
from threshold.services.instance.settings import Settings

__all__ = ["BackendApiMount", "build_api"]

_DESCRIPTION = (
    "Threshold's Backend API, wire-compatible with Clerk's (`https://api.clerk.com/v1`): "
    "authenticate with `Authorization: Bearer sk_...`. Lists are arrays unless "
    "`paginated=true`; times are milliseconds; errors are `{errors: [...]}`."
)


def _param_error(error: dict[str, Any]) -> dict[str, Any]:
    where = [p for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    param = next((str(p) for p in where if isinstance(p, str)), None)
    kind = str(error.get("type", ""))
    text = str(error.get("msg", "is invalid"))
    if param is None:
        return {
            "message": "The request body must be a JSON object.",
            "long_message": f"The request body could not be read: {text}.",
            "code": "malformed_request_body",
        }
    missing = kind == "missing"
    message = f"{param} is missing." if missing else f"{param} is invalid."
    return {
        "message": message,
        "long_message": message if missing else f"{param} is invalid: {text}.",
        "code": "form_param_missing" if missing else "form_param_format_invalid",
        "meta": {"param_name": param},
    }


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_param_error(dict(e)) for e in list(exc.errors())[:20]]
    body = {"errors": errors, "clerk_trace_id": secrets.token_hex(16)}
    return JSON(body, status_code=422, headers={"Cache-Control": "no-store"})


async def _on_threshold_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ThresholdError)
    return error_response(exc)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "resource_not_found", 405: "method_not_allowed"}
    detail = "This Backend API endpoint does not exist." if exc.status_code == 404 else exc.detail
    error = ThresholdError(str(detail), code=codes.get(exc.status_code, "request_invalid"))
    body = {
        "errors": [{"message": error.message, "long_message": error.message, "code": error.code}],
        "clerk_trace_id": secrets.token_hex(16),
    }
    return JSON(body, status_code=exc.status_code, headers=dict(exc.headers or {}))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    return unexpected_error_response(request, exc)


def build_api(settings: Settings) -> FastAPI:
    """The FastAPI application serving the Backend API's routes."""
    docs = settings.api_docs_enabled
    api = FastAPI(
        title="Threshold Backend API",
        version="2025-11-10",
        description=_DESCRIPTION,
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        exception_handlers={
            RequestValidationError: _on_validation,
            ThresholdError: _on_threshold_error,
            HTTPException: _on_http_error,
            Exception: _on_unexpected,
        },
    )
    for router in _ROUTERS:
        api.include_router(router)
    return api


_ROUTERS = (
    users.router,
    user_actions.router,
    email_addresses.router,
    sessions.router,
    sessions.clients_router,
    jwt_templates.router,
    tickets.router,
    identifiers.router,
    webhooks.router,
)


_NOT_YET = (
    "actor_tokens",
    "domains",
    "instance",
    "organization_invitations",
    "organization_memberships",
    "organizations",
    "phone_numbers",
    "redirect_urls",
    "testing_tokens",
    "webhooks",
)
"""Clerk Backend API resources Threshold does not offer yet: a Clerk-shaped 404."""


def _roots(settings: Settings) -> frozenset[str]:
    """First path segments the Backend API owns: ``users``, ``sessions``, ..."""
    paths = [getattr(route, "path", "") for router in _ROUTERS for route in router.routes]
    if settings.api_docs_enabled:
        paths += ["/openapi.json", "/docs"]
    return frozenset(str(p).split("/")[1] for p in paths if p) | frozenset(_NOT_YET)


class _BodyGuard:
    """Reads the body first: refuses it past ``limit`` bytes, and text the database cannot
    store (NUL characters, lone surrogates, invalid UTF-8) in it or in the query."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await error_response(PayloadTooLargeError())(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await error_response(PayloadTooLargeError())(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        json_body = not headers.get(b"content-type", b"").startswith(b"multipart/")
        problem = _unstorable(scope.get("query_string", b""), body if json_body else b"")
        if problem is not None:
            await error_response(problem)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _unstorable(query: bytes, body: bytes) -> ValidationError | None:
    """Why the query or a JSON body holds text the database cannot store, if it does."""
    try:
        texts = [unquote_to_bytes(query).decode("utf-8")]
    except UnicodeDecodeError:
        return _text_error()
    if body:
        with contextlib.suppress(ValueError, RecursionError):  # not JSON: FastAPI says why
            texts += _json_strings(json.loads(body))
    return _text_error() if any(_bad_text(t) for t in texts) else None


def _json_strings(data: object) -> list[str]:
    """Every key and string value in a decoded JSON document."""
    found: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
    return found


def _bad_text(text: str) -> bool:
    """NUL characters and lone surrogates: text PostgreSQL (and UTF-8) cannot hold."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _text_error() -> ValidationError:
    return ValidationError(
        "The request contains a NUL character or text that is not valid UTF-8.",
        code="malformed_request_body",
    )


class BackendApiMount(Mount):
    """``/v1`` for the Backend API, claiming only the paths under its own resources
    (``/v1/users/...``, ``/v1/sessions/...``; an unknown one there is a Clerk-shaped 404)."""

    def __init__(self, settings: Settings) -> None:
        self.api = build_api(settings)
        super().__init__("/v1", app=_BodyGuard(self.api, settings.max_body_bytes))
        self.roots = _roots(settings)
        # Ids in paths may hold any character, a decoded newline included.
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.NONE:
            return match, child
        root = str(scope.get("path", "")).removeprefix("/v1/").split("/", 1)[0]
        if root in self.roots:
            return Match.FULL, child
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[CTX_SCOPE_KEY] = scope["app"].state.ctx
        await super().handle(scope, receive, send)
