"""What can go wrong in a social sign-in, each with a message that names the provider.

ThresholdError
 ├── ValidationError
 │    └── ProviderNotEnabledError     no such provider is configured
 ├── AuthenticationError
 │    ├── AuthorizationStateError     state missing, unknown, reused, expired or another browser's
 │    ├── ProviderDeniedError         the user (or the provider) said no
 │    ├── ProviderRefusedError        the provider refused the code or refresh token
 │    ├── ProviderResponseError       the provider's answer was not what its protocol says
 │    ├── IdTokenInvalidError         signature, key, alg, iss, aud, exp or nonce wrong
 │    └── RefreshTokenMissingError    the access token expired and cannot be renewed
 ├── NotFoundError
 │    └── ExternalAccountNotFoundError
 ├── ConflictError
 │    └── ExternalAccountTakenError   the provider's user is linked to another user
 └── UnavailableError
      └── ProviderUnavailableError    down, refused the connection, or slower than the timeout

Messages are safe to show; what the provider said in detail goes in ``meta`` and logs.
"""

from __future__ import annotations

from threshold.core.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    UnavailableError,
    ValidationError,
)

__all__ = [
    "AuthorizationStateError",
    "ExternalAccountNotFoundError",
    "ExternalAccountTakenError",
    "IdTokenInvalidError",
    "ProviderDeniedError",
    "ProviderNotEnabledError",
    "ProviderRefusedError",
    "ProviderResponseError",
    "ProviderUnavailableError",
    "RefreshTokenMissingError",
]


class ProviderNotEnabledError(ValidationError):
    code = "oauth_provider_not_enabled"
    default_message = "This sign-in provider is not enabled."


class AuthorizationStateError(AuthenticationError):
    code = "oauth_state_invalid"
    default_message = (
        "This sign-in has expired or was started in another browser. Please start again."
    )


class ProviderDeniedError(AuthenticationError):
    code = "oauth_access_denied"
    default_message = "The sign-in was cancelled at the provider."


class ProviderRefusedError(AuthenticationError):
    code = "oauth_token_exchange_error"
    default_message = "The provider did not accept this sign-in. Please start again."


class ProviderResponseError(AuthenticationError):
    code = "oauth_provider_response_invalid"
    default_message = "The provider answered in a way Threshold does not understand."


class IdTokenInvalidError(AuthenticationError):
    code = "oauth_id_token_invalid"
    default_message = "The provider's identity token could not be verified."


class RefreshTokenMissingError(AuthenticationError):
    code = "oauth_missing_refresh_token"
    default_message = (
        "The provider's access token has expired and there is no refresh token to renew it."
    )


class ExternalAccountNotFoundError(NotFoundError):
    code = "external_account_not_found"
    default_message = "No account of this provider is linked to the user."


class ExternalAccountTakenError(ConflictError):
    code = "external_account_exists"
    default_message = "This provider account is already linked to another user."


class ProviderUnavailableError(UnavailableError):
    code = "oauth_provider_unavailable"
    default_message = "The sign-in provider could not be reached. Please try again shortly."
