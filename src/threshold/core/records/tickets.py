"""Single-use tickets: invitations to sign up and sign-in tokens (stored as digests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Invitation", "InvitationStatus", "SignInToken", "SignInTokenStatus"]


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Invitation:
    """An invitation for an address; ``expires_at`` None means it never expires."""

    id: str
    email_address: str
    status: InvitationStatus
    ticket_digest: str
    created_at: int
    updated_at: int
    public_metadata: Mapping[str, Any] = field(default_factory=dict)
    redirect_url: str | None = None
    expires_at: int | None = None

    def status_at(self, now_ms: int) -> InvitationStatus:
        """The stored status, or ``expired`` for a pending invitation past its expiry."""
        expires = self.expires_at
        if self.status == InvitationStatus.PENDING and expires is not None and expires <= now_ms:
            return InvitationStatus.EXPIRED
        return self.status


class SignInTokenStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class SignInToken:
    """A link that signs one user in, once, before ``expires_at``."""

    id: str
    user_id: str
    status: SignInTokenStatus
    ticket_digest: str
    expires_at: int
    created_at: int
    updated_at: int

    def usable_at(self, now_ms: int) -> bool:
        return self.status == SignInTokenStatus.PENDING and now_ms < self.expires_at
