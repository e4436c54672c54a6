"""One-time codes sent by email, stored as digests."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["CodePurpose", "Verification", "VerificationStatus"]


class CodePurpose(StrEnum):
    """What a code proves: a sign-up's address, a sign-in, or a password reset."""

    SIGN_UP = "sign_up"
    SIGN_IN = "sign_in"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a secret)


class VerificationStatus(StrEnum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    FAILED = "failed"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Verification:
    """A code sent to ``target`` for ``subject_id`` (a user or a sign-up)."""

    id: str
    purpose: CodePurpose
    subject_id: str
    target: str
    code_digest: str
    attempts: int
    status: VerificationStatus
    expire_at: int
    created_at: int
    updated_at: int
