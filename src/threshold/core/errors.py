"""The error tree. Every error carries a stable ``code`` and a message safe to show.

ThresholdError
 ├── ConfigurationError          startup only, never sent over HTTP
 ├── ValidationError             a request field is missing or malformed (422)
 │    ├── IdentifierExistsError  an email address is already taken
 │    └── PasswordRejectedError  too short, too long, common or breached-looking
 ├── AuthenticationError         who are you? (401/422)
 │    ├── InvalidCredentialsError
 │    ├── CodeIncorrectError / VerificationExpiredError / VerificationFailedError
 │    ├── AccountLockedError / AccountBannedError
 │    └── SignedOutError         no (active) session on this client
 ├── TokenError                  session-token problems, with Clerk's reason strings
 ├── PermissionDeniedError       (403)
 ├── NotFoundError               (404 resource_not_found)
 ├── ConflictError               (409)
 │    └── DuplicateError         a unique value (an address, a name) is stored already
 ├── PayloadTooLargeError        (413)
 ├── RateLimitedError            (429 + Retry-After)
 └── UnavailableError            a dependency (the database) is down (503 + Retry-After)

Only ``threshold.server.errors`` maps these to HTTP status codes; pages show ``message``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

__all__ = [
    "AccountBannedError",
    "AccountLockedError",
    "AuthenticationError",
    "CodeIncorrectError",
    "ConfigurationError",
    "ConflictError",
    "DuplicateError",
    "IdentifierExistsError",
    "InvalidCredentialsError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PasswordRejectedError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "SignedOutError",
    "ThresholdError",
    "TokenError",
    "UnavailableError",
    "ValidationError",
    "VerificationExpiredError",
    "VerificationFailedError",
]


class ThresholdError(Exception):
    """Base of every Threshold error: a stable ``code`` and a ``message`` safe to show."""

    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "Something went wrong."
    after_rollback: Callable[[Any], Awaitable[None]] | None = None
    """Work to persist even though the step failed (failure counters); it runs in a new
    transaction after the failed one rolled back."""

    def __init__(
        self,
        message: str | None = None,
        *,
        long_message: str | None = None,
        param: str | None = None,
        meta: dict[str, Any] | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.long_message = long_message or self.message
        self.meta: dict[str, Any] = dict(meta or {})
        if param is not None:
            self.meta.setdefault("param_name", param)
        if code is not None:
            self.code = code  # type: ignore[misc]
        super().__init__(self.message)

    @property
    def param(self) -> str | None:
        """The request field the error is about, when there is one."""
        value = self.meta.get("param_name")
        return value if isinstance(value, str) else None


class ConfigurationError(ThresholdError):
    """The server or SDK was configured wrongly; raised at start-up only."""

    code = "configuration_error"


class ValidationError(ThresholdError):
    """A request field is missing or malformed."""

    code = "form_param_format_invalid"
    default_message = "is invalid"


class IdentifierExistsError(ValidationError):
    code = "form_identifier_exists"
    default_message = "That email address is taken. Please try another."


class PasswordRejectedError(ValidationError):
    code = "form_password_pwned"
    default_message = "This password is too common or has been found in a data breach."


class AuthenticationError(ThresholdError):
    code = "authentication_invalid"
    default_message = "You are not signed in."


class InvalidCredentialsError(AuthenticationError):
    code = "form_password_incorrect"
    default_message = "Incorrect email address or password."


class CodeIncorrectError(AuthenticationError):
    code = "form_code_incorrect"
    default_message = "Incorrect code."


class VerificationExpiredError(AuthenticationError):
    code = "verification_expired"
    default_message = "This code has expired. Request a new one."


class VerificationFailedError(AuthenticationError):
    code = "verification_failed"
    default_message = "Too many failed attempts. Request a new code."


class AccountLockedError(AuthenticationError):
    code = "user_locked"
    default_message = "Your account is locked. Try again later."


class AccountBannedError(AuthenticationError):
    code = "user_banned"
    default_message = "This account cannot sign in."


class SignedOutError(AuthenticationError):
    code = "signed_out"
    default_message = "This session has ended. Please sign in again."


class TokenError(ThresholdError):
    code = "token-invalid"
    default_message = "The session token is invalid."


class PermissionDeniedError(ThresholdError):
    code = "permission_denied"
    default_message = "You are not allowed to do that."


class NotFoundError(ThresholdError):
    code = "resource_not_found"
    default_message = "Resource not found."


class ConflictError(ThresholdError):
    code = "duplicate_record"
    default_message = "That record already exists."


class DuplicateError(ConflictError):
    """The database refused a value that must be unique (``field`` names it). The store
    raises it; services say in words what was taken."""

    def __init__(self, field: str, message: str | None = None, **kw: Any) -> None:
        super().__init__(message, param=field, **kw)
        self.field = field


class MethodNotAllowedError(ThresholdError):
    code = "method_not_allowed"
    default_message = "Method not allowed."


class PayloadTooLargeError(ThresholdError):
    code = "request_body_too_large"
    default_message = "The request body is too large."


class RateLimitedError(ThresholdError):
    code = "too_many_requests"
    default_message = "Too many requests. Please try again in a bit."

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = max(int(retry_after), 1)


class UnavailableError(ThresholdError):
    code = "service_unavailable"
    default_message = "The service is temporarily unavailable. Please try again shortly."

    def __init__(self, message: str | None = None, *, retry_after: int = 5, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
