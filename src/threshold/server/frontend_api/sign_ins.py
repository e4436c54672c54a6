"""``/v1/client/sign_ins``: start a sign-in, read it, take its steps."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from threshold.core.errors import ValidationError
from threshold.core.records.sign_ins import SignIn
from threshold.server.frontend_api.bodies import factor_input, optional_text, sign_in_start
from threshold.server.frontend_api.call import FapiCall
from threshold.services.auth import password_reset, sign_in
from threshold.services.auth.strategies.base import Step, StrategyKind
from threshold.services.sessions.client_view import sign_in_answer
from threshold.wire.sign_ins import sign_in_json

__all__ = ["create_sign_in", "get_sign_in", "sign_in_step"]

_FACTOR_STEPS = {
    "prepare_first_factor": (StrategyKind.FIRST_FACTOR, Step.PREPARE),
    "attempt_first_factor": (StrategyKind.FIRST_FACTOR, Step.ATTEMPT),
    "prepare_second_factor": (StrategyKind.SECOND_FACTOR, Step.PREPARE),
    "attempt_second_factor": (StrategyKind.SECOND_FACTOR, Step.ATTEMPT),
}


async def _answer(call: FapiCall, found: SignIn) -> Response:
    view, client = await sign_in_answer(call.ctx, call.state, found)
    return call.answer(sign_in_json(view), client)


async def create_sign_in(request: Request) -> Response:
    call = FapiCall(request)
    start = sign_in_start(call.ctx, await call.params())
    return await _answer(call, await sign_in.create_sign_in(call.ctx, call.state, start))


async def get_sign_in(request: Request) -> Response:
    call = FapiCall(request)
    return await _answer(call, await sign_in.get_sign_in(call.ctx, call.state, call.path("id")))


async def sign_in_step(request: Request) -> Response:
    call = FapiCall(request)
    ctx, sid, step = call.ctx, call.path("id"), call.path("step")
    params = await call.params()
    if step in _FACTOR_STEPS:
        kind, which = _FACTOR_STEPS[step]
        given = factor_input(ctx, params, kind, which)
        if which == Step.PREPARE:
            found = await sign_in.prepare_factor(ctx, call.state, sid, kind, given)
        else:
            found = await sign_in.attempt_factor(ctx, call.state, sid, kind, given)
    elif step == "reset_password":
        password = optional_text(params, "password")
        found = await password_reset.reset_password(ctx, call.state, sid, password)
    else:
        raise ValidationError("Unknown sign-in action.", code="resource_not_found")
    return await _answer(call, found)
