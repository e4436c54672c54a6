"""Users, their email addresses and profile images."""

from __future__ import annotations

import sqlalchemy as sa

from threshold.store.repositories._base import Repository, Row
from threshold.store.tables import email_addresses, images, users

__all__ = ["EmailRepository", "ImageRepository", "UserRepository"]


class UserRepository(Repository):
    table = users

    async def touch_search_text(self, user_id: str) -> None:
        """Recompute the lower-cased text that ``query`` searches (names, emails, username)."""
        user = await self.get(user_id)
        if user is None:
            return
        emails = await EmailRepository(self.conn).for_user(user_id)
        parts = [
            user.get("first_name"),
            user.get("last_name"),
            user.get("username"),
            user.get("external_id"),
            user["id"],
            *[e["email_address"] for e in emails],
        ]
        text = " ".join(p.lower() for p in parts if p)
        await self.update(user_id, search_text=text)


_EMAIL_BY_ADDRESS = sa.select(email_addresses).where(
    email_addresses.c.email_address == sa.bindparam("address")
)
_EMAILS_OF_USER = (
    sa.select(email_addresses)
    .where(email_addresses.c.user_id == sa.bindparam("user_id"))
    .order_by(email_addresses.c.created_at, email_addresses.c.id)
)


class EmailRepository(Repository):
    table = email_addresses

    async def by_address(self, address: str) -> Row | None:
        """The email row for an address (addresses are stored lower-cased)."""
        return await self._one(_EMAIL_BY_ADDRESS, {"address": address.lower()})

    async def for_user(self, user_id: str) -> list[Row]:
        return await self._all(_EMAILS_OF_USER, {"user_id": user_id})

    async def for_users(self, user_ids: list[str]) -> dict[str, list[Row]]:
        """Email rows grouped by user, for serializing many users in one query."""
        grouped: dict[str, list[Row]] = {u: [] for u in user_ids}
        if not user_ids:
            return grouped
        rows = await self._all(
            sa.select(email_addresses)
            .where(email_addresses.c.user_id.in_(user_ids))
            .order_by(email_addresses.c.created_at, email_addresses.c.id)
        )
        for row in rows:
            grouped[row["user_id"]].append(row)
        return grouped


class ImageRepository(Repository):
    table = images

    async def delete_for_user(self, user_id: str) -> None:
        await self.conn.execute(sa.delete(images).where(images.c.user_id == user_id))
