"""The request rules: which token counts, when to handshake, when to renew.

1. ``__clerk_handshake_nonce`` in a GET's query: fetch the handshake payload, set its
   cookies, and redirect to the same URL without the nonce.
2. ``Authorization: Bearer <t>`` (or a bare token): verify it; never handshake or renew.
3. The ``__session`` cookie, read with ``__client_uat`` (seconds of the client's last
   sign-in/out; ``0`` = signed out):
   - valid, and minted after the last sign-in (``iat >= uat``) → signed in;
   - expired, or older than ``uat``, or missing while ``uat > 0``: a page load
     (document GET) handshakes with the server; any other request with a validly
     signed token expired less than ``renew_window`` ago is renewed server-side, so a
     form posted from a page left open still runs as its user;
   - anything else → signed out.

A missing ``__client_uat`` cookie is treated as unknown (a valid token signs in);
``__clerk_redirect_count`` stops handshake loops after three redirects.

The rules read the credentials first (:class:`~threshold.sdk._credentials.Credentials`)
and the rest of the request (:class:`RequestFacts`) only where a rule needs it, such as
the URL of a redirect or whether a page is loading; tokens are checked through a
:class:`TokenCheck`. That is what lets the middlewares' shortcut (``_shortcut.py``) run
these same rules on the credential headers alone.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from threshold.sdk._credentials import SESSION_COOKIE
from threshold.sdk._handshake import api_headers, handshake_redirect, resolve_handshake
from threshold.sdk.errors import TokenVerificationError
from threshold.sdk.http import build_cookie, delete_cookie
from threshold.sdk.outcome import NEED_KEYS, AuthOutcome, Decision, HttpCall, HttpReply
from threshold.sdk.verify import Claims

if TYPE_CHECKING:
    from collections.abc import Generator

    from threshold.sdk._credentials import Credentials, RequestFacts
    from threshold.sdk.config import SdkConfig
    from threshold.sdk.outcome import NeedKeys

__all__ = ["MAX_HANDSHAKES", "Renewals", "Rules", "TokenCheck"]

log = logging.getLogger("threshold.sdk")

MAX_HANDSHAKES = 3
_TIME_SUFFIX = {
    "token-expired": "expired",
    "token-not-active-yet": "nbf",
    "token-iat-in-the-future": "iat-in-the-future",
}

Verified = tuple[Claims | None, TokenVerificationError | None]


class TokenCheck(Protocol):
    """How the rules verify a token (the SDK's ``Verifier``)."""

    def verify_local(self, token: str) -> Claims: ...
    def needs_keys(self, error: TokenVerificationError) -> bool: ...
    def cached(self, token: str) -> Claims | None: ...
    def now(self) -> float: ...


class Renewals:
    """Recent server-side renewals (expired token → new token), so concurrent requests
    with the same expired token share one renewal."""

    def __init__(self, size: int = 1024) -> None:
        self._tokens: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def of(self, token: str) -> str | None:
        """The token a recent renewal gave for ``token``, if any."""
        return self._tokens.get(token)

    def remember(self, old: str, new: str) -> None:
        """Note that ``old`` was renewed as ``new``."""
        self._tokens[old] = new
        while len(self._tokens) > self._size:
            self._tokens.popitem(last=False)


class Rules:
    """The rules above for one configuration, checking tokens with ``tokens``."""

    __slots__ = ("config", "renewals", "tokens")

    def __init__(self, config: SdkConfig, tokens: TokenCheck, renewals: Renewals) -> None:
        self.config = config
        self.tokens = tokens
        self.renewals = renewals

    def decide(
        self, credentials: Credentials, request: RequestFacts, interactive: bool
    ) -> Decision:
        """The rules, as a generator of network calls returning an outcome.

        ``interactive`` is False where no redirect or cookie can be sent (websockets).
        """
        config, nonce = self.config, credentials.handshake_nonce
        if (
            nonce
            and interactive
            and config.api_url
            and config.secret_key
            and request.method == "GET"
        ):
            outcome = yield from resolve_handshake(self.config, request, nonce)
            if outcome is not None:
                return outcome
            interactive = False
        bearer = credentials.bearer
        if bearer is not None:
            claims, error = yield from self._verify(bearer)
            if claims is not None:
                return AuthOutcome(claims, bearer, "")
            assert error is not None
            return AuthOutcome(None, None, error.reason)
        return (yield from self._cookie_path(credentials, request, interactive))

    def _verify(self, token: str) -> Generator[NeedKeys, HttpReply | None, Verified]:
        tokens = self.tokens
        try:
            return tokens.verify_local(token), None
        except TokenVerificationError as exc:
            if not tokens.needs_keys(exc):
                return None, exc
        yield NEED_KEYS
        try:
            return tokens.verify_local(token), None
        except TokenVerificationError as exc:
            return None, exc

    def _cookie_path(
        self, credentials: Credentials, request: RequestFacts, interactive: bool
    ) -> Decision:
        token, uat = credentials.session, credentials.client_uat
        if token is None:
            if uat and self._may_handshake(credentials, request, interactive):
                return self._handshake(request, "client-uat-but-no-session-token", credentials)
            return AuthOutcome(None, None, "session-token-missing")
        claims, error = yield from self._verify(token)
        if claims is not None:
            reason = _stale_reason(claims, uat)
            if not reason:
                return AuthOutcome(claims, token, "")
            if self._may_handshake(credentials, request, interactive):
                return self._handshake(request, reason, credentials)
            if uat and self._may_renew(claims, interactive):
                return (yield from self._renew(request, token, claims))
            return AuthOutcome(None, None, reason, stale_session_id=_sid(claims))
        assert error is not None
        if error.claims is not None and uat != 0:
            if self._may_handshake(credentials, request, interactive):
                suffix = _TIME_SUFFIX.get(error.reason, "expired")
                return self._handshake(
                    request, "session-token-expired-refresh-" + suffix, credentials
                )
            if error.reason == "token-expired" and self._may_renew(error.claims, interactive):
                return (yield from self._renew(request, token, error.claims))
        stale = _sid(error.claims) if error.claims is not None else None
        return AuthOutcome(None, None, error.reason, stale_session_id=stale)

    def _may_handshake(
        self, credentials: Credentials, request: RequestFacts, interactive: bool
    ) -> bool:
        """A page load may be redirected to the server (what the request is comes last:
        the rest can be read from the credentials alone)."""
        return (
            interactive
            and bool(self.config.api_url)
            and credentials.redirect_count < MAX_HANDSHAKES
            and request.is_document
        )

    def _handshake(
        self, request: RequestFacts, reason: str, credentials: Credentials
    ) -> AuthOutcome:
        return handshake_redirect(self.config, request, reason, credentials.redirect_count)

    def _may_renew(self, claims: Claims, interactive: bool) -> bool:
        config = self.config
        if not (interactive and config.api_url and config.secret_key):
            return False
        expired_for = self.tokens.now() - _number(claims.get("exp"))
        return expired_for <= config.renew_window

    def _renew(self, request: RequestFacts, token: str, claims: Claims) -> Decision:
        secure = request.is_secure
        known = self.renewals.of(token)
        fresh = self.tokens.cached(known) if known else None
        if known and fresh is not None:
            return AuthOutcome(fresh, known, "", [_session_cookie(known, secure)])
        sid = str(claims.get("sid"))
        headers = {**api_headers(self.config), "Origin": request.origin}
        headers["Content-Type"] = "application/json"
        url = f"{self.config.api_url}/v1/sessions/{quote(sid, safe='')}/tokens"
        reply = yield HttpCall("POST", url, headers, json={})
        status = reply.status if reply is not None else 0
        body = reply.body if reply is not None else None
        jwt = body.get("jwt") if isinstance(body, dict) else None
        if status == 200 and isinstance(jwt, str):
            new_claims, _ = yield from self._verify(jwt)
            if (
                new_claims is not None
                and new_claims.get("sid") == sid
                and new_claims.get("sub") == claims.get("sub")
            ):
                self.renewals.remember(token, jwt)
                return AuthOutcome(new_claims, jwt, "", [_session_cookie(jwt, secure)])
            log.warning("threshold: the renewed session token did not verify")
            return AuthOutcome(None, None, "session-token-renew-invalid", stale_session_id=sid)
        if 400 <= status < 500:
            gone = delete_cookie(SESSION_COOKIE, secure=secure)
            return AuthOutcome(
                None, None, "session-token-renew-refused", [gone], stale_session_id=sid
            )
        log.warning("threshold: could not renew the session token (HTTP %s)", status)
        return AuthOutcome(None, None, "session-token-renew-failed", stale_session_id=sid)


def _stale_reason(claims: Claims, uat: int | None) -> str:
    """Why a valid session cookie does not count after ``__client_uat``; "" if it does."""
    if uat == 0:
        return "session-token-but-no-client-uat"
    if uat is not None and _number(claims.get("iat")) < uat:
        return "session-token-iat-before-client-uat"
    return ""


def _sid(claims: Claims) -> str | None:
    sid = claims.get("sid")
    return sid if isinstance(sid, str) else None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _session_cookie(token: str, secure: bool) -> str:
    return build_cookie(SESSION_COOKIE, token, secure=secure)
