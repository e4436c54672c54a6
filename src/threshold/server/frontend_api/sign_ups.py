"""``/v1/client/sign_ups``: start a sign-up, read or change it, verify its address."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from threshold.core.errors import ValidationError
from threshold.core.records.sign_ups import SignUp
from threshold.server.frontend_api.bodies import optional_text, sign_up_fields, strategy_of
from threshold.server.frontend_api.call import FapiCall
from threshold.services.auth import sign_up
from threshold.services.sessions.client_view import sign_up_answer
from threshold.wire.sign_ups import sign_up_json

__all__ = ["create_sign_up", "sign_up_step"]


async def _answer(call: FapiCall, found: SignUp) -> Response:
    view, client = await sign_up_answer(call.ctx, call.state, found)
    return call.answer(sign_up_json(view), client)


async def create_sign_up(request: Request) -> Response:
    call = FapiCall(request)
    fields = sign_up_fields(await call.params())
    return await _answer(call, await sign_up.create_sign_up(call.ctx, call.state, fields))


async def sign_up_step(request: Request) -> Response:
    call = FapiCall(request)
    ctx, state, sid = call.ctx, call.state, call.path("id")
    step = request.path_params.get("step")
    params = await call.params()
    if step is None and request.method == "PATCH":
        found = await sign_up.update_sign_up(ctx, state, sid, sign_up_fields(params))
    elif step is None:
        found = await sign_up.get_sign_up(ctx, state, sid)
    elif step == "prepare_verification":
        found = await sign_up.prepare_verification(ctx, state, sid, strategy_of(params))
    elif step == "attempt_verification":
        code = optional_text(params, "code")
        found = await sign_up.verify_sign_up(ctx, state, sid, strategy_of(params), code)
    else:
        raise ValidationError("Unknown sign-up action.", code="resource_not_found")
    return await _answer(call, found)
