"""A sign-in attempt, and how a factor appears among its supported factors."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

__all__ = ["EmailFactorTarget", "SignIn", "SignInStatus", "SupportedFactor"]


class SignInStatus(StrEnum):
    NEEDS_FIRST_FACTOR = "needs_first_factor"
    NEEDS_SECOND_FACTOR = "needs_second_factor"
    NEEDS_NEW_PASSWORD = "needs_new_password"  # noqa: S105 (a status, not a secret)
    COMPLETE = "complete"
    ABANDONED = "abandoned"


_FINISHED = (SignInStatus.COMPLETE, SignInStatus.ABANDONED)


@dataclass(frozen=True, slots=True)
class SignIn:
    """A Client's attempt to sign in. ``identifier`` is what was typed (lower-cased);
    ``user_id`` and ``email_address_id`` are None for an address with no account.
    ``strategy`` is the first factor being verified; ``second_factor_strategy`` the
    second one, once one was chosen."""

    id: str
    client_id: str
    status: SignInStatus
    abandon_at: int
    created_at: int
    updated_at: int
    identifier: str | None = None
    user_id: str | None = None
    strategy: str | None = None
    email_address_id: str | None = None
    created_session_id: str | None = None
    second_factor_strategy: str | None = None

    @property
    def in_progress(self) -> bool:
        return self.status not in _FINISHED

    def seen_at(self, now_ms: int) -> SignIn:
        """The attempt as it reads at ``now_ms``: one still in progress at its
        ``abandon_at`` reads ``abandoned``."""
        if self.in_progress and self.abandon_at <= now_ms:
            return replace(self, status=SignInStatus.ABANDONED)
        return self


@dataclass(frozen=True, slots=True)
class EmailFactorTarget:
    """The address a factor sends to, as a sign-in shows it."""

    safe_identifier: str | None
    email_address_id: str
    primary: bool = True


@dataclass(frozen=True, slots=True)
class SupportedFactor:
    """One entry of a sign-in's ``supported_first_factors`` or ``supported_second_factors``."""

    strategy: str
    email: EmailFactorTarget | None = None
