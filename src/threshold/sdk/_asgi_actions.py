"""Server actions over ASGI: the body is counted while Starlette parses the form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from threshold.sdk.actions.dispatch import ActionDispatcher
from threshold.sdk.actions.formdata import FieldValue, FormData, UploadedFile
from threshold.sdk.context import RequestState
from threshold.sdk.errors import MissingDependencyError
from threshold.sdk.http import EarlyResponse

__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send", "handle_action", "send_response"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Any, Receive, Send], Awaitable[None]]
MAX_FIELDS = 1000
MAX_FILES = 100


class _BodyTooLargeError(Exception):
    pass


async def send_response(send: Send, response: EarlyResponse, cookies: list[str]) -> None:
    """Send an :class:`EarlyResponse` plus queued cookies."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers += [(b"set-cookie", c.encode("latin-1")) for c in cookies]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _read_form(scope: Scope, receive: Receive, limit: int) -> tuple[FormData, Any]:
    try:
        from starlette.datastructures import UploadFile
        from starlette.requests import Request
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("starlette", "starlette") from exc
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message: Message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise _BodyTooLargeError
        return message

    parsed = await Request(scope, counted).form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
    items: list[tuple[str, FieldValue]] = []
    for name, value in parsed.multi_items():
        if isinstance(value, UploadFile):
            items.append(
                (
                    name,
                    UploadedFile(
                        value.filename or "",
                        value.content_type or "application/octet-stream",
                        value.size or 0,
                        value.file,
                    ),
                )
            )
        else:
            items.append((name, value))
    return FormData(items), parsed


async def handle_action(
    dispatcher: ActionDispatcher,
    state: RequestState,
    action_id: str,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Answer one ``POST /_threshold/actions/<id>`` with ``dispatcher``."""
    prepared = dispatcher.prepare(state, action_id)
    if isinstance(prepared, EarlyResponse):
        await send_response(send, prepared, state.cookies)
        return
    try:
        form, parsed = await _read_form(scope, receive, dispatcher.limit(prepared))
    except _BodyTooLargeError:
        await send_response(send, dispatcher.too_large(state), state.cookies)
        return
    except Exception:  # Starlette's parse errors vary by version
        await send_response(send, EarlyResponse.text(400, "The form could not be read."), [])
        return
    try:
        invocation = dispatcher.bind(state, prepared, action_id, form)
        if isinstance(invocation, EarlyResponse):
            await send_response(send, invocation, state.cookies)
            return
        value, error = await dispatcher.call_async(state, invocation)
        if error is None and _is_asgi_response(value):
            await value(scope, receive, send)
            return
        reply = dispatcher.finish(state, invocation, (value, error))
        await send_response(send, reply, state.cookies)
    finally:
        await parsed.close()


def _is_asgi_response(value: object) -> bool:
    """A Starlette/FastAPI ``Response`` returned by the action passes through."""
    try:
        from starlette.responses import Response
    except ImportError:  # pragma: no cover
        return False
    return isinstance(value, Response)
