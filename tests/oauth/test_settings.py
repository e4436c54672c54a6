"""Reading the providers from ``THRESHOLD_OAUTH_*`` and ``THRESHOLD_OIDC_*`` variables, and
the key that seals their tokens."""

from __future__ import annotations

import pytest
from joserfc import jwk

from threshold.core.errors import ConfigurationError
from threshold.services.instance.encryption import secret_box
from threshold.services.instance.settings import Settings
from threshold.services.instance.social_providers import SocialProviderSettings
from threshold.services.oauth.catalogue import NAMED_SPECS
from threshold.services.oauth.directory import ProviderDirectory
from threshold.services.oauth.discovery import ProviderMetadata
from threshold.services.oauth.http import ProviderHttp

ENV = {
    "THRESHOLD_OAUTH_GOOGLE_CLIENT_ID": "google-id.apps.googleusercontent.com",
    "THRESHOLD_OAUTH_GOOGLE_CLIENT_SECRET": "google-secret-canary",
    "THRESHOLD_OAUTH_LINKEDIN_OIDC_CLIENT_ID": "li-id",
    "THRESHOLD_OAUTH_LINKEDIN_OIDC_CLIENT_SECRET": "li-secret",
    "THRESHOLD_OAUTH_MICROSOFT_CLIENT_ID": "ms-id",
    "THRESHOLD_OAUTH_MICROSOFT_CLIENT_SECRET": "ms-secret",
    "THRESHOLD_OAUTH_MICROSOFT_TENANT": "organizations",
    "THRESHOLD_OIDC_OKTA_ISSUER": "https://example.okta.com/oauth2/default",
    "THRESHOLD_OIDC_OKTA_CLIENT_ID": "okta-id",
    "THRESHOLD_OIDC_OKTA_CLIENT_SECRET": "okta-secret",
    "THRESHOLD_OIDC_okta_NAME": "Example SSO",
    "THRESHOLD_SOCIAL_PROVIDER_TIMEOUT": "5",
    "THRESHOLD_OAUTH_GITHUB_CLIENT_ID": "",
    "PATH": "/usr/bin",
}


def test_named_and_custom_providers_are_read() -> None:
    social = SocialProviderSettings.from_environ(ENV)
    assert social.strategies == (
        "oauth_google",
        "oauth_linkedin_oidc",
        "oauth_microsoft",
        "oauth_custom_okta",
    )
    google = social.named["oauth_google"]
    assert google.client_id == "google-id.apps.googleusercontent.com"
    assert google.client_secret is not None
    assert google.client_secret.get_secret_value() == "google-secret-canary"
    assert "canary" not in repr(social)
    assert social.named["oauth_microsoft"].tenant == "organizations"
    okta = social.custom["oauth_custom_okta"]
    assert (okta.issuer, okta.name, okta.scopes) == (
        "https://example.okta.com/oauth2/default",
        "Example SSO",
        ("openid", "email", "profile"),
    )
    assert SocialProviderSettings.from_environ({"PATH": "/usr/bin"}).enabled is False


def test_apple_signs_its_own_client_secret() -> None:
    pem = jwk.ECKey.generate_key("P-256").as_pem(private=True).decode()
    social = SocialProviderSettings.from_environ(
        {
            "THRESHOLD_OAUTH_APPLE_CLIENT_ID": "com.example.web",
            "THRESHOLD_OAUTH_APPLE_TEAM_ID": "TEAM123456",
            "THRESHOLD_OAUTH_APPLE_KEY_ID": "KEY1234567",
            "THRESHOLD_OAUTH_APPLE_PRIVATE_KEY": pem.replace("\n", "\\n"),
        }
    )
    apple = social.named["oauth_apple"]
    assert apple.client_secret is None and apple.apple_key is not None
    assert apple.apple_key.private_key.get_secret_value() == pem


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"THRESHOLD_OAUTH_GOGLE_CLIENT_ID": "x"}, "THRESHOLD_OAUTH_GOGLE_CLIENT_ID"),
        ({"THRESHOLD_OAUTH_GOOGLE_CLIENTID": "x"}, "THRESHOLD_OAUTH_GOOGLE_CLIENTID"),
        ({"THRESHOLD_OAUTH_GITHUB_TENANT": "x"}, "THRESHOLD_OAUTH_GITHUB_TENANT"),
        ({"THRESHOLD_OIDC_MY_IDP_ISSUER": "https://x"}, "THRESHOLD_OIDC_MY_IDP_ISSUER"),
        ({"THRESHOLD_OIDC_IDP2_ISSUER": "https://x"}, "THRESHOLD_OIDC_IDP2_ISSUER"),
        ({"THRESHOLD_OAUTH_GOOGLE_CLIENT_ID": "x"}, "THRESHOLD_OAUTH_GOOGLE_CLIENT_SECRET"),
        ({"THRESHOLD_OAUTH_APPLE_CLIENT_ID": "x"}, "THRESHOLD_OAUTH_APPLE_TEAM_ID"),
        ({"THRESHOLD_OIDC_ACME_ISSUER": "https://x"}, "THRESHOLD_OIDC_ACME_CLIENT_ID"),
    ],
)
def test_wrong_or_partial_settings_stop_the_start(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SocialProviderSettings.from_environ(env)
    assert named in caught.value.message


@pytest.mark.parametrize(
    "issuer", ["http://idp.example.com", "ftp://idp.example.com", "https://", "https://x?a=b"]
)
def test_an_issuer_must_be_https_except_on_this_machine(issuer: str) -> None:
    env = {
        "THRESHOLD_OIDC_ACME_ISSUER": issuer,
        "THRESHOLD_OIDC_ACME_CLIENT_ID": "id",
        "THRESHOLD_OIDC_ACME_CLIENT_SECRET": "secret",
    }
    with pytest.raises(ConfigurationError):
        SocialProviderSettings.from_environ(env)
    env["THRESHOLD_OIDC_ACME_ISSUER"] = "http://127.0.0.1:8080/realms/test"
    assert SocialProviderSettings.from_environ(env).custom["oauth_custom_acme"].name == "Acme"


@pytest.mark.anyio
async def test_a_bad_apple_key_is_a_configuration_error() -> None:
    social = SocialProviderSettings.from_environ(
        {
            "THRESHOLD_OAUTH_APPLE_CLIENT_ID": "com.example.web",
            "THRESHOLD_OAUTH_APPLE_TEAM_ID": "TEAM123456",
            "THRESHOLD_OAUTH_APPLE_KEY_ID": "KEY1234567",
            "THRESHOLD_OAUTH_APPLE_PRIVATE_KEY": "not a key",
        }
    )
    http = ProviderHttp(1.0)
    try:
        with pytest.raises(ConfigurationError):
            ProviderDirectory(social, ProviderMetadata(http, clock=_Clock()), specs=NAMED_SPECS)
    finally:
        await http.aclose()


class _Clock:
    def now(self) -> float:
        return 0.0


def test_production_needs_an_encryption_key() -> None:
    production = Settings(environment="production", public_url="https://id.example.com")
    with pytest.raises(ConfigurationError) as caught:
        secret_box(production, b"s" * 32, purpose="oauth-tokens")
    assert "THRESHOLD_ENCRYPTION_KEY" in caught.value.message
    keyed = Settings(
        environment="production", public_url="https://id.example.com", encryption_key="k" * 32
    )
    development = Settings(environment="development")
    box = secret_box(keyed, b"s" * 32, purpose="oauth-tokens")
    sealed = box.seal("token", context="c")
    assert secret_box(keyed, b"t" * 32, purpose="oauth-tokens").open(sealed, context="c")
    dev_box = secret_box(development, b"s" * 32, purpose="oauth-tokens")
    assert dev_box.key_id != box.key_id
