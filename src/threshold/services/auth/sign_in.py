"""Sign-in: password, email code, sign-in ticket, and reset by emailed code.

When ``protect_identifier_existence`` is on (the default), an unknown email behaves
exactly like a known one until a credential is checked, and then fails the same way.

A sign-in still in progress at its ``abandon_at`` (24 hours after it started) is
``abandoned``, as Clerk calls it: it reads so, the first request that meets it stores
that status, and every step refuses it (:class:`SignInExpiredError`) before any code is
sent, any password is checked or counted, or any session is created.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from threshold.core.codes import token_digest
from threshold.core.errors import (
    AccountBannedError,
    AuthenticationError,
    InvalidCredentialsError,
    NotFoundError,
    ThresholdError,
    ValidationError,
)
from threshold.core.ids import new_id
from threshold.services.auth.codes import check_code, issue_code
from threshold.services.infra.audit import audit
from threshold.services.infra.ratelimit import Limit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.clients import ensure_client
from threshold.services.sessions.sessions import create_session
from threshold.services.users.creation import check_identifier_allowed, normalize_email
from threshold.services.users.passwords import (
    lockout_error,
    release_password_check,
    reserve_password_check,
    settle_failed_password_check,
)
from threshold.store.repositories import (
    ClientRepository,
    EmailRepository,
    SignInRepository,
    UserRepository,
)
from threshold.store.repositories._base import Row
from threshold.store.tables import sign_in_tokens

__all__ = [
    "SignInExpiredError",
    "as_seen",
    "attempt_first_factor",
    "create_sign_in",
    "current_sign_in",
    "get_sign_in",
    "prepare_first_factor",
    "reset_password",
]

_CODE_PURPOSE = {"email_code": "sign_in", "reset_password_email_code": "reset_password"}
_DONE = ("complete", "abandoned")


class SignInExpiredError(ValidationError):
    """The sign-in was abandoned (past its ``abandon_at``): start a new one (422).

    Clerk documents no ``sign_in_cannot_be_updated``; its code for a sign-in that cannot
    take the requested step is ``client_state_invalid``."""

    code = "client_state_invalid"
    default_message = "This sign-in has expired. Start again."


_EXPIRED_LONG = "This sign-in was abandoned and can no longer be continued. Start a new one."


def fake_email_id(ctx: ServerContext, identifier: str) -> str:
    """A stable, unguessable stand-in id for an address that has no account."""
    digest = hmac.new(ctx.instance.hmac_secret, identifier.encode(), hashlib.sha256).hexdigest()
    return "idn_" + digest[:27]


async def create_sign_in(ctx: ServerContext, state: ClientState, params: Mapping[str, Any]) -> Row:
    """Start a sign-in; with ``password`` (or a ``ticket``) it completes in one call."""
    strategy = params.get("strategy")
    if strategy == "ticket" or (params.get("ticket") and not params.get("identifier")):
        return await _sign_in_with_ticket(ctx, state, params.get("ticket"))
    identifier = normalize_email(params.get("identifier"), param="identifier")
    password = params.get("password")
    with_password = password not in (None, "")

    async def work(tx: Tx) -> tuple[Row, Row | None]:
        await check_identifier_allowed(tx, identifier, param="identifier")
        client = await ensure_client(ctx, tx, state)
        email = await EmailRepository(tx.conn).by_address(identifier)
        now = ctx.now_ms()
        row = await SignInRepository(tx.conn).insert(
            id=new_id("sia"),
            client_id=client["id"],
            identifier=identifier,
            user_id=email["user_id"] if email else None,
            status="needs_first_factor",
            strategy=None,
            email_address_id=email["id"] if email else None,
            created_session_id=None,
            abandon_at=now + 24 * 3_600_000,
            created_at=now,
            updated_at=now,
        )
        await ClientRepository(tx.conn).update(client["id"], sign_in_id=row["id"], updated_at=now)
        # The password check needs the user: read it here, not in a transaction of its own.
        user = (
            await UserRepository(tx.conn).get(email["user_id"]) if with_password and email else None
        )
        return row, user

    if not ctx.settings.protect_identifier_existence:

        async def exists(tx: Tx) -> bool:
            return await EmailRepository(tx.conn).by_address(identifier) is not None

        if not await run_transaction(ctx, exists):
            raise ValidationError(
                "Couldn't find your account.", param="identifier", code="form_identifier_not_found"
            )
    row, user = await run_transaction(ctx, work, state=state)
    if with_password:
        return await _attempt_password(ctx, state, row["id"], password, read=(row, user))
    return row


async def _load(tx: Tx, state: ClientState, sign_in_id: str) -> Row:
    row = await SignInRepository(tx.conn).get(sign_in_id)
    if row is None or state.client is None or row["client_id"] != state.client["id"]:
        raise NotFoundError("Sign-in not found.", param="sign_in_id")
    return row


def as_seen(row: Row, now_ms: int) -> Row:
    """The sign-in as the wire shows it: one still in progress past ``abandon_at`` reads
    ``abandoned``, whether or not a request has stored that yet."""
    if row["status"] not in _DONE and row["abandon_at"] <= now_ms:
        return {**row, "status": "abandoned"}
    return row


def _check_open(ctx: ServerContext, row: Row, *, reserved_check: str | None = None) -> None:
    """Refuse an abandoned sign-in; one that lapsed only now is stored ``abandoned`` after
    the refused flow rolls back. ``reserved_check`` names a user whose password check was
    already counted for this attempt: the count is given back, the check never decided."""
    if as_seen(row, ctx.now_ms())["status"] != "abandoned":
        return
    error = SignInExpiredError(long_message=_EXPIRED_LONG)
    lapsed_now = row["status"] != "abandoned"
    if lapsed_now or reserved_check is not None:
        sign_in_id, now = row["id"], ctx.now_ms()

        async def store(tx: Tx) -> None:
            if lapsed_now:
                await SignInRepository(tx.conn).abandon(sign_in_id, now)
            if reserved_check is not None:
                await release_password_check(tx, reserved_check)

        error.after_rollback = store
    raise error


async def _seen(ctx: ServerContext, tx: Tx, row: Row) -> Row:
    """:func:`as_seen`, storing ``abandoned`` when the sign-in lapsed only now."""
    seen = as_seen(row, ctx.now_ms())
    if seen["status"] != row["status"]:
        await SignInRepository(tx.conn).abandon(row["id"], ctx.now_ms())
    return seen


async def get_sign_in(ctx: ServerContext, state: ClientState, sign_in_id: str) -> Row:
    async def work(tx: Tx) -> Row:
        return await _seen(ctx, tx, await _load(tx, state, sign_in_id))

    return await run_transaction(ctx, work, state=state)


async def current_sign_in(ctx: ServerContext, state: ClientState) -> Row | None:
    """The Client's sign-in attempt (``clients.sign_in_id``) as :func:`get_sign_in`
    shows it, or None."""

    async def work(tx: Tx) -> Row | None:
        client = state.client
        if client is None or not client["sign_in_id"]:
            return None
        row = await SignInRepository(tx.conn).get(client["sign_in_id"])
        return None if row is None else await _seen(ctx, tx, row)

    return await run_transaction(ctx, work, state=state)


async def prepare_first_factor(
    ctx: ServerContext, state: ClientState, sign_in_id: str, params: Mapping[str, Any]
) -> Row:
    """Send a sign-in or password-reset code (silently nothing for unknown addresses)."""
    strategy = params.get("strategy")
    if strategy not in _CODE_PURPOSE:
        raise ValidationError(
            "strategy must be email_code or reset_password_email_code.",
            param="strategy",
            code="form_param_value_invalid",
        )
    purpose = _CODE_PURPOSE[str(strategy)]

    async def work(tx: Tx) -> Row:
        row = await _load(tx, state, sign_in_id)
        _check_open(ctx, row)  # nothing is sent for an abandoned sign-in
        if row["status"] not in ("needs_first_factor", "needs_new_password"):
            raise ValidationError("This sign-in cannot take a code now.", param="strategy")
        await SignInRepository(tx.conn).update(
            row["id"], strategy=strategy, status="needs_first_factor", updated_at=ctx.now_ms()
        )
        if row["user_id"] is not None:
            await issue_code(
                ctx,
                tx,
                state,
                purpose=purpose,
                subject_id=row["user_id"],
                target=row["identifier"],
            )
        return {**row, "strategy": strategy, "status": "needs_first_factor"}

    limits = (
        Limit(f"code:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),
        Limit(f"code:id:{sign_in_id}", 10),
    )
    return await run_transaction(ctx, work, limits=limits, state=state)


def _limits(ctx: ServerContext, state: ClientState, identifier: str) -> tuple[Limit, ...]:
    return (
        Limit(f"signin:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),
        Limit(f"signin:id:{identifier}", ctx.settings.identifier_attempts_per_minute),
    )


async def attempt_first_factor(
    ctx: ServerContext, state: ClientState, sign_in_id: str, params: Mapping[str, Any]
) -> Row:
    """Check a password or code. Passwords are verified outside the write transaction."""
    strategy = params.get("strategy")
    if strategy == "password":
        return await _attempt_password(ctx, state, sign_in_id, params.get("password"))
    if strategy not in _CODE_PURPOSE:
        raise ValidationError(
            "Unsupported strategy.", param="strategy", code="form_param_value_invalid"
        )
    purpose = _CODE_PURPOSE[str(strategy)]

    async def work(tx: Tx) -> Row:
        row = await _load(tx, state, sign_in_id)
        _check_open(ctx, row)
        if row["status"] != "needs_first_factor":
            raise ValidationError("This sign-in cannot take a code now.", param="code")
        try:
            if row["user_id"] is None:
                raise AuthenticationError(
                    "Incorrect code.", param="code", code="form_code_incorrect"
                )
            await check_code(
                ctx, tx, purpose=purpose, subject_id=row["user_id"], code=params.get("code")
            )
        except ThresholdError as exc:
            _audit_failure(state, exc, str(strategy), row)
            raise
        user = await UserRepository(tx.conn).get(row["user_id"])
        if user is None or user["banned"]:
            raise AccountBannedError()
        if purpose == "reset_password":
            changes: dict[str, Any] = {"status": "needs_new_password", "strategy": strategy}
        else:
            if (locked := lockout_error(ctx, user)) is not None:
                raise locked
            session = await create_session(ctx, tx, state, user)
            changes = {"status": "complete", "created_session_id": session["id"]}
        await SignInRepository(tx.conn).update(row["id"], updated_at=ctx.now_ms(), **changes)
        return {**row, **changes}

    identifier = await _identifier(ctx, state, sign_in_id)
    result = await run_transaction(ctx, work, limits=_limits(ctx, state, identifier), state=state)
    return _audit_success(state, result)


async def _identifier(ctx: ServerContext, state: ClientState, sign_in_id: str) -> str:
    """The attempt's identifier (for its rate limits); an abandoned attempt is refused
    before any limit is counted."""

    async def work(tx: Tx) -> str:
        row = await _load(tx, state, sign_in_id)
        _check_open(ctx, row)
        return str(row["identifier"])

    return await run_transaction(ctx, work, state=state)


async def _attempt_password(
    ctx: ServerContext,
    state: ClientState,
    sign_in_id: str,
    password: object,
    *,
    read: tuple[Row, Row | None] | None = None,
) -> Row:
    """``read``: the attempt and its user, when the caller has just read them (a sign-in
    created with its password)."""
    if not isinstance(password, str) or not password:
        raise ValidationError("Enter your password.", param="password", code="form_param_missing")
    if len(password) > ctx.policy.max_length * 4:
        raise InvalidCredentialsError(param="password")

    async def load(tx: Tx) -> tuple[Row, Row | None]:
        row = await _load(tx, state, sign_in_id)
        _check_open(ctx, row)  # before the limits, the lockout count and argon2
        user = await UserRepository(tx.conn).get(row["user_id"]) if row["user_id"] else None
        return row, user

    if read is None:
        read = await run_transaction(ctx, load, state=state, readonly=True)
    row, user = read
    try:
        user = await _verify_password(ctx, state, row, user, password)
    except ThresholdError as exc:
        _audit_failure(state, exc, "password", row)
        raise
    new_digest = None
    if ctx.hasher.hasher.needs_rehash(user["password_digest"]):
        new_digest = await ctx.hasher.hash(password)

    async def complete(tx: Tx) -> Row:
        users = UserRepository(tx.conn)
        fresh = await users.get_for_update(user["id"])
        if fresh is None or fresh["password_digest"] != user["password_digest"]:
            raise InvalidCredentialsError(param="password")
        if fresh["banned"]:
            raise AccountBannedError()
        if (locked := lockout_error(ctx, fresh)) is not None:
            raise locked
        await _lock_for_password(ctx, tx, row["id"], user["id"])
        changes: dict[str, Any] = {"failed_attempts": 0, "locked_until": None}
        if new_digest is not None:
            changes["password_digest"] = new_digest
        session = await create_session(ctx, tx, state, fresh, user_changes=changes)
        done = {"status": "complete", "strategy": "password", "created_session_id": session["id"]}
        await SignInRepository(tx.conn).update(row["id"], updated_at=ctx.now_ms(), **done)
        return {**row, **done}

    return _audit_success(state, await run_transaction(ctx, complete, state=state))


async def _lock_for_password(ctx: ServerContext, tx: Tx, sign_in_id: str, user_id: str) -> None:
    """Lock the attempt a verified password completes; refuse it unless it still waits
    for a first factor. One that lapsed while argon2 ran creates no session, and the
    check reserved for it is given back."""
    attempt = await SignInRepository(tx.conn).get_for_update(sign_in_id)
    if attempt is None:
        raise NotFoundError("Sign-in not found.", param="sign_in_id")
    _check_open(ctx, attempt, reserved_check=user_id)
    if attempt["status"] != "needs_first_factor":
        raise ValidationError("This sign-in cannot take a password now.", param="password")


async def _verify_password(
    ctx: ServerContext, state: ClientState, row: Row, user: Row | None, password: str
) -> Row:
    """Limits, lockout, then argon2 (off the loop); unknown users cost the same time."""
    await _check_limits(ctx, state, row["identifier"])
    if row["status"] != "needs_first_factor":
        raise ValidationError("This sign-in cannot take a password now.", param="password")
    if user is None or not user["password_digest"]:
        await ctx.hasher.burn(password)
        raise InvalidCredentialsError(param="password")
    if (locked := lockout_error(ctx, user)) is not None:
        raise locked
    await reserve_password_check(ctx, user["id"])
    if not await ctx.hasher.verify(user["password_digest"], password):
        await _record_failure(ctx, user["id"])
    return user


async def _check_limits(ctx: ServerContext, state: ClientState, identifier: str) -> None:
    await ctx.limiter.hit_all(_limits(ctx, state, identifier))


async def _record_failure(ctx: ServerContext, user_id: str) -> None:
    """A reserved check failed: lock the account at the threshold, then refuse."""
    locked_until = await settle_failed_password_check(ctx, user_id)
    if locked_until is not None:
        audit("user.locked", user_id=user_id, until_ms=locked_until)
        raise lockout_error(ctx, {"locked_until": locked_until}) or InvalidCredentialsError()
    raise InvalidCredentialsError(param="password")


async def reset_password(
    ctx: ServerContext, state: ClientState, sign_in_id: str, password: object
) -> Row:
    """Set the new password after a verified reset code; ends every other session."""
    from threshold.services.users.passwords import hash_new_password
    from threshold.store.repositories import SessionRepository

    async def read(tx: Tx) -> tuple[Row, Row]:
        row = await _load(tx, state, sign_in_id)
        _check_open(ctx, row)
        user = await UserRepository(tx.conn).get(row["user_id"]) if row["user_id"] else None
        if row["status"] != "needs_new_password" or user is None:
            raise ValidationError(
                "Verify the reset code first.", param="code", code="reset_password_not_allowed"
            )
        return row, user

    row, user = await run_transaction(ctx, read, state=state)
    digest = await hash_new_password(
        ctx, password, [row["identifier"], user["first_name"] or "", user["last_name"] or ""]
    )

    async def work(tx: Tx) -> Row:
        fresh = await _load(tx, state, sign_in_id)
        _check_open(ctx, fresh)
        if fresh["status"] != "needs_new_password":
            raise ValidationError(
                "Verify the reset code first.", param="code", code="reset_password_not_allowed"
            )
        now = ctx.now_ms()
        users = UserRepository(tx.conn)
        await users.update(
            user["id"],
            password_digest=digest,
            password_updated_at=now,
            failed_attempts=0,
            locked_until=None,
            updated_at=now,
        )
        await SessionRepository(tx.conn).end_for_user(user["id"], "revoked", now)
        session = await create_session(ctx, tx, state, user)
        from threshold.services.infra.mail import Mail

        tx.after_commit.mail(
            Mail(
                to=row["identifier"],
                subject=f"Your {ctx.settings.app_name} password was changed",
                text="The password of your account was just reset, and every other session was "
                "signed out.\n\nIf this was not you, reset your password again right away.",
                kind="password_changed",
            )
        )
        done = {"status": "complete", "created_session_id": session["id"]}
        await SignInRepository(tx.conn).update(row["id"], updated_at=now, **done)
        return {**row, **done}

    result = await run_transaction(ctx, work, state=state)
    audit(
        "password.reset",
        user_id=user["id"],
        session_id=result["created_session_id"],
        by=state,
    )
    return result


async def _sign_in_with_ticket(ctx: ServerContext, state: ClientState, ticket: object) -> Row:
    """Redeem a Backend-API sign-in token (single use, expiring, revocable)."""
    if not isinstance(ticket, str) or not ticket:
        raise ValidationError("Enter the ticket.", param="ticket", code="form_param_missing")

    async def work(tx: Tx) -> Row:
        query = sa.select(sign_in_tokens).where(
            sign_in_tokens.c.ticket_digest == token_digest(ticket)
        )
        if tx.conn.dialect.name == "postgresql":
            query = query.with_for_update()  # a revoke waiting on it must see it used
        found = (await tx.conn.execute(query)).mappings().first()
        now = ctx.now_ms()
        if found is None or found["status"] != "pending" or found["expires_at"] <= now:
            raise ValidationError(
                "This sign-in link is invalid or has expired.",
                param="ticket",
                code="ticket_invalid",
            )
        user = await UserRepository(tx.conn).get(found["user_id"])
        if user is None or user["banned"]:
            raise AccountBannedError()
        await tx.conn.execute(
            sa.update(sign_in_tokens)
            .where(sign_in_tokens.c.id == found["id"])
            .values(status="accepted", updated_at=now)
        )
        client = await ensure_client(ctx, tx, state)
        session = await create_session(ctx, tx, state, user)
        emails = await EmailRepository(tx.conn).for_user(user["id"])
        return await SignInRepository(tx.conn).insert(
            id=new_id("sia"),
            client_id=client["id"],
            identifier=emails[0]["email_address"] if emails else user["id"],
            user_id=user["id"],
            status="complete",
            strategy="ticket",
            email_address_id=None,
            created_session_id=session["id"],
            abandon_at=now,
            created_at=now,
            updated_at=now,
        )

    try:
        result = await run_transaction(
            ctx, work, limits=(Limit(f"ticket:ip:{state.ip}", 30),), state=state
        )
    except ThresholdError as exc:
        _audit_failure(state, exc, "ticket")
        raise
    return _audit_success(state, result)


def _audit_failure(
    state: ClientState, exc: ThresholdError, strategy: str, row: Row | None = None
) -> None:
    """Record ``sign_in.failed``: why, by which strategy, and the attempt's identifier
    and user when there is an attempt."""
    audit(
        "sign_in.failed",
        identifier=row["identifier"] if row else None,
        reason=exc.code,
        strategy=strategy,
        user_id=row["user_id"] if row else None,
        by=state,
    )


def _audit_success(state: ClientState, row: Row) -> Row:
    """Record ``sign_in.succeeded`` for an attempt that just completed; return it."""
    if row["status"] == "complete":
        audit(
            "sign_in.succeeded",
            user_id=row["user_id"],
            session_id=row["created_session_id"],
            strategy=row["strategy"],
            by=state,
        )
    return row
