"""Issuing and checking one-time email codes (sign-up, sign-in, password reset)."""

from __future__ import annotations

from dataclasses import replace

from threshold.core.codes import CODE_TTL_SECONDS, TEST_CODE, code_digest, codes_equal, new_code
from threshold.core.errors import (
    CodeIncorrectError,
    RateLimitedError,
    ValidationError,
    VerificationExpiredError,
    VerificationFailedError,
)
from threshold.core.ids import new_id
from threshold.core.records.verifications import CodePurpose, Verification, VerificationStatus
from threshold.services.infra.audit import audit
from threshold.services.infra.mail import Mail
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx
from threshold.store.repositories import VerificationRepository

__all__ = ["CODE_TTL_SECONDS", "MAX_ATTEMPTS", "check_code", "is_test_address", "issue_code"]

MAX_ATTEMPTS = 5

_SUBJECTS = {
    CodePurpose.SIGN_UP: (
        "Your {app} verification code",
        "Your verification code is {code}.\n\n"
        "Enter it on the page where you signed up. It expires in 10 minutes.\n"
        "If you did not try to create an account, ignore this email.",
    ),
    CodePurpose.SIGN_IN: (
        "Your {app} sign-in code",
        "Your sign-in code is {code}.\n\n"
        "It expires in 10 minutes. If you did not try to sign in, ignore this email.",
    ),
    CodePurpose.RESET_PASSWORD: (
        "Reset your {app} password",
        "Your password reset code is {code}.\n\n"
        "It expires in 10 minutes. If you did not ask to reset your password, "
        "ignore this email: your password stays as it is.",
    ),
}


def is_test_address(ctx: ServerContext, address: str) -> bool:
    """``+clerk_test`` addresses, when test mode is on (development by default)."""
    return ctx.settings.test_mode_enabled and "+clerk_test@" in address


async def issue_code(
    ctx: ServerContext,
    tx: Tx,
    state: ClientState,
    *,
    purpose: CodePurpose,
    subject_id: str,
    target: str,
) -> Verification:
    """Void older codes for this subject, store a new one (as an HMAC) and mail it."""
    repo = VerificationRepository(tx.conn)
    now = ctx.now_ms()
    test = is_test_address(ctx, target)
    if not test and (
        await repo.count_since(target, now - 3_600_000) >= ctx.settings.code_sends_per_hour
    ):
        raise RateLimitedError(
            "Too many codes were sent to this address. Try again later.", retry_after=3600
        )
    await repo.void_pending(subject_id, purpose, now)
    code = TEST_CODE if test else new_code()
    sent = await repo.insert(
        Verification(
            id=new_id("ver"),
            purpose=purpose,
            subject_id=subject_id,
            target=target,
            code_digest=code_digest(ctx.instance.hmac_secret, purpose.value, subject_id, code),
            attempts=0,
            status=VerificationStatus.UNVERIFIED,
            expire_at=now + CODE_TTL_SECONDS * 1000,
            created_at=now,
            updated_at=now,
        )
    )
    audit("code.sent", purpose=purpose.value, subject_id=subject_id, to=target, test_mode=test)
    if not test:
        subject, body = _SUBJECTS[purpose]
        app = ctx.settings.app_name
        tx.after_commit.mail(
            Mail(
                to=target,
                subject=subject.format(app=app),
                text=body.format(code=code),
                kind=f"{purpose.value}_code",
            )
        )
    return sent


async def check_code(
    ctx: ServerContext, tx: Tx, *, purpose: CodePurpose, subject_id: str, code: str | None
) -> Verification:
    """Accept the latest code for this subject once; count wrong guesses (5 void it)."""
    if not isinstance(code, str) or not code.strip():
        raise ValidationError("Enter the code.", param="code", code="form_param_missing")
    repo = VerificationRepository(tx.conn)
    sent = await repo.latest(subject_id, purpose)
    now = ctx.now_ms()
    if sent is None or sent.status == VerificationStatus.EXPIRED:
        raise VerificationExpiredError(param="code")
    if sent.status == VerificationStatus.VERIFIED:
        raise VerificationExpiredError(
            "This code was already used. Request a new one.", param="code"
        )
    if sent.status == VerificationStatus.FAILED or sent.attempts >= MAX_ATTEMPTS:
        raise VerificationFailedError(param="code")
    if now >= sent.expire_at:
        raise VerificationExpiredError(param="code")
    digest = code_digest(ctx.instance.hmac_secret, purpose.value, subject_id, code.strip())
    if not codes_equal(digest, sent.code_digest):
        attempts = sent.attempts + 1
        error = (
            VerificationFailedError(param="code")
            if attempts >= MAX_ATTEMPTS
            else CodeIncorrectError(param="code")
        )

        status = (
            VerificationStatus.FAILED if attempts >= MAX_ATTEMPTS else VerificationStatus.UNVERIFIED
        )
        counted = replace(sent, attempts=attempts, updated_at=now, status=status)

        async def record(tx: Tx) -> None:
            await VerificationRepository(tx.conn).update(sent, counted)

        error.after_rollback = record
        raise error
    await repo.update(sent, replace(sent, status=VerificationStatus.VERIFIED, updated_at=now))
    return sent
