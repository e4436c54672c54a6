"""``password``: sign in with the account's password.

The password is checked outside any write transaction, in three steps: read the sign-in
and its user; count the check toward the lockout before argon2 runs (so parallel guesses
get no more tries than the threshold), then verify; complete the sign-in in a short write
that checks nothing changed meanwhile. An address with no account costs the same argon2
time and fails the same way.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from threshold.core.errors import (
    AccountBannedError,
    InvalidCredentialsError,
    NotFoundError,
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
from threshold.services.auth.attempts import (
    SIGN_INS,
    audit_sign_in_failure,
    audit_sign_in_success,
    load_attempt,
    refuse_if_abandoned,
    sign_in_limits,
)
from threshold.services.auth.second_factor import finish_first_factor
from threshold.services.auth.strategies.base import Step, StrategyKind
from threshold.services.infra.audit import audit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.passwords import (
    locked_until_error,
    lockout_error,
    release_password_check,
    reserve_password_check,
    settle_failed_password_check,
)
from threshold.store.repositories import SignInRepository, UserRepository

__all__ = ["Password"]


def _cannot_take_password() -> ValidationError:
    return ValidationError("This sign-in cannot take a password now.", param="password")


class Password:
    """The account's password, at creation (``identifier`` with ``password``) or as
    ``attempt_first_factor``."""

    name = "password"
    kind = StrategyKind.FIRST_FACTOR
    steps = frozenset({Step.CREATE, Step.ATTEMPT})
    field = "password"

    def offer(self, email: EmailFactorTarget | None) -> SupportedFactor | None:
        return SupportedFactor(self.name)

    async def available_to(self, ctx: ServerContext, conn: AsyncConnection, user: User) -> bool:
        return user.password_digest is not None

    async def prepare(self, ctx: ServerContext, state: ClientState, attempt_id: str) -> SignIn:
        raise ValidationError("A password needs no preparation.", param="strategy")

    async def attempt(
        self, ctx: ServerContext, state: ClientState, attempt_id: str | None, value: str | None
    ) -> SignIn:
        assert attempt_id is not None
        if not value:
            raise ValidationError(
                "Enter your password.", param="password", code="form_param_missing"
            )
        if len(value) > ctx.policy.max_length * 4:
            raise InvalidCredentialsError(param="password")

        async def read(tx: Tx) -> tuple[SignIn, User | None]:
            sign_in = await load_attempt(SIGN_INS, tx, state, attempt_id)
            refuse_if_abandoned(SIGN_INS, ctx, sign_in)  # before limits, lockout and argon2
            users = UserRepository(tx.conn)
            return sign_in, await users.get(sign_in.user_id) if sign_in.user_id else None

        sign_in, found = await run_transaction(ctx, read, state=state, readonly=True)
        try:
            user = await _verify(ctx, state, sign_in, found, value)
        except ThresholdError as exc:
            audit_sign_in_failure(state, exc, self.name, sign_in)
            raise
        assert user.password_digest is not None
        new_digest = None
        if ctx.hasher.hasher.needs_rehash(user.password_digest):
            new_digest = await ctx.hasher.hash(value)

        async def complete(tx: Tx) -> SignIn:
            fresh = await UserRepository(tx.conn).get_for_update(user.id)
            if fresh is None or fresh.password_digest != user.password_digest:
                raise InvalidCredentialsError(param="password")
            if fresh.banned:
                raise AccountBannedError()
            if (locked := lockout_error(ctx, fresh)) is not None:
                raise locked
            attempt = await _lock_for_password(ctx, tx, sign_in.id, user.id)
            changes: dict[str, Any] = {"failed_attempts": 0, "locked_until": None}
            if new_digest is not None:
                changes["password_digest"] = new_digest
            return await finish_first_factor(
                ctx, tx, state, attempt, fresh, strategy=self.name, user_changes=changes
            )

        return audit_sign_in_success(state, await run_transaction(ctx, complete, state=state))


async def _lock_for_password(ctx: ServerContext, tx: Tx, sign_in_id: str, user_id: str) -> SignIn:
    """Lock the attempt a verified password completes; refuse it unless it still waits
    for a first factor. One that lapsed while argon2 ran creates no session, and the
    check reserved for it is given back."""
    attempt = await SignInRepository(tx.conn).get_for_update(sign_in_id)
    if attempt is None:
        raise NotFoundError("Sign-in not found.", param="sign_in_id")

    async def give_back(tx: Tx) -> None:
        await release_password_check(tx, user_id)

    refuse_if_abandoned(SIGN_INS, ctx, attempt, then=give_back)
    if attempt.status != SignInStatus.NEEDS_FIRST_FACTOR:
        raise _cannot_take_password()
    return attempt


async def _verify(
    ctx: ServerContext, state: ClientState, sign_in: SignIn, user: User | None, password: str
) -> User:
    """Limits, lockout, then argon2 (off the loop); unknown users cost the same time."""
    await ctx.limiter.hit_all(sign_in_limits(ctx, state, sign_in.identifier))
    if sign_in.status != SignInStatus.NEEDS_FIRST_FACTOR:
        raise _cannot_take_password()
    if user is None or not user.password_digest:
        await ctx.hasher.burn(password)
        raise InvalidCredentialsError(param="password")
    if (locked := lockout_error(ctx, user)) is not None:
        raise locked
    await reserve_password_check(ctx, user.id)
    if not await ctx.hasher.verify(user.password_digest, password):
        await _refuse(ctx, user.id)
    return user


async def _refuse(ctx: ServerContext, user_id: str) -> None:
    """A reserved check failed: lock the account at the threshold, then refuse."""
    locked_until = await settle_failed_password_check(ctx, user_id)
    if locked_until is not None:
        audit("user.locked", user_id=user_id, until_ms=locked_until)
        raise locked_until_error(ctx, locked_until) or InvalidCredentialsError()
    raise InvalidCredentialsError(param="password")
