"""What ``auth()`` returns: who is signed in, their organization, and ``has()``/``protect()``.

Signed in or out, the object has the same attributes (``None`` when signed out), as
Clerk's ``auth()`` does. ``protect()`` and ``redirect_to_sign_in()`` end the request the
right way for its kind: a redirect for a page, an error for an action or an API call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, NoReturn, Protocol
from urllib.parse import urlencode

from threshold.sdk.claims import (
    OrgInfo,
    check_feature_or_plan,
    check_reverification,
    org_info,
    with_org_prefix,
)
from threshold.sdk.errors import AccessDeniedError, NotSignedInError, Redirect

if TYPE_CHECKING:
    from threshold.sdk.http import RequestInfo

__all__ = ["Auth", "AuthHost"]

_NO_ORG = OrgInfo()


class AuthHost(Protocol):
    """The request an :class:`Auth` belongs to (``RequestState`` implements it)."""

    @property
    def request(self) -> RequestInfo: ...
    @property
    def is_action(self) -> bool: ...
    @property
    def sign_in_url(self) -> str | None: ...
    def mint_token(self, session_id: str, template: str | None, expires: int | None) -> str: ...
    async def amint_token(
        self, session_id: str, template: str | None, expires: int | None
    ) -> str: ...


class Auth:
    """The auth state of the current request. Build it with ``auth()``."""

    token_type = "session_token"  # noqa: S105 - a kind of token, not a secret

    def __init__(
        self,
        claims: Mapping[str, Any] | None,
        token: str | None = None,
        host: AuthHost | None = None,
        *,
        treat_pending_as_signed_out: bool = True,
    ) -> None:
        status = claims.get("sts") if claims else None
        self.session_status: str | None = status if isinstance(status, str) else None
        if claims is not None and status == "pending" and treat_pending_as_signed_out:
            claims = None
        self._host = host
        self._token = token if claims is not None else None
        self.session_claims: Mapping[str, Any] | None = claims
        self.user_id: str | None = claims["sub"] if claims else None
        self.session_id: str | None = claims["sid"] if claims else None

    # The rest is read from the claims when first asked for: most requests only look at
    # who is signed in, and ``auth()`` runs on every request of a Django app.
    @cached_property
    def actor(self) -> Mapping[str, Any] | None:
        """The ``act`` claim: who is acting as the user (impersonation), else None."""
        actor = self.session_claims.get("act") if self.session_claims else None
        return actor if isinstance(actor, Mapping) else None

    @cached_property
    def _org(self) -> OrgInfo:
        return org_info(self.session_claims) if self.session_claims else _NO_ORG

    @cached_property
    def org_id(self) -> str | None:
        """The active organization's id, else None."""
        return self._org.id

    @cached_property
    def org_role(self) -> str | None:
        """The user's role in the active organization (``org:admin``), else None."""
        return self._org.role

    @cached_property
    def org_slug(self) -> str | None:
        """The active organization's slug, else None."""
        return self._org.slug

    @cached_property
    def org_permissions(self) -> tuple[str, ...] | None:
        """The user's permissions in the active organization, else None."""
        return self._org.permissions if self._org.id else None

    @cached_property
    def factor_verification_age(self) -> tuple[int, int] | None:
        """Minutes since the first and second factors were verified (``fva``), else None."""
        fva = self.session_claims.get("fva") if self.session_claims else None
        if isinstance(fva, list) and len(fva) == 2 and all(isinstance(v, int) for v in fva):
            return (fva[0], fva[1])
        return None

    @property
    def is_authenticated(self) -> bool:
        """True when a (non-pending) session is signed in."""
        return self.user_id is not None

    def __repr__(self) -> str:
        if not self.user_id:
            return "<Auth signed out>"
        return f"<Auth user_id={self.user_id!r} session_id={self.session_id!r}>"

    def has(
        self,
        *,
        role: str | None = None,
        permission: str | None = None,
        feature: str | None = None,
        plan: str | None = None,
        reverification: str | Mapping[str, Any] | None = None,
    ) -> bool:
        """True when every given condition holds (always False when signed out)."""
        if not self.user_id:
            return False
        if (role or permission) and not self.org_id:
            return False
        if role and self.org_role != with_org_prefix(role):
            return False
        if permission and with_org_prefix(permission) not in (self.org_permissions or ()):
            return False
        claims = self.session_claims or {}
        if feature and not check_feature_or_plan(feature, claims.get("fea")):
            return False
        if plan and not check_feature_or_plan(plan, claims.get("pla")):
            return False
        fva: Sequence[int] | None = self.factor_verification_age
        return not (reverification and not check_reverification(reverification, fva))

    def protect(
        self,
        condition: Callable[[Auth], bool] | None = None,
        *,
        role: str | None = None,
        permission: str | None = None,
        feature: str | None = None,
        plan: str | None = None,
        reverification: str | Mapping[str, Any] | None = None,
        unauthenticated_url: str | None = None,
        unauthorized_url: str | None = None,
    ) -> Auth:
        """Return ``self`` if signed in and every condition holds; else end the request.

        Signed out: a page redirects to sign-in (back to this page), an action or API
        call raises :class:`NotSignedInError` (401). Signed in but refused:
        :class:`AccessDeniedError` (404, as Clerk hides protected resources; 403 in actions).
        """
        if not self.user_id:
            if unauthenticated_url:
                raise Redirect(unauthenticated_url, 307)
            if self._host is not None and self._host.request.is_document:
                self.redirect_to_sign_in()
            raise NotSignedInError()
        allowed = self.has(
            role=role,
            permission=permission,
            feature=feature,
            plan=plan,
            reverification=reverification,
        )
        if allowed and condition is not None:
            allowed = bool(condition(self))
        if not allowed:
            if unauthorized_url:
                raise Redirect(unauthorized_url, 307)
            raise AccessDeniedError()
        return self

    def sign_in_url(self, return_back_url: str | None = None) -> str:
        """The sign-in page, with ``redirect_url`` back to ``return_back_url`` (this page)."""
        host = self._host
        base = host.sign_in_url if host else None
        if not base:
            raise NotSignedInError("Sign-in is not configured (set THRESHOLD_SIGN_IN_URL).")
        back = return_back_url or (host.request.url if host else None)
        if not back:
            return base
        return base + ("&" if "?" in base else "?") + urlencode({"redirect_url": back})

    def redirect_to_sign_in(self, return_back_url: str | None = None) -> NoReturn:
        """End the request with a redirect to sign-in (raises :class:`Redirect`)."""
        raise Redirect(self.sign_in_url(return_back_url), 307)

    def get_token(
        self, template: str | None = None, *, expires_in_seconds: int | None = None
    ) -> str | None:
        """The session token; with ``template``, a JWT-template token from the server."""
        if not self.session_id:
            return None
        if template is None and expires_in_seconds is None:
            return self._token
        assert self._host is not None
        return self._host.mint_token(self.session_id, template, expires_in_seconds)

    async def aget_token(
        self, template: str | None = None, *, expires_in_seconds: int | None = None
    ) -> str | None:
        """Async twin of :meth:`get_token`."""
        if not self.session_id:
            return None
        if template is None and expires_in_seconds is None:
            return self._token
        assert self._host is not None
        return await self._host.amint_token(self.session_id, template, expires_in_seconds)

    def to_dict(self) -> dict[str, Any]:
        """The public fields as a JSON-friendly dict (for templates and debugging)."""
        return {
            "is_authenticated": self.is_authenticated,
            "user_id": self.user_id,
            "session_id": self.session_id,
            "session_status": self.session_status,
            "actor": dict(self.actor) if self.actor else None,
            "org_id": self.org_id,
            "org_role": self.org_role,
            "org_slug": self.org_slug,
            "org_permissions": list(self.org_permissions)
            if self.org_permissions is not None
            else None,
            "factor_verification_age": list(self.factor_verification_age)
            if self.factor_verification_age
            else None,
        }
