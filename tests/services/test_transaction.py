"""run_transaction: one transaction, and what it leaves for after the commit."""

from __future__ import annotations

import pytest

from tests.services.conftest import RecordingMailer
from threshold.core.errors import ValidationError
from threshold.services.infra.mail import Mail
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction

pytestmark = pytest.mark.anyio

_MAIL = Mail(to="ada@example.com", subject="s", text="t", kind="test")


async def test_mail_goes_out_after_commit(
    ctx: ServerContext, recorded_mail: RecordingMailer
) -> None:
    async def work(tx: Tx) -> str:
        tx.after_commit.mail(_MAIL)
        assert recorded_mail.sent == []  # nothing leaves before the commit
        return "done"

    assert await run_transaction(ctx, work) == "done"
    await ctx.mailer.drain()
    assert [m.to for m in recorded_mail.sent if m.kind == "test"] == ["ada@example.com"]


async def test_a_rolled_back_transaction_sends_nothing(
    ctx: ServerContext, recorded_mail: RecordingMailer
) -> None:
    async def work(tx: Tx) -> None:
        tx.after_commit.mail(_MAIL)
        raise ValidationError("refused")

    with pytest.raises(ValidationError):
        await run_transaction(ctx, work)

    async def later(tx: Tx) -> None:
        return None

    await run_transaction(ctx, later)  # a later call must not pick up the dropped mail
    await ctx.mailer.drain()
    assert [m for m in recorded_mail.sent if m.kind == "test"] == []
