"""Errors the SDK raises, and the control-flow signals its helpers throw.

ThresholdError (threshold.core.errors)
 ├── SdkError                        something the SDK could not do
 │    ├── ApiError                   the Backend API answered with an error body (status, code)
 │    ├── TransportError             the Backend API could not be reached
 │    ├── MissingDependencyError     an optional extra is not installed (also an ImportError)
 │    ├── AuthContextMissingError    auth() outside a request the middleware handled
 │    └── BlockingCallError          a sync network helper called on a running event loop
 ├── TokenError
 │    └── TokenVerificationError     a session token was refused; ``reason`` is Clerk's string
 └── ActionError                     a message meant for the user, shown verbatim
      ├── NotSignedInError           401: the caller must sign in first
      └── AccessDeniedError          signed in, but not allowed (404 for pages, 403 in actions)

Redirect is not an error: :func:`redirect` returns one and helpers raise it to end a
request with a redirect, as ``return redirect("/cart")`` or ``raise redirect("/cart")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from threshold.core.errors import ThresholdError, TokenError

__all__ = [
    "AccessDeniedError",
    "ActionError",
    "ApiError",
    "AuthContextMissingError",
    "BlockingCallError",
    "MissingDependencyError",
    "NotSignedInError",
    "Redirect",
    "SdkError",
    "TokenVerificationError",
    "TransportError",
    "redirect",
]


class SdkError(ThresholdError):
    """Base of the errors raised by the SDK itself."""

    code = "sdk_error"


class ApiError(SdkError):
    """The Backend API answered ``status`` with Clerk's error body.

    ``code``/``message`` come from the first entry of ``errors``; all entries are kept.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        long_message: str | None = None,
        errors: list[Mapping[str, Any]] | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(message, long_message=long_message, code=code)
        self.status = status
        self.errors: list[Mapping[str, Any]] = list(errors or [])
        self.trace_id = trace_id

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class TransportError(SdkError):
    """The Backend API could not be reached (connection refused, timeout, TLS...)."""

    code = "transport_error"
    default_message = "The Threshold server could not be reached."


class MissingDependencyError(SdkError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    code = "missing_dependency"

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(
            f"{module} is not installed. Install it with: pip install 'threshold[{extra}]'"
        )
        self.extra = extra
        self.module = module


class AuthContextMissingError(SdkError, RuntimeError):
    """``auth()`` and friends were called outside a request the middleware handled."""

    code = "auth_context_missing"
    default_message = (
        "auth() was called outside a request handled by Threshold. Add the middleware: "
        "app.add_middleware(threshold.asgi.AuthMiddleware) for FastAPI/Starlette, "
        "threshold.flask.Threshold(app) for Flask, or "
        "'threshold.django.middleware.AuthMiddleware' in Django's MIDDLEWARE."
    )


class BlockingCallError(SdkError, RuntimeError):
    """A sync helper that needs the network was called on a running event loop."""

    code = "blocking_call"


class TokenVerificationError(TokenError):
    """A session token was refused. ``reason`` is Clerk's reason string.

    ``claims`` holds the payload when the signature was valid but a time check failed
    (an expired token may still be renewed); it is ``None`` otherwise.
    """

    def __init__(
        self, reason: str, message: str | None = None, claims: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message or "The session token is invalid.", code=reason)
        self.claims = claims

    @property
    def reason(self) -> str:
        """Clerk's reason string (``token-expired``, ``jwk-kid-mismatch``...)."""
        return self.code


class ActionError(ThresholdError):
    """An expected failure whose ``message`` is shown to the user as is.

    ``fields`` maps form field names to messages shown next to them.
    """

    code = "action_error"
    status: int = 400

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: Mapping[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})
        if status is not None:
            self.status = status


class NotSignedInError(ActionError):
    """The caller must be signed in (401; pages redirect to sign-in instead)."""

    code = "signed_out"
    status = 401
    default_message = "You must be signed in to do that."


class AccessDeniedError(ActionError):
    """Signed in but not allowed. Pages and APIs answer 404 (as Clerk does); actions 403."""

    code = "access_denied"
    status = 404
    default_message = "You are not allowed to do that."


class Redirect(Exception):  # noqa: N818 - a control-flow signal, not an error
    """End the request with a redirect to ``url`` (303 after a POST, 307 otherwise)."""

    kinds: ClassVar[tuple[int, ...]] = (302, 303, 307, 308)

    def __init__(self, url: str, status: int = 303) -> None:
        if status not in self.kinds:
            raise ValueError(f"not a redirect status: {status}")
        super().__init__(url)
        self.url = url
        self.status = status


def redirect(url: str, status: int = 303) -> Redirect:
    """A redirect to ``url``: ``return redirect("/cart")`` or ``raise redirect("/cart")``."""
    return Redirect(url, status)
