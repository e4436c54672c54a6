"""What providers publish about themselves: OpenID Connect discovery documents and JWKS.

Both are fetched when first needed and kept for an hour. A JWKS is fetched again when an
ID token names a key it does not hold (the provider rotated its keys), at most once a
minute per provider, so tokens naming random key ids cannot make the server hammer the
provider. Only public signing keys are kept: a key marked for encryption, a symmetric
key or one of a type the token's algorithm cannot use never verifies a token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.oidc.discovery import get_well_known_url
from joserfc import jwk
from joserfc.errors import JoseError

from threshold.core.clock import Clock
from threshold.services.oauth.errors import ProviderResponseError
from threshold.services.oauth.http import ProviderHttp

__all__ = ["ID_TOKEN_ALGORITHMS", "ProviderKeys", "ProviderMetadata", "VerificationKey"]

ID_TOKEN_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
"""Signature algorithms an ID token may use: asymmetric ones only. ``none`` would need
no key at all, and ``HS*`` would be keyed with the client secret, which is no proof
that the provider signed."""

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
_MAX_AGE = 3600.0
_REFETCH_INTERVAL = 60.0

VerificationKey = jwk.RSAKey | jwk.ECKey | jwk.OKPKey


@dataclass(frozen=True, slots=True)
class _Fetched:
    value: object
    at: float


class ProviderMetadata:
    """OpenID Connect discovery documents by issuer (OpenID Connect Discovery 1.0, 4)."""

    def __init__(self, http: ProviderHttp, clock: Clock) -> None:
        self._http = http
        self._clock = clock
        self._documents: dict[str, _Fetched] = {}

    async def document(self, provider: str, issuer: str) -> Mapping[str, object]:
        """The issuer's discovery document, checked to name the same issuer."""
        now = self._clock.now()
        cached = self._documents.get(issuer)
        if cached is not None and now - cached.at < _MAX_AGE:
            assert isinstance(cached.value, dict)
            return cached.value
        url = get_well_known_url(issuer, external=True)
        body = await self._http.get_json(provider, url)
        if not isinstance(body, dict) or not isinstance(body.get("issuer"), str):
            raise ProviderResponseError(f"{provider}'s discovery document is not valid.")
        # The document must name the issuer it was fetched for (a trailing slash aside),
        # or tokens from one issuer could be checked against another's keys.
        if body["issuer"].rstrip("/") != issuer.rstrip("/"):
            raise ProviderResponseError(f"{provider}'s discovery document names another issuer.")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not _url_like(body.get(name), issuer):
                raise ProviderResponseError(f"{provider}'s discovery document lacks {name}.")
        self._documents[issuer] = _Fetched(body, now)
        return body


class ProviderKeys:
    """Providers' public signing keys, by JWKS URL."""

    def __init__(self, http: ProviderHttp, clock: Clock) -> None:
        self._http = http
        self._clock = clock
        self._sets: dict[str, _Fetched] = {}

    async def find(
        self, provider: str, jwks_uri: str, *, kid: str | None, alg: str
    ) -> VerificationKey | None:
        """The key that may verify a token with this ``kid`` and ``alg``, or None.

        Without a ``kid``, the set must hold exactly one key of the algorithm's type.
        """
        now = self._clock.now()
        cached = self._sets.get(jwks_uri)
        if cached is None or now - cached.at >= _MAX_AGE:
            cached = await self._fetch(provider, jwks_uri, now)
        key = _pick(_keys(cached), kid, alg)
        if key is None and now - cached.at >= _REFETCH_INTERVAL:
            key = _pick(_keys(await self._fetch(provider, jwks_uri, now)), kid, alg)
        return key

    async def _fetch(self, provider: str, jwks_uri: str, now: float) -> _Fetched:
        body = await self._http.get_json(provider, jwks_uri)
        entries = body.get("keys") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise ProviderResponseError(f"{provider}'s key set (JWKS) is not valid.")
        fetched = _Fetched(tuple(k for k in map(_signing_key, entries) if k is not None), now)
        self._sets[jwks_uri] = fetched
        return fetched


def _keys(fetched: _Fetched) -> Sequence[VerificationKey]:
    assert isinstance(fetched.value, tuple)
    return fetched.value


def _signing_key(entry: object) -> VerificationKey | None:
    if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
        return None
    if any(private in entry for private in ("d", "p", "q", "k")):
        return None  # a private or symmetric key has no place in a published key set
    try:
        key = jwk.import_key(entry)
    except (JoseError, ValueError, TypeError):
        return None
    return key if isinstance(key, jwk.RSAKey | jwk.ECKey | jwk.OKPKey) else None


def _pick(keys: Sequence[VerificationKey], kid: str | None, alg: str) -> VerificationKey | None:
    key_type = _KEY_TYPES.get(alg[:2])
    fitting = [
        k
        for k in keys
        if k.key_type == key_type and (kid is None or k.kid == kid) and k.get("alg", alg) == alg
    ]
    return fitting[0] if len(fitting) == 1 else None


def _url_like(value: object, issuer: str) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    same_scheme_allowed = parts.scheme == "https" or parts.scheme == urlsplit(issuer).scheme
    return bool(parts.netloc) and same_scheme_allowed
