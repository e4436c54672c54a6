"""Allowlist and blocklist identifiers: who may sign up and sign in.

An identifier is an email address or a whole domain (``*@example.com``; ``@example.com``
and ``example.com`` are stored in that form). ``check_identifier_allowed`` in
``services.users`` enforces them at sign-up and sign-in.
"""

from __future__ import annotations

import re

from threshold.core.errors import DuplicateError, IdentifierExistsError, ValidationError
from threshold.core.ids import new_id
from threshold.core.records.identifiers import IdentifierList, ListedIdentifier
from threshold.core.records.listing import Listed, Page
from threshold.services.infra.mail import Mail
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.creation import normalize_email
from threshold.store.repositories.identifier_lists import identifier_list

__all__ = ["IdentifierListService", "normalize_identifier"]

_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}\.)+[a-z]{2,63}")
_PREFIX = {IdentifierList.ALLOWLIST: "alid", IdentifierList.BLOCKLIST: "blid"}


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


class IdentifierListService:
    """What the Backend API does with one of the two lists."""

    def __init__(self, kind: IdentifierList) -> None:
        self.kind = kind
        self.prefix = _PREFIX[kind]

    def _taken(self) -> IdentifierExistsError:
        return IdentifierExistsError(
            f"This identifier is already on the {self.kind.value}.", param="identifier"
        )

    async def create(
        self, ctx: ServerContext, identifier: str, *, notify: bool = False
    ) -> ListedIdentifier:
        """Add an identifier; one already listed is a 422 naming ``identifier``."""
        normalized = normalize_identifier(identifier)

        async def work(tx: Tx) -> ListedIdentifier:
            entries = identifier_list(tx.conn, self.kind)
            if await entries.by_identifier(normalized) is not None:
                raise self._taken()
            now = ctx.now_ms()
            entry = ListedIdentifier(
                id=new_id(self.prefix),
                identifier=normalized,
                identifier_type="email_address",
                created_at=now,
                updated_at=now,
            )
            try:
                await entries.add(entry)
            except DuplicateError as exc:
                raise self._taken() from exc
            if notify and self.kind == IdentifierList.ALLOWLIST and not normalized.startswith("*@"):
                tx.after_commit.mail(
                    Mail(
                        to=normalized,
                        subject=f"You can now join {ctx.settings.app_name}",
                        text=f"You can now create an account at {ctx.settings.public_url}"
                        "/sign-up\n",
                        kind="allowlist",
                    )
                )
            return entry

        return await run_transaction(ctx, work)

    async def list(self, ctx: ServerContext, page: Page) -> Listed[ListedIdentifier]:
        """Listed identifiers, newest first, with the total count."""

        async def work(tx: Tx) -> Listed[ListedIdentifier]:
            return await identifier_list(tx.conn, self.kind).listing(page)

        return await run_transaction(ctx, work)

    async def delete(self, ctx: ServerContext, identifier_id: str) -> str:
        """Remove an identifier from the list."""

        async def work(tx: Tx) -> str:
            entries = identifier_list(tx.conn, self.kind)
            what = f"{self.kind.value} identifier"
            await require(entries, identifier_id, self.prefix, what, "identifier_id")
            await entries.delete(identifier_id)
            return identifier_id

        return await run_transaction(ctx, work)
