"""The middlewares' shortcut: the request rules run on the credential headers alone.

Most requests carry a token verified a moment ago, or no credential at all. Before
building their view of the request, the middlewares hand :meth:`Shortcut.settle` the raw
``Authorization`` and ``Cookie`` values. It runs the one set of rules (``_rules.py``) on
what those two headers say, with stand-ins that give up as soon as the rules want more:
any other fact of the request (a redirect's URL, whether a page is loading), a token not
verified before, or a call to the server. Then the answer is None and the caller runs the
rules in full. A Hypothesis test holds the two runs to the same answers.

An answer is remembered for the same two header values until the first token it relied
on expires, so a repeat costs one dictionary lookup. Answers are shared between
requests: treat them as read-only.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from threshold.sdk._credentials import NONCE_PARAM, Credentials
from threshold.sdk._rules import Renewals, Rules

if TYPE_CHECKING:
    from threshold.sdk.config import SdkConfig
    from threshold.sdk.errors import TokenVerificationError
    from threshold.sdk.outcome import AuthOutcome
    from threshold.sdk.verify import Claims, Verifier

__all__ = ["Credential", "Shortcut"]

Credential = str | bytes | None
"""A credential header's value as the server gave it (ASGI: bytes, WSGI: str), or None."""
_SIZE = 1024
_MAX_KEY = 8192


class _Deferred(Exception):  # noqa: N818 - a signal between the stand-ins and settle()
    """The credential headers alone do not settle the request."""


class _NoFacts:
    """The rest of the request, unknown: every question defers to the full rules."""

    __slots__ = ()

    def _unknown(self) -> NoReturn:
        raise _Deferred

    method = property(_unknown)
    url = property(_unknown)
    origin = property(_unknown)
    is_secure = property(_unknown)
    is_document = property(_unknown)


_NO_FACTS = _NoFacts()


class _VerifiedBefore:
    """Tokens the verifier has verified before, and nothing else; ``until`` is when the
    first of those consulted stops counting."""

    __slots__ = ("_verifier", "until")

    def __init__(self, verifier: Verifier) -> None:
        self._verifier = verifier
        self.until = math.inf

    def verify_local(self, token: str) -> Claims:
        claims = self.cached(token)
        if claims is None:
            raise _Deferred
        return claims

    def needs_keys(self, error: TokenVerificationError) -> bool:
        return False

    def cached(self, token: str) -> Claims | None:
        claims = self._verifier.cached(token)
        if claims is not None:
            self.until = min(self.until, self._verifier.good_until(claims))
        return claims

    def now(self) -> float:
        return self._verifier.now()


class Shortcut:
    """The rules on the credential headers alone, for one configuration."""

    def __init__(
        self,
        config: SdkConfig,
        verifier: Verifier,
        renewals: Renewals,
        now: Callable[[], float],
    ) -> None:
        self._config = config
        self._verifier = verifier
        self._renewals = renewals
        self._now = now
        self.known: OrderedDict[tuple[Credential, Credential], tuple[float, AuthOutcome]] = (
            OrderedDict()
        )
        """Answers by (Authorization, Cookie) value, with the time they stop counting."""

    def settle(
        self, query: str | bytes, authorization: Credential, cookie: Credential
    ) -> AuthOutcome | None:
        """The outcome when the two headers settle it, else None (run the full rules).

        ``query`` is only looked at for a handshake nonce, which needs the full rules.
        """
        if query and NONCE_PARAM in (_text(query) or ""):
            return None
        key = (authorization, cookie)
        hit = self.known.get(key)
        if hit is not None and hit[0] > self._now():
            return hit[1]
        tokens = _VerifiedBefore(self._verifier)
        credentials = Credentials.of_headers(_text(authorization), _text(cookie))
        decision = Rules(self._config, tokens, self._renewals).decide(
            credentials, _NO_FACTS, interactive=True
        )
        try:
            next(decision)  # a call to the server: more than the headers say
        except StopIteration as stop:
            outcome: AuthOutcome = stop.value
        except _Deferred:
            return None
        else:
            decision.close()
            return None
        if len(authorization or b"") + len(cookie or b"") <= _MAX_KEY:
            self._remember(key, tokens.until, outcome)
        return outcome

    def _remember(
        self, key: tuple[Credential, Credential], until: float, outcome: AuthOutcome
    ) -> None:
        known = self.known
        known[key] = (until, outcome)
        if len(known) > _SIZE:
            with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                known.popitem(last=False)


def _text(value: Credential) -> str | None:
    return value.decode("latin-1") if isinstance(value, bytes) else value
