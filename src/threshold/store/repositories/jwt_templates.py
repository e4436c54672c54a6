"""JWT templates (``name`` is unique)."""

from __future__ import annotations

import sqlalchemy as sa

from threshold.core.records.jwt_templates import JwtTemplate
from threshold.store.repositories._base import Repository, refusing_duplicates
from threshold.store.tables import jwt_templates

__all__ = ["JwtTemplateRepository"]


class JwtTemplateRepository(Repository[JwtTemplate]):
    table = jwt_templates
    record = JwtTemplate

    async def by_name(self, name: str) -> JwtTemplate | None:
        """The template with this exact name, if any."""
        return await self._one(sa.select(jwt_templates).where(jwt_templates.c.name == name))

    async def add(self, template: JwtTemplate) -> JwtTemplate:
        """Store a new template; a taken name raises :class:`DuplicateError` (``name``)."""
        async with refusing_duplicates(self.conn, "name"):
            return await self.insert(template)

    async def replace(self, old: JwtTemplate, new: JwtTemplate) -> JwtTemplate:
        """Store the changed template; a taken name raises :class:`DuplicateError`."""
        async with refusing_duplicates(self.conn, "name"):
            return await self.update(old, new)
