"""A user, its email addresses and its profile image."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EmailAddress", "Image", "User"]


@dataclass(frozen=True, slots=True)
class User:
    """An account. Times are milliseconds since the epoch; ``locked_until`` is set while
    failed password checks keep the account locked."""

    id: str
    created_at: int
    updated_at: int
    external_id: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    password_digest: str | None = None
    password_updated_at: int | None = None
    primary_email_address_id: str | None = None
    image_id: str | None = None
    public_metadata: Mapping[str, Any] = field(default_factory=dict)
    private_metadata: Mapping[str, Any] = field(default_factory=dict)
    unsafe_metadata: Mapping[str, Any] = field(default_factory=dict)
    banned: bool = False
    locked_until: int | None = None
    failed_attempts: int = 0
    last_sign_in_at: int | None = None
    last_active_at: int | None = None

    def primary_email(self, emails: list[EmailAddress]) -> str | None:
        """The primary address among ``emails`` (the user's), else the first one, if any."""
        for email in emails:
            if email.id == self.primary_email_address_id:
                return email.email_address
        return emails[0].email_address if emails else None


@dataclass(frozen=True, slots=True)
class EmailAddress:
    """One of a user's addresses (stored lower-cased); ``verification_strategy`` says how
    it was verified: ``email_code``, ``ticket`` (an invitation) or ``admin``."""

    id: str
    user_id: str
    email_address: str
    verified: bool
    verification_strategy: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class Image:
    """An uploaded profile image, with the content type its first bytes showed."""

    id: str
    user_id: str
    content_type: str
    data: bytes
    created_at: int
    updated_at: int
