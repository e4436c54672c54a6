"""Sign-in tokens and invitations: single-use tickets, stored only as digests.

A sign-in token's link is ``<public_url>/sign-in?__clerk_ticket=<token>``; an
invitation's is ``<public_url>/sign-up?__clerk_ticket=<token>`` (plus ``redirect_url``
when one was given). The hosted pages redeem them through the sign-in and sign-up flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from threshold.core.codes import token_digest
from threshold.core.errors import IdentifierExistsError, ThresholdError
from threshold.core.ids import new_id, random_token
from threshold.services.infra.mail import Mail
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import check_metadata, require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.creation import normalize_email
from threshold.services.users.directory import load_user
from threshold.store.repositories import EmailRepository
from threshold.store.repositories._base import Row
from threshold.store.repositories.admin import (
    InvitationRepository,
    Page,
    Pager,
    SignInTokenRepository,
    like_pattern,
)
from threshold.store.tables import invitations

__all__ = [
    "SIGN_IN_TOKEN_SECONDS",
    "Ticket",
    "TicketNotPendingError",
    "create_invitation",
    "create_sign_in_token",
    "invitation_status",
    "list_invitations",
    "revoke_invitation",
    "revoke_sign_in_token",
]

SIGN_IN_TOKEN_SECONDS = 30 * 24 * 3600
"""Default lifetime of a sign-in token (Clerk's: 30 days)."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """A stored ticket row and, right after creation only, its secret and link."""

    row: Row
    token: str | None = None
    url: str | None = None


class TicketNotPendingError(ThresholdError):
    """The ticket was already used or revoked (400), with Clerk's code for the case:
    ``invitation_already_accepted``, ``invitation_already_revoked`` or
    ``sign_in_token_cannot_be_revoked_code``."""

    code = "ticket_not_pending"
    default_message = "This ticket is no longer pending."


_INVITATION_CODES = {
    "accepted": "invitation_already_accepted",
    "revoked": "invitation_already_revoked",
}


def _link(ctx: ServerContext, page: str, token: str, redirect_url: str | None = None) -> str:
    query = {"__clerk_ticket": token}
    if redirect_url:
        query["redirect_url"] = redirect_url
    return f"{ctx.settings.public_url}/{page}?{urlencode(query)}"


async def create_sign_in_token(ctx: ServerContext, user_id: str, expires_in: int | None) -> Ticket:
    """A single-use sign-in link for the user."""
    token = random_token(32)

    async def work(tx: Tx) -> Row:
        await load_user(tx, user_id)
        now = ctx.now_ms()
        return await SignInTokenRepository(tx.conn).insert(
            id=new_id("sit"),
            user_id=user_id,
            status="pending",
            ticket_digest=token_digest(token),
            expires_at=now + (expires_in or SIGN_IN_TOKEN_SECONDS) * 1000,
            created_at=now,
            updated_at=now,
        )

    row = await run_transaction(ctx, work)
    return Ticket(row, token, _link(ctx, "sign-in", token))


async def revoke_sign_in_token(ctx: ServerContext, token_id: str) -> Row:
    """Revoke a pending sign-in token. The row is locked first, so a revoke that waited
    for a redemption sees it used and is refused instead of overwriting it."""

    async def work(tx: Tx) -> Row:
        repo = SignInTokenRepository(tx.conn)
        row = await require(repo, token_id, "sit", "sign-in token", "sign_in_token_id", lock=True)
        if row["status"] != "pending":
            raise TicketNotPendingError(
                f"This sign-in token is already {row['status']}.",
                long_message=f"This sign-in token is {row['status']}: only a pending "
                "token can be revoked.",
                code="sign_in_token_cannot_be_revoked_code",
            )
        now = ctx.now_ms()
        await repo.update(token_id, status="revoked", updated_at=now)
        return {**row, "status": "revoked", "updated_at": now}

    return await run_transaction(ctx, work)


def invitation_status(row: Row, now_ms: int) -> str:
    """The stored status, or ``expired`` for a pending invitation past its expiry."""
    expires = row.get("expires_at")
    if row["status"] == "pending" and expires is not None and expires <= now_ms:
        return "expired"
    return str(row["status"])


async def create_invitation(
    ctx: ServerContext, params: Mapping[str, Any], redirect_url: str | None
) -> Ticket:
    """Invite an address to sign up (mailing the link unless ``notify`` is false).

    Unless ``ignore_existing``, an address that has an account or a pending
    invitation is refused. ``redirect_url`` must already be checked by the caller.
    """
    address = normalize_email(params.get("email_address"))
    metadata = check_metadata(params.get("public_metadata") or {}, "public_metadata")
    days = params.get("expires_in_days")
    token = random_token(32)
    url = _link(ctx, "sign-up", token, redirect_url)

    async def work(tx: Tx) -> Row:
        if not params.get("ignore_existing"):
            if await EmailRepository(tx.conn).by_address(address) is not None:
                raise IdentifierExistsError(param="email_address")
            if await InvitationRepository(tx.conn).pending_for(address) is not None:
                raise IdentifierExistsError(
                    "This email address already has a pending invitation.",
                    param="email_address",
                )
        now = ctx.now_ms()
        row = await InvitationRepository(tx.conn).insert(
            id=new_id("inv"),
            email_address=address,
            public_metadata=metadata,
            redirect_url=redirect_url,
            status="pending",
            ticket_digest=token_digest(token),
            expires_at=now + int(days) * 86_400_000 if days else None,
            created_at=now,
            updated_at=now,
        )
        if params.get("notify", True):
            tx.after_commit.mail(
                Mail(
                    to=address,
                    subject=f"You are invited to {ctx.settings.app_name}",
                    text=f"You have been invited to join {ctx.settings.app_name}.\n\n"
                    f"Create your account here:\n{url}\n",
                    kind="invitation",
                )
            )
        return row

    row = await run_transaction(ctx, work)
    return Ticket(row, token, url)


async def list_invitations(
    ctx: ServerContext, *, status: str | None, query: str | None, page: Page
) -> tuple[list[Row], int]:
    """Invitations (filtered by status and by a part of the address), with the total."""
    now = ctx.now_ms()
    where: list[sa.ColumnElement[bool]] = []
    live = sa.or_(invitations.c.expires_at.is_(None), invitations.c.expires_at > now)
    if status == "pending":
        where += [invitations.c.status == "pending", live]
    elif status == "expired":
        where.append(
            sa.or_(
                invitations.c.status == "expired",
                sa.and_(invitations.c.status == "pending", sa.not_(live)),
            )
        )
    elif status is not None:
        where.append(invitations.c.status == status)
    if query:
        where.append(
            invitations.c.email_address.like(like_pattern(query.strip().lower()), escape="\\")
        )

    async def work(tx: Tx) -> tuple[list[Row], int]:
        pager = Pager(tx.conn, invitations)
        rows = await pager.page(where, page, ("created_at", "email_address", "expires_at"))
        return rows, await pager.count(where)

    return await run_transaction(ctx, work, readonly=True)


async def revoke_invitation(ctx: ServerContext, invitation_id: str) -> Row:
    """Revoke a pending invitation: its link stops working. The row is locked first, so
    a revoke that waited for a sign-up accepting it is refused instead of overwriting
    ``accepted``."""

    async def work(tx: Tx) -> Row:
        repo = InvitationRepository(tx.conn)
        row = await require(repo, invitation_id, "inv", "invitation", "invitation_id", lock=True)
        if row["status"] != "pending":
            raise TicketNotPendingError(
                f"This invitation is already {row['status']}.",
                code=_INVITATION_CODES.get(row["status"]),
            )
        now = ctx.now_ms()
        await repo.update(invitation_id, status="revoked", updated_at=now)
        return {**row, "status": "revoked", "updated_at": now}

    return await run_transaction(ctx, work)
