"""Session tokens: the claims the server mints and the shape the SDK accepts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from threshold.core.errors import TokenError
from threshold.core.ids import random_token

__all__ = [
    "CAT_SESSION",
    "CAT_TEMPLATE",
    "check_session_shape",
    "session_claims",
]

CAT_SESSION = "cl_B7d4PD111AAA"
"""The ``cat`` header of session tokens (Clerk's value; its SDKs accept it)."""
CAT_TEMPLATE = "cl_B7d4PD222AAA"
"""The ``cat`` header of JWT-template tokens, which must never pass as session tokens."""


def session_claims(
    *,
    user_id: str,
    session_id: str,
    issuer: str,
    now: int,
    lifetime: int,
    azp: str | None,
    first_factor_age_minutes: int,
    status: str = "active",
    actor: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Clerk v2 session claims. No ``aud``: the official SDKs reject one they were not told of."""
    claims: dict[str, Any] = {
        "azp": azp,
        "exp": now + lifetime,
        "fva": [first_factor_age_minutes, -1],
        "iat": now,
        "iss": issuer,
        "jti": random_token(15),
        "nbf": now - 10,
        "sid": session_id,
        "sts": status,
        "sub": user_id,
        "v": 2,
    }
    if azp is None:
        del claims["azp"]
    if actor:
        claims["act"] = dict(actor)
    return claims


def check_session_shape(header: Mapping[str, Any], claims: Mapping[str, Any]) -> None:
    """Refuse JWTs signed by the same key that are not session tokens.

    Handshake payloads, JWT-template tokens and anything else lack ``sid`` or carry
    another ``cat``; ``typ`` must be ``JWT`` when present.
    """
    typ = header.get("typ")
    if typ is not None and typ != "JWT":
        raise TokenError("The token's typ is not JWT.", code="token-invalid")
    cat = header.get("cat")
    if cat is not None and cat != CAT_SESSION:
        raise TokenError("This is not a session token.", code="token-invalid")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not isinstance(sub, str) or not sub or not isinstance(sid, str) or not sid:
        raise TokenError("This is not a session token.", code="token-invalid")
