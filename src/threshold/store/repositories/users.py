"""Users, their email addresses and profile images."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from threshold.core.records.listing import Page, UserFilters
from threshold.core.records.users import EmailAddress, Image, User
from threshold.store.repositories._base import Repository, refusing_duplicates
from threshold.store.repositories.user_search import user_where
from threshold.store.tables import clients, email_addresses, images, sessions, users

__all__ = ["EmailRepository", "ImageRepository", "UserRepository"]

_UNIQUE_USER_FIELDS = ("username", "external_id")


class UserRepository(Repository[User]):
    table = users
    record = User

    async def create(self, user: User, email: EmailAddress | None) -> User:
        """Store a new user with its first (primary) address; a taken address or username
        raises :class:`DuplicateError` naming ``email_address`` or ``username``. The unique
        indexes decide races: of concurrent sign-ups with one address exactly one commits."""
        if email is not None:
            user = replace(user, primary_email_address_id=email.id)
        async with refusing_duplicates(
            self.conn, named={"email": "email_address", "username": "username"}
        ):
            await self.insert(user)
            if email is not None:
                await EmailRepository(self.conn).insert(email)
        await self.refresh_search_text(user.id)
        return user

    async def refresh_search_text(self, user_id: str) -> None:
        """Recompute the lower-cased text that ``query`` searches (names, emails, username)."""
        user = await self.get(user_id)
        if user is None:
            return
        emails = await EmailRepository(self.conn).for_user(user_id)
        parts = [
            user.first_name,
            user.last_name,
            user.username,
            user.external_id,
            user.id,
            *[e.email_address for e in emails],
        ]
        await self._set(user_id, search_text=" ".join(p.lower() for p in parts if p))

    async def value_taken(self, field: str, value: str, except_user_id: str | None) -> bool:
        """Whether another user than ``except_user_id`` has ``value`` as its ``field``
        (``username`` or ``external_id``)."""
        assert field in _UNIQUE_USER_FIELDS
        stmt = sa.select(users.c.id).where(users.c[field] == value)
        if except_user_id is not None:
            stmt = stmt.where(users.c.id != except_user_id)
        return (await self.conn.execute(stmt.limit(1))).first() is not None

    async def matching(
        self, filters: UserFilters, page: Page, allowed: tuple[str, ...]
    ) -> list[User]:
        """One page of the users that match ``filters`` (``allowed``: the order fields)."""
        by_created_at = page.order_by.lstrip(" +-") == "created_at"
        where = await user_where(self.conn, filters, by_created_at=by_created_at)
        return await self._page(where, page, allowed)

    async def count_matching(self, filters: UserFilters) -> int:
        """How many users match ``filters``."""
        return await self._count(await user_where(self.conn, filters))

    async def delete_with_sessions(self, user_id: str, now_ms: int) -> None:
        """Delete the user (its addresses, images, sessions and tokens go with it); the
        Clients whose active session was one of its sessions are left without one."""
        owned = sa.select(sessions.c.id).where(sessions.c.user_id == user_id)
        await self.conn.execute(
            sa.update(clients)
            .where(clients.c.last_active_session_id.in_(owned))
            .values(last_active_session_id=None, updated_at=now_ms)
        )
        await self.delete(user_id)


_EMAIL_BY_ADDRESS = sa.select(email_addresses).where(
    email_addresses.c.email_address == sa.bindparam("address")
)
_EMAILS_OF_USER = (
    sa.select(email_addresses)
    .where(email_addresses.c.user_id == sa.bindparam("user_id"))
    .order_by(email_addresses.c.created_at, email_addresses.c.id)
)


class EmailRepository(Repository[EmailAddress]):
    table = email_addresses
    record = EmailAddress

    async def by_address(self, address: str) -> EmailAddress | None:
        """The record of an address (addresses are stored lower-cased)."""
        return await self._one(_EMAIL_BY_ADDRESS, {"address": address.lower()})

    async def for_user(self, user_id: str) -> list[EmailAddress]:
        """The user's addresses, oldest first."""
        return await self._all(_EMAILS_OF_USER, {"user_id": user_id})

    async def for_users(self, user_ids: list[str]) -> dict[str, list[EmailAddress]]:
        """Addresses grouped by user, for many users in one query."""
        grouped: dict[str, list[EmailAddress]] = {u: [] for u in user_ids}
        if not user_ids:
            return grouped
        found = await self._all(
            sa.select(email_addresses)
            .where(email_addresses.c.user_id.in_(user_ids))
            .order_by(email_addresses.c.created_at, email_addresses.c.id)
        )
        for email in found:
            grouped[email.user_id].append(email)
        return grouped

    async def add(self, email: EmailAddress) -> EmailAddress:
        """Store one more address; a taken one raises :class:`DuplicateError`."""
        async with refusing_duplicates(self.conn, "email_address"):
            return await self.insert(email)


class ImageRepository(Repository[Image]):
    table = images
    record = Image

    async def replace_for_user(self, image: Image) -> Image:
        """Store ``image`` as its user's only image."""
        await self.delete_for_user(image.user_id)
        return await self.insert(image)

    async def delete_for_user(self, user_id: str) -> None:
        await self.conn.execute(sa.delete(images).where(images.c.user_id == user_id))
