"""``ticket``: sign in with a Backend API sign-in token (single use, expiring, revocable).

The ticket names its user, so it starts its own sign-in: complete at once, or waiting
for a second factor when the user set one up.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.codes import token_digest
from threshold.core.errors import AccountBannedError, ThresholdError, ValidationError
from threshold.core.ids import new_id
from threshold.core.records.sign_ins import (
    EmailFactorTarget,
    SignIn,
    SignInStatus,
    SupportedFactor,
)
from threshold.core.records.tickets import SignInTokenStatus
from threshold.core.records.users import User
from threshold.services.auth.attempts import (
    ATTEMPT_LIFETIME_MS,
    audit_sign_in_failure,
    audit_sign_in_success,
)
from threshold.services.auth.second_factor import has_second_factor
from threshold.services.auth.strategies.base import Step, StrategyKind
from threshold.services.infra.ratelimit import Limit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.clients import ensure_client, update_client
from threshold.services.sessions.sessions import create_session
from threshold.store.repositories import (
    EmailRepository,
    SignInRepository,
    SignInTokenRepository,
    UserRepository,
)

__all__ = ["Ticket"]


def _invalid() -> ValidationError:
    return ValidationError(
        "This sign-in link is invalid or has expired.", param="ticket", code="ticket_invalid"
    )


class Ticket:
    """A sign-in token, redeemed when a sign-in is created with it."""

    name = "ticket"
    kind = StrategyKind.FIRST_FACTOR
    steps = frozenset({Step.START})
    field = "ticket"

    def offer(self, email: EmailFactorTarget | None) -> SupportedFactor | None:
        return None

    async def available_to(self, ctx: ServerContext, conn: AsyncConnection, user: User) -> bool:
        return True

    async def prepare(self, ctx: ServerContext, state: ClientState, attempt_id: str) -> SignIn:
        raise ValidationError("A ticket needs no preparation.", param="strategy")

    async def attempt(
        self, ctx: ServerContext, state: ClientState, attempt_id: str | None, value: str | None
    ) -> SignIn:
        """Redeem the ticket: mark it used and start the user's sign-in."""
        if not value:
            raise ValidationError("Enter the ticket.", param="ticket", code="form_param_missing")
        ticket = value

        async def work(tx: Tx) -> SignIn:
            tokens = SignInTokenRepository(tx.conn)
            # Locked: a revoke waiting on it must see it used.
            found = await tokens.by_ticket_digest(token_digest(ticket), lock=True)
            now = ctx.now_ms()
            if found is None or not found.usable_at(now):
                raise _invalid()
            user = await UserRepository(tx.conn).get(found.user_id)
            if user is None or user.banned:
                raise AccountBannedError()
            used = replace(found, status=SignInTokenStatus.ACCEPTED, updated_at=now)
            await tokens.update(found, used)
            return await self._start(ctx, tx, state, user)

        try:
            limits = (Limit(f"ticket:ip:{state.ip}", 30),)
            result = await run_transaction(ctx, work, limits=limits, state=state)
        except ThresholdError as exc:
            audit_sign_in_failure(state, exc, self.name)
            raise
        return audit_sign_in_success(state, result)

    async def _start(self, ctx: ServerContext, tx: Tx, state: ClientState, user: User) -> SignIn:
        client = await ensure_client(ctx, tx, state)
        second = await has_second_factor(ctx, tx, user)
        session = None if second else await create_session(ctx, tx, state, user)
        emails = await EmailRepository(tx.conn).for_user(user.id)
        now = ctx.now_ms()
        sign_in = await SignInRepository(tx.conn).insert(
            SignIn(
                id=new_id("sia"),
                client_id=client.id,
                identifier=emails[0].email_address if emails else user.id,
                user_id=user.id,
                status=SignInStatus.NEEDS_SECOND_FACTOR if second else SignInStatus.COMPLETE,
                strategy=self.name,
                created_session_id=None if session is None else session.id,
                abandon_at=now + ATTEMPT_LIFETIME_MS if second else now,
                created_at=now,
                updated_at=now,
            )
        )
        if second:  # the Client's attempt in progress, for the second factor's step
            assert state.client is not None
            await update_client(
                tx, state, replace(state.client, sign_in_id=sign_in.id, updated_at=now)
            )
        return sign_in
