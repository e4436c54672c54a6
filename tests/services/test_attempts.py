"""The lifecycle sign-ins and sign-ups share: only the Client's own attempt is found, an
attempt past its ``abandon_at`` reads and is stored ``abandoned``, and every step
refuses it (a sign-in with ``client_state_invalid``, a sign-up with
``sign_up_cannot_be_updated``)."""

from __future__ import annotations

import pytest

from threshold.core.clock import FrozenClock
from threshold.core.errors import NotFoundError, ValidationError
from threshold.core.records.sign_ins import SignInStatus
from threshold.core.records.sign_ups import SignUpStatus
from threshold.services.auth import sign_in, sign_up
from threshold.services.auth.attempts import (
    SIGN_INS,
    SignInExpiredError,
    load_attempt,
    refuse_if_abandoned,
)
from threshold.services.auth.sign_in import FactorInput, SignInStart
from threshold.services.auth.sign_up import SignUpFields
from threshold.services.auth.strategies.base import StrategyKind
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import SignInRepository

pytestmark = pytest.mark.anyio

DAY = 24 * 3600


def _browser() -> ClientState:
    return ClientState(ip="203.0.113.7")


async def test_another_clients_attempt_is_not_found(ctx: ServerContext) -> None:
    mine, theirs = _browser(), _browser()
    started = await sign_in.create_sign_in(ctx, mine, SignInStart(identifier="a@example.com"))
    await sign_in.create_sign_in(ctx, theirs, SignInStart(identifier="b@example.com"))
    with pytest.raises(NotFoundError) as refused:
        await sign_in.get_sign_in(ctx, theirs, started.id)
    assert refused.value.param == "sign_in_id"
    with pytest.raises(NotFoundError):
        await sign_in.get_sign_in(ctx, _browser(), started.id)  # a browser with no Client


async def test_a_lapsed_sign_in_reads_and_is_stored_abandoned(
    ctx: ServerContext, clock: FrozenClock
) -> None:
    state = _browser()
    started = await sign_in.create_sign_in(ctx, state, SignInStart(identifier="a@example.com"))
    clock.advance(DAY + 1)
    seen = await sign_in.get_sign_in(ctx, state, started.id)
    assert seen.status == SignInStatus.ABANDONED

    async def stored(tx: Tx) -> SignInStatus | None:
        found = await SignInRepository(tx.conn).get(started.id)
        return None if found is None else found.status

    assert await run_transaction(ctx, stored) == SignInStatus.ABANDONED


async def test_a_step_on_a_lapsed_sign_in_is_refused_and_stores_it(
    ctx: ServerContext, clock: FrozenClock
) -> None:
    state = _browser()
    started = await sign_in.create_sign_in(ctx, state, SignInStart(identifier="a@example.com"))
    clock.advance(DAY + 1)
    with pytest.raises(SignInExpiredError) as refused:
        await sign_in.prepare_factor(
            ctx, state, started.id, StrategyKind.FIRST_FACTOR, FactorInput("email_code")
        )
    assert refused.value.code == "client_state_invalid"

    async def stored(tx: Tx) -> SignInStatus | None:
        found = await SignInRepository(tx.conn).get(started.id)
        return None if found is None else found.status

    assert await run_transaction(ctx, stored) == SignInStatus.ABANDONED


async def test_refusal_runs_the_work_it_is_given_after_the_rollback(
    ctx: ServerContext, clock: FrozenClock
) -> None:
    state = _browser()
    started = await sign_in.create_sign_in(ctx, state, SignInStart(identifier="a@example.com"))
    clock.advance(DAY + 1)
    ran: list[str] = []

    async def then(tx: Tx) -> None:
        ran.append("then")

    async def step(tx: Tx) -> None:
        found = await load_attempt(SIGN_INS, tx, state, started.id)
        refuse_if_abandoned(SIGN_INS, ctx, found, then=then)

    with pytest.raises(SignInExpiredError):
        await run_transaction(ctx, step, state=state)
    assert ran == ["then"]


async def test_a_lapsed_sign_up_is_refused_with_its_own_code(
    ctx: ServerContext, clock: FrozenClock
) -> None:
    state = _browser()
    started = await sign_up.create_sign_up(
        ctx, state, SignUpFields(email_address="new@example.com")
    )
    assert started.status == SignUpStatus.MISSING_REQUIREMENTS
    clock.advance(DAY + 1)
    with pytest.raises(ValidationError) as refused:
        await sign_up.prepare_verification(ctx, state, started.id, None)
    assert refused.value.code == "sign_up_cannot_be_updated"
    assert (await sign_up.get_sign_up(ctx, state, started.id)).status == SignUpStatus.ABANDONED
