"""How a listing is asked for: which page, in which order, and the user filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Listed", "Page", "UserFilters"]

ItemT = TypeVar("ItemT")


@dataclass(frozen=True, slots=True)
class Page:
    """Which slice of a listing to return: ``order_by`` is Clerk's ``[+|-]field``."""

    limit: int = 10
    offset: int = 0
    order_by: str = "-created_at"


@dataclass(frozen=True, slots=True)
class Listed(Generic[ItemT]):
    """One page of a listing and how many items the whole listing holds."""

    items: list[ItemT]
    total: int


@dataclass(frozen=True, slots=True)
class UserFilters:
    """The Backend API's user filters: any value of a list matches; filters combine with AND."""

    email_addresses: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    query: str | None = None
