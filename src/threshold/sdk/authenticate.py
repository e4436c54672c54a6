"""Deciding who a request is from: Bearer or cookie token, handshake, server-side renew.

The decision is written once, as a generator that *yields* the network calls it needs
(:class:`HttpCall`, or :data:`NEED_KEYS` for a JWKS refresh) and *returns* an
:class:`AuthOutcome`. :meth:`Authenticator.authenticate_sync` and
:meth:`Authenticator.authenticate_async` run it with httpx's sync or async client
(``_runner.py``), so WSGI and ASGI share every rule. The rules are in ``_rules.py``, the
vocabulary in ``outcome.py``.
"""

from __future__ import annotations

from typing import Any

from threshold.core.clock import Clock, SystemClock
from threshold.sdk._credentials import Credentials
from threshold.sdk._http_clients import HttpClients
from threshold.sdk._rules import Renewals, Rules
from threshold.sdk._runner import DecisionRunner
from threshold.sdk._shortcut import Credential, Shortcut
from threshold.sdk.config import SdkConfig
from threshold.sdk.http import RequestInfo
from threshold.sdk.outcome import AuthOutcome, Decision
from threshold.sdk.verify import Verifier

__all__ = ["Authenticator", "Credential"]


class Authenticator:
    """The SDK for one configuration: the token ``verifier``, the request ``rules``, the
    ``runner`` that makes their calls with the HTTP ``clients``, and the middlewares'
    ``shortcut``. Server actions are the adapters' (they own an ``ActionDispatcher``).
    """

    def __init__(
        self, config: SdkConfig | None = None, *, clock: Clock | None = None, **settings: Any
    ) -> None:
        self.config = SdkConfig.resolve(config, **settings)
        clock = clock or SystemClock()
        self.verifier = Verifier(self.config, clock=clock)
        self.clients = HttpClients(self.config)
        self.runner = DecisionRunner(self.clients, self.verifier.jwks)
        renewals = Renewals()
        self.rules = Rules(self.config, self.verifier, renewals)
        self.shortcut = Shortcut(self.config, self.verifier, renewals, clock.now)

    # -- deciding -------------------------------------------------------------------------
    def decision(self, request: RequestInfo, *, interactive: bool = True) -> Decision:
        """The decision for ``request`` as a generator (see the module docstring).

        ``interactive`` is False where no redirect or cookie can be sent (websockets).
        """
        return self.rules.decide(Credentials.of_request(request), request, interactive)

    def authenticate_known(
        self, method: str, query: str | bytes, authorization: Credential, cookie: Credential
    ) -> AuthOutcome | None:
        """The outcome from the credential headers alone, when they settle it (a token
        verified before, or none at all); None means: build the request, run the full rules.

        The middlewares ask this first (see ``_shortcut.py``). The answer for the same two
        header values is remembered until its token expires, so a repeat costs one
        dictionary lookup. Outcomes are shared between requests: treat them as read-only.
        ``method`` is not needed: no rule settles anything from it without the rest of
        the request.
        """
        return self.shortcut.settle(query, authorization, cookie)

    def authenticate_sync(self, request: RequestInfo, *, interactive: bool = True) -> AuthOutcome:
        """Decide with blocking HTTP calls (WSGI, Django sync)."""
        return self.runner.run_sync(self.decision(request, interactive=interactive))

    async def authenticate_async(
        self, request: RequestInfo, *, interactive: bool = True
    ) -> AuthOutcome:
        """Decide with async HTTP calls (ASGI, Django async)."""
        return await self.runner.run_async(self.decision(request, interactive=interactive))
