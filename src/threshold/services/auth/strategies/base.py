"""What a strategy is: one way to prove who is signing in, or to verify a sign-up's
address, behind one Protocol.

A strategy says what it is called, whether it is a first factor, a second factor or a
sign-up verification (:class:`StrategyKind`), which steps it takes (:class:`Step`),
which request field its attempt reads, how it appears in a sign-in's
``supported_first_factors`` / ``supported_second_factors``, whether a user can use it,
and does its ``prepare`` (send a code) and ``attempt`` (check what the user gives).

The Protocol is generic in the server context its methods receive, so that the
registry (which the context holds) is written without importing the context.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.records.sign_ins import EmailFactorTarget, SupportedFactor
from threshold.core.records.users import User
from threshold.services.runtime.request import ClientState

__all__ = ["Step", "Strategy", "StrategyKind"]

ContextT = TypeVar("ContextT", contravariant=True)
AttemptT = TypeVar("AttemptT", covariant=True)


class StrategyKind(StrEnum):
    """Where a strategy fits: a sign-in's first or second factor, or the verification of
    a sign-up's address."""

    FIRST_FACTOR = "first_factor"
    SECOND_FACTOR = "second_factor"
    VERIFICATION = "verification"


class Step(StrEnum):
    """The requests a strategy answers.

    ``START``: it starts a sign-in of its own (a ticket names its user). ``CREATE``: it
    can be given with the creation of a sign-in for an identifier, and is attempted right
    after (a password). ``PREPARE``: ``prepare_*`` (send something). ``ATTEMPT``:
    ``attempt_*`` (check it).
    """

    START = "start"
    CREATE = "create"
    PREPARE = "prepare"
    ATTEMPT = "attempt"


class Strategy(Protocol[ContextT, AttemptT]):
    """One registered strategy (see :class:`~.registry.StrategyRegistry`).

    ``AttemptT`` is what its steps return: the sign-in (factors) or the sign-up
    (verifications) as it stands after the step.
    """

    @property
    def name(self) -> str:
        """Clerk's name for it (``password``, ``email_code``...)."""
        ...

    @property
    def kind(self) -> StrategyKind: ...

    @property
    def steps(self) -> frozenset[Step]:
        """The steps it takes; a request for any other step is refused before it is called."""
        ...

    @property
    def field(self) -> str:
        """The request field its attempt reads (``password``, ``code``, ``ticket``)."""
        ...

    def offer(self, email: EmailFactorTarget | None) -> SupportedFactor | None:
        """How it appears among a sign-in's supported factors, for a sign-in whose address
        is ``email`` (None when it has none); None when it is not offered."""
        ...

    async def available_to(self, ctx: ContextT, conn: AsyncConnection, user: User) -> bool:
        """Whether ``user`` can use it (a second factor: whether the user set it up)."""
        ...

    async def prepare(self, ctx: ContextT, state: ClientState, attempt_id: str) -> AttemptT:
        """``prepare_*``: send what the attempt will check; returns the attempt."""
        ...

    async def attempt(
        self, ctx: ContextT, state: ClientState, attempt_id: str | None, value: str | None
    ) -> AttemptT:
        """``attempt_*``, or the creation: check ``value`` (the request's :attr:`field`)
        and move the attempt on; returns it. ``attempt_id`` is None for a strategy that
        starts its own attempt (``Step.START``)."""
        ...
