"""The one table of strategies that the Frontend API, the hosted pages and the services
consult: what to offer, which strategy a step names, how a sign-up is verified.

``strategies.shipped.default_strategies()`` makes one holding what Threshold ships
(password, email code, password reset by email code, sign-in ticket; the sign-up's email
code). A deployment, or a test, adds a strategy with :meth:`StrategyRegistry.register`
before the server is built, and passes the registry to
``create_app(settings, strategies=...)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar, cast

from threshold.core.records.sign_ins import SignIn
from threshold.core.records.sign_ups import SignUp
from threshold.services.auth.strategies.base import Step, Strategy, StrategyKind

__all__ = ["StrategyRegistry"]

ContextT = TypeVar("ContextT")


class StrategyRegistry(Generic[ContextT]):
    """Strategies by kind, in the order they were registered (the order the factors are
    offered in)."""

    def __init__(self, strategies: Iterable[Strategy[ContextT, Any]] = ()) -> None:
        self._by_kind: dict[StrategyKind, list[Strategy[ContextT, Any]]] = {
            kind: [] for kind in StrategyKind
        }
        for strategy in strategies:
            self.register(strategy)

    def register(self, strategy: Strategy[ContextT, SignIn] | Strategy[ContextT, SignUp]) -> None:
        """Add a strategy. Factors (first or second) step a sign-in, verifications a
        sign-up. A second name of one kind is refused (``ValueError``)."""
        same_kind = self._by_kind[strategy.kind]
        if any(s.name == strategy.name for s in same_kind):
            raise ValueError(f"a {strategy.kind.value} strategy named {strategy.name!r} exists")
        same_kind.append(strategy)

    def factors(self, kind: StrategyKind) -> list[Strategy[ContextT, SignIn]]:
        """The first or second factors, in order."""
        assert kind != StrategyKind.VERIFICATION
        return cast("list[Strategy[ContextT, SignIn]]", list(self._by_kind[kind]))

    def verifications(self) -> list[Strategy[ContextT, SignUp]]:
        """The ways to verify a sign-up's address, in order."""
        found = self._by_kind[StrategyKind.VERIFICATION]
        return cast("list[Strategy[ContextT, SignUp]]", list(found))

    def factor(
        self, kind: StrategyKind, name: str | None, step: Step
    ) -> Strategy[ContextT, SignIn] | None:
        """The factor of this kind and name that takes ``step``, if one is registered."""
        return next((s for s in self.factors(kind) if s.name == name and step in s.steps), None)

    def verification(self, name: str, step: Step) -> Strategy[ContextT, SignUp] | None:
        """The sign-up verification of this name that takes ``step``, if registered."""
        return next((s for s in self.verifications() if s.name == name and step in s.steps), None)

    def names(self, kind: StrategyKind, step: Step) -> list[str]:
        """The names of the strategies of this kind that take ``step``."""
        return [s.name for s in self._by_kind[kind] if step in s.steps]
