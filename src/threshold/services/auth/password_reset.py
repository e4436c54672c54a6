"""The last step of a password reset: the new password, once the reset code was right.

It ends every other session of the user, mails a notice that carries no secret, and
signs this browser in (or waits for a second factor, for a user who set one up).
"""

from __future__ import annotations

from dataclasses import replace

from threshold.core.errors import ValidationError
from threshold.core.records.clients import SessionStatus
from threshold.core.records.sign_ins import SignIn, SignInStatus
from threshold.core.records.users import User
from threshold.services.auth.attempts import SIGN_INS, load_attempt, refuse_if_abandoned
from threshold.services.auth.second_factor import finish_first_factor
from threshold.services.infra.audit import audit
from threshold.services.infra.mail import Mail
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.users.passwords import hash_new_password
from threshold.store.repositories import SessionRepository, UserRepository

__all__ = ["reset_password"]


def _not_allowed() -> ValidationError:
    return ValidationError(
        "Verify the reset code first.", param="code", code="reset_password_not_allowed"
    )


async def _resetting(ctx: ServerContext, tx: Tx, state: ClientState, sign_in_id: str) -> SignIn:
    sign_in = await load_attempt(SIGN_INS, tx, state, sign_in_id)
    refuse_if_abandoned(SIGN_INS, ctx, sign_in)
    if sign_in.status != SignInStatus.NEEDS_NEW_PASSWORD:
        raise _not_allowed()
    return sign_in


async def _user_of(tx: Tx, sign_in: SignIn) -> User:
    user = await UserRepository(tx.conn).get(sign_in.user_id) if sign_in.user_id else None
    if user is None:
        raise _not_allowed()
    return user


def _notice(ctx: ServerContext, to: str) -> Mail:
    return Mail(
        to=to,
        subject=f"Your {ctx.settings.app_name} password was changed",
        text="The password of your account was just reset, and every other session was "
        "signed out.\n\nIf this was not you, reset your password again right away.",
        kind="password_changed",
    )


async def reset_password(
    ctx: ServerContext, state: ClientState, sign_in_id: str, password: str | None
) -> SignIn:
    """Set the new password after a verified reset code; ends every other session."""

    async def read(tx: Tx) -> tuple[SignIn, User]:
        sign_in = await load_attempt(SIGN_INS, tx, state, sign_in_id)
        refuse_if_abandoned(SIGN_INS, ctx, sign_in)
        user = await UserRepository(tx.conn).get(sign_in.user_id) if sign_in.user_id else None
        if sign_in.status != SignInStatus.NEEDS_NEW_PASSWORD or user is None:
            raise _not_allowed()
        return sign_in, user

    sign_in, user = await run_transaction(ctx, read, state=state)
    words = [sign_in.identifier or "", user.first_name or "", user.last_name or ""]
    digest = await hash_new_password(ctx, password, words)

    async def work(tx: Tx) -> SignIn:
        fresh = await _resetting(ctx, tx, state, sign_in_id)
        stored = await _user_of(tx, fresh)
        now = ctx.now_ms()
        reset = replace(
            stored,
            password_digest=digest,
            password_updated_at=now,
            failed_attempts=0,
            locked_until=None,
            updated_at=now,
        )
        await UserRepository(tx.conn).update(stored, reset)
        await SessionRepository(tx.conn).end_for_user(user.id, SessionStatus.REVOKED, now)
        if fresh.identifier is not None:
            tx.after_commit.mail(_notice(ctx, fresh.identifier))
        strategy = fresh.strategy or "reset_password_email_code"
        return await finish_first_factor(ctx, tx, state, fresh, reset, strategy=strategy)

    result = await run_transaction(ctx, work, state=state)
    audit("password.reset", user_id=user.id, session_id=result.created_session_id, by=state)
    return result
