"""The second-factor seam, without HTTP: a registered second factor a user can use turns
a right first factor into ``needs_second_factor``, and only that factor's right answer
creates the session. With none registered, nothing changes."""

from __future__ import annotations

import pytest

from tests.services.fake_factor import FakeCode
from threshold.core.errors import CodeIncorrectError, ValidationError
from threshold.core.records.sign_ins import SignInStatus, SupportedFactor
from threshold.services.auth import sign_in
from threshold.services.auth.sign_in import FactorInput, SignInStart
from threshold.services.auth.sign_in_view import current_sign_in_view
from threshold.services.auth.strategies.base import StrategyKind
from threshold.services.auth.strategies.registry import StrategyRegistry
from threshold.services.auth.strategies.shipped import default_strategies
from threshold.services.auth.tickets import create_sign_in_token
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.sessions.client_view import client_view
from threshold.services.users.directory import UserCreation, create_user_admin
from threshold.services.users.passwords import PasswordInput

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery staple"
SECOND = StrategyKind.SECOND_FACTOR


@pytest.fixture
def fake() -> FakeCode:
    return FakeCode()


@pytest.fixture
def strategies(fake: FakeCode) -> StrategyRegistry[ServerContext]:
    """The shipped strategies and the fake second factor."""
    registry = default_strategies()
    registry.register(fake)
    return registry


async def _user(ctx: ServerContext, address: str) -> str:
    creation = UserCreation(email_addresses=(address,), password=PasswordInput(password=PASSWORD))
    return (await create_user_admin(ctx, creation)).user.id


def _browser() -> ClientState:
    return ClientState(ip="203.0.113.7", user_agent="pytest")


async def _password_sign_in(ctx: ServerContext, state: ClientState, address: str) -> sign_in.SignIn:
    start = SignInStart(identifier=address, values={"password": PASSWORD})
    return await sign_in.create_sign_in(ctx, state, start)


async def test_a_user_without_the_factor_signs_in_with_the_password_alone(
    ctx: ServerContext, fake: FakeCode
) -> None:
    await _user(ctx, "plain@example.com")
    state = _browser()
    done = await _password_sign_in(ctx, state, "plain@example.com")
    assert done.status == SignInStatus.COMPLETE and done.created_session_id
    view = await client_view(ctx, state)
    assert view is not None and view.active_token is not None


async def test_a_right_password_waits_for_the_second_factor_without_a_session(
    ctx: ServerContext, fake: FakeCode
) -> None:
    fake.codes[await _user(ctx, "ada@example.com")] = "246810"
    state = _browser()
    waiting = await _password_sign_in(ctx, state, "ada@example.com")
    assert waiting.status == SignInStatus.NEEDS_SECOND_FACTOR
    assert waiting.created_session_id is None and waiting.strategy == "password"
    view = await client_view(ctx, state)
    assert view is not None
    assert view.sessions == [] and view.active_token is None
    assert view.client.last_active_session_id is None
    assert view.sign_in is not None
    assert view.sign_in.second_factors == [SupportedFactor("test_code")]
    assert view.sign_in.first_factors[0].strategy == "password"


async def test_only_the_right_code_creates_the_session(ctx: ServerContext, fake: FakeCode) -> None:
    fake.codes[await _user(ctx, "ada@example.com")] = "246810"
    state = _browser()
    waiting = await _password_sign_in(ctx, state, "ada@example.com")
    prepared = await sign_in.prepare_factor(
        ctx, state, waiting.id, SECOND, FactorInput("test_code")
    )
    assert fake.prepared == [waiting.id] and prepared.second_factor_strategy == "test_code"
    with pytest.raises(CodeIncorrectError):
        await sign_in.attempt_factor(ctx, state, waiting.id, SECOND, FactorInput("test_code", "1"))
    still = await sign_in.get_sign_in(ctx, state, waiting.id)  # as stored
    assert still.status == SignInStatus.NEEDS_SECOND_FACTOR and still.created_session_id is None
    assert still.second_factor_strategy == "test_code"
    right = FactorInput("test_code", "246810")
    done = await sign_in.attempt_factor(ctx, state, waiting.id, SECOND, right)
    assert done.status == SignInStatus.COMPLETE and done.created_session_id
    assert done.second_factor_strategy == "test_code"
    view = await client_view(ctx, state)
    assert view is not None and view.active_token is not None
    assert view.client.last_active_session_id == done.created_session_id


async def test_a_second_factor_step_is_refused_before_the_first_factor(
    ctx: ServerContext, fake: FakeCode
) -> None:
    fake.codes[await _user(ctx, "ada@example.com")] = "246810"
    state = _browser()
    started = await sign_in.create_sign_in(ctx, state, SignInStart(identifier="ada@example.com"))
    right = FactorInput("test_code", "246810")
    with pytest.raises(ValidationError) as refused:
        await sign_in.attempt_factor(ctx, state, started.id, SECOND, right)
    assert refused.value.code == "client_state_invalid"
    with pytest.raises(ValidationError) as unknown:
        await sign_in.attempt_factor(ctx, state, started.id, SECOND, FactorInput("totp", "1"))
    assert unknown.value.message == "Unsupported strategy."


async def test_an_emailed_code_and_a_ticket_wait_for_the_second_factor_too(
    ctx: ServerContext, fake: FakeCode
) -> None:
    address = "grace+clerk_test@example.com"  # test mode: code 424242, no email
    user_id = await _user(ctx, address)
    fake.codes[user_id] = "13579"
    state = _browser()
    started = await sign_in.create_sign_in(ctx, state, SignInStart(identifier=address))
    first = StrategyKind.FIRST_FACTOR
    await sign_in.prepare_factor(ctx, state, started.id, first, FactorInput("email_code"))
    coded = FactorInput("email_code", "424242")
    waiting = await sign_in.attempt_factor(ctx, state, started.id, first, coded)
    assert waiting.status == SignInStatus.NEEDS_SECOND_FACTOR

    issued = await create_sign_in_token(ctx, user_id, None)
    other = _browser()
    ticket = SignInStart(strategy="ticket", values={"ticket": issued.secret})
    by_ticket = await sign_in.create_sign_in(ctx, other, ticket)
    assert by_ticket.status == SignInStatus.NEEDS_SECOND_FACTOR
    assert by_ticket.created_session_id is None and by_ticket.abandon_at > by_ticket.created_at
    current = await current_sign_in_view(ctx, other)  # the page's step finds it
    assert current is not None and current.sign_in.id == by_ticket.id
    done = await sign_in.attempt_factor(
        ctx, other, by_ticket.id, SECOND, FactorInput("test_code", "13579")
    )
    assert done.status == SignInStatus.COMPLETE
