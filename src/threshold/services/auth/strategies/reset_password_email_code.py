"""``reset_password_email_code``: a code emailed to the address lets the user choose a
new password (``reset_password``), which then signs them in."""

from __future__ import annotations

from dataclasses import replace

from threshold.core.records.sign_ins import SignIn, SignInStatus
from threshold.core.records.users import User
from threshold.core.records.verifications import CodePurpose
from threshold.services.auth.strategies._emailed_code import EmailedCode
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx
from threshold.store.repositories import SignInRepository

__all__ = ["ResetPasswordEmailCode"]


class ResetPasswordEmailCode(EmailedCode):
    """A right code leads to ``needs_new_password`` (a locked account may reset)."""

    name = "reset_password_email_code"
    purpose = CodePurpose.RESET_PASSWORD

    async def verified(
        self, ctx: ServerContext, tx: Tx, state: ClientState, sign_in: SignIn, user: User
    ) -> SignIn:
        reset = replace(
            sign_in,
            status=SignInStatus.NEEDS_NEW_PASSWORD,
            strategy=self.name,
            updated_at=ctx.now_ms(),
        )
        return await SignInRepository(tx.conn).update(sign_in, reset)
