"""One Frontend API request: its Client state, its body, and how it is answered."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from threshold.server.errors import JSON
from threshold.server.forms import read_params
from threshold.server.http import client_ip, is_allowed_origin, set_auth_cookies
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.sessions.clients import client_uat
from threshold.wire.clients import ClientView, fapi_client_json

__all__ = ["FapiCall", "Json"]

Json = dict[str, Any]


class FapiCall:
    """One Frontend API request: its Client state and how to answer it."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.ctx: ServerContext = request.app.state.ctx
        self.native = request.query_params.get("_is_native") in ("1", "true")
        token = (
            request.headers.get("authorization") if self.native else request.cookies.get("__client")
        )
        if token and token.lower().startswith("bearer "):
            token = token[7:]
        origin = request.headers.get("origin")
        self.state = ClientState(
            cookie_token=token,
            user_agent=request.headers.get("user-agent"),
            ip=client_ip(request, self.ctx.settings),
            origin=origin if is_allowed_origin(origin, self.ctx.settings) else None,
        )

    def path(self, name: str) -> str:
        return str(self.request.path_params[name])

    async def params(self) -> dict[str, Any]:
        return await read_params(self.request)

    def client_json(self, view: ClientView | None) -> Json | None:
        if view is None:
            return None
        return fapi_client_json(view, self.ctx.settings.public_url, now_ms=self.ctx.now_ms())

    def answer(self, response: Json | None, view: ClientView | None) -> Response:
        """``{response, client}`` plus the cookies that keep the browser in step."""
        body = {"response": response, "client": self.client_json(view)}
        return self.finish(body, None if view is None else view.active_token)

    def finish(self, body: Json, token: str | None) -> Response:
        """``body`` with the cookies: the client token when it changed, the active
        session's ``token`` (cleared without one) and ``__client_uat``."""
        response = JSON(body)
        uat = client_uat(self.ctx, self.state.client, token is not None)
        if self.native:
            if self.state.new_token:
                response.headers["Authorization"] = self.state.new_token
        else:
            set_auth_cookies(
                response,
                self.ctx.settings,
                client_token=self.state.new_token,
                session_token=token or "",
                client_uat=uat,
            )
        response.headers["Cache-Control"] = "no-store"
        return response
