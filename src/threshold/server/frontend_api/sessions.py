"""``/v1/client/sessions``: switch to, end or remove a session, refresh its token, and
sign out of every session."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from threshold.core.errors import ValidationError
from threshold.core.records.clients import SessionStatus
from threshold.server.errors import JSON
from threshold.server.frontend_api.call import FapiCall
from threshold.services.sessions import browser
from threshold.services.sessions.client_view import client_view, session_answer
from threshold.wire.sessions import fapi_session_json, token_json

__all__ = ["end_all_sessions", "session_action"]

_ENDINGS = {"end": SessionStatus.ENDED, "remove": SessionStatus.REMOVED}


async def session_action(request: Request) -> Response:
    call = FapiCall(request)
    ctx, sid, action = call.ctx, call.path("id"), call.path("action")
    if action == "tokens":
        return await _refresh_token(call, sid)
    if action == "touch":
        session = await browser.make_active(ctx, call.state, sid)
    elif action in _ENDINGS:
        session = await browser.end_session(ctx, call.state, sid, _ENDINGS[action])
    else:
        raise ValidationError("Unknown session action.", code="resource_not_found")
    view, client = await session_answer(ctx, call.state, session)
    public_url = ctx.settings.public_url
    return call.answer(fapi_session_json(view, public_url, now_ms=ctx.now_ms()), client)


async def _refresh_token(call: FapiCall, sid: str) -> Response:
    """``POST /v1/client/sessions/{id}/tokens``: read-only, plus a rare activity write."""
    jwt = await browser.refresh_token(call.ctx, call.state, sid)
    response = JSON(token_json(jwt))
    response.headers["Cache-Control"] = "no-store"
    return response


async def end_all_sessions(request: Request) -> Response:
    call = FapiCall(request)
    await browser.end_all_sessions(call.ctx, call.state)
    view = await client_view(call.ctx, call.state)
    return call.answer(call.client_json(view), view)
