"""``email_code``: sign in with a code emailed to the address."""

from __future__ import annotations

from threshold.core.records.sign_ins import SignIn
from threshold.core.records.users import User
from threshold.core.records.verifications import CodePurpose
from threshold.services.auth.second_factor import finish_first_factor
from threshold.services.auth.strategies._emailed_code import EmailedCode
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx
from threshold.services.users.passwords import lockout_error

__all__ = ["EmailCode"]


class EmailCode(EmailedCode):
    """The first factor is verified by the code: a locked account is refused, as it is
    with a password."""

    name = "email_code"
    purpose = CodePurpose.SIGN_IN

    async def verified(
        self, ctx: ServerContext, tx: Tx, state: ClientState, sign_in: SignIn, user: User
    ) -> SignIn:
        if (locked := lockout_error(ctx, user)) is not None:
            raise locked
        return await finish_first_factor(ctx, tx, state, sign_in, user, strategy=self.name)
