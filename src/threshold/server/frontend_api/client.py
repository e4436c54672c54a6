"""The Client itself: read, create, end; the environment; the handshake; the JWKS."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from threshold.core.errors import ValidationError
from threshold.server.errors import JSON
from threshold.server.frontend_api.call import FapiCall
from threshold.server.http import origin_of, safe_redirect
from threshold.services.runtime.context import ServerContext
from threshold.services.sessions import browser
from threshold.services.sessions.client_view import client_view
from threshold.services.sessions.handshake import handshake_parameter
from threshold.wire.clients import ClientView

__all__ = ["create_client", "delete_client", "environment", "get_client", "handshake", "jwks"]


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
    return _client_answer(call, await client_view(call.ctx, call.state))


def _client_answer(call: FapiCall, view: ClientView | None) -> Response:
    """The Client as the ``response`` too."""
    return call.answer(call.client_json(view), view)


async def create_client(request: Request) -> Response:
    call = FapiCall(request)
    await browser.start_client(call.ctx, call.state)
    return _client_answer(call, await client_view(call.ctx, call.state))


async def delete_client(request: Request) -> Response:
    call = FapiCall(request)
    await browser.end_client(call.ctx, call.state)
    response = call.finish({"response": None, "client": None}, None)
    response.delete_cookie("__client", path="/")
    return response


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
    by_nonce = request.query_params.get("format", "token") == "nonce"
    call = FapiCall(request)
    param = await handshake_parameter(
        ctx,
        call.state,
        azp=origin_of(redirect_url),
        secure=redirect_url.startswith("https://"),
        by_nonce=by_nonce,
    )
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
