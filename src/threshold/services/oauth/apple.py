"""Apple's client secret: a short-lived ES256 JWT signed with the team's private key.

Apple issues no static client secret. Each token request carries a JWT that the team's
key (a ``.p8`` file from the developer account) signs: ``iss`` the team id, ``sub`` the
Services ID (the client id), ``aud`` ``https://appleid.apple.com``, the key's id in the
header. Apple allows up to six months of life; these live five minutes, made afresh for
each request, so none is worth stealing.
"""

from __future__ import annotations

from joserfc import jwk, jwt
from joserfc.errors import JoseError

from threshold.core.errors import ConfigurationError
from threshold.services.instance.social_providers import AppleSigningKey

__all__ = ["APPLE_AUDIENCE", "apple_client_secret", "load_apple_key"]

APPLE_AUDIENCE = "https://appleid.apple.com"
_LIFETIME = 300


def load_apple_key(key: AppleSigningKey) -> jwk.ECKey:
    """The team's P-256 private key; :class:`ConfigurationError` when it is not one."""
    try:
        private = jwk.ECKey.import_key(key.private_key.get_secret_value())
    except (JoseError, ValueError, TypeError) as exc:
        raise ConfigurationError(
            "THRESHOLD_OAUTH_APPLE_PRIVATE_KEY is not an EC private key in PEM form."
        ) from exc
    if not private.is_private or private.curve_name != "P-256":
        raise ConfigurationError("THRESHOLD_OAUTH_APPLE_PRIVATE_KEY must be a P-256 private key.")
    return private


def apple_client_secret(
    key: AppleSigningKey, private: jwk.ECKey, client_id: str, now: float
) -> str:
    """A client secret for one token request."""
    issued = int(now)
    claims = {
        "iss": key.team_id,
        "iat": issued,
        "exp": issued + _LIFETIME,
        "aud": APPLE_AUDIENCE,
        "sub": client_id,
    }
    return jwt.encode({"alg": "ES256", "kid": key.key_id}, claims, private, algorithms=["ES256"])
