"""What the two first factors checked by an emailed code share: sending the code to the
sign-in's address, and checking it.

Neither says whether the address has an account: for an unknown one nothing is sent,
and any code is "Incorrect code.".
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import (
    AccountBannedError,
    AuthenticationError,
    ThresholdError,
    ValidationError,
)
from threshold.core.records.sign_ins import (
    EmailFactorTarget,
    SignIn,
    SignInStatus,
    SupportedFactor,
)
from threshold.core.records.users import User
from threshold.core.records.verifications import CodePurpose
from threshold.services.auth.attempts import (
    SIGN_INS,
    audit_sign_in_failure,
    audit_sign_in_success,
    code_limits,
    load_attempt,
    open_sign_in_identifier,
    refuse_if_abandoned,
    sign_in_limits,
)
from threshold.services.auth.codes import check_code, issue_code
from threshold.services.auth.strategies.base import Step, StrategyKind
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import SignInRepository, UserRepository

__all__ = ["EmailedCode"]

_PREPARED_FROM = (SignInStatus.NEEDS_FIRST_FACTOR, SignInStatus.NEEDS_NEW_PASSWORD)


class EmailedCode:
    """A first factor checked by a 6-digit code sent to the sign-in's address. A
    subclass names itself, the code's purpose, and what a right code leads to."""

    name: ClassVar[str]
    purpose: ClassVar[CodePurpose]
    kind = StrategyKind.FIRST_FACTOR
    steps = frozenset({Step.PREPARE, Step.ATTEMPT})
    field = "code"

    def offer(self, email: EmailFactorTarget | None) -> SupportedFactor | None:
        return None if email is None else SupportedFactor(self.name, email)

    async def available_to(self, ctx: ServerContext, conn: AsyncConnection, user: User) -> bool:
        return True

    async def prepare(self, ctx: ServerContext, state: ClientState, attempt_id: str) -> SignIn:
        """Send the code (silently nothing for an address with no account)."""

        async def work(tx: Tx) -> SignIn:
            sign_in = await load_attempt(SIGN_INS, tx, state, attempt_id)
            refuse_if_abandoned(SIGN_INS, ctx, sign_in)  # nothing is sent for an abandoned one
            if sign_in.status not in _PREPARED_FROM:
                raise ValidationError("This sign-in cannot take a code now.", param="strategy")
            prepared = replace(
                sign_in,
                strategy=self.name,
                status=SignInStatus.NEEDS_FIRST_FACTOR,
                updated_at=ctx.now_ms(),
            )
            prepared = await SignInRepository(tx.conn).update(sign_in, prepared)
            if sign_in.user_id is not None and sign_in.identifier is not None:
                await issue_code(
                    ctx,
                    tx,
                    state,
                    purpose=self.purpose,
                    subject_id=sign_in.user_id,
                    target=sign_in.identifier,
                )
            return prepared

        limits = code_limits(ctx, state, f"id:{attempt_id}")
        return await run_transaction(ctx, work, limits=limits, state=state)

    async def attempt(
        self, ctx: ServerContext, state: ClientState, attempt_id: str | None, value: str | None
    ) -> SignIn:
        """Check the code, then move the sign-in on (:meth:`verified`)."""
        assert attempt_id is not None

        async def work(tx: Tx) -> SignIn:
            sign_in = await load_attempt(SIGN_INS, tx, state, attempt_id)
            refuse_if_abandoned(SIGN_INS, ctx, sign_in)
            if sign_in.status != SignInStatus.NEEDS_FIRST_FACTOR:
                raise ValidationError("This sign-in cannot take a code now.", param="code")
            try:
                if sign_in.user_id is None:
                    raise AuthenticationError(
                        "Incorrect code.", param="code", code="form_code_incorrect"
                    )
                await check_code(
                    ctx, tx, purpose=self.purpose, subject_id=sign_in.user_id, code=value
                )
            except ThresholdError as exc:
                audit_sign_in_failure(state, exc, self.name, sign_in)
                raise
            user = await UserRepository(tx.conn).get(sign_in.user_id)
            if user is None or user.banned:
                raise AccountBannedError()
            return await self.verified(ctx, tx, state, sign_in, user)

        identifier = await open_sign_in_identifier(ctx, state, attempt_id)
        limits = sign_in_limits(ctx, state, identifier)
        result = await run_transaction(ctx, work, limits=limits, state=state)
        return audit_sign_in_success(state, result)

    async def verified(
        self, ctx: ServerContext, tx: Tx, state: ClientState, sign_in: SignIn, user: User
    ) -> SignIn:
        """What a right code does to the sign-in (read in this transaction, like ``user``)."""
        raise NotImplementedError
