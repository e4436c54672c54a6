"""A browser's Client and its sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Client", "Session", "SessionStatus"]


@dataclass(frozen=True, slots=True)
class Client:
    """One browser (or native app): its ``__client`` secret is stored as a digest, with
    the session it uses and the sign-in and sign-up it has in progress."""

    id: str
    token_digest: str
    created_at: int
    updated_at: int
    last_active_session_id: str | None = None
    sign_in_id: str | None = None
    sign_up_id: str | None = None
    ended: bool = False


class SessionStatus(StrEnum):
    """Clerk's session statuses; only ``active`` mints tokens."""

    ACTIVE = "active"
    ENDED = "ended"
    REMOVED = "removed"
    REVOKED = "revoked"
    EXPIRED = "expired"
    ABANDONED = "abandoned"
    REPLACED = "replaced"


@dataclass(frozen=True, slots=True)
class Session:
    """A user signed in on a Client. It lives until ``expire_at`` (moved on by activity
    when an idle timeout is set) and never past ``abandon_at``."""

    id: str
    client_id: str
    user_id: str
    status: SessionStatus
    last_active_at: int
    expire_at: int
    abandon_at: int
    factor_verified_at: int
    created_at: int
    updated_at: int
    user_agent: str | None = None
    ip_address: str | None = None
    actor: Mapping[str, Any] | None = None

    def is_alive(self, now_ms: int) -> bool:
        """Active and before both of its ends."""
        return (
            self.status == SessionStatus.ACTIVE
            and now_ms < self.expire_at
            and now_ms < self.abandon_at
        )
