"""Sign-in: start one, read it, and take its steps, each done by the registered strategy
the request names (:mod:`.strategies`).

When ``protect_identifier_existence`` is on (the default), an unknown email behaves
exactly like a known one until a credential is checked, and then fails the same way.
A sign-in past its ``abandon_at`` is refused with :class:`SignInExpiredError` (see
:mod:`.attempts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from threshold.core.errors import ValidationError
from threshold.core.ids import new_id
from threshold.core.records.sign_ins import SignIn, SignInStatus
from threshold.services.auth.attempts import (
    ATTEMPT_LIFETIME_MS,
    SIGN_INS,
    SignInExpiredError,
    load_attempt,
    seen_attempt,
)
from threshold.services.auth.strategies.base import Step, Strategy, StrategyKind
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.clients import ensure_client, update_client
from threshold.services.users.creation import check_identifier_allowed, normalize_email
from threshold.store.repositories import EmailRepository, SignInRepository

__all__ = [
    "FactorInput",
    "SignInExpiredError",
    "SignInStart",
    "attempt_factor",
    "create_sign_in",
    "current_sign_in",
    "get_sign_in",
    "prepare_factor",
]


@dataclass(frozen=True, slots=True)
class SignInStart:
    """``POST /v1/client/sign_ins``: the identifier, the strategy named (if any), and the
    fields of the registered strategies that the request carries (``password``,
    ``ticket``), by field name."""

    identifier: str | None = None
    strategy: str | None = None
    values: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FactorInput:
    """A ``prepare_*`` or ``attempt_*`` step: the strategy it names and, for an attempt,
    the value of the field that strategy reads."""

    strategy: str | None
    value: str | None = None


def _carried(
    strategies: list[Strategy[ServerContext, SignIn]], start: SignInStart, step: Step
) -> Strategy[ServerContext, SignIn] | None:
    """The first strategy taking ``step`` whose field the request carries."""
    return next((s for s in strategies if step in s.steps and start.values.get(s.field)), None)


async def create_sign_in(ctx: ServerContext, state: ClientState, start: SignInStart) -> SignIn:
    """Start a sign-in. A strategy that starts its own (a ticket, named or carried without
    an identifier) does it all; otherwise the sign-in is made for the identifier, and a
    credential given with it (a password) is attempted at once."""
    factors = ctx.strategies.factors(StrategyKind.FIRST_FACTOR)
    starter = ctx.strategies.factor(StrategyKind.FIRST_FACTOR, start.strategy, Step.START)
    if starter is None and not start.identifier:
        starter = _carried(factors, start, Step.START)
    if starter is not None:
        return await starter.attempt(ctx, state, None, start.values.get(starter.field))
    sign_in = await _create_for_identifier(ctx, state, start.identifier)
    given = _carried(factors, start, Step.CREATE)
    if given is None:
        return sign_in
    return await given.attempt(ctx, state, sign_in.id, start.values.get(given.field))


async def _create_for_identifier(
    ctx: ServerContext, state: ClientState, typed: str | None
) -> SignIn:
    identifier = normalize_email(typed, param="identifier")

    async def work(tx: Tx) -> SignIn:
        await check_identifier_allowed(tx, identifier, param="identifier")
        client = await ensure_client(ctx, tx, state)
        email = await EmailRepository(tx.conn).by_address(identifier)
        now = ctx.now_ms()
        sign_in = await SignInRepository(tx.conn).insert(
            SignIn(
                id=new_id("sia"),
                client_id=client.id,
                identifier=identifier,
                user_id=email.user_id if email else None,
                status=SignInStatus.NEEDS_FIRST_FACTOR,
                email_address_id=email.id if email else None,
                abandon_at=now + ATTEMPT_LIFETIME_MS,
                created_at=now,
                updated_at=now,
            )
        )
        await update_client(tx, state, replace(client, sign_in_id=sign_in.id, updated_at=now))
        return sign_in

    if not ctx.settings.protect_identifier_existence:

        async def exists(tx: Tx) -> bool:
            return await EmailRepository(tx.conn).by_address(identifier) is not None

        if not await run_transaction(ctx, exists):
            raise ValidationError(
                "Couldn't find your account.", param="identifier", code="form_identifier_not_found"
            )
    return await run_transaction(ctx, work, state=state)


async def get_sign_in(ctx: ServerContext, state: ClientState, sign_in_id: str) -> SignIn:
    """The Client's sign-in as it reads now."""

    async def work(tx: Tx) -> SignIn:
        sign_in = await load_attempt(SIGN_INS, tx, state, sign_in_id)
        return await seen_attempt(SIGN_INS, ctx, tx, sign_in)

    return await run_transaction(ctx, work, state=state)


async def current_sign_in(ctx: ServerContext, state: ClientState) -> SignIn | None:
    """The Client's sign-in in progress (``clients.sign_in_id``) as it reads now, or None."""

    async def work(tx: Tx) -> SignIn | None:
        client = state.client
        if client is None or not client.sign_in_id:
            return None
        found = await SignInRepository(tx.conn).get(client.sign_in_id)
        return None if found is None else await seen_attempt(SIGN_INS, ctx, tx, found)

    return await run_transaction(ctx, work, state=state)


def _unsupported(ctx: ServerContext, kind: StrategyKind, step: Step) -> ValidationError:
    if step == Step.PREPARE and (names := ctx.strategies.names(kind, step)):
        message = f"strategy must be {' or '.join(names)}."
    else:
        message = "Unsupported strategy."
    return ValidationError(message, param="strategy", code="form_param_value_invalid")


async def prepare_factor(
    ctx: ServerContext, state: ClientState, sign_in_id: str, kind: StrategyKind, step: FactorInput
) -> SignIn:
    """``prepare_first_factor`` / ``prepare_second_factor``: the named strategy sends what
    it will check (an emailed code: silently nothing for an address with no account)."""
    strategy = ctx.strategies.factor(kind, step.strategy, Step.PREPARE)
    if strategy is None:
        raise _unsupported(ctx, kind, Step.PREPARE)
    return await strategy.prepare(ctx, state, sign_in_id)


async def attempt_factor(
    ctx: ServerContext, state: ClientState, sign_in_id: str, kind: StrategyKind, step: FactorInput
) -> SignIn:
    """``attempt_first_factor`` / ``attempt_second_factor``: the named strategy checks the
    value it reads (a password is checked outside the write transaction)."""
    strategy = ctx.strategies.factor(kind, step.strategy, Step.ATTEMPT)
    if strategy is None:
        raise _unsupported(ctx, kind, Step.ATTEMPT)
    return await strategy.attempt(ctx, state, sign_in_id, step.value)
