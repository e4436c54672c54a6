"""``/v1/me``: the signed-in user, as clerk-js's User resource reads and changes it.

Every route acts for the session clerk-js names in ``_clerk_session_id`` (the Client's
active one without it), checked in the same transaction as the work
(:func:`threshold.services.sessions.current.signed_in`). Answers are ``{response,
client}`` like the rest of the Frontend API. Routes for one concept live in a module of
their own next to this one and use :class:`MeCall`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from threshold.server.frontend_api.call import FapiCall
from threshold.services.sessions import current
from threshold.services.sessions.client_view import client_view
from threshold.wire.users import user_json

__all__ = ["MeCall", "get_me"]


class MeCall(FapiCall):
    """A ``/v1/me`` request: a Frontend API request that names its session."""

    @property
    def session_id(self) -> str | None:
        """The session clerk-js acts through (``_clerk_session_id``), if it named one."""
        return self.request.query_params.get("_clerk_session_id") or None


async def get_me(request: Request) -> Response:
    """``GET /v1/me``: the signed-in user (401 when signed out)."""
    call = MeCall(request)
    view = await current.me(call.ctx, call.state, call.session_id)
    client = await client_view(call.ctx, call.state)
    public_url = call.ctx.settings.public_url
    return call.answer(user_json(view, public_url, now_ms=call.ctx.now_ms(), private=False), client)
