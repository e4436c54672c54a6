"""The handshake with the server (COMPAT §2), as the request rules carry it out.

A page load whose session cookie cannot be trusted is redirected to the server
(:func:`handshake_redirect`), which reads its own cookie and sends the browser back with
``__clerk_handshake_nonce``; the nonce is traded for ``Set-Cookie`` directives
(:func:`resolve_handshake`) and the browser is redirected to the page without it.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from threshold.sdk._credentials import NONCE_PARAM, REDIRECT_COUNT
from threshold.sdk.http import EarlyResponse, build_cookie, header_safe, url_without_params
from threshold.sdk.outcome import AuthOutcome, HttpCall, HttpReply

if TYPE_CHECKING:
    from collections.abc import Generator

    from threshold.sdk._credentials import RequestFacts
    from threshold.sdk.config import SdkConfig

__all__ = ["api_headers", "handshake_redirect", "resolve_handshake"]

log = logging.getLogger("threshold.sdk")

_DIRECTIVE = re.compile(r"(__session|__client_uat|__clerk_db_jwt)(_[A-Za-z0-9_-]{1,16})?=")


def api_headers(config: SdkConfig) -> dict[str, str]:
    """The headers of the rules' Backend API calls (the secret key as Bearer token)."""
    return {"Authorization": f"Bearer {config.secret_key}", "Accept": "application/json"}


def handshake_redirect(
    config: SdkConfig, request: RequestFacts, reason: str, count: int
) -> AuthOutcome:
    """Send the browser to the server's handshake (the ``count``-th redirect so far)."""
    query = urlencode({"redirect_url": request.url, "format": "nonce", "__clerk_hs_reason": reason})
    location = f"{config.api_url}/v1/client/handshake?{query}"
    counter = build_cookie(
        REDIRECT_COUNT, str(count + 1), max_age=3, http_only=True, secure=request.is_secure
    )
    return AuthOutcome(
        None, None, reason, response=EarlyResponse.redirect(location, 307, [counter])
    )


def resolve_handshake(
    config: SdkConfig, request: RequestFacts, nonce: str
) -> Generator[HttpCall, HttpReply | None, AuthOutcome | None]:
    """Trade ``nonce`` for the server's cookies and redirect back without it; None when
    the server gives no payload (the request then goes on without a handshake)."""
    url = f"{config.api_url}/v1/clients/handshake_payload?{urlencode({'nonce': nonce})}"
    reply = yield HttpCall("GET", url, api_headers(config))
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
