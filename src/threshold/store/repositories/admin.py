"""Paged listings and the Backend API's own tables (templates, tickets, identifier lists)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import ValidationError
from threshold.store.repositories._base import Repository, Row
from threshold.store.tables import (
    allowlist_identifiers,
    blocklist_identifiers,
    email_addresses,
    invitations,
    jwt_templates,
    sign_in_tokens,
    users,
)

__all__ = [
    "AllowlistRepository",
    "BlocklistRepository",
    "InvitationRepository",
    "JwtTemplateRepository",
    "Page",
    "Pager",
    "SignInTokenRepository",
    "UserFilters",
    "like_pattern",
    "order_clauses",
    "user_conditions",
]

Condition = sa.ColumnElement[bool]


@dataclass(frozen=True, slots=True)
class Page:
    """Which slice of a listing to return: ``order_by`` is Clerk's ``[+|-]field``."""

    limit: int = 10
    offset: int = 0
    order_by: str = "-created_at"


def order_clauses(
    table: sa.Table, order_by: str, allowed: Sequence[str]
) -> list[sa.UnaryExpression[object]]:
    """ORDER BY for ``[+|-]field`` (a leading space is a ``+`` that lost its URL encoding).

    Raises a ValidationError naming ``order_by`` for fields outside ``allowed``. The id
    breaks ties, so pages never overlap.
    """
    text = order_by.strip() if order_by.startswith(" ") else order_by
    descending = text.startswith("-")
    field = text[1:] if text[:1] in ("+", "-") else text
    if field not in allowed:
        raise ValidationError(
            f"order_by must be one of {', '.join(allowed)}, optionally prefixed by + or -.",
            param="order_by",
            code="form_param_value_invalid",
        )
    column = table.c[field]
    primary = column.desc() if descending else column.asc()
    tie = table.c.id.desc() if descending else table.c.id.asc()
    return [primary.nulls_last() if descending else primary.nulls_first(), tie]


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE with ``\\`` as the escape character."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Pager:
    """Counts and slices of one table under some conditions."""

    def __init__(self, conn: AsyncConnection, table: sa.Table) -> None:
        self.conn, self.table = conn, table

    async def page(
        self, where: Sequence[Condition], page: Page, allowed: Sequence[str] = ("created_at",)
    ) -> list[Row]:
        """The rows of one page, ordered as ``page.order_by`` asks."""
        stmt = (
            sa.select(self.table)
            .where(*where)
            .order_by(*order_clauses(self.table, page.order_by, allowed))
            .limit(page.limit)
            .offset(page.offset)
        )
        return [dict(r) for r in (await self.conn.execute(stmt)).mappings().all()]

    async def count(self, where: Sequence[Condition]) -> int:
        """How many rows match ``where``."""
        stmt = sa.select(sa.func.count()).select_from(self.table).where(*where)
        return int((await self.conn.execute(stmt)).scalar_one())


@dataclass(frozen=True, slots=True)
class UserFilters:
    """The Backend API's user filters: any value of a list matches; filters combine with AND."""

    email_addresses: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    external_ids: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    query: str | None = None


def user_conditions(filters: UserFilters) -> list[Condition]:
    """WHERE conditions on ``users`` for the given filters."""
    where: list[Condition] = []
    if filters.email_addresses:
        lowered = [e.strip().lower() for e in filters.email_addresses]
        where.append(
            users.c.id.in_(
                sa.select(email_addresses.c.user_id).where(
                    email_addresses.c.email_address.in_(lowered)
                )
            )
        )
    if filters.user_ids:
        where.append(users.c.id.in_(filters.user_ids))
    if filters.external_ids:
        where.append(users.c.external_id.in_(filters.external_ids))
    if filters.usernames:
        where.append(users.c.username.in_([u.lower() for u in filters.usernames]))
    if filters.query:
        for word in filters.query.lower().split():
            where.append(users.c.search_text.like(like_pattern(word), escape="\\"))
    return where


class JwtTemplateRepository(Repository):
    """JWT templates (``name`` is unique)."""

    table = jwt_templates

    async def by_name(self, name: str) -> Row | None:
        """The template with this exact name, if any."""
        return await self._one(sa.select(jwt_templates).where(jwt_templates.c.name == name))


class InvitationRepository(Repository):
    """Invitations to sign up (the ticket as a digest)."""

    table = invitations

    async def pending_for(self, address: str) -> Row | None:
        """A pending invitation for this (lower-cased) address, if any."""
        return await self._one(
            sa.select(invitations)
            .where(invitations.c.email_address == address, invitations.c.status == "pending")
            .limit(1)
        )


class SignInTokenRepository(Repository):
    """Single-use sign-in tokens (the ticket as a digest)."""

    table = sign_in_tokens


class AllowlistRepository(Repository):
    """Allowed identifiers (email addresses and ``*@domain``)."""

    table = allowlist_identifiers

    async def by_identifier(self, identifier: str) -> Row | None:
        """The entry for this (normalized) identifier, if any."""
        return await self._one(
            sa.select(self.table).where(self.table.c.identifier == identifier).limit(1)
        )


class BlocklistRepository(AllowlistRepository):
    """Blocked identifiers (email addresses and ``*@domain``)."""

    table = blocklist_identifiers
