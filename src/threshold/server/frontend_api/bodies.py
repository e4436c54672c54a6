"""Frontend API bodies, parsed into the services' inputs.

A body arrives as a mapping of form fields (or a JSON object). Text fields must be text;
a wrong type is refused with the error a missing or malformed field gets, so that a
service only ever sees ``str`` or None. ``strategy`` is read as text whatever its type:
a name no strategy has is refused by the step itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from threshold.core.errors import ValidationError
from threshold.core.records.unset import UNSET, Unset
from threshold.services.auth.sign_in import FactorInput, SignInStart
from threshold.services.auth.sign_up import SignUpFields
from threshold.services.auth.strategies.base import Step, StrategyKind
from threshold.services.runtime.context import ServerContext

__all__ = ["factor_input", "optional_text", "sign_in_start", "sign_up_fields", "strategy_of"]

Params = Mapping[str, Any]


def optional_text(params: Params, key: str) -> str | None:
    """The field as text; None when absent or not text (a service then says it is missing)."""
    value = params.get(key)
    return value if isinstance(value, str) else None


def _text(params: Params, key: str, refusal: ValidationError) -> str | None:
    """The field as text, None when absent; ``refusal`` when it is something else."""
    value = params.get(key)
    if value is None or isinstance(value, str):
        return value
    raise refusal


def strategy_of(params: Params) -> str | None:
    """The ``strategy`` field, as text."""
    value = params.get("strategy")
    return None if value is None else value if isinstance(value, str) else str(value)


def sign_in_start(ctx: ServerContext, params: Params) -> SignInStart:
    """``POST /v1/client/sign_ins``: the identifier, the strategy, and the fields read by
    the registered first factors that a creation can carry (``password``, ``ticket``)."""
    missing = ValidationError(
        "Enter an email address.", param="identifier", code="form_param_missing"
    )
    factors = ctx.strategies.factors(StrategyKind.FIRST_FACTOR)
    fields = {s.field for s in factors if s.steps & {Step.START, Step.CREATE}}
    values = {
        name: _text(params, name, ValidationError(f"{name} must be a string.", param=name))
        for name in sorted(fields)
        if name in params
    }
    return SignInStart(
        identifier=_text(params, "identifier", missing),
        strategy=strategy_of(params),
        values=values,
    )


def factor_input(ctx: ServerContext, params: Params, kind: StrategyKind, step: Step) -> FactorInput:
    """A ``prepare_*`` or ``attempt_*`` step: the strategy, and for an attempt the field
    that strategy reads (the registry says which)."""
    name = strategy_of(params)
    if step != Step.ATTEMPT:
        return FactorInput(name)
    strategy = ctx.strategies.factor(kind, name, step)
    return FactorInput(name, None if strategy is None else optional_text(params, strategy.field))


def _given(params: Params, key: str, refusal: ValidationError) -> str | Unset | None:
    return _text(params, key, refusal) if key in params else UNSET


def _metadata(params: Params) -> Mapping[str, Any] | Unset | None:
    if "unsafe_metadata" not in params:
        return UNSET
    value = params["unsafe_metadata"] or {}
    if not isinstance(value, dict):
        raise ValidationError("unsafe_metadata must be an object.", param="unsafe_metadata")
    return value


def sign_up_fields(params: Params) -> SignUpFields:
    """``POST`` or ``PATCH /v1/client/sign_ups``: the fields sent (``UNSET`` the others)."""
    ticket = _text(params, "ticket", ValidationError("ticket must be a string.", param="ticket"))
    return SignUpFields(
        email_address=_given(
            params,
            "email_address",
            ValidationError(
                "Enter an email address.", param="email_address", code="form_param_missing"
            ),
        ),
        password=_text(
            params,
            "password",
            ValidationError("Enter a password.", param="password", code="form_param_missing"),
        ),
        first_name=_given(
            params,
            "first_name",
            ValidationError("first_name must be a string.", param="first_name"),
        ),
        last_name=_given(
            params, "last_name", ValidationError("last_name must be a string.", param="last_name")
        ),
        unsafe_metadata=_metadata(params),
        ticket=ticket or None,
    )
