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

Most requests carry a token verified a moment ago, or no credential at all. For them
:func:`decide_known` gives ``decide``'s answer from the credential headers alone, before
the middleware builds its view of the request; a test holds the two to the same answers.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from threshold.sdk.errors import TokenVerificationError
from threshold.sdk.http import (
    EarlyResponse,
    RequestInfo,
    build_cookie,
    delete_cookie,
    header_safe,
    parse_cookies,
    url_without_params,
)
from threshold.sdk.outcome import NEED_KEYS, AuthOutcome, Decision, HttpCall, HttpReply
from threshold.sdk.verify import Claims

if TYPE_CHECKING:
    from collections.abc import Generator

    from threshold.sdk.authenticate import Authenticator
    from threshold.sdk.outcome import NeedKeys

__all__ = [
    "MAX_HANDSHAKES",
    "NONCE_PARAM",
    "REDIRECT_COUNT",
    "SESSION_COOKIE",
    "UAT_COOKIE",
    "decide",
    "decide_known",
    "handshake_possible",
]

log = logging.getLogger("threshold.sdk")

SESSION_COOKIE = "__session"
UAT_COOKIE = "__client_uat"
NONCE_PARAM = "__clerk_handshake_nonce"
REDIRECT_COUNT = "__clerk_redirect_count"
MAX_HANDSHAKES = 3
_DIRECTIVE = re.compile(r"(__session|__client_uat|__clerk_db_jwt)(_[A-Za-z0-9_-]{1,16})?=")
_TIME_SUFFIX = {
    "token-expired": "expired",
    "token-not-active-yet": "nbf",
    "token-iat-in-the-future": "iat-in-the-future",
}

Verified = tuple[Claims | None, TokenVerificationError | None]


def decide(sdk: Authenticator, request: RequestInfo, interactive: bool) -> Decision:
    """The rules above, as a generator of network calls returning an outcome."""
    config = sdk.config
    if interactive and request.method == "GET" and config.api_url and config.secret_key:
        nonce = request.query_param(NONCE_PARAM)
        if nonce:
            outcome = yield from _resolve_handshake(sdk, request, nonce)
            if outcome is not None:
                return outcome
            interactive = False
    bearer = bearer_token(request.headers.get("authorization"))
    if bearer is not None:
        claims, error = yield from _verify(sdk, bearer)
        if claims is not None:
            return AuthOutcome(claims, bearer, "")
        assert error is not None
        return AuthOutcome(None, None, error.reason)
    return (yield from _cookie_path(sdk, request, interactive))


def handshake_possible(sdk: Authenticator, method: str, query: str) -> bool:
    """True when rule 1 (a handshake nonce in a GET's query) might apply."""
    config = sdk.config
    return method == "GET" and NONCE_PARAM in query and bool(config.api_url and config.secret_key)


def decide_known(
    sdk: Authenticator, authorization: str | None, cookie: str | None
) -> AuthOutcome | None:
    """``decide``'s outcome when the credential headers alone settle it, else None.

    Settled: a Bearer token or session cookie that ``sdk.verifier`` has verified before
    (and that is not older than ``__client_uat``), or no credential at all. Anything
    else (a token not seen yet, an expired one) returns None: run :func:`decide` with
    the whole request. The caller checks :func:`handshake_possible` first.
    """
    bearer = bearer_token(authorization)
    if bearer is not None:
        claims = sdk.verifier.cached(bearer)
        return AuthOutcome(claims, bearer, "") if claims is not None else None
    cookies = parse_cookies(cookie)
    token = cookies.get(SESSION_COOKIE) or None
    uat = _uat(cookies.get(UAT_COOKIE))
    if token is None:
        return None if uat else AuthOutcome(None, None, "session-token-missing")
    claims = sdk.verifier.cached(token)
    if claims is None or _stale_reason(claims, uat):
        return None
    return AuthOutcome(claims, token, "")


def bearer_token(value: str | None) -> str | None:
    """``Bearer <t>`` or a bare token; other schemes are ignored."""
    if not value:
        return None
    value = value.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    if " " not in value and value.count(".") == 2:
        return value
    return None


def _verify(sdk: Authenticator, token: str) -> Generator[NeedKeys, HttpReply | None, Verified]:
    verifier = sdk.verifier
    try:
        return verifier.verify_local(token), None
    except TokenVerificationError as exc:
        if not verifier.needs_keys(exc):
            return None, exc
    yield NEED_KEYS
    try:
        return verifier.verify_local(token), None
    except TokenVerificationError as exc:
        return None, exc


def _uat(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return max(int(value), 0)
    except ValueError:
        return None


def _cookie_path(sdk: Authenticator, request: RequestInfo, interactive: bool) -> Decision:
    cookies = request.cookies
    token = cookies.get(SESSION_COOKIE) or None
    uat = _uat(cookies.get(UAT_COOKIE))
    count = _uat(cookies.get(REDIRECT_COUNT)) or 0
    may_handshake = (
        interactive and request.is_document and bool(sdk.config.api_url) and count < MAX_HANDSHAKES
    )
    if token is None:
        if uat and may_handshake:
            return _handshake(sdk, request, "client-uat-but-no-session-token", count)
        return AuthOutcome(None, None, "session-token-missing")
    claims, error = yield from _verify(sdk, token)
    if claims is not None:
        reason = _stale_reason(claims, uat)
        if not reason:
            return AuthOutcome(claims, token, "")
        if may_handshake:
            return _handshake(sdk, request, reason, count)
        if uat and _may_renew(sdk, claims, interactive):
            return (yield from _renew(sdk, request, token, claims))
        return AuthOutcome(None, None, reason, stale_session_id=_sid(claims))
    assert error is not None
    if error.claims is not None and uat != 0:
        if may_handshake:
            reason = "session-token-expired-refresh-" + _TIME_SUFFIX.get(error.reason, "expired")
            return _handshake(sdk, request, reason, count)
        if error.reason == "token-expired" and _may_renew(sdk, error.claims, interactive):
            return (yield from _renew(sdk, request, token, error.claims))
    stale = _sid(error.claims) if error.claims is not None else None
    return AuthOutcome(None, None, error.reason, stale_session_id=stale)


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


def _may_renew(sdk: Authenticator, claims: Claims, interactive: bool) -> bool:
    config = sdk.config
    if not (interactive and config.api_url and config.secret_key):
        return False
    expired_for = sdk.verifier.now() - _number(claims.get("exp"))
    return expired_for <= config.renew_window


def _handshake(sdk: Authenticator, request: RequestInfo, reason: str, count: int) -> AuthOutcome:
    query = urlencode({"redirect_url": request.url, "format": "nonce", "__clerk_hs_reason": reason})
    location = f"{sdk.config.api_url}/v1/client/handshake?{query}"
    counter = build_cookie(
        REDIRECT_COUNT, str(count + 1), max_age=3, http_only=True, secure=request.is_secure
    )
    return AuthOutcome(
        None, None, reason, response=EarlyResponse.redirect(location, 307, [counter])
    )


def _api_headers(sdk: Authenticator) -> dict[str, str]:
    return {"Authorization": f"Bearer {sdk.config.secret_key}", "Accept": "application/json"}


def _resolve_handshake(
    sdk: Authenticator, request: RequestInfo, nonce: str
) -> Generator[HttpCall, HttpReply | None, AuthOutcome | None]:
    url = f"{sdk.config.api_url}/v1/clients/handshake_payload?{urlencode({'nonce': nonce})}"
    reply = yield HttpCall("GET", url, _api_headers(sdk))
    body = reply.body if reply is not None and reply.status == 200 else None
    directives = body.get("directives") if isinstance(body, dict) else None
    if not isinstance(directives, list):
        log.warning("threshold: handshake payload unavailable (HTTP %s)", reply and reply.status)
        return None
    cookies = [
        d for d in directives if isinstance(d, str) and header_safe(d) and _DIRECTIVE.match(d)
    ]
    if len(cookies) != len(directives):
        log.warning(
            "threshold: ignored %d bad handshake directives", len(directives) - len(cookies)
        )
    target = url_without_params(request.url, [NONCE_PARAM])
    return AuthOutcome(
        None, None, "handshake", response=EarlyResponse.redirect(target, 307, cookies)
    )


def _renew(sdk: Authenticator, request: RequestInfo, token: str, claims: Claims) -> Decision:
    secure = request.is_secure
    known = sdk.renewal_of(token)
    fresh = sdk.verifier.cached(known) if known else None
    if known and fresh is not None:
        return AuthOutcome(fresh, known, "", [_session_cookie(known, secure)])
    sid = str(claims.get("sid"))
    headers = {**_api_headers(sdk), "Origin": request.origin, "Content-Type": "application/json"}
    url = f"{sdk.config.api_url}/v1/sessions/{quote(sid, safe='')}/tokens"
    reply = yield HttpCall("POST", url, headers, json={})
    status = reply.status if reply is not None else 0
    body = reply.body if reply is not None else None
    jwt = body.get("jwt") if isinstance(body, dict) else None
    if status == 200 and isinstance(jwt, str):
        new_claims, _ = yield from _verify(sdk, jwt)
        if (
            new_claims is not None
            and new_claims.get("sid") == sid
            and new_claims.get("sub") == claims.get("sub")
        ):
            sdk.remember_renewal(token, jwt)
            return AuthOutcome(new_claims, jwt, "", [_session_cookie(jwt, secure)])
        log.warning("threshold: the renewed session token did not verify")
        return AuthOutcome(None, None, "session-token-renew-invalid", stale_session_id=sid)
    if 400 <= status < 500:
        gone = delete_cookie(SESSION_COOKIE, secure=secure)
        return AuthOutcome(None, None, "session-token-renew-refused", [gone], stale_session_id=sid)
    log.warning("threshold: could not renew the session token (HTTP %s)", status)
    return AuthOutcome(None, None, "session-token-renew-failed", stale_session_id=sid)


def _session_cookie(token: str, secure: bool) -> str:
    return build_cookie(SESSION_COOKIE, token, secure=secure)
