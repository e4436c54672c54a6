"""Sign-up: email + password (names optional), then a 6-digit email code.

``update_sign_up`` (``PATCH /v1/client/sign_ups/{id}``) takes the fields the create takes,
checked the same way; a new email address voids the codes sent to the old one.

A sign-up still in progress at its ``abandon_at`` (24 hours after it started) is
``abandoned``, as Clerk calls it: it reads so, the first request that meets it stores
that status, and every step refuses it with ``sign_up_cannot_be_updated`` before any
code is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from threshold.core.codes import token_digest
from threshold.core.errors import (
    IdentifierExistsError,
    NotFoundError,
    ValidationError,
    VerificationExpiredError,
)
from threshold.core.ids import new_id
from threshold.services.auth.codes import check_code, issue_code
from threshold.services.auth.tickets import invitation_status
from threshold.services.infra.audit import audit
from threshold.services.infra.ratelimit import Limit
from threshold.services.runtime.context import ServerContext
from threshold.services.runtime.request import ClientState
from threshold.services.runtime.transaction import Tx, run_transaction
from threshold.services.sessions.clients import ensure_client
from threshold.services.sessions.sessions import create_session
from threshold.services.users.creation import check_identifier_allowed, create_user, normalize_email
from threshold.services.users.passwords import hash_new_password
from threshold.store.repositories import (
    ClientRepository,
    EmailRepository,
    SignUpRepository,
    VerificationRepository,
)
from threshold.store.repositories._base import Row
from threshold.store.repositories.admin import InvitationRepository
from threshold.store.tables import invitations

__all__ = [
    "as_seen",
    "attempt_verification",
    "create_sign_up",
    "get_sign_up",
    "prepare_verification",
    "update_sign_up",
]

_NAME_MAX = 255
_OPEN = "missing_requirements"
_POLICY_CONTEXT = ("email_address", "first_name", "last_name")
"""What a new password must not be based on (create uses the same three)."""


def _name(params: Mapping[str, Any], key: str) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be a string.", param=key)
    if len(value) > _NAME_MAX:
        raise ValidationError(f"{key} must be at most {_NAME_MAX} characters.", param=key)
    return value.strip() or None


def _unsafe_metadata(params: Mapping[str, Any]) -> dict[str, Any]:
    unsafe = params.get("unsafe_metadata") or {}
    if not isinstance(unsafe, dict):
        raise ValidationError("unsafe_metadata must be an object.", param="unsafe_metadata")
    return unsafe


async def _claim_address(tx: Tx, address: str, invitation: Row | None) -> None:
    """An address a sign-up may take: allowed (an invitation vouches for its own), not taken."""
    if invitation is None:
        await check_identifier_allowed(tx, address)
    if await EmailRepository(tx.conn).by_address(address) is not None:
        raise IdentifierExistsError(param="email_address")


async def _invitation(tx: Tx, ticket: object, now_ms: int = 0) -> Row | None:
    if ticket is None or ticket == "":
        return None
    if not isinstance(ticket, str):
        raise ValidationError("ticket must be a string.", param="ticket")
    row = (
        (
            await tx.conn.execute(
                sa.select(invitations).where(invitations.c.ticket_digest == token_digest(ticket))
            )
        )
        .mappings()
        .first()
    )
    if row is None or invitation_status(dict(row), now_ms) != "pending":
        raise _ticket_invalid()
    return dict(row)


def _ticket_invalid() -> ValidationError:
    return ValidationError(
        "This invitation is invalid or was already used.", param="ticket", code="ticket_invalid"
    )


async def _accept_invitation(ctx: ServerContext, tx: Tx, invitation_id: str) -> Row:
    """Accept the sign-up's invitation in the completing transaction, or refuse.

    The ticket was checked when the sign-up took it; since then the invitation may
    have been revoked, used by another sign-up or expired. Its row stays locked (on
    PostgreSQL) until the transaction ends, so a concurrent revoke waits for it.
    """
    repo = InvitationRepository(tx.conn)
    row = await repo.get_for_update(invitation_id)
    now = ctx.now_ms()
    if row is None or invitation_status(row, now) != "pending":
        raise _ticket_invalid()
    await repo.update(invitation_id, status="accepted", updated_at=now)
    return row


def _limits(ctx: ServerContext, state: ClientState) -> tuple[Limit, ...]:
    """What creating or changing a sign-up counts against (before any hashing)."""
    return (Limit(f"signup:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),)


async def create_sign_up(ctx: ServerContext, state: ClientState, params: Mapping[str, Any]) -> Row:
    """Start a sign-up. The rate limit comes first, then the password is checked and
    hashed before the transaction, so refused requests cost no argon2 work."""
    await ctx.limiter.hit_all(_limits(ctx, state))
    email = (
        normalize_email(params.get("email_address"))
        if params.get("email_address") or not params.get("ticket")
        else None
    )
    first, last = _name(params, "first_name"), _name(params, "last_name")
    digest = None
    if params.get("password") not in (None, ""):
        context = [e for e in (email, first, last) if e]
        digest = await hash_new_password(ctx, params.get("password"), context)
    unsafe = _unsafe_metadata(params)

    async def work(tx: Tx) -> Row:
        invitation = await _invitation(tx, params.get("ticket"), ctx.now_ms())
        address = invitation["email_address"] if invitation else email
        if address is None:
            raise ValidationError(
                "Enter an email address.", param="email_address", code="form_param_missing"
            )
        await _claim_address(tx, address, invitation)
        client = await ensure_client(ctx, tx, state)
        now = ctx.now_ms()
        row = await SignUpRepository(tx.conn).insert(
            id=new_id("sua"),
            client_id=client["id"],
            email_address=address,
            email_verified=invitation is not None,
            first_name=first,
            last_name=last,
            username=None,
            password_digest=digest,
            unsafe_metadata=unsafe,
            invitation_id=invitation["id"] if invitation else None,
            status="missing_requirements",
            created_user_id=None,
            created_session_id=None,
            abandon_at=now + 24 * 3_600_000,
            created_at=now,
            updated_at=now,
        )
        await ClientRepository(tx.conn).update(client["id"], sign_up_id=row["id"], updated_at=now)
        return await _maybe_complete(ctx, tx, state, row)

    return _audit_completion(state, await run_transaction(ctx, work, state=state))


async def _load(tx: Tx, state: ClientState, sign_up_id: str, *, lock: bool = False) -> Row:
    """The Client's own sign-up; ``lock`` holds its row to the end of the transaction, so
    a step never acts on an address that a concurrent update is replacing."""
    repo = SignUpRepository(tx.conn)
    row = await (repo.get_for_update if lock else repo.get)(sign_up_id)
    if row is None or state.client is None or row["client_id"] != state.client["id"]:
        raise NotFoundError("Sign-up not found.", param="sign_up_id")
    return row


def as_seen(row: Row, now_ms: int) -> Row:
    """The sign-up as the wire shows it: one still in progress past ``abandon_at`` reads
    ``abandoned``, whether or not a request has stored that yet."""
    if row["status"] == _OPEN and row["abandon_at"] <= now_ms:
        return {**row, "status": "abandoned"}
    return row


async def get_sign_up(ctx: ServerContext, state: ClientState, sign_up_id: str) -> Row:
    async def work(tx: Tx) -> Row:
        row = await _load(tx, state, sign_up_id)
        seen = as_seen(row, ctx.now_ms())
        if seen["status"] != row["status"]:
            await SignUpRepository(tx.conn).abandon(row["id"], ctx.now_ms())
        return seen

    return await run_transaction(ctx, work, state=state)


def _abandoned(ctx: ServerContext, row: Row) -> ValidationError:
    """Clerk's refusal of a sign-up that reached a terminal state; one that lapsed only
    now is stored ``abandoned`` after the refused flow rolls back."""
    error = ValidationError(
        "This sign-up has expired. Start a new one.",
        long_message="This sign-up was abandoned and can no longer be changed. Start a new one.",
        code="sign_up_cannot_be_updated",
    )
    if row["status"] == _OPEN:
        sign_up_id, now = row["id"], ctx.now_ms()

        async def store(tx: Tx) -> None:
            await SignUpRepository(tx.conn).abandon(sign_up_id, now)

        error.after_rollback = store
    return error


def _check_open(ctx: ServerContext, row: Row) -> None:
    """Only a sign-up still in progress takes changes."""
    if row["status"] == "complete":
        raise ValidationError("This sign-up is already complete.", code="client_state_invalid")
    if as_seen(row, ctx.now_ms())["status"] != _OPEN:
        raise _abandoned(ctx, row)


def _patched_email(params: Mapping[str, Any]) -> str | None:
    """The address a PATCH asks for, or None to keep the sign-up's.

    An empty one is refused as at create (the address is required), unless a ticket
    brings its own, as at create.
    """
    value = params.get("email_address")
    if value is None or (value == "" and params.get("ticket")):
        return None
    return normalize_email(value)


async def _new_digest(
    ctx: ServerContext,
    state: ClientState,
    sign_up_id: str,
    password: object,
    context: Mapping[str, Any],
) -> str | None:
    """Check and hash a new password before the write transaction, as create does.

    The policy sees the address and names the sign-up will have (``context`` holds the
    ones this request sets), so it reads the sign-up first: a foreign or finished
    sign-up is refused before any hashing.
    """
    if password in (None, ""):
        return None

    async def read(tx: Tx) -> Row:
        row = await _load(tx, state, sign_up_id)
        _check_open(ctx, row)
        return row

    row = await run_transaction(ctx, read, state=state, readonly=True)
    words = [context[k] if k in context else row[k] for k in _POLICY_CONTEXT]
    return await hash_new_password(ctx, password, [w for w in words if w])


async def update_sign_up(
    ctx: ServerContext, state: ClientState, sign_up_id: str, params: Mapping[str, Any]
) -> Row:
    """Change a sign-up in progress with the fields create takes, checked the same way.

    Only the fields sent change; unknown ones are ignored. A new address is vetted like
    a new sign-up's, starts unverified and voids the codes already sent. Every change
    lands in one transaction, or none does.
    """
    email = _patched_email(params)
    changes: dict[str, Any] = {
        key: _name(params, key) for key in ("first_name", "last_name") if key in params
    }
    if "unsafe_metadata" in params:
        changes["unsafe_metadata"] = _unsafe_metadata(params)
    await ctx.limiter.hit_all(_limits(ctx, state))  # before the password is hashed
    context = {**changes, **({"email_address": email} if email else {})}
    digest = await _new_digest(ctx, state, sign_up_id, params.get("password"), context)
    if digest is not None:
        changes["password_digest"] = digest

    async def work(tx: Tx) -> Row:
        row = await _load(tx, state, sign_up_id, lock=True)
        _check_open(ctx, row)
        invitation = await _invitation(tx, params.get("ticket"), ctx.now_ms())
        update = {**changes, **await _address_changes(ctx, tx, row, email, invitation)}
        update["updated_at"] = ctx.now_ms()
        await SignUpRepository(tx.conn).update(row["id"], **update)
        return await _maybe_complete(ctx, tx, state, {**row, **update})

    return _audit_completion(state, await run_transaction(ctx, work, state=state))


async def _address_changes(
    ctx: ServerContext, tx: Tx, row: Row, email: str | None, invitation: Row | None
) -> dict[str, Any]:
    """The columns a new address (typed, or an invitation's) changes.

    An invitation's address comes verified. An address that differs from the sign-up's
    is vetted as at create and voids the codes sent to the old one; a typed one starts
    unverified and drops an invitation made for the old one.
    """
    address = invitation["email_address"] if invitation else email
    changes: dict[str, Any] = {}
    if invitation is not None:
        changes = {"email_verified": True, "invitation_id": invitation["id"]}
    if address is None or address == row["email_address"]:
        return changes
    await _claim_address(tx, address, invitation)
    await VerificationRepository(tx.conn).void_pending(row["id"], "sign_up", ctx.now_ms())
    changes["email_address"] = address
    if invitation is None:
        changes |= {"email_verified": False, "invitation_id": None}
    return changes


async def prepare_verification(
    ctx: ServerContext, state: ClientState, sign_up_id: str, strategy: object
) -> Row:
    """Send the sign-up's email code."""
    if strategy not in ("email_code", None, ""):
        raise ValidationError(
            "Only the email_code strategy is supported.",
            param="strategy",
            code="form_param_value_invalid",
        )

    async def work(tx: Tx) -> Row:
        row = await _load(tx, state, sign_up_id, lock=True)
        if row["status"] == "complete":
            return row
        _check_open(ctx, row)  # nothing is sent for an abandoned sign-up
        if row["email_verified"]:
            return row
        await issue_code(
            ctx, tx, state, purpose="sign_up", subject_id=row["id"], target=row["email_address"]
        )
        return row

    limits = (Limit(f"code:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),)
    return await run_transaction(ctx, work, limits=limits, state=state)


async def attempt_verification(
    ctx: ServerContext, state: ClientState, sign_up_id: str, code: object
) -> Row:
    """Check the code; when every requirement is met, create the user and a session."""

    async def work(tx: Tx) -> Row:
        row = await _load(tx, state, sign_up_id, lock=True)
        if row["status"] == "complete":
            raise ValidationError(
                "This sign-up is already complete.",
                param="code",
                code="verification_already_verified",
            )
        _check_open(ctx, row)
        sent = await check_code(ctx, tx, purpose="sign_up", subject_id=row["id"], code=code)
        if sent["target"] != row["email_address"]:
            # Sent to an address the sign-up no longer has (updates void such codes).
            raise VerificationExpiredError(param="code")
        now = ctx.now_ms()
        await SignUpRepository(tx.conn).update(row["id"], email_verified=True, updated_at=now)
        return await _maybe_complete(ctx, tx, state, {**row, "email_verified": True})

    limits = (
        Limit(f"code:ip:{state.ip}", ctx.settings.ip_attempts_per_minute),
        Limit(f"code:sua:{sign_up_id}", 10),
    )
    return _audit_completion(state, await run_transaction(ctx, work, limits=limits, state=state))


def _audit_completion(state: ClientState, row: Row) -> Row:
    """Record ``sign_up.completed`` for a sign-up that just created its user; return it."""
    if row["status"] == "complete":
        audit(
            "sign_up.completed",
            user_id=row["created_user_id"],
            session_id=row["created_session_id"],
            by=state,
        )
    return row


async def _maybe_complete(ctx: ServerContext, tx: Tx, state: ClientState, row: Row) -> Row:
    if not (row["email_verified"] and row["password_digest"]):
        return row
    public_metadata: dict[str, Any] = {}
    if row["invitation_id"]:
        invitation = await _accept_invitation(ctx, tx, row["invitation_id"])
        public_metadata = invitation["public_metadata"] or {}
    user = await create_user(
        ctx,
        tx,
        email=row["email_address"],
        password_digest=row["password_digest"],
        email_verified=True,
        verification_strategy="ticket" if row["invitation_id"] else "email_code",
        first_name=row["first_name"],
        last_name=row["last_name"],
        unsafe_metadata=row["unsafe_metadata"] or {},
        public_metadata=public_metadata,
    )
    session = await create_session(ctx, tx, state, user)
    changes = {
        "status": "complete",
        "created_user_id": user["id"],
        "created_session_id": session["id"],
        "updated_at": ctx.now_ms(),
    }
    await SignUpRepository(tx.conn).update(row["id"], **changes)
    return {**row, **changes}
