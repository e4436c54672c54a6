"""Allowlist and blocklist identifiers: who may sign up and sign in.

An identifier is an email address or a whole domain (``*@example.com``; ``@example.com``
and ``example.com`` are stored in that form). ``check_identifier_allowed`` in
``services.users`` enforces them at sign-up and sign-in.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError

from threshold.core.errors import IdentifierExistsError, ValidationError
from threshold.core.ids import new_id
from threshold.services.infra.mail import Mail
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.creation import normalize_email
from threshold.store.repositories._base import Row
from threshold.store.repositories.admin import (
    AllowlistRepository,
    BlocklistRepository,
    Page,
    Pager,
)

__all__ = ["IdentifierList", "normalize_identifier"]

_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}\.)+[a-z]{2,63}")


def normalize_identifier(value: str) -> str:
    """A lower-cased email address, or ``*@domain`` for a whole domain."""
    text = value.strip().lower()
    if "@" in text.lstrip("*@"):
        return normalize_email(text, param="identifier")
    domain = text.lstrip("*").lstrip("@")
    if len(domain) > 253 or not _DOMAIN.fullmatch(domain):
        raise ValidationError(
            "identifier must be an email address or a domain such as *@example.com "
            "(phone numbers and wallets are not supported).",
            param="identifier",
        )
    return f"*@{domain}"


class IdentifierList:
    """One of the two lists: ``IdentifierList("allowlist")`` or ``("blocklist")``."""

    def __init__(self, kind: str) -> None:
        if kind not in ("allowlist", "blocklist"):
            raise ValueError(kind)
        self.kind = kind
        self.repo_type = AllowlistRepository if kind == "allowlist" else BlocklistRepository
        self.prefix = "alid" if kind == "allowlist" else "blid"

    async def create(self, ctx: ServerContext, identifier: str, *, notify: bool = False) -> Row:
        """Add an identifier; one already listed is a 422 naming ``identifier``."""
        normalized = normalize_identifier(identifier)

        async def work(tx: Tx) -> Row:
            repo = self.repo_type(tx.conn)
            if await repo.by_identifier(normalized) is not None:
                raise IdentifierExistsError(
                    f"This identifier is already on the {self.kind}.", param="identifier"
                )
            now = ctx.now_ms()
            values: dict[str, object] = {
                "id": new_id(self.prefix),
                "identifier": normalized,
                "identifier_type": "email_address",
                "created_at": now,
                "updated_at": now,
            }
            if self.kind == "allowlist":
                values["invitation_id"] = None
            try:
                async with tx.conn.begin_nested():
                    row = await repo.insert(**values)
            except IntegrityError as exc:
                raise IdentifierExistsError(
                    f"This identifier is already on the {self.kind}.", param="identifier"
                ) from exc
            if notify and self.kind == "allowlist" and not normalized.startswith("*@"):
                tx.after_commit.mail(
                    Mail(
                        to=normalized,
                        subject=f"You can now join {ctx.settings.app_name}",
                        text=f"You can now create an account at {ctx.settings.public_url}"
                        "/sign-up\n",
                        kind="allowlist",
                    )
                )
            return row

        return await run_transaction(ctx, work)

    async def list(self, ctx: ServerContext, page: Page) -> tuple[list[Row], int]:
        """Listed identifiers, newest first, with the total count."""

        async def work(tx: Tx) -> tuple[list[Row], int]:
            pager = Pager(tx.conn, self.repo_type.table)
            return await pager.page([], page), await pager.count([])

        return await run_transaction(ctx, work)

    async def delete(self, ctx: ServerContext, identifier_id: str) -> str:
        """Remove an identifier from the list."""

        async def work(tx: Tx) -> str:
            repo = self.repo_type(tx.conn)
            await require(
                repo, identifier_id, self.prefix, f"{self.kind} identifier", "identifier_id"
            )
            await repo.delete(identifier_id)
            return identifier_id

        return await run_transaction(ctx, work)
