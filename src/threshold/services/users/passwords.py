"""Passwords: checking a new one, importing digests, and lockout after failed checks."""

from __future__ import annotations

from dataclasses import dataclass, replace

from threshold.core.errors import AccountLockedError, ValidationError
from threshold.core.passwords import SUPPORTED_IMPORT_HASHERS, PasswordHasher, check_password
from threshold.core.records.users import User
from threshold.services.infra.audit import audit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.store.repositories import UserRepository

__all__ = [
    "PasswordInput",
    "hash_new_password",
    "locked_until_error",
    "lockout_error",
    "password_digest_from",
    "release_password_check",
    "reserve_password_check",
    "settle_failed_password_check",
]


async def hash_new_password(
    ctx: ServerContext, password: object, context: list[str], *, param: str = "password"
) -> str:
    """Check a newly chosen password against the policy, then hash it (off the loop)."""
    if not isinstance(password, str) or not password:
        raise ValidationError("Enter a password.", param=param, code="form_param_missing")
    normalized = check_password(
        password, ctx.policy, [*context, ctx.settings.app_name], param=param
    )
    return await ctx.hasher.hash(normalized)


@dataclass(frozen=True, slots=True)
class PasswordInput:
    """A password the Backend API sets: in clear text (checked against the policy unless
    ``skip_password_checks``), or an imported digest with the hasher that made it."""

    password: str | None = None
    password_digest: str | None = None
    password_hasher: str | None = None
    skip_password_checks: bool = False


async def password_digest_from(
    ctx: ServerContext, given: PasswordInput, context: list[str]
) -> str | None:
    """The digest to store for ``password`` or an imported ``password_digest``, if any."""
    password, digest = given.password, given.password_digest
    if password is not None and digest is not None:
        raise ValidationError(
            "Give either password or password_digest, not both.", param="password_digest"
        )
    if digest is not None:
        hasher = given.password_hasher
        if hasher is None:
            raise ValidationError(
                "password_hasher must be given with password_digest.",
                param="password_hasher",
                code="form_param_missing",
            )
        if hasher not in SUPPORTED_IMPORT_HASHERS:
            raise ValidationError(
                f"password_hasher must be one of {', '.join(SUPPORTED_IMPORT_HASHERS)}.",
                param="password_hasher",
                code="form_param_value_invalid",
            )
        if len(digest) > 512 or not PasswordHasher.is_supported_digest(hasher, digest):
            raise ValidationError(
                f"password_digest is not a {hasher} digest.", param="password_digest"
            )
        return digest
    if password is None:
        return None
    if given.skip_password_checks:
        if not password or len(password) > ctx.policy.max_length * 4:
            raise ValidationError("The password is empty or too long.", param="password")
        return await ctx.hasher.hash(password)
    return await hash_new_password(ctx, password, [c for c in context if c])


def lockout_error(ctx: ServerContext, user: User) -> AccountLockedError | None:
    """The error to raise when the account is locked now, else None."""
    return _locked_error(ctx, user.locked_until)


def _locked_error(ctx: ServerContext, until: int | None) -> AccountLockedError | None:
    now = ctx.now_ms()
    if until is None or until <= now:
        return None
    seconds = max((until - now) // 1000, 1)
    minutes = max(seconds // 60, 1)
    return AccountLockedError(
        f"Your account is locked after too many failed attempts. Try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''}, or reset your password.",
        meta={"lockout_expires_in_seconds": seconds},
    )


async def reserve_password_check(ctx: ServerContext, user_id: str) -> None:
    """Count a password check as failed before it runs (a success clears the count).

    Checks that run at once then see each other: when ``THRESHOLD_LOCKOUT_ATTEMPTS``
    checks are counted, finished or still running, the account locks and the next check
    is refused unevaluated, so a burst of parallel guesses gets no more tries than the
    threshold. Raises :class:`AccountLockedError`.
    """

    async def work(tx: Tx) -> int | None:
        users = UserRepository(tx.conn)
        user = await users.get_for_update(user_id)
        if user is None:
            return None
        if (locked := lockout_error(ctx, user)) is not None:
            raise locked
        if user.failed_attempts >= ctx.settings.lockout_attempts:
            return await _lock(ctx, tx, user)
        await users.update(user, replace(user, failed_attempts=user.failed_attempts + 1))
        return None

    if (until := await run_transaction(ctx, work)) is not None:
        audit("user.locked", user_id=user_id, until_ms=until)
        raise _locked_until(ctx, until)


async def release_password_check(tx: Tx, user_id: str) -> None:
    """Give back a check :func:`reserve_password_check` counted when the attempt it was
    for was refused without a verdict (it lapsed while argon2 ran)."""
    users = UserRepository(tx.conn)
    user = await users.get_for_update(user_id)
    if user is not None and user.failed_attempts > 0:
        await users.update(user, replace(user, failed_attempts=user.failed_attempts - 1))


async def settle_failed_password_check(ctx: ServerContext, user_id: str) -> int | None:
    """After a reserved check failed: lock the account once the count reached the
    threshold. Returns when the lock ends (ms), or None when the account is not locked."""

    async def work(tx: Tx) -> int | None:
        user = await UserRepository(tx.conn).get_for_update(user_id)
        if user is None:
            return None
        if lockout_error(ctx, user) is not None and user.locked_until is not None:
            return user.locked_until
        if user.failed_attempts < ctx.settings.lockout_attempts:
            return None
        return await _lock(ctx, tx, user)

    return await run_transaction(ctx, work)


async def _lock(ctx: ServerContext, tx: Tx, user: User) -> int:
    """Lock the account for ``THRESHOLD_LOCKOUT_SECONDS``; returns when the lock ends."""
    until = ctx.now_ms() + ctx.settings.lockout_seconds * 1000
    await UserRepository(tx.conn).update(user, replace(user, failed_attempts=0, locked_until=until))
    return until


def locked_until_error(ctx: ServerContext, until: int) -> AccountLockedError | None:
    """The error for an account locked until ``until`` (ms), or None once that passed."""
    return _locked_error(ctx, until)


def _locked_until(ctx: ServerContext, until: int) -> AccountLockedError:
    error = _locked_error(ctx, until)
    assert error is not None
    return error
