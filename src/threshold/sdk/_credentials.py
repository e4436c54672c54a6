"""What a request's credentials say, read before any token is verified.

The request rules (``_rules.py``) read a request through two views: :class:`Credentials`,
and :class:`RequestFacts` (the rest of the request), read only where a rule needs it. The
full rules build the credentials from the SDK's view of the request
(:meth:`Credentials.of_request`), which is also their facts; the middlewares' shortcut
builds them from the raw ``Authorization`` and ``Cookie`` headers alone
(:meth:`Credentials.of_headers`), before the request view exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from threshold.sdk.http import RequestInfo, parse_cookies

__all__ = [
    "NONCE_PARAM",
    "REDIRECT_COUNT",
    "SESSION_COOKIE",
    "UAT_COOKIE",
    "Credentials",
    "RequestFacts",
    "bearer_token",
]

SESSION_COOKIE = "__session"
UAT_COOKIE = "__client_uat"
NONCE_PARAM = "__clerk_handshake_nonce"
REDIRECT_COUNT = "__clerk_redirect_count"


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


def _seconds(value: str | None) -> int | None:
    """A non-negative whole number of a cookie, else None (missing or unreadable)."""
    if value is None:
        return None
    try:
        return max(int(value), 0)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Credentials:
    """The credentials a request carries, as sent: nothing here is verified yet."""

    bearer: str | None
    """The token of ``Authorization: Bearer <t>`` (or of a bare token), else None."""
    session: str | None
    """The ``__session`` cookie, else None (an empty cookie counts as none)."""
    client_uat: int | None
    """``__client_uat``: seconds of the client's last sign-in or sign-out (``0``: signed
    out); None when the cookie is missing or unreadable (unknown)."""
    redirect_count: int
    """``__clerk_redirect_count``: handshake redirects in a row so far."""
    handshake_nonce: str | None
    """``__clerk_handshake_nonce`` from the query: the server's answer to a handshake."""

    @classmethod
    def of_request(cls, request: RequestInfo) -> Credentials:
        """The credentials of the SDK's full view of a request."""
        return cls._of(
            request.headers.get("authorization"),
            request.cookies,
            request.query_param(NONCE_PARAM),
        )

    @classmethod
    def of_headers(cls, authorization: str | None, cookie: str | None) -> Credentials:
        """The credentials of the raw ``Authorization`` and ``Cookie`` values (no nonce:
        the shortcut leaves a request whose query may hold one to the full rules)."""
        return cls._of(authorization, parse_cookies(cookie), None)

    @classmethod
    def _of(
        cls, authorization: str | None, cookies: Mapping[str, str], nonce: str | None
    ) -> Credentials:
        return cls(
            bearer_token(authorization),
            cookies.get(SESSION_COOKIE) or None,
            _seconds(cookies.get(UAT_COOKIE)),
            _seconds(cookies.get(REDIRECT_COUNT)) or 0,
            nonce,
        )


class RequestFacts(Protocol):
    """What the rules read of a request besides its credentials (``RequestInfo`` has it)."""

    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def is_secure(self) -> bool: ...
    @property
    def is_document(self) -> bool: ...
