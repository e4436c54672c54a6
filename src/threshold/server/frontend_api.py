"""The Frontend API (``/v1/client/...``): what browsers and clerk-js talk to.

Bodies arrive form-urlencoded (JSON accepted too); answers are ``{response, client}``.
The browser's Client is the ``__client`` cookie (or ``Authorization`` for native apps).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from threshold.core.errors import SignedOutError, ValidationError
from threshold.server.errors import JSON
from threshold.server.fapi_json import client_json, session_fapi_json, sign_in_json, sign_up_json
from threshold.server.forms import read_params
from threshold.server.http import (
    client_ip,
    is_allowed_origin,
    origin_of,
    safe_redirect,
    set_auth_cookies,
)
from threshold.services.auth import sign_in, sign_up
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, keeping_refusals, run_transaction
from threshold.services.sessions import clients, liveness, tokens
from threshold.services.sessions import sessions as sess
from threshold.services.sessions.handshake import build_directives, create_nonce
from threshold.store.repositories import ClientRepository, SessionRepository

__all__ = ["FapiCall", "routes"]

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

    async def params(self) -> dict[str, Any]:
        return await read_params(self.request)

    async def answer(self, build: Callable[[Tx], Awaitable[Json | None]]) -> Response:
        """``{response, client}`` plus the cookies that keep the browser in step."""
        ctx = self.ctx
        origin = self.state.origin

        async def work(tx: Tx) -> tuple[Json | None, Json | None]:
            return await build(tx), await client_json(ctx, tx, self.state.client, origin=origin)

        response_obj, client_obj = await run_transaction(ctx, work, state=self.state)
        return self.finish({"response": response_obj, "client": client_obj}, client_obj)

    async def answer_client(self) -> Response:
        """Answer with the Client itself as the ``response``."""

        async def build(tx: Tx) -> Json | None:
            return await client_json(self.ctx, tx, self.state.client, origin=self.state.origin)

        return await self.answer(build)

    def finish(self, body: Json, client_obj: Json | None) -> Response:
        response = JSON(body)
        token = None
        if client_obj is not None:
            active = client_obj["last_active_session_id"]
            for s in client_obj["sessions"]:
                if s["id"] == active and s.get("last_active_token"):
                    token = s["last_active_token"]["jwt"]
        uat = clients.client_uat(self.ctx, self.state.client, token is not None)
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


def _path(request: Request, name: str) -> str:
    return str(request.path_params[name])


async def environment(request: Request) -> Response:
    ctx: ServerContext = request.app.state.ctx
    settings = ctx.settings
    return JSON(
        {
            "object": "environment",
            "auth_config": {
                "object": "auth_config",
                "id": "aac_" + ctx.instance.id[4:],
                "single_session_mode": False,
                "claimed_at": None,
                "reverification": False,
            },
            "display_config": {
                "object": "display_config",
                "id": "display_config_" + ctx.instance.id[4:],
                "instance_environment_type": settings.environment,
                "application_name": settings.app_name,
                "home_url": settings.public_url,
                "sign_in_url": settings.public_url + "/sign-in",
                "sign_up_url": settings.public_url + "/sign-up",
                "user_profile_url": settings.public_url + "/user",
                "after_sign_in_url": settings.after_sign_in_url,
                "after_sign_up_url": settings.after_sign_in_url,
                "after_sign_out_one_url": settings.public_url + "/sign-in",
                "after_sign_out_all_url": settings.public_url + "/sign-in",
                "branded": False,
            },
            "user_settings": {
                "attributes": {
                    "email_address": {
                        "enabled": True,
                        "required": True,
                        "used_for_first_factor": True,
                        "first_factors": ["email_code"],
                        "verifications": ["email_code"],
                        "verify_at_sign_up": True,
                    },
                    "password": {"enabled": True, "required": True},
                    "first_name": {"enabled": True, "required": False},
                    "last_name": {"enabled": True, "required": False},
                },
                "sign_in": {"second_factor": {"required": False}},
                "sign_up": {"mode": "public", "progressive": True},
                "password_settings": {
                    "min_length": ctx.policy.min_length,
                    "max_length": ctx.policy.max_length,
                },
            },
            "organization_settings": {"enabled": False},
            "maintenance_mode": False,
        }
    )


async def get_client(request: Request) -> Response:
    call = FapiCall(request)

    return await call.answer_client()


async def create_client(request: Request) -> Response:
    call = FapiCall(request)

    async def work(tx: Tx) -> None:
        await clients.ensure_client(call.ctx, tx, call.state)

    await run_transaction(call.ctx, work, state=call.state)
    return await call.answer_client()


async def delete_client(request: Request) -> Response:
    call = FapiCall(request)

    async def work(tx: Tx) -> None:
        await sess.end_client_sessions(call.ctx, tx, call.state)
        if call.state.client is not None:
            await ClientRepository(tx.conn).update(call.state.client["id"], ended=True)

    await run_transaction(call.ctx, work, state=call.state)
    response = call.finish({"response": None, "client": None}, None)
    response.delete_cookie("__client", path="/")
    return response


async def create_sign_in(request: Request) -> Response:
    call = FapiCall(request)
    row = await sign_in.create_sign_in(call.ctx, call.state, await call.params())
    return await call.answer(lambda tx: _sign_in(call, row))


async def _sign_in(call: FapiCall, row: Json) -> Json | None:
    fake = sign_in.fake_email_id(call.ctx, row["identifier"]) if row.get("identifier") else None
    return sign_in_json(row, fake)


async def get_sign_in(request: Request) -> Response:
    call = FapiCall(request)
    row = await sign_in.get_sign_in(call.ctx, call.state, _path(request, "id"))
    return await call.answer(lambda tx: _sign_in(call, row))


async def sign_in_step(request: Request) -> Response:
    call = FapiCall(request)
    sid, step = _path(request, "id"), _path(request, "step")
    params = await call.params()
    if step == "prepare_first_factor":
        row = await sign_in.prepare_first_factor(call.ctx, call.state, sid, params)
    elif step == "attempt_first_factor":
        row = await sign_in.attempt_first_factor(call.ctx, call.state, sid, params)
    elif step == "reset_password":
        row = await sign_in.reset_password(call.ctx, call.state, sid, params.get("password"))
    else:
        raise ValidationError("Unknown sign-in action.", code="resource_not_found")
    return await call.answer(lambda tx: _sign_in(call, row))


async def create_sign_up(request: Request) -> Response:
    call = FapiCall(request)
    row = await sign_up.create_sign_up(call.ctx, call.state, await call.params())

    async def build(tx: Tx) -> Json | None:
        return sign_up_json(row)

    return await call.answer(build)


async def sign_up_step(request: Request) -> Response:
    call = FapiCall(request)
    sid = _path(request, "id")
    step = request.path_params.get("step")
    params = await call.params()
    if step is None and request.method == "PATCH":
        row = await sign_up.update_sign_up(call.ctx, call.state, sid, params)
    elif step is None:
        row = await sign_up.get_sign_up(call.ctx, call.state, sid)
    elif step == "prepare_verification":
        row = await sign_up.prepare_verification(call.ctx, call.state, sid, params.get("strategy"))
    elif step == "attempt_verification":
        row = await sign_up.attempt_verification(call.ctx, call.state, sid, params.get("code"))
    else:
        raise ValidationError("Unknown sign-up action.", code="resource_not_found")

    async def build(tx: Tx) -> Json | None:
        return sign_up_json(row)

    return await call.answer(build)


async def session_action(request: Request) -> Response:
    call = FapiCall(request)
    ctx, sid = call.ctx, _path(request, "id")
    action = _path(request, "action")
    if action not in ("touch", "end", "remove", "tokens"):
        raise ValidationError("Unknown session action.", code="resource_not_found")
    if call.state.cookie_token is None:
        raise SignedOutError()
    if action == "tokens":
        return await _refresh_token(call, sid)

    async def work(tx: Tx) -> Json:
        if call.state.client is None:
            raise SignedOutError()
        client_id = call.state.client["id"]
        if action == "touch":
            session = await sess.touch_session(ctx, tx, call.state, sid)
        else:
            status = "ended" if action == "end" else "removed"
            session = await sess.set_session_status(ctx, tx, sid, status, client_id=client_id)
        return dict(session)

    result = await run_transaction(ctx, work, state=call.state)

    async def build(tx: Tx) -> Json | None:
        fresh = await SessionRepository(tx.conn).get(sid)
        return await session_fapi_json(
            ctx, tx, fresh or result, origin=call.state.origin, with_token=False
        )

    return await call.answer(build)


async def _refresh_token(call: FapiCall, sid: str) -> Response:
    """``POST /v1/client/sessions/{id}/tokens``: read-only, plus a rare activity write."""
    ctx = call.ctx

    async with keeping_refusals(ctx):
        jwt, stale = await tokens.mint_for_refresh(
            ctx, sid, client_token=call.state.cookie_token, origin=call.state.origin
        )
    if stale is not None:

        async def touch(tx: Tx) -> None:
            await liveness.record_activity(ctx, tx, stale)

        await run_transaction(ctx, touch)
    response = JSON({"object": "token", "jwt": jwt})
    response.headers["Cache-Control"] = "no-store"
    return response


async def end_all_sessions(request: Request) -> Response:
    call = FapiCall(request)

    async def work(tx: Tx) -> None:
        await sess.end_client_sessions(call.ctx, tx, call.state)

    await run_transaction(call.ctx, work, state=call.state)
    return await call.answer_client()


async def handshake(request: Request) -> Response:
    """``GET /v1/client/handshake``: Clerk's handshake. Reads this browser's ``__client``
    cookie and redirects to ``redirect_url`` with the app's cookies as Set-Cookie
    directives: behind a nonce that the app's backend trades for them (``format=nonce``),
    or inside a signed JWT (``format=token``, the default). docs/sdk.md has the SDK's side.
    """
    ctx: ServerContext = request.app.state.ctx
    redirect_url = safe_redirect(request.query_params.get("redirect_url"), ctx.settings)
    if redirect_url is None or redirect_url.startswith("/"):
        raise ValidationError(
            "redirect_url must be an absolute URL on an allowed origin.",
            param="redirect_url",
            code="form_param_value_invalid",
        )
    fmt = request.query_params.get("format", "token")
    call = FapiCall(request)
    azp = origin_of(redirect_url)
    secure = redirect_url.startswith("https://")

    async def work(tx: Tx) -> str:
        directives = await build_directives(ctx, tx, call.state, azp=azp, secure=secure)
        if fmt == "nonce":
            return "__clerk_handshake_nonce=" + await create_nonce(ctx, tx, directives)
        now = ctx.now_s()
        payload = {"handshake": directives, "iat": now, "exp": now + 60}
        return "__clerk_handshake=" + ctx.keyring.sign(payload)

    param = await run_transaction(ctx, work, state=call.state)
    sep = "&" if "?" in redirect_url else "?"
    response = RedirectResponse(redirect_url + sep + param, status_code=307)
    response.headers["Cache-Control"] = "no-store"
    return response


async def jwks(request: Request) -> Response:
    ctx: ServerContext = request.app.state.ctx
    await ctx.keyring.maybe_refresh()
    response = JSON(ctx.keyring.jwks())
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def sign_in_url(ctx: ServerContext, redirect_url: str | None) -> str:
    query = urlencode({"redirect_url": redirect_url}) if redirect_url else ""
    return f"{ctx.settings.public_url}/sign-in" + (f"?{query}" if query else "")


routes = [
    # Starlette tries routes in order: the busiest (token refresh, every ~50 s per
    # signed-in tab) comes first. No other route has this shape.
    Route("/v1/client/sessions/{id}/{action}", session_action, methods=["POST"]),
    Route("/v1/environment", environment, methods=["GET"]),
    Route("/v1/client", get_client, methods=["GET"]),
    Route("/v1/client", create_client, methods=["POST", "PUT"]),
    Route("/v1/client", delete_client, methods=["DELETE"]),
    Route("/v1/client/handshake", handshake, methods=["GET"]),
    Route("/v1/client/sign_ins", create_sign_in, methods=["POST"]),
    Route("/v1/client/sign_ins/{id}", get_sign_in, methods=["GET"]),
    Route("/v1/client/sign_ins/{id}/{step}", sign_in_step, methods=["POST"]),
    Route("/v1/client/sign_ups", create_sign_up, methods=["POST"]),
    Route("/v1/client/sign_ups/{id}", sign_up_step, methods=["GET", "PATCH"]),
    Route("/v1/client/sign_ups/{id}/{step}", sign_up_step, methods=["POST"]),
    Route("/v1/client/sessions", end_all_sessions, methods=["DELETE"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
]
