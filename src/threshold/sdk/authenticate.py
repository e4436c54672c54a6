"""Deciding who a request is from: Bearer or cookie token, handshake, server-side renew.

The decision is written once, as a generator that *yields* the network calls it needs
(:class:`HttpCall`, or :data:`NEED_KEYS` for a JWKS refresh) and *returns* an
:class:`AuthOutcome`. :meth:`Authenticator.authenticate_sync` and
:meth:`Authenticator.authenticate_async` run it with httpx's sync or async client
(``_runner.py``), so WSGI and ASGI share every rule. The rules are in ``_rules.py``, the
vocabulary in ``outcome.py``.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from typing import Any

from threshold.core.clock import Clock, SystemClock
from threshold.sdk._http_clients import HttpClients
from threshold.sdk._rules import decide, decide_known, handshake_possible
from threshold.sdk._runner import DecisionRunner
from threshold.sdk.actions.dispatch import ActionDispatcher
from threshold.sdk.config import SdkConfig
from threshold.sdk.http import RequestInfo
from threshold.sdk.outcome import AuthOutcome, Decision
from threshold.sdk.verify import Verifier

__all__ = ["Authenticator", "Credential"]

Credential = str | bytes | None
"""A credential header's value as the server gave it (ASGI: bytes, WSGI: str), or None."""
_KNOWN_SIZE = 1024
_KNOWN_MAX_KEY = 8192


class Authenticator:
    """The SDK for one configuration: verifier, HTTP clients and the request rules."""

    def __init__(
        self, config: SdkConfig | None = None, *, clock: Clock | None = None, **settings: Any
    ) -> None:
        self.config = SdkConfig.resolve(config, **settings)
        clock = clock or SystemClock()
        self.verifier = Verifier(self.config, clock=clock)
        self._now = clock.now
        self.clients = HttpClients(self.config)
        self.runner = DecisionRunner(self.clients, self.verifier.jwks)
        self._renewals: OrderedDict[str, str] = OrderedDict()
        self._known: OrderedDict[tuple[Credential, Credential], tuple[float, AuthOutcome]] = (
            OrderedDict()
        )
        self._actions: ActionDispatcher | None = None

    @property
    def actions(self) -> ActionDispatcher:
        """The server-action dispatcher (needs a secret key or an action secret)."""
        if self._actions is None:
            self._actions = ActionDispatcher(self.config)
        return self._actions

    def renewal_of(self, token: str) -> str | None:
        """The token a recent server-side renew gave for ``token``, if any."""
        return self._renewals.get(token)

    def remember_renewal(self, old: str, new: str) -> None:
        """Let concurrent requests with the same expired token reuse one renewal."""
        self._renewals[old] = new
        while len(self._renewals) > 1024:
            self._renewals.popitem(last=False)

    # -- deciding -------------------------------------------------------------------------
    def decision(self, request: RequestInfo, *, interactive: bool = True) -> Decision:
        """The decision for ``request`` as a generator (see the module docstring).

        ``interactive`` is False where no redirect or cookie can be sent (websockets).
        """
        return decide(self, request, interactive)

    def authenticate_known(
        self, method: str, query: str | bytes, authorization: Credential, cookie: Credential
    ) -> AuthOutcome | None:
        """The outcome from the credential headers alone, when they settle it (a token
        verified before, or none at all); None means: build the request, run the full rules.

        The middlewares ask this first. The answer for the same two header values is
        remembered until its token expires, so a repeat costs one dictionary lookup.
        Outcomes are shared between requests: treat them as read-only.
        """
        if query and handshake_possible(self, method, _text(query) or ""):
            return None
        key = (authorization, cookie)
        hit = self._known.get(key)
        if hit is not None and hit[0] > self._now():
            return hit[1]
        outcome = decide_known(self, _text(authorization), _text(cookie))
        if outcome is not None and len(authorization or b"") + len(cookie or b"") <= _KNOWN_MAX_KEY:
            claims = outcome.claims
            deadline = self.verifier.good_until(claims) if claims is not None else math.inf
            known = self._known
            known[key] = (deadline, outcome)
            if len(known) > _KNOWN_SIZE:
                with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                    known.popitem(last=False)
        return outcome

    def authenticate_sync(self, request: RequestInfo, *, interactive: bool = True) -> AuthOutcome:
        """Decide with blocking HTTP calls (WSGI, Django sync)."""
        return self.runner.run_sync(self.decision(request, interactive=interactive))

    async def authenticate_async(
        self, request: RequestInfo, *, interactive: bool = True
    ) -> AuthOutcome:
        """Decide with async HTTP calls (ASGI, Django async)."""
        return await self.runner.run_async(self.decision(request, interactive=interactive))


def _text(value: Credential) -> str | None:
    return value.decode("latin-1") if isinstance(value, bytes) else value
