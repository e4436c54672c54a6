"""Sign-in and sign-up attempts and the one-time codes that verify them."""

from __future__ import annotations

import sqlalchemy as sa

from threshold.core.records.sign_ins import SignIn, SignInStatus
from threshold.core.records.sign_ups import SignUp, SignUpStatus
from threshold.core.records.verifications import CodePurpose, Verification, VerificationStatus
from threshold.store.repositories._base import Repository
from threshold.store.tables import sign_ins, sign_ups, verifications

__all__ = ["SignInRepository", "SignUpRepository", "VerificationRepository"]

_SIGN_IN_DONE = (SignInStatus.COMPLETE.value, SignInStatus.ABANDONED.value)


class SignInRepository(Repository[SignIn]):
    table = sign_ins
    record = SignIn

    async def abandon(self, sign_in_id: str, now_ms: int) -> None:
        """Mark a sign-in still in progress ``abandoned`` (a finished one keeps its status)."""
        await self.conn.execute(
            sa.update(sign_ins)
            .where(sign_ins.c.id == sign_in_id, sign_ins.c.status.not_in(_SIGN_IN_DONE))
            .values(status=SignInStatus.ABANDONED.value, updated_at=now_ms)
        )


class SignUpRepository(Repository[SignUp]):
    table = sign_ups
    record = SignUp

    async def abandon(self, sign_up_id: str, now_ms: int) -> None:
        """Mark a sign-up still in progress ``abandoned`` (a finished one keeps its status)."""
        await self.conn.execute(
            sa.update(sign_ups)
            .where(
                sign_ups.c.id == sign_up_id,
                sign_ups.c.status == SignUpStatus.MISSING_REQUIREMENTS.value,
            )
            .values(status=SignUpStatus.ABANDONED.value, updated_at=now_ms)
        )


class VerificationRepository(Repository[Verification]):
    table = verifications
    record = Verification

    async def latest(self, subject_id: str, purpose: CodePurpose) -> Verification | None:
        """The newest code issued for this subject and purpose."""
        return await self._one(
            sa.select(verifications)
            .where(
                verifications.c.subject_id == subject_id,
                verifications.c.purpose == purpose.value,
            )
            .order_by(verifications.c.created_at.desc(), verifications.c.id.desc())
            .limit(1)
        )

    async def void_pending(self, subject_id: str, purpose: CodePurpose, now_ms: int) -> None:
        """Expire every unverified code for this subject and purpose (one live code at a time)."""
        await self.conn.execute(
            sa.update(verifications)
            .where(
                verifications.c.subject_id == subject_id,
                verifications.c.purpose == purpose.value,
                verifications.c.status == VerificationStatus.UNVERIFIED.value,
            )
            .values(status=VerificationStatus.EXPIRED.value, updated_at=now_ms)
        )

    async def count_since(self, target: str, since_ms: int) -> int:
        """Codes sent to this address since ``since_ms`` (send caps)."""
        stmt = (
            sa.select(sa.func.count())
            .select_from(verifications)
            .where(verifications.c.target == target, verifications.c.created_at >= since_ms)
        )
        return int((await self.conn.execute(stmt)).scalar_one())
