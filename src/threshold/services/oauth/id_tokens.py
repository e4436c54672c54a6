"""Verifying an OpenID Connect ID token (OpenID Connect Core 1.0, 3.1.3.7).

In this order, each failure an :class:`IdTokenInvalidError`:

1. The header's ``alg`` is one the provider signs with, and asymmetric: ``none`` and the
   ``HS*`` family are refused before any key is looked at.
2. The key is the provider's own: taken from its JWKS by ``kid`` (``discovery.py``),
   never from the token (``jwk``, ``jku``, ``x5u`` and ``x5c`` headers are ignored).
3. The signature verifies under that key (joserfc, held to that one algorithm).
4. The claims, with Authlib's ID token rules: ``iss`` is the provider's issuer exactly
   (or a spelling the provider documents, such as Google's ``accounts.google.com``),
   ``aud`` holds this server's client id (and ``azp`` names it when there are other
   audiences), ``exp`` has not passed and ``iat`` is not in the future (30 s of skew),
   ``sub`` is present, and ``at_hash``, when present, matches the access token.
5. ``nonce`` is the one this flow sent: its SHA-256 equals the digest stored with the
   flow's state, so an ID token taken from another sign-in does not complete this one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping

from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError

from threshold.core.errors import TokenError
from threshold.core.jwt import b64url_decode
from threshold.services.oauth.catalogue import MICROSOFT_ISSUER, ProviderSpec
from threshold.services.oauth.discovery import ID_TOKEN_ALGORITHMS, ProviderKeys
from threshold.services.oauth.errors import IdTokenInvalidError

__all__ = ["CLOCK_SKEW_SECONDS", "nonce_digest", "verify_id_token"]

CLOCK_SKEW_SECONDS = 30
"""How far the provider's clock and ours may disagree."""

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def nonce_digest(nonce: str) -> str:
    """What is stored of a nonce: its SHA-256, in hex."""
    return hashlib.sha256(nonce.encode()).hexdigest()


async def verify_id_token(
    keys: ProviderKeys,
    spec: ProviderSpec,
    token: str,
    *,
    client_id: str,
    expected_nonce_digest: str,
    access_token: str | None,
    now: float,
    tenant: str | None = None,
) -> dict[str, object]:
    """The verified claims of ``token`` (steps in the module docstring)."""
    name = spec.name
    header = _header(name, token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in spec.id_token_algorithms:
        raise _invalid(name, "is signed with an algorithm that is not allowed", "alg")
    if alg not in ID_TOKEN_ALGORITHMS:  # a misconfigured spec must not let HS256 or none in
        raise _invalid(name, "is signed with an algorithm that is not allowed", "alg")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise _invalid(name, "names its key wrongly", "kid")
    assert spec.jwks_uri is not None
    key = await keys.find(name, spec.jwks_uri, kid=kid, alg=alg)
    if key is None:
        raise _invalid(name, f"is signed with a key that is not in {name}'s key set", "kid")
    try:
        claims = dict(jwt.decode(token, key, algorithms=[alg]).claims)
    except JoseError as exc:
        raise _invalid(name, "has a signature that does not verify", "signature") from exc
    issuers = (_expected_issuer(spec, claims, tenant), *spec.issuer_aliases)
    _check_claims(name, claims, header, issuers, client_id, access_token, now)
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(
        nonce_digest(nonce), expected_nonce_digest
    ):
        raise _invalid(name, "was issued for another sign-in", "nonce")
    return claims


def _header(name: str, token: str) -> Mapping[str, object]:
    parts = token.split(".")
    if len(parts) != 3:
        raise _invalid(name, "is not a signed token", "format")
    try:
        header = json.loads(b64url_decode(parts[0]))
    except (TokenError, ValueError, RecursionError) as exc:
        raise _invalid(name, "is not a signed token", "format") from exc
    if not isinstance(header, dict):
        raise _invalid(name, "is not a signed token", "format")
    return header


def _expected_issuer(spec: ProviderSpec, claims: Mapping[str, object], tenant: str | None) -> str:
    """The issuer the token must name. Microsoft's multi-tenant endpoints sign for each
    tenant as its own issuer, so ``iss`` must be built from the token's ``tid``, which
    must in turn be the configured tenant when one tenant is configured."""
    assert spec.issuer is not None
    if spec.issuer != MICROSOFT_ISSUER:
        return spec.issuer
    tid = claims.get("tid")
    if not isinstance(tid, str) or not _GUID.fullmatch(tid):
        raise _invalid(spec.name, "names no tenant", "tid")
    if tenant is not None and _GUID.fullmatch(tenant) and tid != tenant:
        raise _invalid(spec.name, "was issued for another tenant", "tid")
    return MICROSOFT_ISSUER.format(tenantid=tid)


def _check_claims(
    name: str,
    claims: dict[str, object],
    header: Mapping[str, object],
    issuers: tuple[str, ...],
    client_id: str,
    access_token: str | None,
    now: float,
) -> None:
    options = {
        "iss": {"essential": True, "values": list(issuers)},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
    }
    params = {"client_id": client_id, "access_token": access_token}
    checker = CodeIDToken(claims, dict(header), options=options, params=params)
    try:
        checker.validate(now=int(now), leeway=CLOCK_SKEW_SECONDS)
    except JoseError as exc:
        claim = str(getattr(exc, "claim", "") or exc.error or "claims")
        reason = "has expired" if claim == "exp" else f"has a wrong {claim} claim"
        raise _invalid(name, reason, claim) from exc


def _invalid(name: str, reason: str, part: str) -> IdTokenInvalidError:
    return IdTokenInvalidError(f"{name}'s identity token {reason}.", meta={"id_token_check": part})
