"""The strategy table: what it holds, in which order, what each step may name, and how
a sign-in's factors are offered from it."""

from __future__ import annotations

import pytest

from tests.services.fake_factor import FakeCode, with_fake_code
from threshold.core.errors import ValidationError
from threshold.core.records.sign_ins import EmailFactorTarget, SignInStatus, SupportedFactor
from threshold.services.auth import sign_in
from threshold.services.auth.sign_in import FactorInput, SignInStart
from threshold.services.auth.sign_in_view import fake_email_id, sign_in_view
from threshold.services.auth.strategies.base import Step, StrategyKind
from threshold.services.auth.strategies.shipped import default_strategies
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction

pytestmark = pytest.mark.anyio

FIRST, SECOND = StrategyKind.FIRST_FACTOR, StrategyKind.SECOND_FACTOR


def test_the_shipped_table() -> None:
    registry = default_strategies()
    assert [s.name for s in registry.factors(FIRST)] == [
        "password",
        "email_code",
        "reset_password_email_code",
        "ticket",
    ]
    assert registry.factors(SECOND) == []
    assert [s.name for s in registry.verifications()] == ["email_code"]
    assert registry.names(FIRST, Step.PREPARE) == ["email_code", "reset_password_email_code"]
    assert registry.names(FIRST, Step.ATTEMPT) == [
        "password",
        "email_code",
        "reset_password_email_code",
    ]
    assert registry.names(FIRST, Step.START) == ["ticket"]
    assert registry.names(FIRST, Step.CREATE) == ["password"]


def test_a_step_finds_only_a_strategy_that_takes_it() -> None:
    registry = default_strategies()
    password = registry.factor(FIRST, "password", Step.ATTEMPT)
    assert password is not None and password.field == "password"
    assert registry.factor(FIRST, "password", Step.PREPARE) is None
    assert registry.factor(FIRST, "ticket", Step.ATTEMPT) is None
    assert registry.factor(SECOND, "email_code", Step.ATTEMPT) is None
    assert registry.factor(FIRST, None, Step.ATTEMPT) is None
    assert registry.verification("email_code", Step.PREPARE) is not None


def test_registering_adds_a_factor_and_refuses_a_second_of_one_name() -> None:
    registry, fake = with_fake_code()
    assert registry.factors(SECOND) == [fake]
    assert registry.factor(SECOND, "test_code", Step.ATTEMPT) is fake
    with pytest.raises(ValueError, match="test_code"):
        registry.register(FakeCode())
    with pytest.raises(ValueError, match="password"):
        registry.register(default_strategies().factors(FIRST)[0])


def test_offers_follow_the_table_order() -> None:
    target = EmailFactorTarget("ada@example.com", "idn_1")
    offers = [s.offer(target) for s in default_strategies().factors(FIRST)]
    assert offers == [
        SupportedFactor("password"),
        SupportedFactor("email_code", target),
        SupportedFactor("reset_password_email_code", target),
        None,
    ]
    without_address = [s.offer(None) for s in default_strategies().factors(FIRST)]
    assert without_address == [SupportedFactor("password"), None, None, None]


async def test_an_unknown_address_is_offered_what_a_known_one_is(ctx: ServerContext) -> None:
    state = ClientState(ip="203.0.113.7")
    start = SignInStart(identifier="nobody@example.com")
    unknown = await sign_in.create_sign_in(ctx, state, start)
    assert unknown.user_id is None and unknown.email_address_id is None

    async def views(tx: Tx) -> tuple[list[str | None], list[str | None]]:
        answered = await sign_in_view(ctx, tx, unknown, stand_in=True)
        embedded = await sign_in_view(ctx, tx, unknown, stand_in=False)
        ids = [f.email.email_address_id if f.email else None for f in answered.first_factors]
        return ids, [f.strategy for f in embedded.first_factors]

    ids, embedded = await run_transaction(ctx, views)
    stand_in = fake_email_id(ctx, "nobody@example.com")
    assert ids == [None, stand_in, stand_in]
    assert embedded == ["password"]


async def test_a_step_naming_no_registered_strategy_is_refused(ctx: ServerContext) -> None:
    state = ClientState(ip="203.0.113.7")
    started = await sign_in.create_sign_in(ctx, state, SignInStart(identifier="a@example.com"))
    with pytest.raises(ValidationError) as prepare:
        await sign_in.prepare_factor(ctx, state, started.id, FIRST, FactorInput("password"))
    assert prepare.value.message == "strategy must be email_code or reset_password_email_code."
    with pytest.raises(ValidationError) as attempt:
        await sign_in.attempt_factor(ctx, state, started.id, FIRST, FactorInput("ticket", "x"))
    assert attempt.value.message == "Unsupported strategy."
    with pytest.raises(ValidationError) as second:
        await sign_in.prepare_factor(ctx, state, started.id, SECOND, FactorInput("test_code"))
    assert second.value.message == "Unsupported strategy."
    assert (await sign_in.get_sign_in(ctx, state, started.id)).status == (
        SignInStatus.NEEDS_FIRST_FACTOR
    )
