"""Sign-in and sign-up attempts and the one-time codes that verify them."""

from __future__ import annotations

import sqlalchemy as sa

from threshold.store.repositories._base import Repository, Row
from threshold.store.tables import sign_ins, sign_ups, verifications

__all__ = ["SignInRepository", "SignUpRepository", "VerificationRepository"]

_SIGN_IN_DONE = ("complete", "abandoned")


class SignInRepository(Repository):
    table = sign_ins

    async def abandon(self, sign_in_id: str, now_ms: int) -> None:
        """Mark a sign-in still in progress ``abandoned`` (a finished one keeps its status)."""
        await self.conn.execute(
            sa.update(sign_ins)
            .where(sign_ins.c.id == sign_in_id, sign_ins.c.status.not_in(_SIGN_IN_DONE))
            .values(status="abandoned", updated_at=now_ms)
        )


class SignUpRepository(Repository):
    table = sign_ups

    async def abandon(self, sign_up_id: str, now_ms: int) -> None:
        """Mark a sign-up still in progress ``abandoned`` (a finished one keeps its status)."""
        await self.conn.execute(
            sa.update(sign_ups)
            .where(sign_ups.c.id == sign_up_id, sign_ups.c.status == "missing_requirements")
            .values(status="abandoned", updated_at=now_ms)
        )


class VerificationRepository(Repository):
    table = verifications

    async def latest(self, subject_id: str, purpose: str) -> Row | None:
        """The newest verification issued for this subject and purpose."""
        return await self._one(
            sa.select(verifications)
            .where(verifications.c.subject_id == subject_id, verifications.c.purpose == purpose)
            .order_by(verifications.c.created_at.desc(), verifications.c.id.desc())
            .limit(1)
        )

    async def void_pending(self, subject_id: str, purpose: str, now_ms: int) -> None:
        """Expire every unverified code for this subject and purpose (one live code at a time)."""
        await self.conn.execute(
            sa.update(verifications)
            .where(
                verifications.c.subject_id == subject_id,
                verifications.c.purpose == purpose,
                verifications.c.status == "unverified",
            )
            .values(status="expired", updated_at=now_ms)
        )

    async def count_since(self, target: str, since_ms: int) -> int:
        """Codes sent to this address since ``since_ms`` (send caps)."""
        stmt = (
            sa.select(sa.func.count())
            .select_from(verifications)
            .where(verifications.c.target == target, verifications.c.created_at >= since_ms)
        )
        return int((await self.conn.execute(stmt)).scalar_one())
