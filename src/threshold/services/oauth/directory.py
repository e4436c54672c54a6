"""The configured providers: each one's protocol (``catalogue.py``, or discovery for a
generic OpenID Connect provider) joined with this server's credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from joserfc import jwk
from pydantic import SecretStr

from threshold.services.instance.social_providers import (
    AppleSigningKey,
    CustomProviderSettings,
    NamedProviderSettings,
    SocialProviderSettings,
)
from threshold.services.oauth.apple import apple_client_secret, load_apple_key
from threshold.services.oauth.catalogue import (
    NAMED_SPECS,
    ProfileSource,
    ProviderSpec,
    TokenAuth,
)
from threshold.services.oauth.discovery import ID_TOKEN_ALGORITHMS, ProviderMetadata
from threshold.services.oauth.errors import ProviderNotEnabledError, ProviderResponseError

__all__ = ["ConfiguredProvider", "ProviderDirectory"]


@dataclass(frozen=True, slots=True)
class ConfiguredProvider:
    """A provider this server may send users to."""

    spec: ProviderSpec
    client_id: str
    client_secret: SecretStr | None = field(default=None, repr=False)
    apple_key: AppleSigningKey | None = None
    apple_private: jwk.ECKey | None = field(default=None, repr=False)
    tenant: str | None = None

    def secret(self, now: float) -> str:
        """The client secret to present now (Apple's is signed for each request)."""
        if self.apple_key is not None and self.apple_private is not None:
            return apple_client_secret(self.apple_key, self.apple_private, self.client_id, now)
        assert self.client_secret is not None
        return self.client_secret.get_secret_value()


class ProviderDirectory:
    """Configured providers by strategy. ``specs`` replaces the built-in descriptions of
    the named providers (tests point them at stand-in servers)."""

    def __init__(
        self,
        settings: SocialProviderSettings,
        metadata: ProviderMetadata,
        *,
        specs: Mapping[str, ProviderSpec] = NAMED_SPECS,
    ) -> None:
        self._metadata = metadata
        self._named = {s: _named(n, specs[s]) for s, n in settings.named.items()}
        self._custom = dict(settings.custom)

    @property
    def strategies(self) -> tuple[str, ...]:
        return (*self._named, *self._custom)

    async def get(self, strategy: str) -> ConfiguredProvider:
        """The provider for ``strategy``; a generic one's endpoints come from its
        discovery document (fetched once an hour)."""
        named = self._named.get(strategy)
        if named is not None:
            return named
        custom = self._custom.get(strategy)
        if custom is None:
            raise ProviderNotEnabledError(param="strategy", meta={"strategy": strategy})
        document = await self._metadata.document(custom.name, custom.issuer)
        return ConfiguredProvider(
            spec=_discovered(custom, document),
            client_id=custom.client_id,
            client_secret=custom.client_secret,
        )


def _named(settings: NamedProviderSettings, spec: ProviderSpec) -> ConfiguredProvider:
    if "{tenant}" in spec.authorize_url:
        tenant = settings.tenant
        spec = replace(
            spec,
            authorize_url=spec.authorize_url.format(tenant=tenant),
            token_url=spec.token_url.format(tenant=tenant),
            jwks_uri=(spec.jwks_uri or "").format(tenant=tenant),
        )
    apple_private = load_apple_key(settings.apple_key) if settings.apple_key else None
    return ConfiguredProvider(
        spec=spec,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        apple_key=settings.apple_key,
        apple_private=apple_private,
        tenant=settings.tenant if spec.strategy == "oauth_microsoft" else None,
    )


def _discovered(custom: CustomProviderSettings, document: Mapping[str, object]) -> ProviderSpec:
    offered = document.get("id_token_signing_alg_values_supported", ["RS256"])
    algorithms = tuple(a for a in ID_TOKEN_ALGORITHMS if isinstance(offered, list) and a in offered)
    if not algorithms:
        raise ProviderResponseError(f"{custom.name} signs ID tokens with no algorithm allowed.")
    methods = document.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
    token_auth = (
        TokenAuth.BASIC
        if isinstance(methods, list) and TokenAuth.BASIC.value in methods
        else TokenAuth.POST
    )
    userinfo = document.get("userinfo_endpoint")
    return ProviderSpec(
        strategy=custom.strategy,
        name=custom.name,
        authorize_url=str(document["authorization_endpoint"]),
        token_url=str(document["token_endpoint"]),
        scopes=custom.scopes,
        profile_source=ProfileSource.OIDC,
        issuer=str(document["issuer"]),
        jwks_uri=str(document["jwks_uri"]),
        userinfo_url=userinfo if isinstance(userinfo, str) else None,
        id_token_algorithms=algorithms,
        token_auth=token_auth,
        username_claim="preferred_username",
        callback_issuer=document.get("authorization_response_iss_parameter_supported") is True,
    )
