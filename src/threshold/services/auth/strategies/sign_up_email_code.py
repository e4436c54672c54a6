"""``email_code`` for a sign-up: a code emailed to the address it gives proves it."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import ValidationError, VerificationExpiredError
from threshold.core.records.sign_ins import EmailFactorTarget, SupportedFactor
from threshold.core.records.sign_ups import SignUp, SignUpStatus
from threshold.core.records.users import User
from threshold.core.records.verifications import CodePurpose
from threshold.services.auth.attempts import (
    SIGN_UPS,
    audit_sign_up_completion,
    code_limits,
    load_attempt,
)
from threshold.services.auth.codes import check_code, issue_code
from threshold.services.auth.sign_up import complete_if_ready, refuse_unless_open
from threshold.services.auth.strategies.base import Step, StrategyKind
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import SignUpRepository

__all__ = ["SignUpEmailCode"]


class SignUpEmailCode:
    """The sign-up's address is verified by a 6-digit code; once verified (and with a
    password), the sign-up creates the user and a session."""

    name = "email_code"
    kind = StrategyKind.VERIFICATION
    steps = frozenset({Step.PREPARE, Step.ATTEMPT})
    field = "code"

    def offer(self, email: EmailFactorTarget | None) -> SupportedFactor | None:
        return SupportedFactor(self.name)

    async def available_to(self, ctx: ServerContext, conn: AsyncConnection, user: User) -> bool:
        return True

    async def prepare(self, ctx: ServerContext, state: ClientState, attempt_id: str) -> SignUp:
        """Send the code (nothing for a finished or already verified sign-up)."""

        async def work(tx: Tx) -> SignUp:
            sign_up = await load_attempt(SIGN_UPS, tx, state, attempt_id, lock=True)
            if sign_up.status == SignUpStatus.COMPLETE:
                return sign_up
            refuse_unless_open(ctx, sign_up)  # nothing is sent for an abandoned sign-up
            if sign_up.email_verified or sign_up.email_address is None:
                return sign_up
            await issue_code(
                ctx,
                tx,
                state,
                purpose=CodePurpose.SIGN_UP,
                subject_id=sign_up.id,
                target=sign_up.email_address,
            )
            return sign_up

        return await run_transaction(ctx, work, limits=code_limits(ctx, state, None), state=state)

    async def attempt(
        self, ctx: ServerContext, state: ClientState, attempt_id: str | None, value: str | None
    ) -> SignUp:
        """Check the code; when every requirement is met, create the user and a session."""
        assert attempt_id is not None

        async def work(tx: Tx) -> SignUp:
            sign_up = await load_attempt(SIGN_UPS, tx, state, attempt_id, lock=True)
            if sign_up.status == SignUpStatus.COMPLETE:
                raise ValidationError(
                    "This sign-up is already complete.",
                    param="code",
                    code="verification_already_verified",
                )
            refuse_unless_open(ctx, sign_up)
            sent = await check_code(
                ctx, tx, purpose=CodePurpose.SIGN_UP, subject_id=sign_up.id, code=value
            )
            if sent.target != sign_up.email_address:
                # Sent to an address the sign-up no longer has (updates void such codes).
                raise VerificationExpiredError(param="code")
            verified = replace(sign_up, email_verified=True, updated_at=ctx.now_ms())
            verified = await SignUpRepository(tx.conn).update(sign_up, verified)
            return await complete_if_ready(ctx, tx, state, verified)

        limits = code_limits(ctx, state, f"sua:{attempt_id}")
        result = await run_transaction(ctx, work, limits=limits, state=state)
        return audit_sign_up_completion(state, result)
