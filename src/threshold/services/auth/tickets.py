"""Sign-in tokens and invitations: single-use tickets, stored only as digests.

A sign-in token's link is ``<public_url>/sign-in?__clerk_ticket=<token>``; an
invitation's is ``<public_url>/sign-up?__clerk_ticket=<token>`` (plus ``redirect_url``
when one was given). The hosted pages redeem them through sign-in and sign-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from threshold.core.codes import token_digest
from threshold.core.errors import IdentifierExistsError, ThresholdError
from threshold.core.ids import new_id, random_token
from threshold.core.records.listing import Listed, Page
from threshold.core.records.tickets import (
    Invitation,
    InvitationStatus,
    SignInToken,
    SignInTokenStatus,
)
from threshold.services.infra.mail import Mail
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.fields import check_metadata, require
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.creation import normalize_email
from threshold.services.users.directory import load_user
from threshold.store.repositories import (
    EmailRepository,
    InvitationRepository,
    SignInTokenRepository,
)

__all__ = [
    "INVITATION_ORDER_FIELDS",
    "SIGN_IN_TOKEN_SECONDS",
    "Issued",
    "NewInvitation",
    "TicketNotPendingError",
    "create_invitation",
    "create_sign_in_token",
    "list_invitations",
    "revoke_invitation",
    "revoke_sign_in_token",
]

SIGN_IN_TOKEN_SECONDS = 30 * 24 * 3600
"""Default lifetime of a sign-in token (Clerk's: 30 days)."""

INVITATION_ORDER_FIELDS = ("created_at", "email_address", "expires_at")
"""What a listing of invitations can be ordered by."""

TicketT = TypeVar("TicketT", Invitation, SignInToken)


@dataclass(frozen=True, slots=True)
class Issued(Generic[TicketT]):
    """A ticket just created, with its secret and its link (known only now)."""

    ticket: TicketT
    secret: str
    url: str


@dataclass(frozen=True, slots=True)
class NewInvitation:
    """``POST /v1/invitations``: ``redirect_url`` already checked by the caller."""

    email_address: str
    public_metadata: Mapping[str, Any] | None = None
    redirect_url: str | None = None
    notify: bool = True
    ignore_existing: bool = False
    expires_in_days: int | None = None


class TicketNotPendingError(ThresholdError):
    """The ticket was already used or revoked (400), with Clerk's code for the case:
    ``invitation_already_accepted``, ``invitation_already_revoked`` or
    ``sign_in_token_cannot_be_revoked_code``."""

    code = "ticket_not_pending"
    default_message = "This ticket is no longer pending."


_INVITATION_CODES = {
    InvitationStatus.ACCEPTED: "invitation_already_accepted",
    InvitationStatus.REVOKED: "invitation_already_revoked",
}


def _link(ctx: ServerContext, page: str, token: str, redirect_url: str | None = None) -> str:
    query = {"__clerk_ticket": token}
    if redirect_url:
        query["redirect_url"] = redirect_url
    return f"{ctx.settings.public_url}/{page}?{urlencode(query)}"


async def create_sign_in_token(
    ctx: ServerContext, user_id: str, expires_in: int | None
) -> Issued[SignInToken]:
    """A single-use sign-in link for the user."""
    secret = random_token(32)

    async def work(tx: Tx) -> SignInToken:
        await load_user(tx, user_id)
        now = ctx.now_ms()
        return await SignInTokenRepository(tx.conn).insert(
            SignInToken(
                id=new_id("sit"),
                user_id=user_id,
                status=SignInTokenStatus.PENDING,
                ticket_digest=token_digest(secret),
                expires_at=now + (expires_in or SIGN_IN_TOKEN_SECONDS) * 1000,
                created_at=now,
                updated_at=now,
            )
        )

    token = await run_transaction(ctx, work)
    return Issued(token, secret, _link(ctx, "sign-in", secret))


async def revoke_sign_in_token(ctx: ServerContext, token_id: str) -> SignInToken:
    """Revoke a pending sign-in token. The row is locked first, so a revoke that waited
    for a redemption sees it used and is refused instead of overwriting it."""

    async def work(tx: Tx) -> SignInToken:
        tokens = SignInTokenRepository(tx.conn)
        token = await require(
            tokens, token_id, "sit", "sign-in token", "sign_in_token_id", lock=True
        )
        if token.status != SignInTokenStatus.PENDING:
            status = token.status.value
            raise TicketNotPendingError(
                f"This sign-in token is already {status}.",
                long_message=f"This sign-in token is {status}: only a pending "
                "token can be revoked.",
                code="sign_in_token_cannot_be_revoked_code",
            )
        revoked = replace(token, status=SignInTokenStatus.REVOKED, updated_at=ctx.now_ms())
        return await tokens.update(token, revoked)

    return await run_transaction(ctx, work)


async def create_invitation(ctx: ServerContext, new: NewInvitation) -> Issued[Invitation]:
    """Invite an address to sign up (mailing the link unless ``notify`` is false).

    Unless ``ignore_existing``, an address that has an account or a pending
    invitation is refused.
    """
    address = normalize_email(new.email_address)
    metadata = check_metadata(new.public_metadata or {}, "public_metadata")
    days = new.expires_in_days
    secret = random_token(32)
    url = _link(ctx, "sign-up", secret, new.redirect_url)

    async def work(tx: Tx) -> Invitation:
        invitations = InvitationRepository(tx.conn)
        if not new.ignore_existing:
            if await EmailRepository(tx.conn).by_address(address) is not None:
                raise IdentifierExistsError(param="email_address")
            if await invitations.pending_for(address) is not None:
                raise IdentifierExistsError(
                    "This email address already has a pending invitation.",
                    param="email_address",
                )
        now = ctx.now_ms()
        invitation = await invitations.insert(
            Invitation(
                id=new_id("inv"),
                email_address=address,
                public_metadata=metadata,
                redirect_url=new.redirect_url,
                status=InvitationStatus.PENDING,
                ticket_digest=token_digest(secret),
                expires_at=now + days * 86_400_000 if days else None,
                created_at=now,
                updated_at=now,
            )
        )
        if new.notify:
            tx.after_commit.mail(
                Mail(
                    to=address,
                    subject=f"You are invited to {ctx.settings.app_name}",
                    text=f"You have been invited to join {ctx.settings.app_name}.\n\n"
                    f"Create your account here:\n{url}\n",
                    kind="invitation",
                )
            )
        return invitation

    return Issued(await run_transaction(ctx, work), secret, url)


async def list_invitations(
    ctx: ServerContext, *, status: InvitationStatus | None, query: str | None, page: Page
) -> Listed[Invitation]:
    """Invitations (filtered by status and by a part of the address), with the total."""
    now = ctx.now_ms()

    async def work(tx: Tx) -> Listed[Invitation]:
        return await InvitationRepository(tx.conn).of(
            status=status, query=query, now_ms=now, page=page, allowed=INVITATION_ORDER_FIELDS
        )

    return await run_transaction(ctx, work, readonly=True)


async def revoke_invitation(ctx: ServerContext, invitation_id: str) -> Invitation:
    """Revoke a pending invitation: its link stops working. The row is locked first, so
    a revoke that waited for a sign-up accepting it is refused instead of overwriting
    ``accepted``."""

    async def work(tx: Tx) -> Invitation:
        invitations = InvitationRepository(tx.conn)
        found = await require(
            invitations, invitation_id, "inv", "invitation", "invitation_id", lock=True
        )
        if found.status != InvitationStatus.PENDING:
            raise TicketNotPendingError(
                f"This invitation is already {found.status.value}.",
                code=_INVITATION_CODES.get(found.status),
            )
        revoked = replace(found, status=InvitationStatus.REVOKED, updated_at=ctx.now_ms())
        return await invitations.update(found, revoked)

    return await run_transaction(ctx, work)
