"""Which social sign-in providers are configured, read from the environment.

The provider names are open-ended (any OpenID Connect provider can be added under a key
of the operator's choosing), so these variables are read here rather than as fields of
:class:`~threshold.services.instance.settings.Settings`:

- ``THRESHOLD_OAUTH_<PROVIDER>_CLIENT_ID`` and ``_CLIENT_SECRET`` for the named providers:
  ``GOOGLE``, ``GITHUB``, ``MICROSOFT``, ``APPLE``, ``GITLAB``, ``DISCORD``,
  ``LINKEDIN_OIDC``. Their strategy is ``oauth_<provider lowercased>``.
- Apple, in place of a client secret: ``THRESHOLD_OAUTH_APPLE_TEAM_ID``, ``_KEY_ID`` and
  ``_PRIVATE_KEY`` (the ``.p8`` key's PEM text, ``\\n`` allowed for line breaks), from which
  the server signs its short-lived client secret itself.
- Microsoft: ``THRESHOLD_OAUTH_MICROSOFT_TENANT`` (default ``common``; or ``organizations``,
  ``consumers``, or one tenant's id).
- ``THRESHOLD_OIDC_<KEY>_ISSUER``, ``_CLIENT_ID`` and ``_CLIENT_SECRET`` for any OpenID
  Connect provider, whose endpoints come from its discovery document; optional ``_NAME``
  (shown to users, default the key) and ``_SCOPES`` (default ``openid email profile``).
  ``<KEY>`` is letters only, and the strategy is ``oauth_custom_<key lowercased>``, as
  Clerk names custom providers (its strategy pattern allows no digits or underscores).

A variable under ``THRESHOLD_OAUTH_`` or ``THRESHOLD_OIDC_`` that names no known provider
or setting stops the server at start-up, so a misspelt name is not silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from threshold.core.errors import ConfigurationError

__all__ = [
    "NAMED_PROVIDERS",
    "AppleSigningKey",
    "CustomProviderSettings",
    "NamedProviderSettings",
    "SocialProviderSettings",
]

NAMED_PROVIDERS = ("google", "github", "microsoft", "apple", "gitlab", "discord", "linkedin_oidc")
"""The providers Threshold knows by name, as they appear in their strategy (``oauth_<name>``)."""

_NAMED_PREFIX = "THRESHOLD_OAUTH_"
_CUSTOM_PREFIX = "THRESHOLD_OIDC_"
_CREDENTIALS = ("CLIENT_ID", "CLIENT_SECRET")
_EXTRA: dict[str, tuple[str, ...]] = {
    "apple": ("TEAM_ID", "KEY_ID", "PRIVATE_KEY"),
    "microsoft": ("TENANT",),
}
_CUSTOM = re.compile(r"([A-Z]+)_(ISSUER|CLIENT_ID|CLIENT_SECRET|NAME|SCOPES)")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class AppleSigningKey:
    """What Apple's client secret (an ES256 JWT) is signed with."""

    team_id: str
    key_id: str
    private_key: SecretStr = field(repr=False)


@dataclass(frozen=True, slots=True)
class NamedProviderSettings:
    """One named provider's credentials and options."""

    strategy: str
    client_id: str
    client_secret: SecretStr | None = field(default=None, repr=False)
    apple_key: AppleSigningKey | None = None
    tenant: str = "common"
    """Microsoft only: ``common``, ``organizations``, ``consumers`` or a tenant id."""


@dataclass(frozen=True, slots=True)
class CustomProviderSettings:
    """A generic OpenID Connect provider: its issuer and this server's credentials."""

    key: str
    issuer: str
    client_id: str
    client_secret: SecretStr = field(repr=False)
    name: str
    scopes: tuple[str, ...] = ("openid", "email", "profile")

    @property
    def strategy(self) -> str:
        return f"oauth_custom_{self.key}"


@dataclass(frozen=True, slots=True)
class SocialProviderSettings:
    """Every configured provider, by strategy."""

    named: Mapping[str, NamedProviderSettings] = field(default_factory=dict)
    custom: Mapping[str, CustomProviderSettings] = field(default_factory=dict)

    @property
    def strategies(self) -> tuple[str, ...]:
        """The enabled ``oauth_*`` strategies, named providers first."""
        return (*self.named, *self.custom)

    @property
    def enabled(self) -> bool:
        return bool(self.named or self.custom)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SocialProviderSettings:
        """Read the ``THRESHOLD_OAUTH_*`` and ``THRESHOLD_OIDC_*`` variables (empty values
        count as unset); :class:`ConfigurationError` names what is wrong."""
        named: dict[str, dict[str, str]] = {}
        custom: dict[str, dict[str, str]] = {}
        for raw_name, value in environ.items():
            name = raw_name.upper()
            if not value.strip() or not name.startswith((_NAMED_PREFIX, _CUSTOM_PREFIX)):
                continue
            if name.startswith(_NAMED_PREFIX):
                provider, option = _named_option(name[len(_NAMED_PREFIX) :], raw_name)
                named.setdefault(provider, {})[option] = value.strip()
            else:
                key, option = _custom_option(name[len(_CUSTOM_PREFIX) :], raw_name)
                custom.setdefault(key, {})[option] = value.strip()
        built_named = {s.strategy: s for s in (_named(p, o) for p, o in sorted(named.items()))}
        built_custom = {s.strategy: s for s in (_custom(k, o) for k, o in sorted(custom.items()))}
        return cls(named=built_named, custom=built_custom)


def _named_option(rest: str, raw_name: str) -> tuple[str, str]:
    for provider in sorted(NAMED_PROVIDERS, key=len, reverse=True):
        prefix = provider.upper() + "_"
        option = rest[len(prefix) :]
        if rest.startswith(prefix) and option in (*_CREDENTIALS, *_EXTRA.get(provider, ())):
            return provider, option
    raise ConfigurationError(
        f"{raw_name} is not a social sign-in setting. Named providers take "
        f"{_NAMED_PREFIX}<PROVIDER>_CLIENT_ID and _CLIENT_SECRET, with <PROVIDER> one of "
        f"{', '.join(p.upper() for p in NAMED_PROVIDERS)} (docs/social-sign-in.md)."
    )


def _custom_option(rest: str, raw_name: str) -> tuple[str, str]:
    match = _CUSTOM.fullmatch(rest)
    if match is None:
        raise ConfigurationError(
            f"{raw_name} is not a social sign-in setting. OpenID Connect providers take "
            f"{_CUSTOM_PREFIX}<KEY>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _NAME or _SCOPES, "
            "with <KEY> made of letters only (docs/social-sign-in.md)."
        )
    return match.group(1).lower(), match.group(2)


def _require(options: Mapping[str, str], names: tuple[str, ...], prefix: str) -> None:
    missing = [f"{prefix}{n}" for n in names if n not in options]
    if missing:
        raise ConfigurationError(f"Social sign-in is half configured: set {', '.join(missing)}.")


def _named(provider: str, options: Mapping[str, str]) -> NamedProviderSettings:
    prefix = f"{_NAMED_PREFIX}{provider.upper()}_"
    _require(options, ("CLIENT_ID",), prefix)
    apple_key = None
    if provider == "apple" and "CLIENT_SECRET" not in options:
        _require(options, _EXTRA["apple"], prefix)
        apple_key = AppleSigningKey(
            team_id=options["TEAM_ID"],
            key_id=options["KEY_ID"],
            private_key=SecretStr(options["PRIVATE_KEY"].replace("\\n", "\n")),
        )
    else:
        _require(options, ("CLIENT_SECRET",), prefix)
    secret = options.get("CLIENT_SECRET")
    tenant = options.get("TENANT", "common")
    if not re.fullmatch(r"[A-Za-z0-9.-]+", tenant):
        raise ConfigurationError(f"{prefix}TENANT must be a tenant id or name.")
    return NamedProviderSettings(
        strategy=f"oauth_{provider}",
        client_id=options["CLIENT_ID"],
        client_secret=SecretStr(secret) if secret else None,
        apple_key=apple_key,
        tenant=tenant,
    )


def _custom(key: str, options: Mapping[str, str]) -> CustomProviderSettings:
    prefix = f"{_CUSTOM_PREFIX}{key.upper()}_"
    _require(options, ("ISSUER", "CLIENT_ID", "CLIENT_SECRET"), prefix)
    issuer = options["ISSUER"]
    parts = urlsplit(issuer)
    loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not (parts.scheme == "https" or loopback) or not parts.netloc or parts.query:
        raise ConfigurationError(
            f"{prefix}ISSUER must be an https:// URL (http:// only on this machine)."
        )
    scopes = tuple(options.get("SCOPES", "openid email profile").replace(",", " ").split())
    if "openid" not in scopes:
        scopes = ("openid", *scopes)
    return CustomProviderSettings(
        key=key,
        issuer=issuer,
        client_id=options["CLIENT_ID"],
        client_secret=SecretStr(options["CLIENT_SECRET"]),
        name=options.get("NAME", key.capitalize()),
        scopes=scopes,
    )
