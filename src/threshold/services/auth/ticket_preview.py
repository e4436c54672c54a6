"""Looking at a ticket before it is redeemed, so a page can say whom it is for.

``__clerk_ticket`` links carry either an invitation (sign-up) or a sign-in token. The
hosted pages never redeem a ticket on a GET: they show whom the ticket is for and ask
for a click (a CSRF-protected POST), so a link alone cannot sign a browser in.
"""

from __future__ import annotations

from threshold.core.codes import token_digest
from threshold.core.records.tickets import InvitationStatus
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import (
    EmailRepository,
    InvitationRepository,
    SignInTokenRepository,
    UserRepository,
)

__all__ = ["invitation_email", "sign_in_token_email"]

_MAX_TICKET = 2048


def _usable(ticket: str | None) -> bool:
    return bool(ticket) and len(ticket or "") <= _MAX_TICKET


async def invitation_email(ctx: ServerContext, ticket: str | None) -> str | None:
    """The address a pending invitation is for, or None when the ticket is not one."""
    if ticket is None or not _usable(ticket):
        return None

    async def work(tx: Tx) -> str | None:
        found = await InvitationRepository(tx.conn).by_ticket_digest(token_digest(ticket))
        if found is None or found.status != InvitationStatus.PENDING:
            return None
        return found.email_address

    return await run_transaction(ctx, work)


async def sign_in_token_email(ctx: ServerContext, ticket: str | None) -> str | None:
    """The primary address of the user a live sign-in token is for, or None."""
    if ticket is None or not _usable(ticket):
        return None

    async def work(tx: Tx) -> str | None:
        found = await SignInTokenRepository(tx.conn).by_ticket_digest(token_digest(ticket))
        if found is None or not found.usable_at(ctx.now_ms()):
            return None
        user = await UserRepository(tx.conn).get(found.user_id)
        if user is None or user.banned:
            return None
        return user.primary_email(await EmailRepository(tx.conn).for_user(user.id)) or user.id

    return await run_transaction(ctx, work)
