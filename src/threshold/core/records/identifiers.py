"""Allowlist and blocklist entries: an email address or a whole domain."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["IdentifierList", "ListedIdentifier"]


class IdentifierList(StrEnum):
    """Which list: only listed identifiers may sign up and sign in once the allowlist has
    an entry; blocklisted ones never may."""

    ALLOWLIST = "allowlist"
    BLOCKLIST = "blocklist"


@dataclass(frozen=True, slots=True)
class ListedIdentifier:
    """An address or ``*@domain`` on one of the lists (``invitation_id``: allowlist only)."""

    id: str
    identifier: str
    identifier_type: str
    created_at: int
    updated_at: int
    invitation_id: str | None = None
