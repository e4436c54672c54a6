"""A sign-in as the Frontend API shows it: the factors the registered strategies offer."""

from __future__ import annotations

import hashlib
import hmac

from threshold.core.records.sign_ins import (
    EmailFactorTarget,
    SignIn,
    SignInStatus,
    SupportedFactor,
)
from threshold.services.auth.attempts import SIGN_INS, seen_attempt
from threshold.services.auth.strategies.base import StrategyKind
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import SignInRepository, UserRepository
from threshold.wire.sign_ins import SignInView

__all__ = ["current_sign_in_view", "fake_email_id", "sign_in_view"]


def fake_email_id(ctx: ServerContext, identifier: str) -> str:
    """A stable, unguessable stand-in id for an address that has no account."""
    digest = hmac.new(ctx.instance.hmac_secret, identifier.encode(), hashlib.sha256).hexdigest()
    return "idn_" + digest[:27]


async def sign_in_view(
    ctx: ServerContext, tx: Tx, sign_in: SignIn, *, stand_in: bool
) -> SignInView:
    """``sign_in`` with its supported factors. ``stand_in``: an address with no account
    gets its factors too, with :func:`fake_email_id` (the answer to a sign-in request);
    without it, only an address with an account does (the Client's embedded sign-in).
    Second factors are listed while the sign-in waits for one: those its user can use."""
    email_id = sign_in.email_address_id
    if email_id is None and stand_in and sign_in.identifier:
        email_id = fake_email_id(ctx, sign_in.identifier)
    target = None if email_id is None else EmailFactorTarget(sign_in.identifier, email_id)
    first = [
        offered
        for strategy in ctx.strategies.factors(StrategyKind.FIRST_FACTOR)
        if (offered := strategy.offer(target)) is not None
    ]
    second = None
    if sign_in.status == SignInStatus.NEEDS_SECOND_FACTOR and sign_in.user_id is not None:
        second = await _second_factors(ctx, tx, sign_in.user_id, target)
    return SignInView(sign_in, first, second)


async def _second_factors(
    ctx: ServerContext, tx: Tx, user_id: str, target: EmailFactorTarget | None
) -> list[SupportedFactor]:
    """The registered second factors the user can use, as the sign-in offers them."""
    user = await UserRepository(tx.conn).get(user_id)
    offers: list[SupportedFactor] = []
    if user is None:
        return offers
    for strategy in ctx.strategies.factors(StrategyKind.SECOND_FACTOR):
        offered = strategy.offer(target)
        if offered is not None and await strategy.available_to(ctx, tx.conn, user):
            offers.append(offered)
    return offers


async def current_sign_in_view(ctx: ServerContext, state: ClientState) -> SignInView | None:
    """The Client's sign-in in progress as it reads now, with its factors, or None."""

    async def work(tx: Tx) -> SignInView | None:
        client = state.client
        if client is None or not client.sign_in_id:
            return None
        found = await SignInRepository(tx.conn).get(client.sign_in_id)
        if found is None:
            return None
        seen = await seen_attempt(SIGN_INS, ctx, tx, found)
        return await sign_in_view(ctx, tx, seen, stand_in=False)

    return await run_transaction(ctx, work, state=state)
