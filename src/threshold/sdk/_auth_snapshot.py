"""Who a request is from, as the rules decided: the verified claims and the token they came
from (or why the request is signed out), and the :class:`Auth` objects built from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from threshold.sdk.auth_object import Auth

if TYPE_CHECKING:
    from threshold.sdk.auth_object import AuthHost
    from threshold.sdk.outcome import AuthOutcome

__all__ = ["AuthSnapshot"]


class AuthSnapshot:
    """The auth side of one request's outcome (the outcome itself is shared, read-only)."""

    __slots__ = ("_auth", "claims", "reason", "stale_session_id", "token")

    def __init__(self, outcome: AuthOutcome) -> None:
        self.claims = outcome.claims
        self.token = outcome.token
        self.reason = outcome.reason
        """Why the request is signed out (Clerk's reason string); "" when signed in."""
        self.stale_session_id = outcome.stale_session_id
        """Signed out, but the cookie held a validly signed token of this session."""
        self._auth: dict[bool, Auth] = {}

    def auth(self, host: AuthHost, treat_pending_as_signed_out: bool) -> Auth:
        """The :class:`Auth` of this request (built once per value of the flag)."""
        found = self._auth.get(treat_pending_as_signed_out)
        if found is None:
            found = Auth(
                self.claims,
                self.token,
                host,
                treat_pending_as_signed_out=treat_pending_as_signed_out,
            )
            self._auth[treat_pending_as_signed_out] = found
        return found

    def forget(self) -> None:
        """Drop the :class:`Auth` objects: each refers back to its host (the request's
        state), and the cycle would keep both alive until the garbage collector runs."""
        self._auth.clear()
