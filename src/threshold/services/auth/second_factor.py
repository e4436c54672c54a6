"""The second factor: where a sign-in waits after its first factor, for users who set
one up.

When a first factor is verified (:func:`finish_first_factor`), the registered second
factors are asked whether the user can use them. If one can, the sign-in ends in
``needs_second_factor``, without a session; the session is created only when
``attempt_second_factor`` succeeds. With no second factor registered, or none the user
set up, the first factor completes the sign-in as it always did.

A second-factor strategy (``StrategyKind.SECOND_FACTOR``) does its steps with
:func:`choose_second_factor` (``prepare``) and :func:`check_second_factor` (``attempt``),
giving them what is its own: what to send, and how to check what the user typed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from threshold.core.errors import AccountBannedError, ThresholdError, ValidationError
from threshold.core.records.sign_ins import SignIn, SignInStatus
from threshold.core.records.users import User
from threshold.services.auth.attempts import (
    SIGN_INS,
    audit_sign_in_failure,
    audit_sign_in_success,
    load_attempt,
    open_sign_in_identifier,
    refuse_if_abandoned,
    sign_in_limits,
)
from threshold.services.auth.strategies.base import StrategyKind
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.sessions import create_session
from threshold.services.users.passwords import lockout_error
from threshold.store.repositories import SignInRepository, UserRepository

__all__ = [
    "SecondFactorCheck",
    "check_second_factor",
    "choose_second_factor",
    "finish_first_factor",
    "has_second_factor",
]

SecondFactorCheck = Callable[[Tx, SignIn, User], Awaitable[None]]
"""What a second-factor strategy does inside the attempt's transaction: check (or send)
for this sign-in and its user, raising a :class:`ThresholdError` to refuse."""


async def has_second_factor(ctx: ServerContext, tx: Tx, user: User) -> bool:
    """Whether any registered second factor is one ``user`` can use."""
    for strategy in ctx.strategies.factors(StrategyKind.SECOND_FACTOR):
        if await strategy.available_to(ctx, tx.conn, user):
            return True
    return False


async def finish_first_factor(
    ctx: ServerContext,
    tx: Tx,
    state: ClientState,
    sign_in: SignIn,
    user: User,
    *,
    strategy: str,
    user_changes: Mapping[str, Any] | None = None,
) -> SignIn:
    """``strategy`` verified the first factor of ``sign_in`` for ``user`` (both read in
    this transaction). ``user_changes`` are written to the user either way (a verified
    password clears the failure count). Without a second factor to ask for, a session is
    created and the sign-in completes; otherwise it waits for one."""
    now = ctx.now_ms()
    if await has_second_factor(ctx, tx, user):
        if user_changes:
            await UserRepository(tx.conn).update(user, replace(user, **user_changes))
        done = replace(
            sign_in, status=SignInStatus.NEEDS_SECOND_FACTOR, strategy=strategy, updated_at=now
        )
    else:
        session = await create_session(ctx, tx, state, user, user_changes=user_changes)
        done = replace(
            sign_in,
            status=SignInStatus.COMPLETE,
            strategy=strategy,
            created_session_id=session.id,
            updated_at=now,
        )
    return await SignInRepository(tx.conn).update(sign_in, done)


async def _waiting(ctx: ServerContext, tx: Tx, state: ClientState, sign_in_id: str) -> SignIn:
    """The Client's sign-in, refused unless it waits for a second factor."""
    sign_in = await load_attempt(SIGN_INS, tx, state, sign_in_id)
    refuse_if_abandoned(SIGN_INS, ctx, sign_in)
    if sign_in.status != SignInStatus.NEEDS_SECOND_FACTOR:
        raise ValidationError(
            "This sign-in cannot take a second factor now.",
            param="strategy",
            code="client_state_invalid",
        )
    return sign_in


async def _signing_in(tx: Tx, sign_in: SignIn) -> User:
    user = await UserRepository(tx.conn).get(sign_in.user_id) if sign_in.user_id else None
    if user is None or user.banned:
        raise AccountBannedError()
    return user


async def choose_second_factor(
    ctx: ServerContext,
    state: ClientState,
    sign_in_id: str,
    strategy: str,
    send: SecondFactorCheck | None = None,
) -> SignIn:
    """``prepare_second_factor``: the sign-in will be verified by ``strategy``; ``send``
    sends what the user will type, if the strategy sends anything."""

    async def work(tx: Tx) -> SignIn:
        sign_in = await _waiting(ctx, tx, state, sign_in_id)
        user = await _signing_in(tx, sign_in)
        chosen = replace(sign_in, second_factor_strategy=strategy, updated_at=ctx.now_ms())
        chosen = await SignInRepository(tx.conn).update(sign_in, chosen)
        if send is not None:
            await send(tx, chosen, user)
        return chosen

    identifier = await open_sign_in_identifier(ctx, state, sign_in_id)
    limits = sign_in_limits(ctx, state, identifier)
    return await run_transaction(ctx, work, limits=limits, state=state)


async def check_second_factor(
    ctx: ServerContext,
    state: ClientState,
    sign_in_id: str,
    strategy: str,
    check: SecondFactorCheck,
) -> SignIn:
    """``attempt_second_factor``: ``check`` what the user gave; when it passes, create the
    session and complete the sign-in. Counted against the sign-in's rate limits, and
    audited as sign-ins are."""

    async def work(tx: Tx) -> SignIn:
        sign_in = await _waiting(ctx, tx, state, sign_in_id)
        user = await _signing_in(tx, sign_in)
        try:
            await check(tx, sign_in, user)
        except ThresholdError as exc:
            audit_sign_in_failure(state, exc, strategy, sign_in)
            raise
        if (locked := lockout_error(ctx, user)) is not None:
            raise locked
        session = await create_session(ctx, tx, state, user)
        done = replace(
            sign_in,
            status=SignInStatus.COMPLETE,
            second_factor_strategy=strategy,
            created_session_id=session.id,
            updated_at=ctx.now_ms(),
        )
        return await SignInRepository(tx.conn).update(sign_in, done)

    identifier = await open_sign_in_identifier(ctx, state, sign_in_id)
    limits = sign_in_limits(ctx, state, identifier)
    result = await run_transaction(ctx, work, limits=limits, state=state)
    return audit_sign_in_success(state, result)
