"""A sign-up attempt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

__all__ = ["SignUp", "SignUpStatus"]


class SignUpStatus(StrEnum):
    MISSING_REQUIREMENTS = "missing_requirements"
    COMPLETE = "complete"
    ABANDONED = "abandoned"


@dataclass(frozen=True, slots=True)
class SignUp:
    """A Client's attempt to create an account: the address (verified by a code or by an
    invitation), the password's digest and the optional names, until it completes."""

    id: str
    client_id: str
    status: SignUpStatus
    abandon_at: int
    created_at: int
    updated_at: int
    email_address: str | None = None
    email_verified: bool = False
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    password_digest: str | None = None
    unsafe_metadata: Mapping[str, Any] = field(default_factory=dict)
    invitation_id: str | None = None
    created_user_id: str | None = None
    created_session_id: str | None = None

    @property
    def in_progress(self) -> bool:
        return self.status == SignUpStatus.MISSING_REQUIREMENTS

    def seen_at(self, now_ms: int) -> SignUp:
        """The attempt as it reads at ``now_ms``: one still in progress at its
        ``abandon_at`` reads ``abandoned``."""
        if self.in_progress and self.abandon_at <= now_ms:
            return replace(self, status=SignUpStatus.ABANDONED)
        return self
