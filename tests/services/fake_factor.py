"""A second factor made up for the tests: a code per user, which the test knows.

It is registered the documented way (``StrategyRegistry.register`` on the shipped
registry, handed to the server) and does its steps through the seam's helpers
(``choose_second_factor`` and ``check_second_factor``), as a real one would.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import CodeIncorrectError
from threshold.core.records.sign_ins import EmailFactorTarget, SignIn, SupportedFactor
from threshold.core.records.users import User
from threshold.services.auth.second_factor import check_second_factor, choose_second_factor
from threshold.services.auth.strategies.base import Step, StrategyKind
from threshold.services.auth.strategies.registry import StrategyRegistry
from threshold.services.auth.strategies.shipped import default_strategies
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx

__all__ = ["FakeCode", "with_fake_code"]


class FakeCode:
    """``test_code``: users in :attr:`codes` have it; their code is the value there."""

    name = "test_code"
    kind = StrategyKind.SECOND_FACTOR
    steps = frozenset({Step.PREPARE, Step.ATTEMPT})
    field = "code"

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        """The users who set it up, by id, with their code."""
        self.prepared: list[str] = []
        """The sign-ins it was prepared for."""

    def offer(self, email: EmailFactorTarget | None) -> SupportedFactor | None:
        return SupportedFactor(self.name)

    async def available_to(self, ctx: ServerContext, conn: AsyncConnection, user: User) -> bool:
        return user.id in self.codes

    async def prepare(self, ctx: ServerContext, state: ClientState, attempt_id: str) -> SignIn:
        async def send(tx: Tx, sign_in: SignIn, user: User) -> None:
            self.prepared.append(sign_in.id)

        return await choose_second_factor(ctx, state, attempt_id, self.name, send)

    async def attempt(
        self, ctx: ServerContext, state: ClientState, attempt_id: str | None, value: str | None
    ) -> SignIn:
        assert attempt_id is not None

        async def check(tx: Tx, sign_in: SignIn, user: User) -> None:
            if value is None or value != self.codes.get(user.id):
                raise CodeIncorrectError(param="code")

        return await check_second_factor(ctx, state, attempt_id, self.name, check)


def with_fake_code() -> tuple[StrategyRegistry[ServerContext], FakeCode]:
    """The shipped strategies with a :class:`FakeCode` registered as a second factor."""
    fake = FakeCode()
    registry = default_strategies()
    registry.register(fake)
    return registry, fake
